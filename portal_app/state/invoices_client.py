"""States of the client's Invoices section: the list (/invoices) and one invoice
(/invoices/[invoice_id]).

Both read only what the services hand the client (their own sent invoices, while the
section is on); the page number and the invoice id come from the URL and are only
arguments to those services, never trusted beyond that. Opening an invoice records the
client's first view (staff see "viewed"). Pay Now is not built yet: the detail page
explains how to pay instead.
"""

from __future__ import annotations

import re

import reflex as rx

from ..services import invoice_pdf, invoice_views, invoices
from ..services.errors import ServiceError
from .base import BaseState

_INVOICE_ID = re.compile(r"in_[A-Za-z0-9_-]{1,37}")
OUTSTANDING = ("sent", "partially_paid", "overdue")
# what the detail page shows of invoice_detail's dict (nothing else reaches the browser)
DETAIL_KEYS = ("id", "number", "status", "status_label", "issue_date", "due_date", "currency", "notes", "terms",
               "subtotal", "discount", "tax", "total", "paid", "balance")
LINE_KEYS = ("description", "quantity", "unit", "tax_rate", "amount")
PAYMENT_KEYS = ("amount", "date", "reference")


def _party(party: dict) -> dict[str, str]:
    return {"name": party["name"], "company": party["company"], "email": party["email"],
            "address": "\n".join(party["lines"])}


class ClientInvoicesState(BaseState):
    rows: list[dict] = []
    outstanding: list[dict[str, str]] = []
    page: int = 1
    pages: int = 1
    total: int = 0
    loaded: bool = False
    refusal: str = ""

    def _page_arg(self) -> int:
        try:
            return min(max(1, int(self._query("page") or 1)), 1_000_000)
        except ValueError:
            return 1

    @rx.event
    def load(self):
        def work(db, ws, actor):
            if actor.kind == "staff":
                return rx.redirect("/staff/invoices")
            self.refusal, self.loaded = "", False
            result = invoice_views.client_invoices(db, actor, self._page_arg())
            self.rows = [{k: r[k] for k in ("id", "number", "status", "status_label", "issue_date", "due_date",
                                            "total", "balance")} for r in result.rows]
            self.outstanding = result.outstanding
            self.page, self.pages, self.total = result.page, result.pages, result.total
            self.loaded = True
            return None

        def refused(exc: ServiceError):
            self.refusal, self.rows, self.outstanding, self.total, self.loaded = exc.message, [], [], 0, False

        return self._run(work, on_error=refused)


class ClientInvoiceState(BaseState):
    invoice: dict[str, str] = {}
    lines: list[dict[str, str]] = []
    payments: list[dict[str, str]] = []
    business: dict[str, str] = {}
    client: dict[str, str] = {}
    # the balance is open: the page explains how to pay (Pay Now comes with Stripe payments)
    payable: bool = False
    loaded: bool = False
    refusal: str = ""

    @rx.event
    def load(self):
        invoice_id = (self.router.url.path or "").rstrip("/").rsplit("/", 1)[-1][:80]

        def work(db, ws, actor):
            if actor.kind == "staff":  # the same invoice on the staff pages (they check it themselves)
                return rx.redirect(f"/staff/invoices/{invoice_id}" if _INVOICE_ID.fullmatch(invoice_id)
                                   else "/staff/invoices")
            self.refusal, self.loaded = "", False
            detail = invoice_views.invoice_detail(db, actor, invoice_id)
            parties = invoice_pdf.invoice_parties(db, actor, invoice_id)
            if detail["is_client"]:
                invoices.mark_viewed(db, actor, invoice_id)
            self.invoice = {k: str(detail[k]) for k in DETAIL_KEYS}
            self.lines = [{k: str(ln[k]) for k in LINE_KEYS} for ln in detail["lines"]]
            self.payments = [{"method": invoice_pdf.payment_label(p["kind"], p["method"]),
                              **{k: str(p[k]) for k in PAYMENT_KEYS}} for p in detail["payments"]]
            self.business, self.client = _party(parties["business"]), _party(parties["client"])
            self.payable = detail["status"] in OUTSTANDING and detail["balance_minor"] > 0
            self.loaded = True
            return None

        def refused(exc: ServiceError):
            self.refusal, self.invoice, self.business, self.client = exc.message, {}, {}, {}
            self.lines, self.payments = [], []
            self.payable, self.loaded = False, False

        return self._run(work, on_error=refused)

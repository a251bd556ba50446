"""States of the client's Invoices section: the list (/invoices) and one invoice
(/invoices/[invoice_id]).

Both read only what the services hand the client (their own sent invoices, while the
section is on); the page number and the invoice id come from the URL and are only
arguments to those services, never trusted beyond that. Opening an invoice records the
client's first view (staff see "viewed").

Pay Now (services/billing/card_payments.py): Stripe.js turns the card form into a token in the
browser; `pay_with_card` checks the request under the page's access rules and hands the
token to the background event `charge_card`, which talks to Stripe without holding the
session lock, then watches the invoice until the webhook books the money: the page turns
Paid (or Partially paid) by itself, no reload.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import TypedDict, cast

import reflex as rx

from portal_app.access import is_staff
from portal_app.db import unit_of_work
from portal_app.errors import ServiceError
from portal_app.services.billing import card_payments, client_invoice, demo_payments, invoice_pdf, invoice_views, invoices
from portal_app.services.billing.client_invoice import ClientInvoicePage
from portal_app.services.billing.invoice_views import InvoiceText, Outstanding
from portal_app.services.billing.payment_instructions import PayMethod
from portal_app.state.base import BaseState

log = logging.getLogger("portal.pay")
WATCH_SECONDS = 90      # how long an open page waits for the payment webhook
WATCH_EVERY = 1.0
GENERIC = "Something went wrong on our side. Your card was not charged by this attempt; please try again."

_INVOICE_ID = re.compile(r"in_[A-Za-z0-9_-]{1,37}")


# What the client's pages show, every value as text. Each type is also the list of what is
# copied from the services' dicts: nothing else reaches the browser.

class ClientInvoiceRow(TypedDict):
    id: str
    number: str
    status: str
    status_label: str
    issue_date: str
    due_date: str
    total: str
    balance: str


class ClientLine(TypedDict):
    description: str
    quantity: str
    unit: str
    tax_rate: str
    amount: str


class ClientPayment(TypedDict):
    method: str             # as the PDF words it: "Card", "Refund (card)"
    amount: str
    date: str
    reference: str


class Party(TypedDict, total=False):
    """The business or the client, as the invoice's header shows them ({} until loaded)."""
    name: str
    company: str
    email: str
    address: str            # lines joined by newlines
    phone: str
    tax_id: str


class CheckoutView(TypedDict, total=False):
    """What the Pay Now form needs of card_payments.Checkout (nothing secret)."""
    publishable_key: str
    js_url: str
    balance: str
    balance_plain: str
    minimum: str
    reason: str


ROW_KEYS = tuple(ClientInvoiceRow.__annotations__)
DETAIL_KEYS = tuple(InvoiceText.__annotations__)
LINE_KEYS = tuple(ClientLine.__annotations__)
PAYMENT_KEYS = tuple(k for k in ClientPayment.__annotations__ if k != "method")
CHECKOUT_KEYS = tuple(CheckoutView.__annotations__)


def _party(party: dict) -> Party:
    return {"name": party["name"], "company": party["company"], "email": party["email"],
            "address": "\n".join(party["lines"]), "phone": party.get("phone", ""), "tax_id": party.get("tax_id", "")}


def _checkout(co: card_payments.Checkout) -> CheckoutView:
    return cast(CheckoutView, {k: str(getattr(co, k)) for k in CHECKOUT_KEYS})


class ClientInvoicesState(BaseState):
    rows: list[ClientInvoiceRow] = []
    outstanding: rx.Field[list[Outstanding]] = rx.field(default_factory=list)
    page: rx.Field[int] = rx.field(1)
    pages: int = 1
    total: int = 0
    loaded: bool = False
    refusal: str = ""
    test_mode: bool = False  # the demo's test payments (the ribbon)

    def _page_arg(self) -> int:
        try:
            return min(max(1, int(self._query("page") or 1)), 1_000_000)
        except ValueError:
            return 1

    @rx.event
    async def load(self):
        def work(db, ws, actor):
            if is_staff(actor):
                return rx.redirect("/staff/invoices")
            try:
                result = invoice_views.client_invoices(db, actor, self._page_arg(), self.sections)
            except Exception:
                self._assign(refusal="", loaded=False)  # (a refusal is set by `refused`)
                raise
            self._assign(rows=[cast(ClientInvoiceRow, {k: v for k, v in r.items() if k in ROW_KEYS}) for r in result.rows],
                         outstanding=result.outstanding, page=result.page, pages=result.pages, total=result.total,
                         refusal="", loaded=True,
                         test_mode=demo_payments.workspace_in_test_mode(db, actor.workspace_id))
            return None

        def refused(exc: ServiceError):
            self.refusal, self.rows, self.outstanding, self.total, self.loaded = exc.message, [], [], 0, False

        return await self._run(work, on_error=refused)


class ClientInvoiceState(BaseState):
    invoice: InvoiceText = {}
    lines: list[ClientLine] = []
    payments: rx.Field[list[ClientPayment]] = rx.field(default_factory=list)
    business: Party = {}
    client: Party = {}
    payable: bool = False          # something is left to pay
    pay_methods: list[PayMethod] = []   # How to pay (payment_instructions.how_to_pay)
    pay_banner: str = ""           # the top of a payable invoice without card payment: how else to pay
    pay_contact: str = ""          # the business's email · phone
    loaded: bool = False
    refusal: str = ""
    # Pay Now
    checkout: CheckoutView = {}
    can_pay: bool = False          # payable and the business takes cards online
    partial: bool = False          # the client may choose the amount
    test_mode: bool = False        # the demo's test payments (the ribbon)
    pay_open: bool = False
    pay_amount: str = ""
    pay_error: str = ""
    pay_phase: rx.Field[str] = rx.field("")  # "" | paying | confirming | processing | done
    pay_done: str = ""             # what the page says once the payment is booked
    action_secret: str = ""        # 3-D Secure: for Stripe.js only, for this client's own payment
    _pending_token: str = ""
    _watch: int = 0                # the current watcher; a newer one (or a reload) ends the older

    def _invoice_id(self) -> str:
        return (self.router.url.path or "").rstrip("/").rsplit("/", 1)[-1][:80]

    def _fill(self, page: ClientInvoicePage) -> None:
        detail, co = page.detail, page.checkout
        self._assign(
            invoice=cast(InvoiceText, {k: str(v) for k, v in detail.items() if k in DETAIL_KEYS}),
            lines=[cast(ClientLine, {k: str(v) for k, v in ln.items() if k in LINE_KEYS}) for ln in detail["lines"]],
            payments=[cast(ClientPayment, {"method": invoice_pdf.payment_label(p["kind"], p["method"]),
                                           **{k: str(v) for k, v in p.items() if k in PAYMENT_KEYS}})
                      for p in detail["payments"]],
            business=_party(page.business), client=_party(page.client), payable=bool(detail["payable"]),
            checkout=_checkout(co), can_pay=co.available, partial=co.allow_partial, test_mode=co.test_mode,
            pay_methods=page.how["methods"], pay_banner=page.how["banner"], pay_contact=page.how["contact"])

    @rx.event
    async def load(self):
        invoice_id = self._invoice_id()

        def work(db, ws, actor):
            if is_staff(actor):  # the same invoice on the staff pages (they check it themselves)
                return rx.redirect(f"/staff/invoices/{invoice_id}" if _INVOICE_ID.fullmatch(invoice_id)
                                   else "/staff/invoices")
            try:
                page = client_invoice.client_invoice_page(db, actor, invoice_id, self.sections)
                if page.first_view:
                    invoices.mark_viewed(db, actor, invoice_id)
            except Exception:
                self._assign(refusal="", loaded=False)  # (a refusal is set by `refused`)
                raise
            self._fill(page)
            self._assign(refusal="", pay_open=False, pay_error="", pay_done="", action_secret="",
                         pay_phase="processing" if page.on_its_way else "", loaded=True)
            self._watch += 1
            return ClientInvoiceState.watch_payment if self.pay_phase else None

        def refused(exc: ServiceError):
            self.refusal, self.invoice, self.business, self.client = exc.message, {}, {}, {}
            self.lines, self.payments, self.checkout = [], [], {}
            self.pay_methods, self.pay_banner, self.pay_contact = [], "", ""
            self.payable = self.loaded = self.can_pay = self.pay_open = self.test_mode = False

        return await self._run(work, on_error=refused)

    # ------------------------------------------------------------------ Pay Now

    @rx.event
    async def open_pay(self):
        def work(db, ws, actor):
            co = card_payments.checkout(db, actor, self._invoice_id())
            self.checkout = _checkout(co)
            self.can_pay, self.partial = co.available, co.allow_partial
            if not co.available or self.pay_phase in ("paying", "confirming", "processing"):
                return
            self.pay_amount, self.pay_error, self.action_secret, self.pay_open = co.balance_plain, "", "", True

        return await self._run(work)

    @rx.event
    def set_pay_open(self, value: bool):
        # the dialog stays open while the card is being charged or confirmed
        if not value and self.pay_phase in ("paying", "confirming"):
            return
        self.pay_open = bool(value) and self.can_pay

    @rx.event
    def set_pay_amount(self, value: str):
        self.pay_amount = str(value or "")[:30]

    @rx.event
    async def card_failed(self, message: str):
        """Stripe.js could not read the card (shown to this browser only, as text)."""
        def work(db, ws, actor):
            card_payments.checkout(db, actor, self._invoice_id())  # the page's own access rule
            self.pay_error = " ".join(str(message or "").split())[:300] or "Check your card details and try again."
            self.pay_phase = ""

        return await self._run(work)

    @rx.event
    async def pay_with_card(self, token: str):
        def work(db, ws, actor):
            co = card_payments.checkout(db, actor, self._invoice_id())
            if self.pay_phase in ("paying", "confirming", "processing"):
                return None  # a double submit: the first one is on its way
            if not co.available:
                self.pay_error = co.reason or "This invoice has nothing left to pay."
                return None
            self.pay_error, self.action_secret, self.pay_phase = "", "", "paying"
            self._pending_token = str(token or "")[:255]
            return ClientInvoiceState.charge_card

        def refused(exc: ServiceError):
            self.pay_error, self.pay_phase = exc.message, ""

        return await self._run(work, on_error=refused)

    @rx.event(background=True)
    async def charge_card(self):
        async with self:
            token, self._pending_token = self._pending_token, ""
            invoice_id, amount, bound = self._invoice_id(), self.pay_amount, self._bound_session
            if not token or self.pay_phase != "paying":
                return

            def refused(message: str) -> None:
                self.pay_error, self.pay_phase = message, ""

            ok, actor = await self._run_background(lambda db, _ws, actor: actor,
                                             on_error=lambda exc: refused(exc.message),
                                             on_unexpected=lambda: refused(GENERIC))
            if not ok:
                return

        def work():
            with unit_of_work() as db:
                return card_payments.pay_invoice(db, actor, invoice_id, amount=amount, card_token=token)

        try:
            started = await asyncio.to_thread(work)
        except ServiceError as exc:
            async with self:
                if self._bound_session == bound:
                    self.pay_error, self.pay_phase = exc.message, ""
            return
        except Exception:
            log.exception("card payment failed unexpectedly")
            async with self:
                if self._bound_session == bound:
                    self.pay_error, self.pay_phase = GENERIC, ""
            return
        async with self:
            if self._bound_session != bound:
                return  # the tab changed hands while the bank answered (session_guard.py)
            if started.status == "requires_action":
                self.pay_phase, self.action_secret = "confirming", started.client_secret
                return
            self.pay_phase = "processing"
            self._watch += 1
            watch = self._watch
        await self._watch_until_booked(watch)

    @rx.event
    async def action_done(self, message: str):
        """Stripe.js finished 3-D Secure: "" means the bank confirmed the payment."""
        def work(db, ws, actor):
            card_payments.checkout(db, actor, self._invoice_id())
            if self.pay_phase != "confirming":
                return None
            self.action_secret = ""
            text = " ".join(str(message or "").split())[:300]
            if text:
                self.pay_error, self.pay_phase = text, ""
                return None
            self.pay_phase = "processing"
            self._watch += 1
            return ClientInvoiceState.watch_payment

        return await self._run(work)

    @rx.event(background=True)
    async def watch_payment(self):
        async with self:
            watch = self._watch
        await self._watch_until_booked(watch)

    async def _watch_until_booked(self, watch: int) -> None:
        """Poll the invoice (one small query a second) until the webhook has booked the
        payment, the page moved on, or WATCH_SECONDS passed."""
        async with self:
            invoice_id, bound = self._invoice_id(), self._bound_session
            before = (self.invoice.get("status", ""), self.invoice.get("paid", ""))
        for _ in range(int(WATCH_SECONDS / WATCH_EVERY)):
            await asyncio.sleep(WATCH_EVERY)
            async with self:
                if (self._watch != watch or self._invoice_id() != invoice_id or self.pay_phase != "processing"
                        or self._bound_session != bound):
                    return

                def check(db, _ws, actor) -> tuple[bool, str]:
                    """(booked yet, the last failure the bank reported), refilling the page once booked."""
                    if card_payments.payment_on_its_way(db, actor, invoice_id):
                        return False, ""
                    self._fill(client_invoice.client_invoice_page(db, actor, invoice_id))
                    return True, card_payments.last_failure(db, actor, invoice_id)

                def refused(exc: ServiceError) -> None:
                    self.pay_error, self.pay_phase = exc.message, ""

                # an unexpected failure is logged and ends the watch with no error on the page:
                # a payment may be on its way, and an error could have the client pay twice
                ok, seen = await self._run_background(check, on_error=refused, on_unexpected=lambda: None)
                if not ok:
                    return
                booked, failed = seen
                if not booked:
                    continue
                if (self.invoice.get("status", ""), self.invoice.get("paid", "")) == before and failed:
                    self.pay_error, self.pay_phase = failed, ""
                    return
                self.pay_phase, self.pay_open = "done", False
                self.pay_done = ("Payment received. Thank you!" if self.invoice.get("status") == "paid"
                                 else "Payment received. Thank you! The rest stays due.")
                return
        async with self:
            if self._watch == watch and self.pay_phase == "processing" and self._bound_session == bound:
                self.pay_phase = "done"
                self.pay_done = ("Your payment is still being processed by the bank. It will show here once "
                                 "it is confirmed; you do not need to pay again.")

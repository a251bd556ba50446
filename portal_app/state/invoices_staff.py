"""States of the staff invoice pages: the list (/staff/invoices), the editor
(/staff/invoices/new, /staff/invoices/[invoice_id]/edit) and one invoice
(/staff/invoices/[invoice_id]).

The list's filter, client and page live in the URL (?status=&contact=&page=): links, the
back button and a reload all work; on_load reads them. The editor keeps what was typed in
the page and in small vars; its totals preview is money.compute on the server, the same
arithmetic the saved invoice gets. Saving reads the submitted form (never a debounced var
that may lag a keystroke behind).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode

import reflex as rx

from ..access import require_staff
from ..services import contacts, invoice_views, invoices
from ..services.errors import Invalid, NotFound, ServiceError
from ..services.money import CURRENCIES, Discount, Line, compute, format_amount, parse_amount, plain_amount
from .base import BaseState

LIST_PATH = "/staff/invoices"
STATUS_FILTERS = {"": "All", "draft": "Draft", "sent": "Sent", "partially_paid": "Partially paid", "paid": "Paid",
                  "overdue": "Overdue", "void": "Void"}
MANUAL_METHODS = {"bank_transfer": "Bank transfer", "check": "Check", "cash": "Cash", "other": "Other"}
LINE_FIELDS = ("description", "quantity", "unit_price", "tax_rate")
MAX_EDITOR_LINES = 100
CONTACT_CHOICES = 8


def _clip(value: object, limit: int) -> str:
    return str(value if value is not None else "")[:limit]


def _segments(path: str) -> list[str]:
    return [s for s in (path or "").split("?", 1)[0].strip("/").split("/") if s]


def _contact_options(db, actor, query: str) -> list[dict[str, str]]:
    page = contacts.list_contacts(db, actor, _clip(query, 100))
    return [{"public_id": r.public_id, "name": r.name, "email": r.email} for r in page.rows[:CONTACT_CHOICES]]


# --- the list ------------------------------------------------------------------------------

class StaffInvoicesState(BaseState):
    rows: list[dict] = []
    status: str = ""
    contact_id: str = ""
    contact_label: str = ""
    page: int = 1
    pages: int = 1
    total: int = 0
    outstanding: list[dict[str, str]] = []
    refusal: str = ""
    contact_options: list[dict[str, str]] = []
    _flash: str = ""

    def _url(self, **changes) -> str:
        params = {"status": self.status, "contact": self.contact_id, "page": str(self.page)}
        params.update(changes)
        clean = {k: v for k, v in params.items() if v and not (k == "page" and v == "1")}
        return f"{LIST_PATH}?{urlencode(clean)}" if clean else LIST_PATH

    def _page_arg(self) -> int:
        try:
            return max(1, int(self._query("page") or 1))
        except ValueError:
            return 1

    @rx.event
    def load(self):
        def work(db, ws, actor):
            require_staff(actor)
            status = self._query("status")
            status = status if status in STATUS_FILTERS else ""
            contact_id = _clip(self._query("contact"), 40)
            result = invoice_views.staff_invoices(db, actor, status=status, contact_public_id=contact_id,
                                                  page=self._page_arg())
            label = ""
            if contact_id:
                try:
                    label = contacts.get_contact(db, actor, contact_id).display_name
                except NotFound:
                    label = "a client that no longer exists"
            self.status, self.contact_id, self.contact_label = status, contact_id, label
            self.rows, self.total, self.page, self.pages = result.rows, result.total, result.page, result.pages
            self.outstanding = result.outstanding
            self.refusal, self.contact_options = "", []
            if self._flash:
                self._notify(self._flash)
                self._flash = ""

        def refused(exc: ServiceError):
            self.refusal, self.rows, self.outstanding, self.total = exc.message, [], [], 0

        return self._run(work, on_error=refused)

    @rx.event
    def set_status(self, value: str):
        value = str(value)
        return rx.redirect(self._url(status=value if value in STATUS_FILTERS else "", page="1"))

    @rx.event
    def find_contacts(self, value: str):
        def work(db, ws, actor):
            query = _clip(value, 100).strip()
            self.contact_options = _contact_options(db, actor, query) if query else []

        return self._run(work)

    @rx.event
    def filter_contact(self, public_id: str):
        return rx.redirect(self._url(contact=_clip(public_id, 40), page="1"))

    @rx.event
    def clear_contact(self):
        return rx.redirect(self._url(contact="", page="1"))


# --- the editor ----------------------------------------------------------------------------

def _blank_line(key: str) -> dict[str, str]:
    return {"key": key, "description": "", "quantity": "1", "unit_price": "", "tax_rate": "0", "amount": "",
            "error": ""}


def _is_blank(line: dict) -> bool:
    return not str(line.get("description", "")).strip() and not str(line.get("unit_price", "")).strip()


def _decimal(text: str, label: str, field: str) -> Decimal:
    try:
        value = Decimal(str(text).strip().replace(",", "") or "0")
    except InvalidOperation:
        raise Invalid(f"{label} must be a number.", field) from None
    if not value.is_finite():
        raise Invalid(f"{label} must be a number.", field)
    return value


def _check_line(line: dict, currency: str, *, for_save: bool) -> Line | None:
    """The line as money.compute takes it, or None while its price is still empty. Raises
    Invalid with a message for the person typing."""
    qty = _decimal(line["quantity"] or "1", "Quantity", "quantity")
    if qty.as_tuple().exponent < -3:
        raise Invalid("Quantity can have at most 3 decimals.", "quantity")
    rate = _decimal(line["tax_rate"] or "0", "Tax rate", "tax_rate")
    price_text = str(line["unit_price"]).strip()
    if not price_text:
        if for_save:
            raise Invalid("Enter a unit price (0 for a free line).", "unit_price")
        Line(qty, 0, rate)  # still check quantity and tax rate
        return None
    unit = parse_amount(price_text, currency, "Unit price", "unit_price")
    if for_save and not str(line["description"]).strip():
        raise Invalid("Describe this line.", "description")
    return Line(qty, unit, rate)


def _parse_date(text: str, label: str, field: str) -> date | None:
    text = str(text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Invalid(f"{label} must be a date.", field) from None


class InvoiceEditorState(BaseState):
    invoice_id: str = ""                 # "" while creating a new invoice
    number: str = ""
    found: bool = True
    refusal: str = ""
    version: int = 0                     # bumped on load: the inputs take their new defaults
    contact: dict[str, str] = {}         # public_id, name, email of the chosen client
    contact_options: list[dict[str, str]] = []
    currency: str = "USD"
    issue_date: str = ""
    due_date: str = ""
    lines: list[dict[str, str]] = []     # key, description, quantity, unit_price, tax_rate, amount, error
    discount_kind: str = "none"          # none | percent | fixed
    discount_value: str = ""
    notes: str = ""
    terms: str = ""
    totals: dict[str, str] = {}          # subtotal, discount, tax, total (formatted, "" = not computable)
    preview_error: str = ""
    error: str = ""
    field_errors: dict[str, str] = {}
    _intent: str = "draft"
    _next_key: int = 0

    # helpers
    def _new_key(self) -> str:
        self._next_key += 1
        return f"l{self._next_key}"

    def _fill(self, form: dict) -> None:
        self.invoice_id, self.number = form["id"], form["number"]
        self.contact = dict(form["contact"])
        self.currency = form["currency"]
        self.issue_date, self.due_date = form["issue_date"], form["due_date"]
        self.lines = [{**_blank_line(self._new_key()), **{k: str(ln[k]) for k in LINE_FIELDS}}
                      for ln in form["lines"]] or [_blank_line(self._new_key())]
        if form["discount_percent"]:
            self.discount_kind, self.discount_value = "percent", form["discount_percent"]
        elif form["discount_fixed"]:
            self.discount_kind, self.discount_value = "fixed", form["discount_fixed"]
        else:
            self.discount_kind, self.discount_value = "none", ""
        self.notes, self.terms = form["notes"], form["terms"]
        self.error, self.field_errors, self.refusal, self.found = "", {}, "", True
        self.version += 1
        self._intent = "draft"
        self._recompute()

    def _recompute(self, *, for_save: bool = False) -> bool:
        """Check every line and work out the totals; True when all is well. Each line carries
        its own message; the totals say what stops them."""
        currency = self.currency if self.currency in CURRENCIES else "USD"
        checked, lines, ok = [], [], True
        for i, line in enumerate(self.lines, 1):
            line = dict(line)
            line["error"], line["amount"] = "", ""
            if for_save and _is_blank(line) and len(self.lines) > 1:
                lines.append(line)
                continue
            try:
                parsed = _check_line(line, currency, for_save=for_save)
                if parsed is not None:
                    checked.append(parsed)
                    line["amount"] = format_amount(parsed.amount, currency)
            except Invalid as exc:
                line["error"], ok = exc.message, False
            lines.append(line)
        self.lines = lines
        self.preview_error, self.totals = "", {}
        if not ok:
            self.preview_error = "Totals appear when every line reads right."
            return False
        try:
            totals = compute(checked, self._discount(currency))
        except Invalid as exc:
            self.preview_error = exc.message
            self.field_errors = {**self.field_errors, "discount": exc.message}
            return False
        if self.field_errors.get("discount"):
            self.field_errors = {k: v for k, v in self.field_errors.items() if k != "discount"}
        money = lambda m: format_amount(m, currency)  # noqa: E731
        self.totals = {"subtotal": money(totals.subtotal), "discount": money(-totals.discount) if totals.discount else "",
                       "tax": money(totals.tax), "total": money(totals.total)}
        return True

    def _discount(self, currency: str) -> Discount:
        value = str(self.discount_value).strip()
        if self.discount_kind == "percent" and value:
            return Discount(percent=_decimal(value.rstrip("%").strip(), "Discount", "discount"))
        if self.discount_kind == "fixed" and value:
            return Discount(amount_minor=parse_amount(value, currency, "Discount", "discount"))
        return Discount()

    def _path_invoice(self) -> str:
        parts = _segments(self.router.url.path)
        # /staff/invoices/<id>/edit
        return parts[2] if len(parts) == 4 and parts[3] == "edit" else ""

    # handlers
    @rx.event
    def load(self):
        def work(db, ws, actor):
            require_staff(actor)
            self.contact_options = []
            public_id = self._path_invoice()
            if public_id:
                self._fill(invoice_views.draft_form(db, actor, public_id))
            else:
                self._fill(invoice_views.new_invoice_form(db, actor, _clip(self._query("contact"), 40)))
            if not self.contact:
                self.contact_options = _contact_options(db, actor, "")

        def refused(exc: ServiceError):
            self.found, self.refusal = False, exc.message
            self.invoice_id, self.contact, self.contact_options, self.lines = self._path_invoice(), {}, [], []

        return self._run(work, on_error=refused)

    @rx.event
    def find_contacts(self, value: str):
        def work(db, ws, actor):
            self.contact_options = _contact_options(db, actor, _clip(value, 100).strip())

        return self._run(work)

    @rx.event
    def choose_contact(self, public_id: str):
        chosen = next((c for c in self.contact_options if c["public_id"] == str(public_id)), None)
        if chosen is not None:
            self.contact = dict(chosen)
            self.field_errors = {k: v for k, v in self.field_errors.items() if k != "contact"}

    @rx.event
    def change_contact(self):
        self.contact = {}

    @rx.event
    def set_currency(self, value: str):
        value = _clip(value, 3).upper()
        if value in CURRENCIES:
            self.currency = value
            self._recompute()

    @rx.event
    def set_line(self, key: str, field: str, value: str):
        if field not in LINE_FIELDS:
            return
        limit = 2000 if field == "description" else 40
        self.lines = [{**ln, field: _clip(value, limit)} if ln["key"] == str(key) else ln for ln in self.lines]
        if field != "description":
            self._recompute()

    @rx.event
    def add_line(self):
        if len(self.lines) < MAX_EDITOR_LINES:
            self.lines = [*self.lines, _blank_line(self._new_key())]

    @rx.event
    def remove_line(self, key: str):
        if len(self.lines) > 1:
            self.lines = [ln for ln in self.lines if ln["key"] != str(key)]
            self._recompute()

    @rx.event
    def set_discount_kind(self, value: str):
        self.discount_kind = value if value in ("none", "percent", "fixed") else "none"
        if self.discount_kind == "none":
            self.discount_value = ""
        self._recompute()

    @rx.event
    def set_discount_value(self, value: str):
        self.discount_value = _clip(value, 40)
        self._recompute()

    @rx.event
    def set_intent(self, value: str):
        self._intent = "send" if value == "send" else "draft"

    def _take_form(self, form: dict) -> None:
        """What the browser submitted, into the vars (so a refusal keeps all of it)."""
        self.lines = [{**ln, **{f: _clip(form.get(f"{f}_{ln['key']}", ln[f]), 2000 if f == "description" else 40)
                                for f in LINE_FIELDS}} for ln in self.lines]
        currency = _clip(form.get("currency", self.currency), 3).upper()
        self.currency = currency if currency in CURRENCIES else self.currency
        self.issue_date = _clip(form.get("issue_date", self.issue_date), 10)
        self.due_date = _clip(form.get("due_date", self.due_date), 10)
        kind = str(form.get("discount_kind", self.discount_kind))
        self.discount_kind = kind if kind in ("none", "percent", "fixed") else "none"
        self.discount_value = _clip(form.get("discount_value", self.discount_value), 40) if self.discount_kind != "none" else ""
        self.notes = _clip(form.get("notes", self.notes), 5000)
        self.terms = _clip(form.get("terms", self.terms), 5000)

    @rx.event
    async def save(self, form: dict):
        intent, self._intent = self._intent, "draft"   # Enter in a field saves a draft
        editing = self._path_invoice()
        outcome: dict = {}

        def work(db, ws, actor):
            require_staff(actor)
            self._take_form(form)
            self.error, self.field_errors = "", {}
            if not self.contact.get("public_id") and not editing:
                raise Invalid("Choose the client this invoice is for.", "contact")
            issue = _parse_date(self.issue_date, "Issue date", "issue_date")
            due = _parse_date(self.due_date, "Due date", "due_date")
            if not self._recompute(for_save=True):
                bad = [str(i) for i, ln in enumerate(self.lines, 1) if ln["error"]]
                if bad:
                    raise Invalid(f"Check line {', '.join(bad)}: " + next(ln["error"] for ln in self.lines if ln["error"]),
                                  "lines")
                raise Invalid(self.preview_error, "discount")
            lines = [{"description": ln["description"], "quantity": ln["quantity"].strip() or "1",
                      "unit_minor": parse_amount(ln["unit_price"], self.currency, "Unit price", "unit_price"),
                      "tax_rate": ln["tax_rate"].strip() or "0"}
                     for ln in self.lines if not (_is_blank(ln) and len(self.lines) > 1)]
            discount = dict(discount_percent="", discount_fixed_minor=0)
            if self.discount_kind == "percent" and self.discount_value.strip():
                discount["discount_percent"] = self.discount_value.strip().rstrip("%").strip()
            elif self.discount_kind == "fixed" and self.discount_value.strip():
                discount["discount_fixed_minor"] = parse_amount(self.discount_value, self.currency, "Discount", "discount")
            common = dict(lines=lines, currency=self.currency, issue_date=issue, due_date=due, notes=self.notes,
                          terms=self.terms, **discount)
            if editing:
                inv = invoices.update_draft(db, actor, editing, **common)
            else:
                inv = invoices.create_invoice(db, actor, contact_public_id=self.contact["public_id"], **common)
            if intent == "send":
                invoices.send_invoice(db, actor, inv.public_id)
                outcome["flash"] = f"Invoice {inv.number} sent. The client was emailed a link to it."
            else:
                outcome["flash"] = f"Draft {inv.number} saved."
            outcome["id"] = inv.public_id
            return rx.redirect(f"{LIST_PATH}/{inv.public_id}")

        def failed(exc: ServiceError):
            field = exc.field or "form"
            self.field_errors = {**self.field_errors, field: exc.message}
            self.error = "Not saved yet: " + exc.message[0].lower() + exc.message[1:] if exc.message else exc.message
            return None

        result = self._run(work, on_error=failed)
        if outcome.get("flash"):
            detail = await self.get_state(StaffInvoiceState)
            detail._flash = outcome["flash"]
        return result


# --- one invoice ---------------------------------------------------------------------------

class StaffInvoiceState(BaseState):
    inv: dict[str, str] = {}            # number, status, status_label, contact, dates, totals (formatted)
    lines: list[dict[str, str]] = []
    payments: list[dict[str, str]] = []
    overpaid: bool = False
    found: bool = True
    refusal: str = ""
    dialog: str = ""                    # payment | void | delete
    dialog_error: str = ""
    _flash: str = ""

    def _public_id(self) -> str:
        parts = _segments(self.router.url.path)
        return parts[2] if len(parts) >= 3 else ""

    def _show(self, db, actor) -> dict:
        detail = invoice_views.invoice_detail(db, actor, self._public_id())
        self.inv = {
            **{k: str(detail[k]) for k in ("id", "number", "status", "status_label", "contact", "contact_id",
                                           "contact_email", "issue_date", "due_date", "currency", "notes", "terms",
                                           "subtotal", "discount", "tax", "total", "paid", "balance", "viewed",
                                           "sent")},
            "balance_plain": plain_amount(max(0, int(detail["balance_minor"])), detail["currency"]),
        }
        self.lines = [{k: str(v) for k, v in ln.items()} for ln in detail["lines"]]
        self.payments = [{**{k: str(v) for k, v in p.items()},
                          "kind_label": {"payment": "Payment", "refund": "Refund", "dispute": "Dispute",
                                         "dispute_won": "Dispute won"}.get(p["kind"], p["kind"]),
                          "method": str(p["method"]).capitalize()} for p in detail["payments"]]
        self.overpaid = bool(detail["overpaid"])
        self.found, self.refusal = True, ""
        return detail

    def _clear(self, message: str) -> None:
        self.found, self.refusal = False, message
        self.inv, self.lines, self.payments, self.overpaid, self.dialog = {}, [], [], False, ""

    @rx.event
    def load(self):
        def work(db, ws, actor):
            require_staff(actor)
            self.dialog, self.dialog_error = "", ""
            self._show(db, actor)
            if self._flash:
                self._notify(self._flash)
                self._flash = ""

        return self._run(work, on_error=lambda exc: self._clear(exc.message))

    @rx.event
    def open_dialog(self, kind: str):
        self.dialog = kind if kind in ("payment", "void", "delete") else ""
        self.dialog_error = ""

    @rx.event
    def set_dialog_open(self, value: bool):
        if not value:
            self.dialog, self.dialog_error = "", ""

    def _act(self, action, done):
        """Run an action on this invoice, show it afresh, say what happened. A refusal stays
        in the open dialog, or becomes the page's message."""
        def work(db, ws, actor):
            require_staff(actor)
            result = action(db, actor, self._public_id())
            self._show(db, actor)
            self.dialog, self.dialog_error = "", ""
            self._notify(done(result) if callable(done) else done)

        def failed(exc: ServiceError):
            if self.dialog:
                self.dialog_error = exc.message
            else:
                self._notify(exc.message, "red")
            if isinstance(exc, NotFound):
                self._clear(exc.message)

        return self._run(work, on_error=failed)

    @rx.event
    def send(self):
        def send(db, actor, public_id):
            first = invoice_views.invoice_detail(db, actor, public_id)["status"] == "draft"
            inv = invoices.send_invoice(db, actor, public_id)
            return f"Invoice {inv.number} {'sent' if first else 'sent again'}. The client was emailed a link to it."

        return self._act(send, lambda message: message)

    @rx.event
    def void(self):
        return self._act(invoices.void_invoice, lambda inv: f"Invoice {inv.number} is void. The client sees it as void.")

    @rx.event
    def record_payment(self, form: dict):
        def pay(db, actor, public_id):
            currency = invoice_views.invoice_detail(db, actor, public_id)["currency"]
            amount = parse_amount(_clip(form.get("amount", ""), 40), currency, "Amount", "amount")
            if amount <= 0:
                raise Invalid("The amount must be more than zero.", "amount")
            method = str(form.get("method", ""))
            if method not in MANUAL_METHODS:
                raise Invalid("Choose how the payment was made.", "method")
            invoices.record_manual_payment(db, actor, public_id, amount_minor=amount, method=method,
                                           reference=_clip(form.get("reference", ""), 200))
            return format_amount(amount, currency)

        return self._act(pay, lambda amount: f"Payment of {amount} recorded.")

    @rx.event
    async def delete(self):
        outcome: dict = {}

        def work(db, ws, actor):
            require_staff(actor)
            number = invoice_views.invoice_detail(db, actor, self._public_id())["number"]
            invoices.delete_draft(db, actor, self._public_id())
            outcome["flash"] = f"Draft {number} deleted."
            self.dialog = ""
            return rx.redirect(LIST_PATH)

        def failed(exc: ServiceError):
            self.dialog_error = exc.message

        result = self._run(work, on_error=failed)
        if outcome.get("flash"):
            listing = await self.get_state(StaffInvoicesState)
            listing._flash = outcome["flash"]
        return result

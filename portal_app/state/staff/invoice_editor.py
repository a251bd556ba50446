"""State of the staff invoice editor (/staff/invoices/new, /staff/invoices/[invoice_id]/edit).

The editor keeps what was typed in the page and in small vars; its totals preview is
money.compute on the server, the same arithmetic the saved invoice gets. Saving reads the
submitted form (never a debounced var that may lag a keystroke behind).
"""

from __future__ import annotations

from datetime import date
from typing import TypedDict, cast

import reflex as rx

from portal_app.access import require_staff
from portal_app.errors import Invalid, ServiceError
from portal_app.services.billing import invoice_mail, invoice_views, invoices
from portal_app.services.billing.invoice_views import ContactChoice, InvoiceForm
from portal_app.services.billing.money import (
    CURRENCIES,
    Discount,
    Line,
    compute,
    exponent_of,
    format_amount,
    parse_amount,
    parse_decimal,
)
from portal_app.state.base import BaseState
from portal_app.state.common import clip, contact_options, segments
from portal_app.state.line_items import LINE_FIELDS, EditorLine, LineItemsMixin
from portal_app.state.line_items import is_blank as _is_blank
from portal_app.state.staff.invoice_common import LIST_PATH
from portal_app.state.staff.invoice_detail import StaffInvoiceState


def _check_line(line: EditorLine, currency: str, *, for_save: bool) -> Line | None:
    """The line as money.compute takes it, or None while its price is still empty. Raises
    Invalid with a message for the person typing."""
    qty = parse_decimal(line["quantity"] or "1", "Quantity", "quantity")
    if exponent_of(qty) < -3:
        raise Invalid("Quantity can have at most 3 decimals.", "quantity")
    rate = parse_decimal(line["tax_rate"] or "0", "Tax rate", "tax_rate")
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


class Totals(TypedDict, total=False):
    """The totals preview, formatted ({} while they cannot be computed)."""
    subtotal: str
    discount: str           # negative; "" = no discount
    tax: str
    total: str


class InvoiceEditorState(LineItemsMixin, BaseState):
    invoice_id: str = ""                 # "" while creating a new invoice
    number: str = ""
    found: bool = True
    refusal: str = ""
    version: rx.Field[int] = rx.field(0)  # bumped on load: the inputs take their new defaults
    contact: ContactChoice = {}          # the chosen client
    contact_options: rx.Field[list[ContactChoice]] = rx.field(default_factory=list)
    currency: str = "USD"
    issue_date: str = ""
    due_date: str = ""
    discount_kind: str = "none"          # none | percent | fixed
    discount_value: str = ""
    notes: str = ""
    terms: str = ""
    totals: Totals = {}
    preview_error: str = ""
    error: str = ""
    field_errors: dict[str, str] = {}    # field name -> message (any field a service names)
    _intent: str = "draft"

    # helpers
    def _fill(self, form: InvoiceForm) -> None:
        self.invoice_id, self.number = form["id"], form["number"]
        self.contact = form["contact"].copy()
        self.currency = form["currency"]
        self.issue_date, self.due_date = form["issue_date"], form["due_date"]
        self._set_lines(form["lines"])
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
        for line in self.lines:
            line = cast(EditorLine, dict(line))
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
            return Discount(percent=parse_decimal(value.rstrip("%").strip(), "Discount", "discount"))
        if self.discount_kind == "fixed" and value:
            return Discount(amount_minor=parse_amount(value, currency, "Discount", "discount"))
        return Discount()

    def _path_invoice(self) -> str:
        parts = segments(self.router.url.path)
        # /staff/invoices/<id>/edit
        return parts[2] if len(parts) == 4 and parts[3] == "edit" else ""

    # handlers
    @rx.event
    async def load(self):
        def work(db, ws, actor):
            require_staff(actor)
            self.contact_options = []
            public_id = self._path_invoice()
            if public_id:
                self._fill(invoice_views.draft_form(db, actor, public_id))
            else:
                self._fill(invoice_views.new_invoice_form(db, actor, clip(self._query("contact"), 40)))
            if not self.contact:
                self.contact_options = contact_options(db, actor, "")

        def refused(exc: ServiceError):
            self.found, self.refusal = False, exc.message
            self.invoice_id, self.contact, self.contact_options, self.lines = self._path_invoice(), {}, [], []

        return await self._run(work, on_error=refused)

    @rx.event
    async def find_contacts(self, value: str):
        def work(db, ws, actor):
            self.contact_options = contact_options(db, actor, clip(value, 100).strip())

        return await self._run(work, keep_notice=True)

    @rx.event
    def choose_contact(self, public_id: str):
        chosen = next((c for c in self.contact_options if c["public_id"] == str(public_id)), None)
        if chosen is not None:
            self.contact = cast(ContactChoice, dict(chosen))
            self.field_errors = {k: v for k, v in self.field_errors.items() if k != "contact"}

    @rx.event
    def change_contact(self):
        self.contact = {}

    @rx.event
    def set_currency(self, value: str):
        value = clip(value, 3).upper()
        if value in CURRENCIES:
            self.currency = value
            self._recompute()

    def _lines_changed(self, field: str) -> None:
        if field != "description":  # a description changes no figure
            self._recompute()

    @rx.event
    def set_discount_kind(self, value: str):
        self.discount_kind = value if value in ("none", "percent", "fixed") else "none"
        if self.discount_kind == "none":
            self.discount_value = ""
        self._recompute()

    @rx.event
    def set_discount_value(self, value: str):
        self.discount_value = clip(value, 40)
        self._recompute()

    @rx.event
    def set_intent(self, value: str):
        self._intent = "send" if value == "send" else "draft"

    def _take_form(self, form: dict) -> None:
        """What the browser submitted, into the vars (so a refusal keeps all of it)."""
        self.lines = [cast(EditorLine, {**ln, **{f: clip(form.get(f"{f}_{ln['key']}", ln[f]),
                                                         2000 if f == "description" else 40)
                                                 for f in LINE_FIELDS}}) for ln in self.lines]
        currency = clip(form.get("currency", self.currency), 3).upper()
        self.currency = currency if currency in CURRENCIES else self.currency
        self.issue_date = clip(form.get("issue_date", self.issue_date), 10)
        self.due_date = clip(form.get("due_date", self.due_date), 10)
        kind = str(form.get("discount_kind", self.discount_kind))
        self.discount_kind = kind if kind in ("none", "percent", "fixed") else "none"
        self.discount_value = clip(form.get("discount_value", self.discount_value), 40) if self.discount_kind != "none" else ""
        self.notes = clip(form.get("notes", self.notes), 5000)
        self.terms = clip(form.get("terms", self.terms), 5000)

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
            discount_percent, discount_fixed_minor = "", 0
            if self.discount_kind == "percent" and self.discount_value.strip():
                discount_percent = self.discount_value.strip().rstrip("%").strip()
            elif self.discount_kind == "fixed" and self.discount_value.strip():
                discount_fixed_minor = parse_amount(self.discount_value, self.currency, "Discount", "discount")
            if editing:
                inv = invoices.update_draft(db, actor, editing, lines=lines, currency=self.currency, issue_date=issue,
                                            due_date=due, notes=self.notes, terms=self.terms,
                                            discount_percent=discount_percent,
                                            discount_fixed_minor=discount_fixed_minor)
            else:
                inv = invoices.create_invoice(db, actor, contact_public_id=self.contact["public_id"], lines=lines,
                                              currency=self.currency, issue_date=issue, due_date=due,
                                              notes=self.notes, terms=self.terms, discount_percent=discount_percent,
                                              discount_fixed_minor=discount_fixed_minor)
            if intent == "send":
                invoices.send_invoice(db, actor, inv.public_id)
                outcome["flash"] = f"Invoice {inv.number} sent. {invoice_mail.sent_note(db, actor, inv.public_id)}"
            else:
                outcome["flash"] = f"Draft {inv.number} saved."
            outcome["id"] = inv.public_id
            return rx.redirect(f"{LIST_PATH}/{inv.public_id}")

        def failed(exc: ServiceError):
            field = exc.field or "form"
            self.field_errors = {**self.field_errors, field: exc.message}
            self.error = "Not saved yet: " + exc.message[0].lower() + exc.message[1:] if exc.message else exc.message
            return None

        result = await self._run(work, on_error=failed)
        if outcome.get("flash"):
            detail = await self.get_state(StaffInvoiceState)
            detail._flash = outcome["flash"]
        return result

"""State of one invoice on the staff side (/staff/invoices/[invoice_id]): send, resend,
record a payment, refund a payment, void, delete a draft. The open page follows the
invoice live (sent, viewed, paid by card, refunded) through `follow`."""

from __future__ import annotations

from typing import TypedDict, cast

import reflex as rx

from portal_app.access import may_refund_payments, require_staff
from portal_app.errors import Invalid, NotFound, ServiceError
from portal_app.models.status import status_label
from portal_app.services.billing import (
    demo_payments,
    invoice_mail,
    invoice_views,
    invoices,
    payment_instructions,
    refunds,
)
from portal_app.services.billing.invoice_views import DetailLine, InvoiceDetail, InvoiceText
from portal_app.services.billing.money import format_amount, parse_amount, plain_amount
from portal_app.services.billing.payment_instructions import PayMethod
from portal_app.state import live
from portal_app.state.base import BaseState
from portal_app.state.common import clip, segments
from portal_app.state.staff.invoice_common import LIST_PATH, MANUAL_METHODS
from portal_app.state.staff.invoice_list import StaffInvoicesState


class StaffInvoiceView(InvoiceText, total=False):
    """The invoice as the staff page shows it: what every invoice page shows, and who it is
    for, when it was sent and viewed, what was refunded ({} until loaded)."""
    contact: str
    contact_id: str
    contact_email: str
    viewed: str
    sent: str
    balance_plain: str      # the balance as the payment dialog's input takes it
    refunded: str


# what is copied from invoice_detail's dict as text (nothing else reaches the browser)
SHOWN = (*InvoiceText.__annotations__, "contact", "contact_id", "contact_email", "viewed", "sent")


class StaffPayment(TypedDict, total=False):
    """A ledger row on the staff page: invoice_detail's payment, every value as text, with
    its label and whether to offer Refund ({} when no refund dialog is open)."""
    id: str
    kind: str
    method: str             # capitalized
    amount: str
    date: str
    reference: str
    note: str
    refundable_minor: str
    refundable: str
    refundable_plain: str
    kind_label: str
    can_refund: str         # "1" = offer Refund


class StaffInvoiceState(BaseState):
    inv: StaffInvoiceView = {}
    lines: list[DetailLine] = []
    payments: rx.Field[list[StaffPayment]] = rx.field(default_factory=list)
    overpaid: bool = False
    found: bool = True
    refusal: str = ""
    dialog: str = ""                    # payment | refund | void | delete
    dialog_error: str = ""
    dialog_field: str = ""              # the field dialog_error is about ("" = the whole form)
    can_refund: bool = False            # owner or admin: offer Refund on payments
    refund_target: StaffPayment = {}   # the payment the refund dialog is about
    test_mode: bool = False             # the demo's test payments (the ribbon)
    pay_methods: list[PayMethod] = []   # How to pay, as the client sees it
    pay_banner: str = ""
    pay_contact: str = ""
    _flash: str = ""
    _live: int = 0

    def _public_id(self) -> str:
        parts = segments(self.router.url.path)
        return parts[2] if len(parts) >= 3 else ""

    def _show(self, db, actor) -> InvoiceDetail:
        detail = invoice_views.invoice_detail(db, actor, self._public_id())
        self.can_refund = may_refund_payments(actor)
        self.inv = cast(StaffInvoiceView, {
            **{k: str(v) for k, v in detail.items() if k in SHOWN},
            "balance_plain": plain_amount(max(0, int(detail["balance_minor"])), detail["currency"]),
            "refunded": str(detail["refunded"]),
        })
        self.lines = detail["lines"]    # all text already
        self.payments = [cast(StaffPayment, {**{k: str(v) for k, v in p.items()},
                          "kind_label": status_label("payment", p["kind"]),
                          "method": str(p["method"]).capitalize(),
                          "can_refund": "1" if self.can_refund and p["kind"] == "payment"
                          and int(p["refundable_minor"]) > 0 else ""}) for p in detail["payments"]]
        self.overpaid = bool(detail["overpaid"])
        how = payment_instructions.staff_how_to_pay(db, actor, detail, self.business_name)
        self.pay_methods, self.pay_banner, self.pay_contact = how["methods"], how["banner"], how["contact"]
        self.found, self.refusal = True, ""
        return detail

    def _clear(self, message: str) -> None:
        self.found, self.refusal = False, message
        self.inv, self.lines, self.payments, self.overpaid, self.dialog = {}, [], [], False, ""
        self.can_refund, self.refund_target = False, {}
        self.pay_methods, self.pay_banner, self.pay_contact = [], "", ""

    @rx.event
    async def load(self):
        def work(db, ws, actor):
            require_staff(actor)
            self.dialog, self.dialog_error, self.dialog_field = "", "", ""
            self._show(db, actor)
            self.test_mode = demo_payments.workspace_in_test_mode(db, actor.workspace_id)
            if self._flash:
                self._notify(self._flash)
                self._flash = ""
            return StaffInvoiceState.follow

        return await self._run(work, on_error=lambda exc: self._clear(exc.message))

    @rx.event(background=True)
    async def follow(self):
        """Keep the open invoice current: a client's view or payment shows without a reload."""
        await live.follow(self, lambda db, actor: invoice_views.detail_marker(db, require_staff(actor),
                                                                              self._public_id()),
                          self._show)

    @rx.event
    def open_dialog(self, kind: str):
        self.dialog = kind if kind in ("payment", "void", "delete") else ""
        self.dialog_error, self.dialog_field = "", ""

    @rx.event
    def open_refund(self, payment_id: str):
        """The refund dialog for one of the payments shown (only this tab's vars change; the
        refund itself is authorized by the service)."""
        target = next((p for p in self.payments if p["id"] == str(payment_id) and p["can_refund"]), None)
        self.refund_target = cast(StaffPayment, dict(target)) if target else {}
        self.dialog = "refund" if target else ""
        self.dialog_error, self.dialog_field = "", ""

    @rx.event
    def set_dialog_open(self, value: bool):
        if not value:
            self.dialog, self.dialog_error, self.dialog_field = "", "", ""

    async def _act(self, action, done):
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

        return await self._run(work, on_error=failed)

    @rx.event
    async def send(self):
        def send(db, actor, public_id):
            first = invoice_views.invoice_detail(db, actor, public_id)["status"] == "draft"
            inv = invoices.send_invoice(db, actor, public_id)
            note = invoice_mail.sent_note(db, actor, public_id)
            return f"Invoice {inv.number} {'sent' if first else 'sent again'}. {note}"

        return await self._act(send, lambda message: message)

    @rx.event
    async def void(self):
        return await self._act(invoices.void_invoice, lambda inv: f"Invoice {inv.number} is void. The client sees it as void.")

    @rx.event
    async def record_payment(self, form: dict):
        def pay(db, actor, public_id):
            currency = invoice_views.invoice_detail(db, actor, public_id)["currency"]
            amount = parse_amount(clip(form.get("amount", ""), 40), currency, "Amount", "amount")
            if amount <= 0:
                raise Invalid("The amount must be more than zero.", "amount")
            method = str(form.get("method", ""))
            if method not in MANUAL_METHODS:
                raise Invalid("Choose how the payment was made.", "method")
            invoices.record_manual_payment(db, actor, public_id, amount_minor=amount, method=method,
                                           reference=clip(form.get("reference", ""), 200))
            return format_amount(amount, currency)

        return await self._act(pay, lambda amount: f"Payment of {amount} recorded.")

    @rx.event
    async def refund_payment(self, form: dict):
        payment_id = str(self.refund_target.get("id", ""))

        def work(db, ws, actor):
            require_staff(actor)
            currency = invoice_views.invoice_detail(db, actor, self._public_id())["currency"]
            amount = parse_amount(clip(form.get("refund_amount", ""), 40), currency, "Amount", "amount")
            done = refunds.refund_payment(db, actor, self._public_id(), payment_id, amount_minor=amount,
                                          reason=clip(form.get("reason", ""), 500))
            self._show(db, actor)
            self.dialog, self.dialog_error, self.dialog_field, self.refund_target = "", "", "", {}
            self._notify(f"Refunded {done.amount}.")

        def failed(exc: ServiceError):
            # the dialog stays open with what was typed; the message says what to change
            if not self.found or not self.inv:
                self._clear(exc.message)
            elif self.dialog == "refund":
                self.dialog_error, self.dialog_field = exc.message, exc.field or ""
            else:
                self._notify(exc.message, "red")

        return await self._run(work, on_error=failed)

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

        result = await self._run(work, on_error=failed)
        if outcome.get("flash"):
            listing = await self.get_state(StaffInvoicesState)
            listing._flash = outcome["flash"]
        return result

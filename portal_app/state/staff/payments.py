"""Settings › Payments (owners and admins)."""

from __future__ import annotations

import reflex as rx

from portal_app.errors import ServiceError
from portal_app.services.billing import payment_instructions, payment_settings
from portal_app.state.base import BaseState


class PaymentsSettingsState(BaseState):
    view: payment_settings.PaymentsView = {}
    stripe_error: str = ""
    stripe_error_field: str = ""
    invoice_error: str = ""
    test_result: str = ""
    confirm_disconnect: bool = False
    details: payment_instructions.InstructionsForm = {}   # business details and other ways to pay
    details_error: str = ""
    details_field: str = ""            # the field details_error is about
    details_version: int = 0           # remounts the form (its inputs take default values) after a load or save

    def _show(self, view: payment_settings.PaymentsView) -> None:
        self.view = view

    @rx.event
    async def load(self):
        def work(db, ws, actor):
            self.stripe_error = self.invoice_error = self.test_result = ""
            self.confirm_disconnect = False
            self._show(payment_settings.payments_view(db, actor))
            self.details, self.details_error, self.details_field = payment_instructions.instructions_form(db, actor), "", ""
            self.details_version += 1

        def refused(exc: ServiceError):
            self.view, self.stripe_error, self.details = {}, exc.message, {}

        return await self._run(work, on_error=refused)

    def _stripe_failed(self, exc: ServiceError):
        self.stripe_error, self.stripe_error_field, self.test_result = exc.message, exc.field or "", ""

    @rx.event
    async def save_keys(self, form: dict):
        def work(db, ws, actor):
            self._show(payment_settings.save_stripe_keys(
                db, actor, publishable_key=form.get("publishable_key", ""), secret_key=form.get("secret_key", ""),
                webhook_secret=form.get("webhook_secret", "")))
            self.stripe_error = self.stripe_error_field = self.test_result = ""
            self._notify("Stripe keys saved. Clients see Pay Now on invoices.")

        return await self._run(work, on_error=self._stripe_failed)

    @rx.event
    async def test_connection(self):
        def work(db, ws, actor):
            self.test_result = payment_settings.test_connection(db, actor)
            self.stripe_error = ""

        return await self._run(work, on_error=self._stripe_failed)

    @rx.event
    def set_confirm_disconnect(self, value: bool):
        self.confirm_disconnect = bool(value)

    @rx.event
    async def disconnect(self):
        def work(db, ws, actor):
            self._show(payment_settings.disconnect_stripe(db, actor))
            self.confirm_disconnect, self.test_result = False, ""
            self._notify("Stripe disconnected. Clients no longer see Pay Now; manual payments still work.")

        return await self._run(work, on_error=self._stripe_failed)

    @rx.event
    async def save_invoicing(self, form: dict):
        def work(db, ws, actor):
            self._show(payment_settings.save_invoice_settings(
                db, actor, invoice_prefix=form.get("invoice_prefix", ""),
                default_currency=form.get("default_currency", ""),
                allow_partial=str(form.get("allow_partial", "")) in ("on", "true", "1"),
                min_partial=form.get("min_partial", ""),
                estimate_invoice=str(form.get("estimate_invoice", "draft"))[:10],
                default_terms_days=str(form.get("default_terms_days", ""))[:10]))
            self.invoice_error = ""
            self._notify("Invoice settings saved.")

        def failed(exc: ServiceError):
            self.invoice_error = exc.message

        return await self._run(work, on_error=failed)

    @rx.event
    async def save_details(self, form: dict):
        """Business details and other ways to pay: all saved, or nothing (the error names the field)."""
        def work(db, ws, actor):
            self.details = payment_instructions.save_instructions(db, actor, dict(form or {}))
            self.details_error = self.details_field = ""
            self.details_version += 1
            self._notify("Business details and ways to pay saved. Invoices show them from now on.")

        def failed(exc: ServiceError):
            self.details_error, self.details_field = exc.message, exc.field or ""

        return await self._run(work, on_error=failed)

"""Settings › Webhooks (/staff/settings/webhooks): endpoints, the signing secret shown once,
each endpoint's delivery log and Replay (owners and admins: services/webhooks/endpoints.py asks
access.require_manage_webhooks)."""

from __future__ import annotations

import reflex as rx

from portal_app.errors import ServiceError
from portal_app.models.webhooks import ALL_KINDS
from portal_app.services.webhooks import endpoints as svc
from portal_app.state.base import BaseState

ID_MAX = svc.PUBLIC_ID_MAX


class WebhooksState(BaseState):
    rows: rx.Field[list[svc.EndpointView]] = rx.field(default_factory=list)
    kinds: rx.Field[list[str]] = rx.field(default_factory=list)
    refusal: str = ""
    form_error: str = ""
    form_version: int = 0       # remounts the add form (clears it) after an endpoint was added
    new_secret: str = ""        # shown once, right after creation or rotation; cleared by any other action
    secret_for: str = ""        # the endpoint's URL the secret belongs to
    log_for: str = ""           # the endpoint whose delivery log is open
    log_url: str = ""
    log: rx.Field[list[svc.DeliveryView]] = rx.field(default_factory=list)

    def _refresh(self, db, actor) -> None:
        self.rows, self.kinds, self.refusal = svc.list_endpoints(db, actor), svc.event_kinds(), ""
        if self.log_for:
            self._open_log(db, actor, self.log_for)

    def _open_log(self, db, actor, endpoint_id: str) -> None:
        self.log = svc.deliveries(db, actor, endpoint_id)
        self.log_for = endpoint_id
        self.log_url = next((r["url"] for r in self.rows if r["id"] == endpoint_id), "")

    def _clear_secret(self) -> None:
        self.new_secret = self.secret_for = ""

    @rx.event
    async def load(self):
        def work(db, ws, actor):
            self._clear_secret()
            self.log_for, self.log, self.form_error = "", [], ""
            self._refresh(db, actor)

        def refused(exc: ServiceError):
            self.rows, self.kinds, self.log, self.refusal = [], [], [], exc.message
            self._clear_secret()

        return await self._run(work, on_error=refused)

    @rx.event
    async def add(self, form: dict):
        form = form if isinstance(form, dict) else {}
        chosen = [k for k in svc.event_kinds() if form.get("kind:" + k) in ("on", True, "true")]
        kinds = ALL_KINDS if form.get("all_kinds") in ("on", True, "true") or not chosen else chosen

        def work(db, ws, actor):
            self._clear_secret()
            view, secret = svc.create_endpoint(db, actor, url=form.get("webhook_url", ""),
                                               description=form.get("webhook_description", ""), kinds=kinds)
            self.new_secret, self.secret_for, self.form_error = secret, view["url"], ""
            self.form_version += 1
            self._refresh(db, actor)
            self._notify("Endpoint added. Copy its signing secret now: it is not shown again.")

        def failed(exc: ServiceError):
            self.form_error = exc.message

        return await self._run(work, on_error=failed)

    @rx.event
    async def set_enabled(self, endpoint_id: str, enabled: bool):
        endpoint_id = str(endpoint_id)[:ID_MAX + 1]

        def work(db, ws, actor):
            self._clear_secret()
            svc.set_enabled(db, actor, endpoint_id, bool(enabled))
            self._refresh(db, actor)
            self._notify("Endpoint enabled." if enabled else "Endpoint disabled: it gets no more events.")

        return await self._run(work)

    @rx.event
    async def rotate(self, endpoint_id: str):
        endpoint_id = str(endpoint_id)[:ID_MAX + 1]

        def work(db, ws, actor):
            self._clear_secret()
            secret = svc.rotate_secret(db, actor, endpoint_id)
            self._refresh(db, actor)
            self.new_secret = secret
            self.secret_for = next((r["url"] for r in self.rows if r["id"] == endpoint_id), "")
            self._notify("New signing secret made; the old one no longer signs. Copy it now.")

        return await self._run(work)

    @rx.event
    async def delete(self, endpoint_id: str):
        endpoint_id = str(endpoint_id)[:ID_MAX + 1]

        def work(db, ws, actor):
            self._clear_secret()
            svc.delete_endpoint(db, actor, endpoint_id)
            if self.log_for == endpoint_id:
                self.log_for, self.log, self.log_url = "", [], ""
            self._refresh(db, actor)
            self._notify("Endpoint deleted with its delivery log.")

        return await self._run(work)

    @rx.event
    async def show_log(self, endpoint_id: str):
        endpoint_id = str(endpoint_id)[:ID_MAX + 1]

        def work(db, ws, actor):
            self._clear_secret()
            self._refresh(db, actor)
            self._open_log(db, actor, endpoint_id)

        return await self._run(work)

    @rx.event
    async def replay(self, delivery_id: str):
        delivery_id = str(delivery_id)[:ID_MAX + 1]

        def work(db, ws, actor):
            self._clear_secret()
            svc.replay(db, actor, delivery_id)
            self._refresh(db, actor)
            self._notify("Queued again: a worker sends it in a moment, with the same webhook-id.")

        return await self._run(work)

    @rx.event
    def dismiss_secret(self):
        self._clear_secret()

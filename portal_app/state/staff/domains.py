"""Settings › Domains (/staff/settings/domains): the workspace's custom domains -- add a
subdomain, the DNS records to create, Verify, Assign to Client Portal, Make primary, Remove
(owners and admins: services/portal/domains.py asks access.require_manage_domains).

Verify asks DNS, which may take seconds (a resolver waiting on a silent server): `verify` only
checks the person and the domain and marks the card "Checking…"; the lookup runs in the
background event `run_check`, in a thread, without the tab's state lock, so the page stays
usable and no other user waits on the event loop. The page follows the rows while it is open
(state/live.py): the worker's automatic re-checks show up without a reload.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TypedDict

import reflex as rx

from portal_app.access import require_manage_domains
from portal_app.db import unit_of_work
from portal_app.errors import NotFound, ServiceError
from portal_app.models.status import status_label
from portal_app.services.portal import domains as svc
from portal_app.state import live
from portal_app.state.base import GENERIC, BaseState
from portal_app.state.common import clip

log = logging.getLogger("portal.state")

ID_MAX = 40
HOSTNAME_MAX = svc.MAX_HOSTNAME  # a DNS name's longest; the service says why a longer one is refused
FOLLOW_EVERY = 5.0      # seconds between two looks at the rows while the page is open


class RecordRow(TypedDict):
    type: str           # CNAME | TXT
    name: str
    value: str


class DomainCard(TypedDict):
    public_id: str
    hostname: str
    status: str         # pending | verified | failed
    shown_status: str   # status, or "stopped" (unverified for 7 days: no more automatic checks)
    status_label: str
    last_result: str    # the last check's verdict in words
    note: str           # what the card adds in words ("automatic checks stopped…"), or ""
    last_checked: str   # "07 Dec 2026, 23:40 UTC", or "" before the first check
    assigned: bool
    is_primary: bool
    records: list[RecordRow]


def card(view: svc.DomainView) -> DomainCard:
    """What the page shows of a domain: its service view, dates as words, the DNS records."""
    checked = view.last_checked_at
    shown = view.shown_status or view.status
    return DomainCard(public_id=view.public_id, hostname=view.hostname, status=view.status, shown_status=shown,
                      status_label=status_label("domain", shown), last_result=view.last_result, note=view.note,
                      last_checked=checked.strftime("%d %b %Y, %H:%M UTC") if checked else "",
                      assigned=view.assigned, is_primary=view.is_primary,
                      records=[RecordRow(type=r.type, name=r.name, value=r.value) for r in svc.dns_records(view)])


def _manager(actor):
    require_manage_domains(actor)
    return actor


class DomainsState(BaseState):
    rows: rx.Field[list[DomainCard]] = rx.field(default_factory=list)
    refusal: str = ""
    form_error: str = ""
    form_version: int = 0     # remounts the add form (clears it) after a domain was added
    checking: str = ""        # the public id of the domain whose DNS is being checked now
    _pending_check: str = ""
    _live: int = 0

    # --- helpers (server-side only)

    def _refresh(self, db, actor) -> None:
        self._assign(rows=[card(v) for v in svc.list_domains(db, actor)], refusal="")

    def _find(self, db, actor, public_id: str) -> svc.DomainView:
        """The domain of this workspace with that public id (access first: list_domains asks
        access.require_manage_domains); another workspace's or a removed one is not found."""
        for view in svc.list_domains(db, actor):
            if view.public_id == public_id:
                return view
        raise NotFound("That domain is not connected to this portal (it may have been removed).")

    def _marker(self, db, actor):
        """What changes when a check, or a colleague, changed a domain (a few small rows)."""
        return [(v.public_id, v.shown_status, v.last_result, v.last_checked_at, v.assigned, v.is_primary)
                for v in svc.list_domains(db, actor)]

    # --- events

    @rx.event
    async def load(self):
        def work(db, ws, actor):
            self.form_error, self.checking, self._pending_check = "", "", ""
            self._refresh(db, actor)
            return DomainsState.follow

        def refused(exc: ServiceError):
            self.rows, self.refusal, self.checking = [], exc.message, ""

        return await self._run(work, on_error=refused)

    @rx.event(background=True)
    async def follow(self):
        """Keep the cards current while the page is open (the worker re-checks pending
        domains every few minutes); one small query every few seconds."""
        await live.follow(self, self._marker, self._refresh, every=FOLLOW_EVERY)

    @rx.event
    async def add(self, form: dict):
        form = form if isinstance(form, dict) else {}
        hostname = clip(form.get("hostname", ""), HOSTNAME_MAX + 1)

        def work(db, ws, actor):
            view = svc.add_domain(db, actor, hostname)
            self.form_error = ""
            self.form_version += 1
            self._refresh(db, actor)
            self._notify(f"{view.hostname} added. Create the two DNS records shown on its card, then choose Verify.")

        def failed(exc: ServiceError):
            self.form_error = exc.message

        return await self._run(work, on_error=failed)

    @rx.event
    async def verify(self, public_id: str):
        public_id = clip(public_id, ID_MAX + 1)

        def work(db, ws, actor):
            self._find(db, actor, public_id)
            if self.checking:
                return None  # one check at a time: the first one is on its way
            self.checking, self._pending_check = public_id, public_id
            return DomainsState.run_check

        return await self._run(work)

    @rx.event(background=True)
    async def run_check(self):
        """The DNS lookup of `verify`, off the state lock and off the event loop."""
        async with self:
            public_id, self._pending_check = self._pending_check, ""
            bound = self._bound_session

            def stop(message: str) -> None:
                self.checking = ""
                self._notify(message, "red")

            # the access check first (the actor resolved afresh from this event's socket)
            ok, actor = await self._run_background(lambda db, _ws, actor: _manager(actor),
                                                   on_error=lambda exc: stop(exc.message),
                                                   on_unexpected=lambda: stop(GENERIC))
            if not ok or not public_id or self.checking != public_id:
                return  # refused, or no Verify asked for a check (a forged event): nothing to do

        def check():
            with unit_of_work() as db:
                view = svc.verify_domain(db, actor, public_id)
                return view, [card(v) for v in svc.list_domains(db, actor)]

        message, tone, rows = "", "green", None
        try:
            view, rows = await asyncio.to_thread(check)
            message = f"Checked just now: {view.last_result}"
            tone = "green" if view.status == "verified" else "red"
        except ServiceError as exc:
            message, tone = exc.message, "red"
        except Exception:
            log.exception("domain check failed unexpectedly")
            message, tone = GENERIC, "red"
        async with self:
            if self._bound_session != bound:
                return  # the tab changed hands meanwhile (session_guard.py): nothing of it goes there
            self.checking = ""
            if rows is not None:
                self.rows = rows
            self._notify(message, tone)

    @rx.event
    async def assign(self, public_id: str):
        public_id = clip(public_id, ID_MAX + 1)

        def work(db, ws, actor):
            view = svc.assign_domain(db, actor, public_id)
            self._refresh(db, actor)
            self._notify(f"{view.hostname} now serves your Client Portal.")

        return await self._run(work)

    @rx.event
    async def make_primary(self, public_id: str):
        public_id = clip(public_id, ID_MAX + 1)

        def work(db, ws, actor):
            view = svc.make_primary(db, actor, public_id)
            self._refresh(db, actor)
            self._notify(f"{view.hostname} is now the primary address: links in emails and calendar feeds use it.")

        return await self._run(work)

    @rx.event
    async def remove(self, public_id: str):
        public_id = clip(public_id, ID_MAX + 1)

        def work(db, ws, actor):
            hostname = self._find(db, actor, public_id).hostname
            svc.remove_domain(db, actor, public_id)
            if self.checking == public_id:
                self.checking = ""
            self._refresh(db, actor)
            self._notify(f"{hostname} removed: sessions signed in there have ended, and links use your "
                         "portal's other address.")

        return await self._run(work)

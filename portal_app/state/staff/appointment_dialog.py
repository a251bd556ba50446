"""The staff appointment dialog (the calendar's New appointment, and a click on an appointment):
contact picker, title, date, start and end, time zone, location or meeting link, notes for the
client, internal notes and the staff member it is with. A service's refusal shows next to the
field it names (Invalid.field); Cancel appointment asks first (the page's alert dialog).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, available_timezones

import reflex as rx

from portal_app.access import require_manage_appointments
from portal_app.errors import Invalid, ServiceError
from portal_app.models import utcnow
from portal_app.services.accounts import contacts
from portal_app.services.appointments import appointments as appts
from portal_app.services.appointments import availability
from portal_app.services.billing.invoice_views import ContactChoice
from portal_app.services.conversations import inbox
from portal_app.state.common import clip, contact_options

ZONES = sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/"))) + ["UTC"]
FIELDS = ("title", "date", "start", "end", "zone", "location", "client_notes", "internal_notes", "staff")
# a service names the field it refuses; the dialog shows the message beside that input
FIELD_OF = {"starts_at": "start", "ends_at": "end", "contact": "contact"}


class AppointmentDialogMixin(rx.State, mixin=True):
    dlg_open: bool = False
    dlg_id: str = ""                    # "" while making a new one
    dlg_scheduled: bool = True
    dlg_contact: ContactChoice = {}
    dlg_contact_options: list[ContactChoice] = []
    dlg_values: dict[str, str] = {}
    dlg_errors: dict[str, str] = {}
    dlg_error: str = ""
    dlg_version: int = 0                # remounts the form with the values above
    colleagues: list[inbox.Colleague] = []

    if TYPE_CHECKING:  # what the concrete state brings
        zone: str
        _me: str

        def _assign(self, **values: Any) -> None: ...
        def _notify(self, message: str, tone: str = "green") -> None: ...
        def _run(self, work: Callable[[Any, Any, Any], Any], *,
                 on_error: Callable[[Any], Any] | None = None, keep_notice: bool = False) -> Any: ...
        def _after_save(self, db: Any, actor: Any) -> None: ...

    def _dialog_reset(self) -> None:
        self._assign(dlg_open=False, dlg_id="", dlg_errors={}, dlg_error="", dlg_contact_options=[])

    def _dialog_show(self, db: Any, actor: Any, values: dict[str, str], contact: ContactChoice, *, public_id: str = "",
                     scheduled: bool = True) -> None:
        self._assign(colleagues=inbox.colleagues(db, actor), dlg_values=values, dlg_contact=contact, dlg_id=public_id,
                     dlg_scheduled=scheduled, dlg_errors={}, dlg_error="", dlg_contact_options=[], dlg_open=True)
        self.dlg_version += 1

    def _dialog_new(self, db: Any, actor: Any, contact: str = "") -> None:
        mine = availability.my_availability(db, actor)
        zone = mine["zone"] or getattr(self, "zone", "") or "UTC"
        start = (utcnow().astimezone(ZoneInfo(zone)) + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
        chosen: ContactChoice = {}
        if contact:
            found = contacts.get_contact(db, actor, contact)
            chosen = {"public_id": found.public_id, "name": found.display_name}
        values = {"title": "", "date": f"{start:%Y-%m-%d}", "start": f"{start:%H:%M}",
                  "end": f"{start + timedelta(minutes=30):%H:%M}", "zone": zone, "location": "", "client_notes": "",
                  "internal_notes": "", "staff": mine["staff"]}
        self._dialog_show(db, actor, values, chosen)

    def _field_error(self, exc: ServiceError) -> None:
        name = FIELD_OF.get(exc.field or "", exc.field or "")
        if name in FIELDS or name == "contact":
            self.dlg_errors = {name: exc.message}
            self.dlg_error = ""
        else:
            self.dlg_errors, self.dlg_error = {}, exc.message

    @rx.event
    async def open_new(self):
        return await self._run(lambda db, ws, actor: self._dialog_new(db, actor), keep_notice=True)

    @rx.event
    async def open_appointment(self, public_id: str):
        def work(db, ws, actor):
            a = appts.staff_appointment_view(db, actor, clip(public_id, 40))
            tz = ZoneInfo(a["zone"])
            s = datetime.fromisoformat(a["starts_at"]).astimezone(tz)
            e = datetime.fromisoformat(a["ends_at"]).astimezone(tz)
            values = {"title": a["title"], "date": f"{s:%Y-%m-%d}", "start": f"{s:%H:%M}", "end": f"{e:%H:%M}",
                      "zone": a["zone"], "location": a["location"], "client_notes": a["notes"],
                      "internal_notes": a["internal_notes"], "staff": a["staff"]}
            self._dialog_show(db, actor, values, {"public_id": a["contact"], "name": a["with_name"]},
                              public_id=a["id"], scheduled=a["status"] == "scheduled")

        return await self._run(work, keep_notice=True)

    @rx.event
    def set_dialog_open(self, value: bool):
        self.dlg_open = bool(value)
        if not self.dlg_open:
            self._assign(dlg_errors={}, dlg_error="", dlg_contact_options=[])

    @rx.event
    async def find_dialog_contacts(self, value: str):
        def work(db, ws, actor):
            query = clip(value, 100).strip()
            self.dlg_contact_options = contact_options(db, actor, query) if query else []

        return await self._run(work, keep_notice=True)

    @rx.event
    def choose_dialog_contact(self, public_id: str):
        chosen = next((c for c in self.dlg_contact_options if c["public_id"] == str(public_id)), None)
        if chosen is not None:
            # (the name is all the dialog shows: the chosen client's address stays out of the state)
            self._assign(dlg_contact=ContactChoice(public_id=chosen["public_id"], name=chosen["name"]),
                         dlg_contact_options=[],
                         dlg_errors={k: v for k, v in self.dlg_errors.items() if k != "contact"})

    @rx.event
    def change_dialog_contact(self):
        self.dlg_contact = {}

    @rx.event
    async def save_appointment(self, form: dict):
        values = {k: clip(form.get(k, ""), 4000) for k in FIELDS}
        day = values["date"].strip()
        fields = dict(starts_at=f"{day}T{values['start'].strip()}" if day and values["start"].strip() else "",
                      ends_at=f"{day}T{values['end'].strip()}" if day and values["end"].strip() else "",
                      zone=values["zone"], title=values["title"], location=values["location"],
                      client_notes=values["client_notes"], internal_notes=values["internal_notes"],
                      staff_member=values["staff"] or None)

        def work(db, ws, actor):
            if self.dlg_id:
                appts.update_appointment(db, actor, self.dlg_id, **fields)
                done = "Appointment saved. The client gets the change by email."
            else:
                require_manage_appointments(actor)  # who may, before what is missing
                if not self.dlg_contact.get("public_id"):
                    raise Invalid("Choose the client this appointment is with.", "contact")
                appts.create_appointment(db, actor, contact=self.dlg_contact["public_id"], **fields)
                done = "Appointment created. The client gets an invitation by email."
            self._assign(dlg_open=False, dlg_errors={}, dlg_error="", dlg_values=values)
            self._after_save(db, actor)
            self._notify(done)

        def refused(exc: ServiceError):
            self.dlg_values = values  # what they typed stays (the form remounts with it)
            self._field_error(exc)

        return await self._run(work, on_error=refused)

    @rx.event
    async def cancel_appointment(self):
        def work(db, ws, actor):
            appts.cancel_appointment(db, actor, self.dlg_id)
            self._assign(dlg_open=False, dlg_errors={}, dlg_error="")
            self._after_save(db, actor)
            self._notify("Appointment cancelled. The client is told by email.")

        return await self._run(work, on_error=self._field_error)

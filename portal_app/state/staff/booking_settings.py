"""State of Settings › Booking (/staff/settings/booking): the signed-in staff member's weekly
hours (per weekday: off, or one or two blocks), days off and zone (owners and admins may pick a
colleague's); the workspace's booking types (create, edit, switch off and on); and, for owners and
admins, the clients' cancellation cut-off and the reminder times."""

from __future__ import annotations

from typing import TypedDict

import reflex as rx

from portal_app.errors import Forbidden, ServiceError
from portal_app.services.appointments import availability, booking
from portal_app.services.appointments import settings as appt_settings
from portal_app.services.appointments.availability import WEEKDAYS
from portal_app.services.appointments.times import parse_day
from portal_app.services.conversations import inbox
from portal_app.state.base import BaseState
from portal_app.state.common import clip

BLOCKS = 2          # blocks of hours a weekday offers on this page
TYPE_FIELDS = ("name", "description", "location", "duration_minutes", "buffer_minutes", "min_notice_minutes",
               "horizon_days", "staff")
REMINDERS = appt_settings.REMINDER_CHOICES


class DayRow(TypedDict):
    key: str            # "0".."6"
    name: str
    on: bool
    s1: str
    e1: str
    s2: str
    e2: str


def day_rows(days: dict[str, list[list[str]]]) -> list[DayRow]:
    rows: list[DayRow] = []
    for i, name in enumerate(WEEKDAYS):
        blocks = days.get(str(i), [])
        first = blocks[0] if blocks else ["09:00", "17:00"]
        second = blocks[1] if len(blocks) > 1 else ["", ""]
        rows.append(DayRow(key=str(i), name=name, on=bool(blocks), s1=first[0], e1=first[1], s2=second[0],
                           e2=second[1]))
    return rows


def days_from_form(form: dict) -> dict[str, list[list[str]]]:
    """The weekly table as set_availability takes it: a weekday off has no blocks; a second block
    counts once both its times are filled in."""
    days: dict[str, list[list[str]]] = {}
    for i in range(7):
        if not form.get(f"d{i}_on"):
            continue
        blocks = []
        for b in range(1, BLOCKS + 1):
            start, end = clip(form.get(f"d{i}_s{b}", ""), 10).strip(), clip(form.get(f"d{i}_e{b}", ""), 10).strip()
            if b == 1 or start or end:
                blocks.append([start, end])
        days[str(i)] = blocks
    return days


class BookingSettingsState(BaseState):
    # availability (whose: the viewer's own, or a colleague's for owners and admins)
    member: str = ""
    member_name: str = ""
    hours_zone: str = "UTC"
    days: rx.Field[list[DayRow]] = rx.field(default_factory=list)
    days_off: rx.Field[list[str]] = rx.field(default_factory=list)
    hours_error: str = ""
    hours_field: str = ""
    hours_saved: str = ""
    hours_version: int = 0
    colleagues: rx.Field[list[inbox.Colleague]] = rx.field(default_factory=list)
    # booking types
    types: rx.Field[list[booking.BookingTypeView]] = rx.field(default_factory=list)
    type_open: bool = False
    type_id: str = ""
    type_values: dict[str, str] = {}
    type_errors: dict[str, str] = {}
    type_version: int = 0
    # the workspace's settings (owners and admins)
    can_configure: bool = False
    cutoff: str = "24"
    reminders: rx.Field[list[str]] = rx.field(default_factory=list)
    settings_error: str = ""
    settings_saved: str = ""
    _me: str = ""

    def _show_hours(self, view: availability.AvailabilityView) -> None:
        self._assign(member=view["staff"], member_name=view["name"], hours_zone=view["zone"],
                     days=day_rows(view["days"]), days_off=list(view["days_off"]))
        self.hours_version += 1

    def _types(self, db, actor) -> None:
        self._assign(types=booking.staff_booking_types(db, actor))

    @rx.event
    async def load(self):
        def work(db, ws, actor):
            mine = availability.my_availability(db, actor)
            self._me = mine["staff"]
            self._show_hours(mine)
            self._types(db, actor)
            self._assign(colleagues=inbox.colleagues(db, actor), hours_error="", hours_field="", hours_saved="",
                         type_open=False, settings_error="", settings_saved="")
            try:
                current = appt_settings.get_appointment_settings(db, actor)
            except Forbidden:
                self._assign(can_configure=False)
            else:
                self._assign(can_configure=True, cutoff=str(current["cancel_cutoff_hours"]),
                             reminders=list(current["reminders"]))

        return await self._run(work)

    # --- availability ------------------------------------------------------------------------

    @rx.event
    async def choose_member(self, public_id: str):
        """Owners and admins: a colleague's hours (a member sees only their own: refused)."""
        def work(db, ws, actor):
            view = availability.get_availability(db, actor, clip(public_id, 40))
            if not view["editable"]:
                raise Forbidden("Only an owner or admin can change a colleague's availability.")
            self._show_hours(view)
            self._assign(hours_error="", hours_field="", hours_saved="")

        return await self._run(work)

    @rx.event
    def add_day_off(self, form: dict):
        try:
            day = parse_day(clip(form.get("day_off", ""), 12), "days_off").isoformat()
        except ServiceError as exc:
            self._assign(hours_error=exc.message, hours_field="days_off")
            return
        if day not in self.days_off and len(self.days_off) < 400:
            self.days_off = sorted([*self.days_off, day])
        self._assign(hours_error="", hours_field="")

    @rx.event
    def remove_day_off(self, day: str):
        self.days_off = [d for d in self.days_off if d != str(day)]

    @rx.event
    async def save_hours(self, form: dict):
        def work(db, ws, actor):
            view = availability.set_availability(db, actor, self.member or self._me, zone=clip(form.get("zone"), 64),
                                                 days=days_from_form(form), days_off=list(self.days_off))
            self._show_hours(view)
            self._assign(hours_error="", hours_field="", hours_saved="Working hours saved.")

        def refused(exc: ServiceError):
            self._assign(hours_error=exc.message, hours_field=exc.field or "", hours_saved="")

        return await self._run(work, on_error=refused)

    # --- booking types -----------------------------------------------------------------------

    @rx.event
    def open_type(self, public_id: str):
        found = next((t for t in self.types if t["id"] == str(public_id)), None)
        if found is None:
            self._assign(type_id="", type_values={"name": "", "description": "", "location": "",
                                                  "duration_minutes": "30", "buffer_minutes": "0",
                                                  "min_notice_minutes": "240", "horizon_days": "60",
                                                  "staff": self.member or self._me})
        else:
            shown = dict(found)
            self._assign(type_id=found["id"], type_values={k: str(shown[k]) for k in TYPE_FIELDS})
        self._assign(type_errors={}, type_open=True)
        self.type_version += 1

    @rx.event
    def set_type_open(self, value: bool):
        self.type_open = bool(value)

    @rx.event
    async def save_type(self, form: dict):
        values = {k: clip(form.get(k, ""), 2000) for k in TYPE_FIELDS}

        def work(db, ws, actor):
            if self.type_id:
                booking.update_booking_type(db, actor, self.type_id, values)
            else:
                booking.create_booking_type(db, actor, values)
            self._types(db, actor)
            self._assign(type_open=False, type_errors={})
            self._notify("Booking type saved.")

        def refused(exc: ServiceError):
            self._assign(type_values=values, type_errors={exc.field or "name": exc.message})

        return await self._run(work, on_error=refused)

    async def _set_active(self, public_id: str, active: bool, done: str):
        def work(db, ws, actor):
            booking.update_booking_type(db, actor, clip(public_id, 40), {"active": active})
            self._types(db, actor)
            self._notify(done)

        return await self._run(work)

    @rx.event
    async def deactivate_type(self, public_id: str):
        return await self._set_active(public_id, False, "Booking type switched off: clients can no longer book it.")

    @rx.event
    async def activate_type(self, public_id: str):
        return await self._set_active(public_id, True, "Booking type switched on.")

    # --- the workspace's settings (owners and admins) ----------------------------------------

    @rx.event
    async def save_settings(self, form: dict):
        chosen = [r for r in REMINDERS if form.get(f"reminder_{r}")]

        def work(db, ws, actor):
            saved = appt_settings.update_appointment_settings(db, actor, cancel_cutoff_hours=clip(form.get("cutoff"),
                                                                                                   10),
                                                              reminders=chosen)
            self._assign(cutoff=str(saved["cancel_cutoff_hours"]), reminders=list(saved["reminders"]),
                         settings_error="", settings_saved="Appointment settings saved.")

        def refused(exc: ServiceError):
            self._assign(settings_error=exc.message, settings_saved="")

        return await self._run(work, on_error=refused)

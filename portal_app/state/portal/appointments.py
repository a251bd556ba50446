"""States of the client's Appointments section: the list (/appointments) and booking
(/appointments/book).

Times are shown in the client's own zone: Contact.time_zone, which their browser reports on
the first visit (components/zone_probe.jsx calls `browser_zone`; no eval) and they change in
Profile; UTC while nobody knows it. Every handler goes through the services, which refuse
anything but the signed-in client's own appointments while the section is on; ids and times
the browser sends are only arguments to those services.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TypedDict
from zoneinfo import ZoneInfo

import reflex as rx

from portal_app.access import is_staff
from portal_app.errors import Invalid, ServiceError
from portal_app.models import utcnow
from portal_app.services.appointments import appointments as appts
from portal_app.services.appointments import booking, client_side, free
from portal_app.services.appointments.claims import TAKEN
from portal_app.services.appointments.times import view_zone
from portal_app.services.appointments.views import AppointmentView
from portal_app.state.base import BaseState

WEEKS_AHEAD = 26   # how far the week picker pages


class ApptRow(TypedDict):
    id: str
    title: str
    when: str
    location: str
    location_link: bool     # an https meeting link: shown as a link
    notes: str
    status_label: str
    cancelled: bool
    with_name: str
    can_change: bool
    until: str              # past the cut-off: until when changes were possible


class SlotView(TypedDict):
    start: str              # ISO 8601 UTC, what the handlers get back
    label: str              # "10:30"
    aria: str               # "Tuesday 8 December, 10:30"


class DayView(TypedDict):
    day: str                # "Tue 08 Dec"
    slots: list[SlotView]


class TypeView(TypedDict):
    id: str
    name: str
    description: str
    length: str             # "30 minutes"
    with_name: str


def _row(v: AppointmentView, tz: ZoneInfo, cutoff: int) -> ApptRow:
    start = datetime.fromisoformat(v["starts_at"])
    until = (start - timedelta(hours=cutoff)).astimezone(tz)
    return ApptRow(id=v["id"], title=v["title"], when=v["when"], location=v["location"],
                   location_link=v["location"].startswith("https://") and " " not in v["location"],
                   notes=v["notes"], status_label=v["status_label"], cancelled=v["status"] == "cancelled",
                   with_name=v["with_name"], can_change=v["can_change"],
                   until=f"{until:%a %d %b %Y, %H:%M}")


def week_window(tz: ZoneInfo, week: int, now: datetime) -> tuple[datetime, datetime, str]:
    """[start, end) of the `week`th week from today, midnight to midnight in `tz`, and its label."""
    today = now.astimezone(tz).date() + timedelta(days=7 * week)
    start = datetime(today.year, today.month, today.day, tzinfo=tz)
    last = today + timedelta(days=6)
    end = datetime(last.year, last.month, last.day, tzinfo=tz) + timedelta(days=1)
    return start.astimezone(UTC), end.astimezone(UTC), f"{today:%d %b} – {last:%d %b %Y}"


def group_days(starts: list[datetime], tz: ZoneInfo) -> list[DayView]:
    days: list[DayView] = []
    for s in starts:
        local = s.astimezone(tz)
        label = f"{local:%a %d %b}"
        if not days or days[-1]["day"] != label:
            days.append(DayView(day=label, slots=[]))
        days[-1]["slots"].append(SlotView(start=s.astimezone(UTC).isoformat(), label=f"{local:%H:%M}",
                                          aria=f"{local:%A %d %B}, {local:%H:%M}"))
    return days


def _clamp_week(value: int) -> int:
    return min(max(0, int(value)), WEEKS_AHEAD)


def _step(delta: object) -> int:
    number = int(str(delta)) if str(delta).lstrip("-").isdigit() else 0
    return (number > 0) - (number < 0)


class AppointmentsState(BaseState):
    zone: str = "UTC"
    zone_known: bool = False
    available: bool = False
    refusal: str = ""
    upcoming: list[ApptRow] = []
    past: list[ApptRow] = []
    error: str = ""
    # the reschedule panel
    moving: str = ""                 # the appointment being moved ("" = closed)
    moving_title: str = ""
    move_week: int = 0
    move_week_label: str = ""
    move_days: list[DayView] = []
    move_error: str = ""
    # the private calendar feed
    has_feed: bool = False
    feed_https: str = ""
    feed_webcal: str = ""

    def _fill(self, db, actor) -> None:
        cutoff = client_side.require_section(db, actor)
        tz = self._zone_of(db, actor)
        lists = appts.client_appointments(db, actor, zone=tz.key)
        self._assign(upcoming=[_row(v, tz, cutoff) for v in lists["upcoming"]],
                     past=[_row(v, tz, cutoff) for v in lists["past"]],
                     has_feed=client_side.feeds.has_feed(db, actor), available=True, refusal="")

    def _zone_of(self, db, actor) -> ZoneInfo:
        stored = client_side.client_zone(db, actor)
        self._assign(zone=stored or "UTC", zone_known=bool(stored))
        return view_zone(stored or "UTC")

    def _refused(self, exc: ServiceError):
        self._assign(available=False, refusal=exc.message, upcoming=[], past=[], moving="", move_days=[],
                     feed_https="", feed_webcal="")

    def _failed(self, exc: ServiceError):
        self._assign(error=exc.message)

    @rx.event
    async def load(self):
        def work(db, ws, actor):
            if is_staff(actor):
                return rx.redirect("/staff")
            self._assign(error="", moving="", move_days=[], move_error="")
            self._fill(db, actor)
            if self._query("booked") == "1":
                self._notify("Your appointment is booked. We emailed you the details.")
            return None

        return await self._run(work, on_error=self._refused)

    @rx.event
    async def browser_zone(self, zone: str):
        """The browser's own zone (Intl.DateTimeFormat().resolvedOptions().timeZone), reported
        once while none is stored: kept if it is a zone we know, and the times shown again."""
        def work(db, ws, actor):
            client_side.require_section(db, actor)
            if client_side.client_zone(db, actor):
                return
            if client_side.set_client_zone(db, actor, str(zone or "")[:100], detected=True):
                self._fill(db, actor)

        return await self._run(work, on_error=self._refused, keep_notice=True)

    @rx.event
    async def cancel(self, appointment_id: str):
        def work(db, ws, actor):
            client_side.require_section(db, actor)
            a = appts.client_cancel(db, actor, str(appointment_id or ""))
            self._assign(error="")
            self._fill(db, actor)
            self._notify(f"“{a.title}” is cancelled. We emailed you a confirmation.")

        return await self._run(work, on_error=self._failed)

    def _load_slots(self, db, actor) -> None:
        tz = view_zone(self.zone)
        now = utcnow()  # one instant for the week's window and the free times' notice
        start, end, label = week_window(tz, self.move_week, now)
        found = client_side.reschedule_slots(db, actor, self.moving, start, end, now)
        self._assign(move_days=group_days(found, tz), move_week_label=label)

    @rx.event
    async def open_reschedule(self, appointment_id: str):
        def work(db, ws, actor):
            client_side.require_section(db, actor)
            _client, a, _cutoff = appts.client_appointment(db, actor, str(appointment_id or ""))
            self._zone_of(db, actor)
            self._assign(moving=a.public_id, moving_title=a.title, move_week=0, move_error="", error="")
            self._load_slots(db, actor)

        return await self._run(work, on_error=self._failed)

    @rx.event
    async def reschedule_week(self, delta: int):
        def work(db, ws, actor):
            client_side.require_section(db, actor)  # (the access rule first, whatever the tab holds)
            if not self.moving:
                return
            self._zone_of(db, actor)
            self._assign(move_week=_clamp_week(self.move_week + _step(delta)))
            self._load_slots(db, actor)

        return await self._run(work, on_error=self._failed)

    @rx.event
    def close_reschedule(self):
        self.moving, self.move_days, self.move_error = "", [], ""

    @rx.event
    async def reschedule_to(self, starts_at: str):
        def work(db, ws, actor):
            client_side.require_section(db, actor)
            a = booking.client_reschedule(db, actor, self.moving, str(starts_at or "")[:40])
            self._assign(moving="", move_days=[], move_error="")
            self._fill(db, actor)
            self._notify(f"“{a.title}” is moved. We emailed you the new time.")

        def failed(exc: ServiceError):
            self._assign(move_error=exc.message)
            if self.moving and (exc.message == TAKEN or exc.field == "starts_at"):
                # delta 0: this week again, fresh slots (Reflex types the handler as its namespace)
                return AppointmentsState.reschedule_week(0)  # type: ignore[operator]
            return None

        return await self._run(work, on_error=failed)

    @rx.event
    async def new_feed_link(self):
        """Makes the private feed (a second call: a new link; the old one stops at once)."""
        def work(db, ws, actor):
            links = client_side.new_feed_links(db, actor)
            self._assign(feed_https=links.https, feed_webcal=links.webcal, has_feed=True, error="")

        return await self._run(work, on_error=self._failed)


class BookState(BaseState):
    zone: str = "UTC"
    zone_known: bool = False
    available: bool = False
    refusal: str = ""
    types: list[TypeView] = []
    chosen_type: str = ""
    chosen_name: str = ""
    week: int = 0
    week_label: str = ""
    days: list[DayView] = []
    chosen_slot: str = ""
    chosen_label: str = ""
    error: str = ""
    error_field: str = ""

    def _zone_of(self, db, actor) -> ZoneInfo:
        stored = client_side.client_zone(db, actor)
        self._assign(zone=stored or "UTC", zone_known=bool(stored))
        return view_zone(stored or "UTC")

    def _refused(self, exc: ServiceError):
        self._assign(available=False, refusal=exc.message, types=[], days=[])

    def _failed(self, exc: ServiceError):
        self._assign(error=exc.message, error_field=exc.field or "")

    @rx.event
    async def load(self):
        def work(db, ws, actor):
            if is_staff(actor):
                return rx.redirect("/staff")
            client_side.require_section(db, actor)
            self._zone_of(db, actor)
            found = booking.client_booking_types(db, actor)
            self._assign(types=[TypeView(id=t["id"], name=t["name"], description=t["description"],
                                         length=f"{t['duration_minutes']} minutes", with_name=t["staff_name"])
                                for t in found],
                         chosen_type="", chosen_name="", days=[], chosen_slot="", chosen_label="", error="",
                         error_field="", available=True, refusal="")
            return None

        return await self._run(work, on_error=self._refused)

    def _load_slots(self, db, actor) -> None:
        tz = view_zone(self.zone)
        now = utcnow()  # one instant for the week's window and the free times' notice
        start, end, label = week_window(tz, self.week, now)
        found = free.available_slots(db, actor, self.chosen_type, start, end, now)
        self._assign(days=group_days(found, tz), week_label=label)

    @rx.event
    async def choose_type(self, type_id: str):
        def work(db, ws, actor):
            client_side.require_section(db, actor)
            client, _cutoff = appts.client_and_cutoff(db, actor)
            bt = booking.bookable_type(db, client, str(type_id or ""))
            self._zone_of(db, actor)
            self._assign(chosen_type=bt.public_id, chosen_name=bt.name, week=0, chosen_slot="", chosen_label="",
                         error="", error_field="")
            self._load_slots(db, actor)

        return await self._run(work, on_error=self._failed)

    @rx.event
    async def change_week(self, delta: int):
        def work(db, ws, actor):
            client_side.require_section(db, actor)  # (the access rule first, whatever the tab holds)
            if not self.chosen_type:
                return
            step = _step(delta)
            self._assign(week=_clamp_week(self.week + step), chosen_slot="", chosen_label="")
            if step:  # (0: the same week again after a refusal, whose message stays)
                self._assign(error="", error_field="")
            self._load_slots(db, actor)

        return await self._run(work, on_error=self._failed)

    @rx.event
    def choose_slot(self, starts_at: str, label: str):
        self.chosen_slot, self.chosen_label = str(starts_at)[:40], str(label)[:80]
        self.error = self.error_field = ""

    @rx.event
    def back_to_types(self):
        self.chosen_type, self.chosen_name, self.days, self.chosen_slot = "", "", [], ""
        self.error = self.error_field = ""

    @rx.event
    async def confirm(self, form: dict):
        def work(db, ws, actor):
            client_side.require_section(db, actor)
            if not (self.chosen_type and self.chosen_slot):
                raise Invalid("Pick a time first.", "starts_at")
            booking.book(db, actor, self.chosen_type, self.chosen_slot, zone=self.zone,
                         notes=str(form.get("notes", "")))
            return rx.redirect("/appointments?booked=1")

        def failed(exc: ServiceError):
            self._assign(error=exc.message, error_field=exc.field or "")
            if exc.message == TAKEN or exc.field == "starts_at":
                self._assign(chosen_slot="", chosen_label="")
                return BookState.change_week(0)  # type: ignore[operator]  # (fresh slots of this week)
            return None

        return await self._run(work, on_error=failed)

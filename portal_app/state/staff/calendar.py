"""State of the staff calendar (/staff/calendar): the team's appointments as a week (seven
columns, each appointment placed by its time in the viewer's zone) or as a list of upcoming
ones, everyone's or only the viewer's; the appointment dialog (state/staff/appointment_dialog.py)
creates, edits, reschedules and cancels.

The viewer's zone is their own availability zone (Settings › Booking) until they pick another in
"Show times in". The page follows the workspace's calendar hint (adapters/hints.calendar_topic):
a colleague's change, or a client cancelling, shows at once.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TypedDict
from zoneinfo import ZoneInfo

import reflex as rx

from portal_app.adapters import hints
from portal_app.errors import NotFound, ServiceError
from portal_app.models import utcnow
from portal_app.services.appointments import appointments as appts
from portal_app.services.appointments import availability, lanes
from portal_app.services.appointments.appointments import WINDOW_MAX
from portal_app.services.appointments.times import view_zone
from portal_app.services.appointments.views import StaffAppointmentView
from portal_app.state import chat_push
from portal_app.state.base import BaseState
from portal_app.state.staff.appointment_dialog import AppointmentDialogMixin

HOUR_PX = 48          # the week view's height of one hour
FIRST_HOUR, LAST_HOUR = 8, 18   # the hours a week always shows (widened to fit what is there)
VIEWS = ("week", "list")
WHO = ("all", "mine")


class CalItem(TypedDict):
    id: str
    title: str
    contact: str
    staff_name: str
    time: str           # "10:00–10:30" in the viewer's zone
    shown_time: str     # what the box shows: the time, or only its start in a lane too narrow for both
    name: str           # the box's accessible name: what it shows, in that order, then the status (and the end)
    status: str
    status_label: str
    top: str            # CSS px inside the day column
    height: str
    lane: int           # side by side with the appointments it overlaps (services/appointments/lanes.py)
    lanes: int
    left: str           # CSS inside the day column, from lane/lanes
    width: str


class DayColumn(TypedDict):
    date: str           # ISO date
    label: str          # "Mon 7 Dec"
    today: bool
    items: list[CalItem]


class ListRow(TypedDict):
    id: str
    day: str            # "Mon 07 Dec 2026"
    time: str
    title: str
    contact: str
    staff_name: str
    status: str
    status_label: str


class HourMark(TypedDict):
    label: str
    top: str


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _span(a: StaffAppointmentView, tz: ZoneInfo) -> tuple[datetime, datetime]:
    return (datetime.fromisoformat(a["starts_at"]).astimezone(tz), datetime.fromisoformat(a["ends_at"]).astimezone(tz))


def lane_box(lane: int, count: int) -> tuple[str, str]:
    """CSS left and width of lane `lane` of `count` in a day column (each 2 px inside its lane)."""
    if count <= 1:
        return "2px", "calc(100% - 4px)"
    return f"calc({lane} * 100% / {count} + 2px)", f"calc(100% / {count} - 4px)"


def week_columns(rows: list[StaffAppointmentView], monday: date, tz: ZoneInfo, today: date,
                 ) -> tuple[list[DayColumn], int, int]:
    """Seven day columns (Monday first) with each appointment placed by its local start and
    length, overlapping ones side by side (lanes.lay_out over the boxes as drawn, so short
    ones at their minimum height do not cover each other either), and the first and last hour
    the grid shows."""
    first, last = FIRST_HOUR, LAST_HOUR
    spans = [(a, *_span(a, tz)) for a in rows]
    for _a, s, e in spans:
        first = min(first, s.hour)
        last = max(last, e.hour + (1 if e.minute else 0) if e.date() == s.date() else 24)
    days: list[DayColumn] = []
    for offset in range(7):
        day = monday + timedelta(days=offset)
        placed: list[tuple[StaffAppointmentView, datetime, datetime, int, int]] = []
        for a, s, e in spans:
            if s.date() != day:
                continue
            end = e if e.date() == day else datetime.combine(day, time(23, 59), tz)
            minutes = (s.hour - first) * 60 + s.minute
            length = max(20, int((end - s).total_seconds() // 60))
            placed.append((a, s, e, minutes, length))
        where = lanes.lay_out([(m, m + length) for _a, _s, _e, m, length in placed])
        items: list[CalItem] = []
        for (a, s, e, minutes, length), (lane, count) in zip(placed, where, strict=True):
            left, width = lane_box(lane, count)
            span = f"{s:%H:%M}\u2013{e:%H:%M}"
            shown = span if count == 1 else f"{s:%H:%M}"
            name = f"{shown}, {a['title']}, {a['with_name']}, {a['status_label']}"
            items.append(CalItem(id=a["id"], title=a["title"], contact=a["with_name"], staff_name=a["staff_name"],
                                 time=span, shown_time=shown, name=name if count == 1 else f"{name}, until {e:%H:%M}",
                                 status=a["status"], status_label=a["status_label"],
                                 top=f"{minutes * HOUR_PX // 60}px", height=f"{length * HOUR_PX // 60}px",
                                 lane=lane, lanes=count, left=left, width=width))
        days.append(DayColumn(date=day.isoformat(), label=f"{day:%a} {day.day} {day:%b}", today=day == today,
                              items=items))
    return days, first, last


def list_rows(rows: list[StaffAppointmentView], tz: ZoneInfo) -> list[ListRow]:
    out: list[ListRow] = []
    for a in rows:
        s, e = _span(a, tz)
        out.append(ListRow(id=a["id"], day=f"{s:%a %d %b %Y}", time=f"{s:%H:%M}\u2013{e:%H:%M}", title=a["title"],
                           contact=a["with_name"], staff_name=a["staff_name"], status=a["status"],
                           status_label=a["status_label"]))
    return out


class CalendarState(AppointmentDialogMixin, BaseState):
    view: str = "week"
    who: str = "all"
    zone: str = ""              # the zone times are shown in
    week_start: str = ""        # ISO date of the Monday shown
    week_label: str = ""
    days: rx.Field[list[DayColumn]] = rx.field(default_factory=list)
    hours: rx.Field[list[HourMark]] = rx.field(default_factory=list)
    grid_height: str = "480px"
    rows: rx.Field[list[ListRow]] = rx.field(default_factory=list)
    more: bool = False          # the window held more than the page shows
    refusal: str = ""
    _me: str = ""               # the viewer's StaffUser public id
    _topic: str = ""

    def _tz(self) -> ZoneInfo:
        return view_zone(self.zone)

    def _monday(self) -> date:
        try:
            return date.fromisoformat(self.week_start)
        except ValueError:
            return monday_of(utcnow().astimezone(self._tz()).date())

    def _refresh(self, db, actor) -> None:
        tz = self._tz()
        if self.who == "mine" and not self._me:
            self._me = availability.my_availability(db, actor)["staff"]
        member = self._me if self.who == "mine" else None
        if self.view == "week":
            monday = self._monday()
            start = datetime.combine(monday, time(0), tz)
            found = appts.staff_appointments(db, actor, start=start, end=start + timedelta(days=7),
                                             staff_member=member)
            days, first, last = week_columns(found, monday, tz, utcnow().astimezone(tz).date())
            sunday = monday + timedelta(days=6)
            self._assign(days=days, week_start=monday.isoformat(), grid_height=f"{(last - first) * HOUR_PX}px",
                         hours=[HourMark(label=f"{h:02d}:00", top=f"{(h - first) * HOUR_PX}px")
                                for h in range(first, last)],
                         week_label=f"{monday:%d %b} \u2013 {sunday:%d %b %Y}", more=len(found) >= appts.LIST_LIMIT)
        else:
            now = utcnow()
            since = now - timedelta(hours=12)   # what is still going on
            found = appts.staff_appointments(db, actor, start=since, end=since + WINDOW_MAX, staff_member=member)
            upcoming = [a for a in found if a["status"] == "scheduled" and datetime.fromisoformat(a["ends_at"]) > now]
            self._assign(rows=list_rows(upcoming, tz), more=len(found) >= appts.LIST_LIMIT)

    def _after_save(self, db, actor) -> None:
        self._refresh(db, actor)

    @rx.event
    async def load(self):
        def work(db, ws, actor):
            mine = availability.my_availability(db, actor)
            self._me, self._topic = mine["staff"], hints.calendar_topic(ws.id)
            if not self.zone:
                self.zone = mine["zone"] or "UTC"
            self._assign(refusal="", week_start=self.week_start or monday_of(
                utcnow().astimezone(self._tz()).date()).isoformat())
            self._dialog_reset()
            self._refresh(db, actor)
            wanted = self._query("new")
            if wanted:  # "New appointment" on a contact record: the dialog opens with the contact
                try:
                    self._dialog_new(db, actor, contact=wanted[:40])
                except NotFound as exc:
                    self._notify(exc.message, "red")

        def refused(exc: ServiceError):
            self.refusal, self.days, self.rows = exc.message, [], []

        result = await self._run(work, on_error=refused)
        if self._outcome == "ok" and self._topic:
            await chat_push.follow(self, self._topic, "on_hint")
        return result

    @rx.event
    async def on_hint(self):
        """Something changed in the workspace's appointments: read the view again."""
        return await self._run(lambda db, ws, actor: self._refresh(db, actor), on_error=lambda exc: None,
                               keep_notice=True)

    async def _calendar_again(self):
        return await self._run(lambda db, ws, actor: self._refresh(db, actor), keep_notice=True)

    @rx.event
    async def set_view(self, value: str):
        self.view = value if value in VIEWS else "week"
        return await self._calendar_again()

    @rx.event
    async def set_who(self, value: str):
        self.who = value if value in WHO else "all"
        return await self._calendar_again()

    @rx.event
    async def set_zone(self, value: str):
        self.zone = view_zone(str(value)[:64]).key
        return await self._calendar_again()

    @rx.event
    async def go_week(self, delta: int):
        try:
            step = max(-52, min(52, int(delta)))
        except (TypeError, ValueError):
            step = 0
        self.week_start = (self._monday() + timedelta(weeks=step)).isoformat()
        return await self._calendar_again()

    @rx.event
    async def this_week(self):
        self.week_start = monday_of(utcnow().astimezone(self._tz()).date()).isoformat()
        return await self._calendar_again()

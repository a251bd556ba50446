"""A staff member's weekly working hours and days off, in their own zone.

Each member sets their own; owners and admins may set anyone's (access.require_edit_availability).
Stored on StaffAvailability as JSON: weekly hours {"0": [["09:00", "17:00"]], …} (0 = Monday,
local wall times, up to limits.WORKING_INTERVALS_PER_DAY intervals a day, not overlapping) and
days off ["2026-12-24", …] (local dates).

`check_bookable` is booking's re-check of one start time, in the booking's transaction: inside
a working interval of its local day (not crossing its end), aligned on the step from that
interval's start, not on a day off, within notice and horizon, and clear of the member's other
appointments widened by the buffer. It is the same rule slots.free_slots applies to a window.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TypedDict
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from portal_app import limits
from portal_app.access import Actor, may_edit_availability, require_edit_availability, require_staff
from portal_app.errors import Invalid, NotFound
from portal_app.models import StaffAvailability, StaffUser, utcnow
from portal_app.services.appointments import claims
from portal_app.services.appointments.times import clean_zone, parse_day, parse_hhmm

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
Intervals = dict[int, list[tuple[time, time]]]


class AvailabilityView(TypedDict):
    staff: str                            # the member's public id
    name: str
    zone: str
    days: dict[str, list[list[str]]]      # "0".."6" -> [["09:00", "17:00"], …]
    days_off: list[str]
    editable: bool


@dataclass(frozen=True)
class Hours:
    """What a stored row says, parsed (the shape of slots.WeeklyHours)."""
    zone: str
    days: Intervals
    days_off: frozenset[date]


def _member(db: Session, workspace_id: int, staff_public_id: str) -> StaffUser:
    member = db.exec(select(StaffUser).where(StaffUser.workspace_id == workspace_id,
                                             StaffUser.public_id == str(staff_public_id or "")[:40])).first()
    if member is None:
        raise NotFound("This team member does not exist.")
    return member


def clean_days(days: object) -> Intervals:
    if not isinstance(days, dict):
        raise Invalid("Working hours are a list of times per weekday.", "days")
    out: Intervals = {}
    for key, intervals in days.items():
        try:
            weekday = int(key)
        except (TypeError, ValueError):
            raise Invalid("Working hours are given per weekday (0 = Monday … 6 = Sunday).", "days") from None
        if not 0 <= weekday <= 6:
            raise Invalid("Working hours are given per weekday (0 = Monday … 6 = Sunday).", "days")
        if not isinstance(intervals, (list, tuple)) or len(intervals) > limits.WORKING_INTERVALS_PER_DAY:
            raise Invalid(f"{WEEKDAYS[weekday]}: at most {limits.WORKING_INTERVALS_PER_DAY} blocks of hours.",
                          "days")
        parsed: list[tuple[time, time]] = []
        for pair in intervals:
            if not isinstance(pair, (list, tuple)) or len(pair) != 2:
                raise Invalid(f"{WEEKDAYS[weekday]}: each block has a start and an end.", "days")
            start, end = parse_hhmm(pair[0], "days"), parse_hhmm(pair[1], "days")
            if end <= start:
                raise Invalid(f"{WEEKDAYS[weekday]}: a block must end after it starts "
                              f"({start:%H:%M}\u2013{end:%H:%M}).", "days")
            parsed.append((start, end))
        parsed.sort()
        for (_s1, e1), (s2, _e2) in zip(parsed, parsed[1:], strict=False):
            if s2 < e1:
                raise Invalid(f"{WEEKDAYS[weekday]}: two blocks of hours overlap.", "days")
        if parsed:
            out[weekday] = parsed
    return out


def clean_days_off(days_off: object) -> list[date]:
    if not isinstance(days_off, (list, tuple, set, frozenset)):
        raise Invalid("Days off are a list of dates.", "days_off")
    if len(days_off) > limits.DAYS_OFF:
        raise Invalid(f"At most {limits.DAYS_OFF} days off can be listed.", "days_off")
    return sorted({parse_day(d, "days_off") for d in days_off})


def hours_of(row: StaffAvailability) -> Hours:
    raw = json.loads(row.weekly_hours or "{}")
    days = {int(k): [(time.fromisoformat(a), time.fromisoformat(b)) for a, b in v] for k, v in raw.items()}
    off = frozenset(date.fromisoformat(d) for d in json.loads(row.days_off or "[]"))
    return Hours(row.zone, days, off)


def _view(member: StaffUser, row: StaffAvailability | None, editable: bool) -> AvailabilityView:
    if row is None:
        return AvailabilityView(staff=member.public_id, name=member.name, zone="UTC", days={}, days_off=[],
                                editable=editable)
    hours = hours_of(row)
    return AvailabilityView(staff=member.public_id, name=member.name, zone=hours.zone,
                            days={str(k): [[f"{a:%H:%M}", f"{b:%H:%M}"] for a, b in v]
                                  for k, v in sorted(hours.days.items())},
                            days_off=[d.isoformat() for d in sorted(hours.days_off)], editable=editable)


def get_availability(db: Session, actor: Actor, staff_public_id: str) -> AvailabilityView:
    """A member's hours, for any staff member of the workspace (booking needs to know them)."""
    staff = require_staff(actor)
    member = _member(db, staff.workspace_id, staff_public_id)
    row = db.exec(select(StaffAvailability).where(StaffAvailability.staff_id == member.id)).first()
    return _view(member, row, may_edit_availability(staff, member.id))


def set_availability(db: Session, actor: Actor, staff_public_id: str, *, zone: object, days: object,
                     days_off: object = ()) -> AvailabilityView:
    """Saves a member's weekly hours and days off (their own; owners and admins: anyone's)."""
    staff = require_staff(actor)
    member = _member(db, staff.workspace_id, staff_public_id)
    require_edit_availability(staff, member.id)
    zone_name = clean_zone(zone)
    intervals = clean_days(days)
    off = clean_days_off(days_off)
    row = claims.lock_staff(db, member.id)
    if row is None:
        row = StaffAvailability(workspace_id=member.workspace_id, staff_id=member.id)
    row.zone = zone_name
    row.weekly_hours = json.dumps({str(k): [[f"{a:%H:%M}", f"{b:%H:%M}"] for a, b in v]
                                   for k, v in sorted(intervals.items())})
    row.days_off = json.dumps([d.isoformat() for d in off])
    row.updated_at = utcnow()
    db.add(row)
    db.flush()
    return _view(member, row, True)


# --- booking's re-check ----------------------------------------------------------------------

@dataclass(frozen=True)
class Rules:
    """A booking type's rules (the shape of slots.BookingRules)."""
    duration: timedelta
    buffer: timedelta = timedelta(0)
    min_notice: timedelta = timedelta(0)
    horizon: timedelta = timedelta(days=60)
    step: timedelta | None = None


def _in_hours(hours: Hours, start: datetime, end: datetime, step: timedelta) -> bool:
    tz = ZoneInfo(hours.zone)
    wall = start.astimezone(tz)
    day = wall.date()
    if day in hours.days_off:
        return False
    for a, b in hours.days.get(day.weekday(), []):
        open_at = datetime.combine(day, a, tz)
        close_at = datetime.combine(day, b, tz)
        if open_at <= start and end <= close_at:
            offset = wall.replace(tzinfo=None) - datetime.combine(day, a)
            return offset % step == timedelta(0)
    return False


def check_bookable(db: Session, row: StaffAvailability | None, staff_id: int, rules: Rules, start: datetime,
                   now: datetime, *, except_id: int | None = None, taken: str = claims.TAKEN) -> datetime:
    """The end of a booking starting at `start`, or Invalid: outside the member's hours, too soon,
    too far ahead, or no longer free (`taken`). Call under claims.lock_staff."""
    if row is None:
        raise Invalid("Online booking is not available for this person yet.", "starts_at")
    end = start + rules.duration
    if start < now + rules.min_notice:
        raise Invalid("That time is too soon to book. Please pick a later one.", "starts_at")
    if start > now + rules.horizon:
        raise Invalid("That time is too far ahead to book. Please pick an earlier one.", "starts_at")
    if not _in_hours(hours_of(row), start, end, rules.step or rules.duration):
        raise Invalid("That time is not one of the times offered. Please pick another one.", "starts_at")
    if claims.busy(db, staff_id, start - rules.buffer, end + rules.buffer, except_id=except_id):
        raise Invalid(taken, "starts_at")
    return end


def my_availability(db: Session, actor: Actor) -> AvailabilityView:
    """The signed-in staff member's own hours (their calendar's zone; the settings page)."""
    staff = require_staff(actor)
    member = db.get_one(StaffUser, staff.user_id)
    row = db.exec(select(StaffAvailability).where(StaffAvailability.staff_id == member.id)).first()
    return _view(member, row, True)

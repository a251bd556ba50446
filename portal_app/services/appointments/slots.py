"""Free slots: where a booking of a given type fits in one staff member's week.

Pure: no database. Working hours are local wall times in the staff member's own zone; every
instant going in and out is timezone-aware (results in UTC). The busy intervals are sorted and
merged once, then each candidate is checked with a binary search, and a candidate that hits a
busy interval jumps straight past it on the step grid: the cost grows with the number of
working intervals and busy intervals, not with minutes.

DST: a working interval is laid out on its local day in wall time (09:00 is 09:00 local on both
sides of a change). A wall time that does not exist (spring forward) offers no slot; an
ambiguous one (fall back) is its first occurrence (fold=0), offered once. A slot never runs
past the end of its working interval in elapsed time.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_MAX_STEP_LIMIT = timedelta(days=1)


def load_zone(name: str) -> ZoneInfo:
    """The IANA zone `name`, or ValueError saying it is unknown."""
    if not isinstance(name, str) or not name.strip() or len(name) > 64:
        raise ValueError(f"Unknown time zone: {name!r}.")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError(f"Unknown time zone: {name!r} (expected an IANA name such as 'Europe/Berlin').") from exc


def require_aware(value: datetime, what: str) -> datetime:
    """`value` converted to UTC; ValueError if it is naive (or not a datetime)."""
    if not isinstance(value, datetime):
        raise ValueError(f"{what} must be a datetime, not {type(value).__name__}.")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware (got a naive datetime {value.isoformat()}).")
    return value.astimezone(UTC)


@dataclass(frozen=True)
class WeeklyHours:
    """One staff member's working hours, in THEIR zone."""

    zone: str  # IANA name, e.g. "Europe/Berlin"
    days: dict[int, list[tuple[time, time]]]  # weekday (0=Mon..6=Sun) -> [(start, end)] local wall times
    days_off: frozenset[date] = frozenset()  # local dates with no availability at all

    def __post_init__(self) -> None:
        load_zone(self.zone)
        if not isinstance(self.days, dict):
            raise ValueError("Working hours must map weekdays (0 = Monday … 6 = Sunday) to intervals.")
        for weekday, intervals in self.days.items():
            if not isinstance(weekday, int) or isinstance(weekday, bool) or not 0 <= weekday <= 6:
                raise ValueError(f"Unknown weekday {weekday!r} (expected 0 = Monday … 6 = Sunday).")
            for interval in intervals:
                if len(interval) != 2:
                    raise ValueError("A working interval is a (start, end) pair of times.")
                start, end = interval
                if not isinstance(start, time) or not isinstance(end, time):
                    raise ValueError("A working interval is a (start, end) pair of times.")
                if start.tzinfo is not None or end.tzinfo is not None:
                    raise ValueError("Working hours are local wall times: give them without a time zone.")
                if end <= start:
                    raise ValueError(f"A working interval must end after it starts ({start:%H:%M}–{end:%H:%M}).")
        for day in self.days_off:
            if not isinstance(day, date) or isinstance(day, datetime):
                raise ValueError(f"A day off must be a date, not {day!r}.")


@dataclass(frozen=True)
class BookingRules:
    duration: timedelta
    buffer: timedelta = timedelta(0)  # free time required before AND after each appointment
    min_notice: timedelta = timedelta(0)  # earliest start = now + min_notice
    horizon: timedelta = timedelta(days=60)  # latest start = now + horizon
    step: timedelta | None = None  # slot grid; None = duration (a 30-min type offers :00 and :30)

    def __post_init__(self) -> None:
        if self.duration <= timedelta(0):
            raise ValueError("The duration must be positive.")
        for name in ("buffer", "min_notice", "horizon"):
            if getattr(self, name) < timedelta(0):
                raise ValueError(f"The {name.replace('_', ' ')} cannot be negative.")
        if self.step is not None and not timedelta(minutes=1) <= self.step <= _MAX_STEP_LIMIT:
            raise ValueError("The slot step must be between one minute and one day.")
        if self.duration > _MAX_STEP_LIMIT:
            raise ValueError("The duration cannot exceed one day.")

    @property
    def grid(self) -> timedelta:
        return self.step if self.step is not None else self.duration


class _Busy:
    """Busy intervals widened by the buffer, sorted and merged (disjoint, ascending)."""

    def __init__(self, busy: list[tuple[datetime, datetime]], buffer: timedelta) -> None:
        spans: list[tuple[datetime, datetime]] = []
        for i, pair in enumerate(busy):
            start = require_aware(pair[0], f"busy[{i}] start")
            end = require_aware(pair[1], f"busy[{i}] end")
            if end < start:
                raise ValueError(f"busy[{i}] ends before it starts.")
            spans.append((start - buffer, end + buffer))
        spans.sort()
        self.starts: list[datetime] = []
        self.ends: list[datetime] = []
        for start, end in spans:
            if self.ends and start <= self.ends[-1]:
                # touching or overlapping: one interval (a slot inside the seam would overlap one of them)
                if end > self.ends[-1]:
                    self.ends[-1] = end
                continue
            self.starts.append(start)
            self.ends.append(end)

    def blocker(self, start: datetime, end: datetime) -> datetime | None:
        """The end of the busy interval that [start, end) overlaps, or None when it is free.
        Touching edges do not overlap."""
        i = bisect_right(self.ends, start)  # first interval ending after `start`
        if i < len(self.starts) and self.starts[i] < end:
            return self.ends[i]
        return None


def _to_utc(wall: datetime, zone: tzinfo, fold: int = 0) -> datetime:
    return wall.replace(tzinfo=zone, fold=fold).astimezone(UTC)


def _exists(wall: datetime, zone: tzinfo) -> bool:
    """False for a wall time skipped by a spring-forward change."""
    return _to_utc(wall, zone).astimezone(zone).replace(tzinfo=None) == wall


def _ceil_steps(delta: timedelta, step: timedelta) -> int:
    return -((-delta) // step)


def free_slots(hours: WeeklyHours, busy: list[tuple[datetime, datetime]], rules: BookingRules, *,
               now: datetime, window_start: datetime, window_end: datetime) -> list[datetime]:
    """Start times (aware, UTC) of free slots in [window_start, window_end): inside working hours on
    their local day (a slot may not cross the end of a working interval), not on a day off, not
    overlapping any busy interval (UTC, aware) widened by `buffer` on both sides, start >= now +
    min_notice, start <= now + horizon. Slots are aligned on the step from the start of each working
    interval (local wall time). DST: wall times that do not exist (spring forward) are skipped;
    ambiguous ones (fall back) use the first occurrence (fold=0). Sorted, no duplicates."""
    now_utc = require_aware(now, "now")
    lower = max(require_aware(window_start, "window_start"), now_utc + rules.min_notice)
    end_exclusive = require_aware(window_end, "window_end")
    try:
        horizon_end = now_utc + rules.horizon
    except OverflowError:
        horizon_end = datetime.max.replace(tzinfo=UTC)
    if lower >= end_exclusive or lower > horizon_end:
        return []
    zone = load_zone(hours.zone)
    blocked = _Busy(busy, rules.buffer)
    step, duration = rules.grid, rules.duration

    found: set[datetime] = set()
    bounds = _Bounds(lower, end_exclusive, horizon_end)
    # local days that may hold a slot starting in [lower, min(end, horizon)]; one spare day each side
    day = lower.astimezone(zone).date() - timedelta(days=1)
    last_day = min(end_exclusive, horizon_end).astimezone(zone).date() + timedelta(days=1)
    while day <= last_day:
        intervals = hours.days.get(day.weekday()) if day not in hours.days_off else None
        for start_t, end_t in intervals or ():
            wall_start = datetime.combine(day, start_t)
            wall_end = datetime.combine(day, end_t)
            s0 = _to_utc(wall_start, zone)
            # the interval's end instant; if that wall time is skipped or repeated, the earlier one
            e0 = min(_to_utc(wall_end, zone, 0), _to_utc(wall_end, zone, 1))
            if s0 + duration > e0:
                continue
            if _exists(wall_start, zone) and \
                    wall_start.replace(tzinfo=zone).utcoffset() == e0.astimezone(zone).utcoffset():
                _walk_constant(s0, e0, step, duration, bounds, blocked, found)
            else:
                _walk_wall(wall_start, wall_end, e0, zone, step, duration, bounds, blocked, found)
        day += timedelta(days=1)
    return sorted(found)


@dataclass(frozen=True)
class _Bounds:
    lower: datetime  # max(window_start, now + min_notice), inclusive
    end: datetime  # window_end, exclusive
    horizon: datetime  # now + horizon, inclusive

    def too_late(self, start: datetime) -> bool:
        return start >= self.end or start > self.horizon


def _walk_constant(s0: datetime, e0: datetime, step: timedelta, duration: timedelta, bounds: _Bounds,
                   blocked: _Busy, found: set[datetime]) -> None:
    """A working interval with one UTC offset throughout: the grid is plain UTC arithmetic, so a
    candidate before the lower bound or inside a busy interval jumps ahead in one go."""
    k = _ceil_steps(bounds.lower - s0, step) if bounds.lower > s0 else 0
    while True:
        start = s0 + k * step
        end = start + duration
        if end > e0 or bounds.too_late(start):
            return
        blocker = blocked.blocker(start, end)
        if blocker is None:
            found.add(start)
            k += 1
        else:  # the first grid start at or after the blocker's end
            k = max(k + 1, _ceil_steps(blocker - s0, step))


def _walk_wall(wall_start: datetime, wall_end: datetime, e0: datetime, zone: tzinfo, step: timedelta,
               duration: timedelta, bounds: _Bounds, blocked: _Busy, found: set[datetime]) -> None:
    """A working interval a DST change runs through: each grid point is a local wall time,
    converted one by one (nonexistent ones skipped, ambiguous ones at fold=0)."""
    wall = wall_start
    while wall < wall_end:
        if _exists(wall, zone):
            start = _to_utc(wall, zone)
            end = start + duration
            if end <= e0 and start >= bounds.lower and not bounds.too_late(start) \
                    and blocked.blocker(start, end) is None:
                found.add(start)
        wall += step

"""Zones and local times as people type them, checked with zoneinfo; messages for humans."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from portal_app import limits
from portal_app.errors import Invalid

GRID_MINUTES = limits.APPOINTMENT_GRID_MINUTES


def clean_zone(value: object, field: str = "zone") -> str:
    """An IANA zone name ("Europe/Berlin"), or Invalid."""
    text = str(value or "").strip()
    if not text:
        raise Invalid("Choose a time zone.", field)
    if len(text) > limits.TIME_ZONE or text.startswith(("/", ".")) or ".." in text:
        raise Invalid(f"{text[:64]!r} is not a time zone we know.", field)
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise Invalid(f"{text!r} is not a time zone we know (try e.g. Europe/Berlin).", field) from None
    if text not in _known():
        raise Invalid(f"{text!r} is not a time zone we know (try e.g. Europe/Berlin).", field)
    return text


_KNOWN: set[str] = set()


def _known() -> set[str]:
    if not _KNOWN:
        _KNOWN.update(available_timezones())
        _KNOWN.add("UTC")
    return _KNOWN


def view_zone(value: object) -> ZoneInfo:
    """The zone a reader asked to see times in (a browser's guess): UTC when it is not one we know."""
    try:
        return ZoneInfo(clean_zone(value))
    except Invalid:
        return ZoneInfo("UTC")


def local_to_utc(value: object, zone: str, field: str, label: str) -> datetime:
    """A wall time in `zone` ("2026-12-08T10:00", a naive datetime) or an aware datetime, as UTC.
    A wall time that does not exist (the hour clocks skip in spring) is refused; an ambiguous one
    (the hour repeated in autumn) is the first of the two."""
    if isinstance(value, datetime):
        wall = value
    else:
        text = str(value or "").strip()
        if not text:
            raise Invalid(f"{label} is required.", field)
        try:
            wall = datetime.fromisoformat(text)
        except ValueError:
            raise Invalid(f"{label} must be a date and time like 2026-12-08 10:00.", field) from None
    if wall.tzinfo is not None:
        return wall.astimezone(UTC)
    tz = ZoneInfo(zone)
    aware = wall.replace(tzinfo=tz, fold=0)
    back = aware.astimezone(UTC).astimezone(tz)
    if back.replace(tzinfo=None) != wall:
        raise Invalid(f"{wall:%d %b %Y %H:%M} does not exist in {zone} (the clocks skip that hour).", field)
    return aware.astimezone(UTC)


def on_grid(at: datetime) -> bool:
    return at.second == 0 and at.microsecond == 0 and at.minute % GRID_MINUTES == 0


def check_times(start: datetime, end: datetime) -> None:
    """End after start, on 5-minute marks, at most limits.APPOINTMENT_MAX_HOURS long."""
    if end <= start:
        raise Invalid("The end must be after the start.", "ends_at")
    if not (on_grid(start) and on_grid(end)):
        raise Invalid(f"Times go in steps of {GRID_MINUTES} minutes (10:00, 10:05, …).", "starts_at")
    if end - start > timedelta(hours=limits.APPOINTMENT_MAX_HOURS):
        raise Invalid(f"An appointment can be at most {limits.APPOINTMENT_MAX_HOURS} hours long.", "ends_at")


def clean_minutes(value: object, field: str, label: str, low: int, high: int, *, step: int = 1,
                  unit: str = "minutes") -> int:
    """A whole number typed as text, low..high, a multiple of `step` (in `unit`)."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise Invalid(f"{label} must be a whole number of {unit}.", field) from None
    if not low <= number <= high:
        raise Invalid(f"{label} must be between {low} and {high} {unit}.", field)
    if number % step:
        raise Invalid(f"{label} goes in steps of {step} {unit}.", field)
    return number


def parse_hhmm(value: object, field: str) -> time:
    text = str(value or "").strip()
    try:
        parsed = time.fromisoformat(text)
    except ValueError:
        raise Invalid(f"{text[:10]!r} is not a time like 09:00.", field) from None
    if parsed.second or parsed.microsecond or parsed.tzinfo is not None or parsed.minute % GRID_MINUTES:
        raise Invalid(f"Working hours go in steps of {GRID_MINUTES} minutes (09:00, 09:05, …).", field)
    return parsed


def parse_day(value: object, field: str) -> date:
    text = str(value or "").strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Invalid(f"{text[:12]!r} is not a date like 2026-12-24.", field) from None


def when_text(start: datetime, end: datetime, zone: ZoneInfo | str) -> str:
    """"Tue 08 Dec 2026, 10:00–10:30 (Europe/Berlin)" in the reader's zone."""
    tz = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
    s, e = start.astimezone(tz), end.astimezone(tz)
    tail = f"{e:%H:%M}" if s.date() == e.date() else f"{e:%a %d %b %Y, %H:%M}"
    return f"{s:%a %d %b %Y, %H:%M}\u2013{tail} ({tz.key})"

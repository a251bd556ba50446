"""iCalendar (RFC 5545 / 5546) for appointments, written with `icalendar`: the invitation sent
with a booking, its change or its cancellation (one VEVENT, METHOD REQUEST or CANCEL), and the
private subscription feed (every event, no METHOD, X-WR-CALNAME).

Pure: no database. Start and end are written in the zone the appointment was made in
(DTSTART;TZID=…) with a VTIMEZONE for that zone covering the events' years, so a calendar shows
the same wall time the person booked. The UID is stable per appointment and SEQUENCE grows with
every change: a calendar replaces the older copy instead of adding a second one. Text is escaped
by icalendar (commas, semicolons, backslashes, newlines) and cut to sane lengths; control
characters other than newline and tab are dropped. The portal takes no iMIP replies, so
attendees are written with RSVP=FALSE.

The calendar is the business's: its PRODID names the workspace's business
(`-//<business>//Appointments//EN`, RFC 5545's formal identifier shape, the name sanitised by
`prodid`), not the software that wrote it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from icalendar import Calendar, Event, Timezone, vCalAddress, vText

from portal_app.services.appointments.slots import load_zone, require_aware

PRODID_FORMAT = "-//{owner}//Appointments//EN"  # RFC 5545 §3.7.3: owner, product, language
PRODID_OWNER_FALLBACK = "Portal"  # a business whose name has nothing left once sanitised
MAX_PRODID_OWNER = 80
METHODS = ("REQUEST", "CANCEL")
MAX_SUMMARY = 1_000
MAX_DESCRIPTION = 10_000
MAX_LOCATION = 1_000
MAX_URL = 2_000
MAX_NAME = 200
MAX_UID = 255

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# what would break PRODID's //-separated shape or need TEXT escaping, and every control character
_NOT_IN_PRODID = re.compile(r"[/\\,;:\"\x00-\x1f\x7f-\x9f]")
_EMAIL = re.compile(r"^[^@\s<>\"(),;:\\]+@[^@\s<>\"(),;:\\]+$")


@dataclass(frozen=True)
class IcsEvent:
    uid: str  # stable per appointment: f"{public_id}@{host}"
    sequence: int  # increases on every change
    start: datetime  # aware UTC
    end: datetime  # aware UTC
    zone: str  # IANA zone the appointment was made in: DTSTART/DTEND written with TZID + VTIMEZONE
    summary: str
    description: str = ""
    location: str = ""  # a place or a meeting link
    url: str = ""  # link back into the portal
    organizer_email: str = ""
    organizer_name: str = ""
    attendee_email: str = ""
    attendee_name: str = ""
    cancelled: bool = False  # STATUS:CANCELLED
    stamp: datetime | None = None  # DTSTAMP (aware); callers pass their clock's now


def _text(value: str, limit: int) -> str:
    """Newlines normalised to \\n, control characters dropped, cut to `limit` characters."""
    value = _CONTROL.sub("", (value or "").replace("\r\n", "\n").replace("\r", "\n"))
    return value[:limit]


def _address(email: str, name: str, what: str) -> vCalAddress:
    email = (email or "").strip()
    if len(email) > 254 or not _EMAIL.match(email):
        raise ValueError(f"The {what} email address is not valid: {email[:80]!r}.")
    address = vCalAddress(f"mailto:{email}")
    cn = " ".join(_text(name, MAX_NAME).split())
    if cn:
        address.params["CN"] = vText(cn)
    return address


def _vevent(event: IcsEvent, *, stamp: datetime | None, method: str | None) -> tuple[Event, date, date]:
    """The VEVENT of `event` and the local dates it spans (for its VTIMEZONE's range)."""
    uid = (event.uid or "").strip()
    if not uid or len(uid) > MAX_UID or _CONTROL.search(uid) or "\n" in uid:
        raise ValueError(f"The event UID is missing or not valid: {uid[:80]!r}.")
    if not isinstance(event.sequence, int) or isinstance(event.sequence, bool) or event.sequence < 0:
        raise ValueError("The event SEQUENCE must be a non-negative integer.")
    start = require_aware(event.start, "The event start")
    end = require_aware(event.end, "The event end")
    if end <= start:
        raise ValueError("The event must end after it starts.")
    the_stamp = event.stamp if event.stamp is not None else stamp
    if the_stamp is None:
        raise ValueError("The event needs a DTSTAMP (pass the clock's now).")
    zone = load_zone(event.zone)
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)

    vevent = Event()
    vevent.add("uid", uid)
    vevent.add("sequence", event.sequence)
    vevent.add("dtstamp", require_aware(the_stamp, "The event stamp"))
    vevent.add("dtstart", local_start)
    vevent.add("dtend", local_end)
    vevent.add("summary", _text(event.summary, MAX_SUMMARY).strip() or "Appointment")
    if event.description:
        vevent.add("description", _text(event.description, MAX_DESCRIPTION))
    if event.location:
        vevent.add("location", _text(event.location, MAX_LOCATION))
    if event.url:
        url = event.url.strip()
        if len(url) > MAX_URL or not url.startswith(("https://", "http://")) or _CONTROL.search(url) \
                or any(c.isspace() for c in url):
            raise ValueError("The event URL must be an http(s) address.")
        vevent.add("url", url)
    cancelled = event.cancelled or method == "CANCEL"
    vevent.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    vevent.add("transp", "TRANSPARENT" if cancelled else "OPAQUE")
    if event.organizer_email:
        vevent.add("organizer", _address(event.organizer_email, event.organizer_name, "organizer"))
    if event.attendee_email:
        attendee = _address(event.attendee_email, event.attendee_name, "attendee")
        attendee.params["ROLE"] = "REQ-PARTICIPANT"
        attendee.params["PARTSTAT"] = "ACCEPTED" if not cancelled else "DECLINED"
        attendee.params["RSVP"] = "FALSE"
        vevent.add("attendee", attendee)
    return vevent, local_start.date(), local_end.date()


def prodid(business: str) -> str:
    """The PRODID of a calendar of `business`: `-//<business>//Appointments//EN`, the name with
    slashes, backslashes, commas, semicolons, colons, quotes and control characters turned to
    spaces, spaces collapsed, cut to MAX_PRODID_OWNER characters ("Portal" if nothing is left)."""
    owner = " ".join(_NOT_IN_PRODID.sub(" ", business or "").split())[:MAX_PRODID_OWNER].strip()
    return PRODID_FORMAT.format(owner=owner or PRODID_OWNER_FALLBACK)


def _calendar(method: str | None, business: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", prodid(business))
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    return calendar


@lru_cache(maxsize=128)
def _vtimezone(tzid: str, first_year: int, last_year: int) -> Timezone:
    """The VTIMEZONE of `tzid` with its transitions from the year before the first event to
    the year after the last one (a component shared read-only by every calendar written)."""
    return Timezone.from_tzid(tzid, first_date=date(max(first_year - 1, 1), 1, 1),
                              last_date=date(min(last_year + 1, 9999), 12, 31))


class _Zones:
    """The TZIDs the events were written with and the years they span."""

    def __init__(self) -> None:
        self.years: dict[str, tuple[int, int]] = {}

    def note(self, vevent: Event, first: date, last: date) -> None:
        tzid = vevent["dtstart"].params.get("TZID")
        if tzid and tzid != "UTC":
            low, high = self.years.get(tzid, (first.year, last.year))
            self.years[tzid] = (min(low, first.year), max(high, last.year))

    def finish(self, calendar: Calendar) -> bytes:
        """`calendar` as bytes, a VTIMEZONE for every TZID first (RFC 5545 wants them before use)."""
        calendar.subcomponents[:0] = [_vtimezone(tzid, *self.years[tzid]) for tzid in sorted(self.years)]
        data: bytes = calendar.to_ical()
        return data


def invitation(event: IcsEvent, *, method: str = "REQUEST", business: str = "") -> bytes:
    """An iTIP message with one VEVENT: METHOD:REQUEST for a new or changed appointment,
    METHOD:CANCEL (STATUS:CANCELLED) for a cancelled one. Needs `event.stamp`; `business`
    (the workspace's name) is named in PRODID."""
    if method not in METHODS:
        raise ValueError(f"The method must be one of {', '.join(METHODS)}.")
    if event.stamp is None:
        raise ValueError("An invitation needs a DTSTAMP (pass the clock's now as event.stamp).")
    calendar, zones = _calendar(method, business), _Zones()
    vevent, first, last = _vevent(event, stamp=None, method=method)
    calendar.add_component(vevent)
    zones.note(vevent, first, last)
    return zones.finish(calendar)


def feed(events: list[IcsEvent], *, name: str, stamp: datetime, business: str = "") -> bytes:
    """A subscription calendar (no METHOD) with every event, named `name` (X-WR-CALNAME), of
    `business` (PRODID); an event without its own stamp gets `stamp`."""
    stamp_utc = require_aware(stamp, "The feed stamp").astimezone(UTC)
    calendar = _calendar(None, business)
    calendar.add("x-wr-calname", " ".join(_text(name, MAX_NAME).split()) or "Appointments")
    calendar.add("x-published-ttl", "PT1H")
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    zones = _Zones()
    for event in events:
        vevent, first, last = _vevent(event, stamp=stamp_utc, method=None)
        calendar.add_component(vevent)
        zones.note(vevent, first, last)
    return zones.finish(calendar)

"""What the client's Appointments pages need beyond the list and the booking itself: the zone
they see times in (Contact.time_zone: reported by their browser on the first visit, changed in
Profile), their own appointment as an .ics file ("Add to calendar"), and their private feed's
URLs (`feeds.reset_feed` makes the token; `feeds.feed_url` the address).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import available_timezones

from sqlmodel import Session, select

from portal_app.access import Actor, require_client, require_own_contact
from portal_app.errors import Invalid, NotFound
from portal_app.models import Contact, Workspace, utcnow
from portal_app.services.appointments import appointments as appts
from portal_app.services.appointments import feeds, ics, invitations
from portal_app.services.appointments.times import clean_zone


def require_section(db: Session, actor: Actor) -> int:
    """The client's Appointments section is open to this actor (signed in as a client, the
    section on): their workspace's cut-off in hours. Staff: Forbidden; signed out: NotSignedIn."""
    require_client(actor)
    return appts.client_and_cutoff(db, actor)[1]


def zone_choices() -> list[str]:
    """Every zone a person may choose in Profile, sorted (UTC first)."""
    return ["UTC", *sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))]


def _own_contact(db: Session, actor: Actor) -> Contact:
    client = require_client(actor)
    contact = db.get(Contact, client.contact_id)
    if contact is None:
        raise NotFound()
    require_own_contact(actor, contact.id, contact.workspace_id)
    return contact


def client_zone(db: Session, actor: Actor) -> str:
    """The zone the signed-in client sees times in ("" while nobody knows it)."""
    return _own_contact(db, actor).time_zone


def set_client_zone(db: Session, actor: Actor, zone: object, *, detected: bool = False) -> str:
    """Stores the client's zone and returns it. `detected`: their browser's report on a visit,
    kept only while no zone is known (a choice made in Profile is never overwritten) and ignored
    when it is not a zone we know (returns what is stored). Otherwise the Profile's choice:
    Invalid(field "time_zone") for anything but a known zone."""
    contact = _own_contact(db, actor)
    if detected:
        if contact.time_zone:
            return contact.time_zone
        try:
            name = clean_zone(zone, "time_zone")
        except Invalid:
            return ""
    else:
        name = clean_zone(zone, "time_zone")
    if name != contact.time_zone:
        contact.time_zone = name
        db.add(contact)
        db.flush()
    return name


@dataclass(frozen=True)
class IcsFile:
    filename: str
    data: bytes


def appointment_ics(db: Session, actor: Actor, public_id: object, *, now: datetime | None = None) -> IcsFile:
    """The client's own appointment as an iTIP invitation (METHOD:REQUEST; a cancelled one:
    METHOD:CANCEL), the client's copy their emails carry (invitations.ics_event: the same UID
    and SEQUENCE), so the calendar keeps one copy.
    Anyone else's appointment, or the section off: not found."""
    client, a, _cutoff = appts.client_appointment(db, actor, public_id)
    ws = db.get_one(Workspace, client.workspace_id)
    event = invitations.ics_event(ws, a, stamp=now or utcnow())
    data = ics.invitation(event, method="REQUEST" if a.is_scheduled else "CANCEL", business=ws.name)
    return IcsFile(filename=f"appointment-{a.starts_at:%Y-%m-%d}.ics", data=data)


FeedLinks = feeds.FeedLinks


def new_feed_links(db: Session, actor: Actor) -> FeedLinks:
    """A new private feed for the client (earlier links stop at once): its two addresses."""
    require_client(actor)
    appts.client_and_cutoff(db, actor)
    return feeds.new_feed_links(db, actor)


def reschedule_slots(db: Session, actor: Actor, public_id: object, window_start: datetime, window_end: datetime,
                     now: datetime) -> list[datetime]:
    """Free start times (UTC) the client may move their appointment to in [window_start,
    window_end): the same length, the same staff member's hours and buffer, at least the cut-off
    from now (what `booking.client_reschedule` accepts). Nothing once the cut-off has passed."""
    from datetime import timedelta

    from portal_app.models import BookingType, StaffAvailability
    from portal_app.services.appointments import availability, booking, claims, free, slots

    _client, a, cutoff = appts.client_appointment(db, actor, public_id)
    if window_start.tzinfo is None or window_end.tzinfo is None or now.tzinfo is None:
        raise Invalid("Times must carry their zone.")
    if window_end <= window_start or window_end - window_start > free.WINDOW_MAX:
        raise Invalid("Choose a period of at most a month.")
    if not a.is_scheduled or now + timedelta(hours=cutoff) > a.starts_at:
        return []
    row = db.exec(select(StaffAvailability).where(StaffAvailability.staff_id == a.staff_id)).first()
    if row is None:
        return []
    bt = db.get(BookingType, a.booking_type_id) if a.booking_type_id else None
    base = booking.rules_of(bt) if bt is not None else availability.Rules(duration=a.ends_at - a.starts_at)
    duration = a.ends_at - a.starts_at
    hours = availability.hours_of(row)
    busy = claims.busy(db, a.staff_id, window_start - base.buffer - duration, window_end + base.buffer + duration,
                       except_id=a.id)
    rules = slots.BookingRules(duration=duration, buffer=base.buffer,
                               min_notice=max(base.min_notice, timedelta(hours=cutoff)), horizon=base.horizon)
    return [s for s in slots.free_slots(slots.WeeklyHours(zone=hours.zone, days=hours.days, days_off=hours.days_off),
                                        busy, rules, now=now, window_start=window_start, window_end=window_end)
            if s != a.starts_at]

"""Booking types, and clients booking (and moving) an appointment in a free slot.

Booking types ("30-min check-in") belong to one staff member of the workspace: duration, buffer
(free time kept before and after), minimum notice, how far ahead; any staff member keeps them
(access.require_manage_appointments). Clients list the active ones and book a start time.

Booking is race-safe twice over: the transaction first takes the staff member's lock
(claims.lock_staff: SQLite's writer lock, PostgreSQL's row lock on their availability) and
re-checks the start time against their hours and their other appointments widened by the buffer
(availability.check_bookable); then the appointment claims its 5-minute cells under a unique
constraint (claims.claim). Two clients racing for one slot: the second waits for the first to
commit, re-checks, and is told "That time was just taken. Please pick another one." — and if a
writer ever skipped the lock, the unique constraint still refuses the overlap.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TypedDict

from sqlmodel import Session, col, select

from portal_app import limits
from portal_app.access import Actor, Client, require_manage_appointments
from portal_app.errors import Invalid, NotFound
from portal_app.models import Appointment, BookingType, StaffUser, utcnow
from portal_app.services.appointments import appointments as appts
from portal_app.services.appointments import availability, claims
from portal_app.services.appointments.times import GRID_MINUTES, clean_minutes, clean_zone
from portal_app.services.validation import clean_text

TYPES_LIMIT = 100


class BookingTypeView(TypedDict):
    id: str
    name: str
    description: str
    location: str
    duration_minutes: int
    buffer_minutes: int
    min_notice_minutes: int
    horizon_days: int
    active: bool
    staff: str          # the staff member's public id
    staff_name: str


def rules_of(bt: BookingType) -> availability.Rules:
    return availability.Rules(duration=timedelta(minutes=bt.duration_minutes),
                              buffer=timedelta(minutes=bt.buffer_minutes),
                              min_notice=timedelta(minutes=bt.min_notice_minutes),
                              horizon=timedelta(days=bt.horizon_days))


def _view(bt: BookingType, member: StaffUser | None) -> BookingTypeView:
    return BookingTypeView(id=bt.public_id, name=bt.name, description=bt.description, location=bt.location,
                           duration_minutes=bt.duration_minutes, buffer_minutes=bt.buffer_minutes,
                           min_notice_minutes=bt.min_notice_minutes, horizon_days=bt.horizon_days,
                           active=bt.active, staff=member.public_id if member else "",
                           staff_name=member.name if member else "")


def _clean(values: dict) -> dict:
    g = GRID_MINUTES
    return {
        "name": clean_text(values.get("name"), "name", "Name", limits.BOOKING_TYPE_NAME, required=True),
        "description": clean_text(values.get("description"), "description", "Description",
                                  limits.BOOKING_TYPE_DESCRIPTION, multiline=True),
        "location": clean_text(values.get("location"), "location", "Location", limits.APPOINTMENT_LOCATION),
        "duration_minutes": clean_minutes(values.get("duration_minutes", 30), "duration_minutes", "Duration", g,
                                          limits.BOOKING_MAX_MINUTES, step=g),
        "buffer_minutes": clean_minutes(values.get("buffer_minutes", 0), "buffer_minutes", "Buffer", 0,
                                        limits.BOOKING_MAX_BUFFER, step=g),
        "min_notice_minutes": clean_minutes(values.get("min_notice_minutes", 0), "min_notice_minutes",
                                            "Minimum notice", 0, limits.BOOKING_MAX_NOTICE_MINUTES),
        "horizon_days": clean_minutes(values.get("horizon_days", 60), "horizon_days", "Days ahead", 1,
                                      limits.BOOKING_MAX_HORIZON_DAYS, unit="days"),
        "active": bool(values.get("active", True)),
    }


def _member(db: Session, workspace_id: int, public_id: object) -> StaffUser:
    member = db.exec(select(StaffUser).where(StaffUser.workspace_id == workspace_id,
                                             StaffUser.public_id == str(public_id or "")[:40])).first()
    if member is None or member.disabled:
        raise NotFound("This team member does not exist.")
    return member


def create_booking_type(db: Session, actor: Actor, values: dict) -> BookingType:
    """`values`: name, description, location, duration/buffer/min_notice minutes, horizon_days,
    active, staff (a StaffUser public id; default: the caller)."""
    staff = require_manage_appointments(actor)
    member = _member(db, staff.workspace_id, values.get("staff")) if values.get("staff") else \
        db.get_one(StaffUser, staff.user_id)
    bt = BookingType(workspace_id=staff.workspace_id, staff_id=member.id, **_clean(values))
    db.add(bt)
    db.flush()
    return bt


def _staff_type(db: Session, actor: Actor, public_id: object) -> tuple[int, BookingType]:
    staff = require_manage_appointments(actor)
    bt = db.exec(select(BookingType).where(BookingType.workspace_id == staff.workspace_id,
                                           BookingType.public_id == str(public_id or "")[:40])).first()
    if bt is None:
        raise NotFound("This booking type does not exist.")
    return staff.workspace_id, bt


def update_booking_type(db: Session, actor: Actor, public_id: object, values: dict) -> BookingType:
    """Changes apply to later bookings; appointments already booked keep their times."""
    workspace_id, bt = _staff_type(db, actor, public_id)
    current = {k: getattr(bt, k) for k in ("name", "description", "location", "duration_minutes", "buffer_minutes",
                                           "min_notice_minutes", "horizon_days", "active")}
    for key, value in _clean({**current, **values}).items():
        setattr(bt, key, value)
    if values.get("staff"):
        bt.staff_id = _member(db, workspace_id, values["staff"]).id
    bt.updated_at = utcnow()
    db.add(bt)
    db.flush()
    return bt


def delete_booking_type(db: Session, actor: Actor, public_id: object) -> None:
    """Switches a type off (appointments booked from it keep their link to it)."""
    update_booking_type(db, actor, public_id, {"active": False})


def staff_booking_types(db: Session, actor: Actor) -> list[BookingTypeView]:
    staff = require_manage_appointments(actor)
    return _views(db, list(db.exec(select(BookingType).where(BookingType.workspace_id == staff.workspace_id)
                                   .order_by(col(BookingType.name), col(BookingType.id)).limit(TYPES_LIMIT)).all()))


def _views(db: Session, rows: list[BookingType]) -> list[BookingTypeView]:
    ids = {bt.staff_id for bt in rows}
    members = {u.id: u for u in db.exec(select(StaffUser).where(col(StaffUser.id).in_(ids or {-1}))).all()}
    return [_view(bt, members.get(bt.staff_id)) for bt in rows]


# --- clients -----------------------------------------------------------------------------------

def client_booking_types(db: Session, actor: Actor) -> list[BookingTypeView]:
    """The active types a client may book (the Appointments section on)."""
    client, _cutoff = appts.client_and_cutoff(db, actor)
    return _views(db, list(db.exec(select(BookingType).where(BookingType.workspace_id == client.workspace_id,
                                                             col(BookingType.active).is_(True))
                                   .order_by(col(BookingType.name), col(BookingType.id)).limit(TYPES_LIMIT)).all()))


def bookable_type(db: Session, client: Client, public_id: object) -> BookingType:
    bt = db.exec(select(BookingType).where(BookingType.workspace_id == client.workspace_id,
                                           BookingType.public_id == str(public_id or "")[:40],
                                           col(BookingType.active).is_(True))).first()
    if bt is None:
        raise NotFound("This kind of appointment cannot be booked.")
    member = db.get(StaffUser, bt.staff_id)
    if member is None or member.disabled:
        raise NotFound("This kind of appointment cannot be booked.")
    return bt


def _start(value: object) -> datetime:
    """A slot's start as the page sends it back: ISO 8601 with its offset (slots are UTC)."""
    if isinstance(value, datetime):
        start = value
    else:
        try:
            start = datetime.fromisoformat(str(value or "").strip())
        except ValueError:
            raise Invalid("Pick one of the times offered.", "starts_at") from None
    if start.tzinfo is None:
        raise Invalid("Pick one of the times offered.", "starts_at")
    return start


def book(db: Session, actor: Actor, booking_type: object, starts_at: object, *, zone: object = "UTC",
         notes: object = "") -> Appointment:
    """The client books `starts_at` (a free slot of the type) for themselves. `zone`: theirs (the
    appointment is made in it; a zone we do not know: UTC). `notes`: what they want to talk about
    (the appointment's notes for the client, which both sides see)."""
    client, _cutoff = appts.client_and_cutoff(db, actor)
    bt = bookable_type(db, client, booking_type)
    start = _start(starts_at)
    try:
        zone_name = clean_zone(zone)
    except Invalid:
        zone_name = "UTC"
    text = clean_text(notes, "notes", "Notes", limits.APPOINTMENT_NOTES, multiline=True)
    row = claims.lock_staff(db, bt.staff_id)
    end = availability.check_bookable(db, row, bt.staff_id, rules_of(bt), start, utcnow())
    a = Appointment(workspace_id=client.workspace_id, contact_id=client.contact_id, staff_id=bt.staff_id,
                    booking_type_id=bt.id, title=bt.name, starts_at=start, ends_at=end, zone=zone_name,
                    location=bt.location, client_notes=text, created_by="client")
    db.add(a)
    db.flush()
    claims.claim(db, a)
    appts.record_booked(db, client, a, "client", bt.public_id)
    appts.raise_booked(db, a, "client", bt.public_id)
    return a


def client_reschedule(db: Session, actor: Actor, public_id: object, starts_at: object) -> Appointment:
    """The client moves their appointment to another free slot, up to the cut-off: a booked one
    by its type's rules; one staff made by its own length in the staff member's hours."""
    client, a, cutoff = appts.client_appointment(db, actor, public_id)
    start = _start(starts_at)
    row = claims.lock_staff(db, a.staff_id)
    db.refresh(a)
    appts.require_changeable(a, cutoff, "rescheduled")
    bt = db.get(BookingType, a.booking_type_id) if a.booking_type_id else None
    rules = rules_of(bt) if bt is not None else availability.Rules(duration=a.ends_at - a.starts_at)
    rules = availability.Rules(duration=a.ends_at - a.starts_at, buffer=rules.buffer, min_notice=rules.min_notice,
                               horizon=rules.horizon)
    if start - utcnow() < timedelta(hours=cutoff):
        raise Invalid(f"Pick a time at least {cutoff} hours from now.", "starts_at")
    end = availability.check_bookable(db, row, a.staff_id, rules, start, utcnow(), except_id=a.id)
    claims.release(db, a)
    before = (a.starts_at, a.ends_at)
    a.starts_at, a.ends_at = start, end
    a.reminder_24h_sent_at = a.reminder_1h_sent_at = None
    a.changed_for_client()
    db.add(a)
    db.flush()
    claims.claim(db, a)
    appts.record_rescheduled(db, client, a, "client", starts_at=before[0], ends_at=before[1], staff_id=a.staff_id)
    appts.raise_changed(db, a, "client", rescheduled=True)
    return a

"""Appointments of contacts with staff members.

Staff (any member, access.require_manage_appointments) create an appointment for a contact of
their workspace with any colleague, edit it, reschedule it and cancel it. Times are wall times in
the IANA zone chosen (`times.local_to_utc`), stored in UTC; the zone is kept. The staff member's
calendar cannot hold two overlapping appointments (the slot claims). Every change the client sees
(title, time, zone, place, notes for the client, who it is with) raises `sequence` by one and
raises AppointmentChanged; internal notes change nothing the client sees.

Clients (access.require_client_appointments: the Appointments section on) read their own
contact's appointments, upcoming first then past, in their own zone, and cancel or reschedule
(booking.client_reschedule) up to the workspace's cut-off (PortalSettings.appointment_cancel_cutoff_hours).
A client asking for someone else's appointment gets not found.

Every change is written to the workspace's audit log (services/audit.py, subject "appointment", its
public id) in the change's own transaction, after the change succeeded: appointment.booked,
.rescheduled (from/to times and staff member), .edited (which fields), .cancelled (by whom). A
refused change writes nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal, TypedDict
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

from portal_app import limits
from portal_app.access import (
    Actor,
    Client,
    Staff,
    client_appointment_clause,
    require_client_appointments,
    require_manage_appointments,
)
from portal_app.adapters import hints
from portal_app.errors import Invalid, NotFound
from portal_app.models import Appointment, Contact, StaffUser, utcnow
from portal_app.services import audit, events
from portal_app.services.appointments import claims, views
from portal_app.services.appointments.times import check_times, clean_zone, local_to_utc, view_zone
from portal_app.services.portal.portal_settings import portal_settings_for
from portal_app.services.validation import clean_text

LIST_LIMIT = 50       # appointments per list (upcoming, past, a calendar window)
WINDOW_MAX = timedelta(days=62)
OVERLAP = "{name} already has an appointment at that time."
By = Literal["staff", "client"]


def _clean_fields(title: object, location: object, client_notes: object, internal_notes: object) -> dict[str, str]:
    return {"title": clean_text(title, "title", "Title", limits.APPOINTMENT_TITLE, required=True),
            "location": clean_text(location, "location", "Location", limits.APPOINTMENT_LOCATION),
            "client_notes": clean_text(client_notes, "client_notes", "Notes for the client",
                                       limits.APPOINTMENT_NOTES, multiline=True),
            "internal_notes": clean_text(internal_notes, "internal_notes", "Internal notes",
                                         limits.APPOINTMENT_NOTES, multiline=True)}


def _contact(db: Session, workspace_id: int, public_id: object) -> Contact:
    contact = db.exec(select(Contact).where(Contact.workspace_id == workspace_id,
                                            Contact.public_id == str(public_id or "")[:40])).first()
    if contact is None:
        raise NotFound("This contact does not exist.")
    return contact


def _member(db: Session, staff: Staff, public_id: object) -> StaffUser:
    if not public_id:
        return db.get_one(StaffUser, staff.user_id)
    member = db.exec(select(StaffUser).where(StaffUser.workspace_id == staff.workspace_id,
                                             StaffUser.public_id == str(public_id)[:40])).first()
    if member is None or member.disabled:
        raise NotFound("This team member does not exist.")
    return member


def contact_public_id(db: Session, a: Appointment) -> str:
    return db.exec(select(Contact.public_id).where(Contact.id == a.contact_id)).one()


def _hint(db: Session, a: Appointment) -> None:
    hints.publish_after_commit(db, hints.contact_topic(a.workspace_id, a.contact_id))
    hints.publish_after_commit(db, hints.staff_topic(a.workspace_id))
    hints.publish_after_commit(db, hints.calendar_topic(a.workspace_id))


def _iso(t: datetime) -> str:
    return t.isoformat()


def _staff_ref(db: Session, staff_id: int) -> str:
    """A staff member as the audit log names them: their public id (integer keys stay internal)."""
    return db.get_one(StaffUser, staff_id).public_id


def record_booked(db: Session, actor: Actor, a: Appointment, by: By, booking_type: str | None = None) -> None:
    """The audit row of a new appointment (made by staff or booked by the client)."""
    audit.record(db, a.workspace_id, actor, "appointment.booked", "appointment", a.public_id,
                 {"by": by, "title": a.title, "starts_at": _iso(a.starts_at), "ends_at": _iso(a.ends_at),
                  "zone": a.zone, "contact": contact_public_id(db, a), "staff": _staff_ref(db, a.staff_id),
                  "booking_type": booking_type})


def record_rescheduled(db: Session, actor: Actor, a: Appointment, by: By, *, starts_at: datetime,
                       ends_at: datetime, staff_id: int, changed: list[str] | None = None) -> None:
    """The audit row of a move: from (the times and staff member before) and to (now)."""
    detail: dict = {"by": by, "from": {"starts_at": _iso(starts_at), "ends_at": _iso(ends_at)},
                    "to": {"starts_at": _iso(a.starts_at), "ends_at": _iso(a.ends_at)}, "zone": a.zone}
    if staff_id != a.staff_id:
        detail["from"]["staff"], detail["to"]["staff"] = _staff_ref(db, staff_id), _staff_ref(db, a.staff_id)
    if changed:
        detail["changed"] = changed
    audit.record(db, a.workspace_id, actor, "appointment.rescheduled", "appointment", a.public_id, detail)


def raise_booked(db: Session, a: Appointment, by: By, booking_type: str | None = None) -> None:
    events.raise_event(db, events.AppointmentBooked(workspace_id=a.workspace_id, appointment=a.public_id,
                                                    contact=contact_public_id(db, a), by=by,
                                                    booking_type=booking_type))
    _hint(db, a)


def raise_changed(db: Session, a: Appointment, by: By, *, rescheduled: bool) -> None:
    events.raise_event(db, events.AppointmentChanged(workspace_id=a.workspace_id, appointment=a.public_id,
                                                     contact=contact_public_id(db, a), by=by,
                                                     sequence=a.sequence, rescheduled=rescheduled))
    _hint(db, a)


# --- staff -------------------------------------------------------------------------------------

def staff_appointment(db: Session, actor: Actor, public_id: object) -> tuple[Staff, Appointment]:
    staff = require_manage_appointments(actor)
    a = db.exec(select(Appointment).where(Appointment.workspace_id == staff.workspace_id,
                                          Appointment.public_id == str(public_id or "")[:40])
                .execution_options(populate_existing=True)).first()
    if a is None:
        raise NotFound("This appointment does not exist.")
    return staff, a


def create_appointment(db: Session, actor: Actor, *, contact: object, starts_at: object, ends_at: object,
                       zone: object, title: object, staff_member: object = None, location: object = "",
                       client_notes: object = "", internal_notes: object = "") -> Appointment:
    """Staff make an appointment for a contact of their workspace, with themselves or a colleague
    (`staff_member`: a StaffUser public id). `starts_at`/`ends_at`: wall times in `zone`."""
    staff = require_manage_appointments(actor)
    found = _contact(db, staff.workspace_id, contact)
    member = _member(db, staff, staff_member)
    zone_name = clean_zone(zone)
    start = local_to_utc(starts_at, zone_name, "starts_at", "Start")
    end = local_to_utc(ends_at, zone_name, "ends_at", "End")
    check_times(start, end)
    fields = _clean_fields(title, location, client_notes, internal_notes)
    claims.lock_staff(db, member.id)
    a = Appointment(workspace_id=staff.workspace_id, contact_id=found.id, staff_id=member.id, starts_at=start,
                    ends_at=end, zone=zone_name, created_by="staff", title=fields["title"],
                    location=fields["location"], client_notes=fields["client_notes"],
                    internal_notes=fields["internal_notes"])
    db.add(a)
    db.flush()
    claims.claim(db, a, taken_message=OVERLAP.format(name=member.name))
    record_booked(db, staff, a, "staff")
    raise_booked(db, a, "staff")
    return a


_UNSET = object()


def update_appointment(db: Session, actor: Actor, public_id: object, *, starts_at: object = _UNSET,
                       ends_at: object = _UNSET, zone: object = _UNSET, title: object = _UNSET,
                       location: object = _UNSET, client_notes: object = _UNSET, internal_notes: object = _UNSET,
                       staff_member: object = _UNSET) -> Appointment:
    """Staff edit or reschedule an appointment (fields not given stay as they are). A change the
    client sees raises `sequence`; moving it in time replaces its slot claims."""
    staff, a = staff_appointment(db, actor, public_id)
    if not a.is_scheduled:
        raise Invalid("This appointment was cancelled; make a new one instead.")
    given = {k: v for k, v in {"title": title, "location": location, "client_notes": client_notes,
                               "internal_notes": internal_notes}.items() if v is not _UNSET}
    current = {"title": a.title, "location": a.location, "client_notes": a.client_notes,
               "internal_notes": a.internal_notes}
    fields = _clean_fields(**{**current, **given})
    zone_name = clean_zone(a.zone if zone is _UNSET else zone)
    member = db.get_one(StaffUser, a.staff_id) if staff_member is _UNSET else _member(db, staff, staff_member)
    start = a.starts_at if starts_at is _UNSET else local_to_utc(starts_at, zone_name, "starts_at", "Start")
    end = a.ends_at if ends_at is _UNSET else local_to_utc(ends_at, zone_name, "ends_at", "End")
    if starts_at is not _UNSET and ends_at is _UNSET:
        end = start + (a.ends_at - a.starts_at)  # moved: keeps its length
    check_times(start, end)
    moved = (start, end, member.id) != (a.starts_at, a.ends_at, a.staff_id)
    seen = moved or zone_name != a.zone or any(fields[k] != current[k] for k in ("title", "location", "client_notes"))
    changed = [k for k in ("title", "location", "client_notes", "internal_notes") if fields[k] != current[k]]
    changed += ["zone"] if zone_name != a.zone else []
    before = (a.starts_at, a.ends_at, a.staff_id)
    if moved:
        claims.lock_staff(db, member.id)
        claims.release(db, a)
        a.starts_at, a.ends_at, a.staff_id = start, end, member.id
        a.reminder_24h_sent_at = a.reminder_1h_sent_at = None
    a.zone = zone_name
    for key, value in fields.items():
        setattr(a, key, value)
    a.updated_at = utcnow()
    if seen:
        a.changed_for_client()
    db.add(a)
    db.flush()
    if moved:
        claims.claim(db, a, taken_message=OVERLAP.format(name=member.name))
        record_rescheduled(db, staff, a, "staff", starts_at=before[0], ends_at=before[1], staff_id=before[2],
                           changed=changed)
    elif changed:
        audit.record(db, a.workspace_id, staff, "appointment.edited", "appointment", a.public_id,
                     {"by": "staff", "changed": changed})
    if seen:
        raise_changed(db, a, "staff", rescheduled=moved)
    return a


def reschedule_appointment(db: Session, actor: Actor, public_id: object, *, starts_at: object, ends_at: object,
                           zone: object = _UNSET) -> Appointment:
    return update_appointment(db, actor, public_id, starts_at=starts_at, ends_at=ends_at, zone=zone)


def cancel(db: Session, actor: Actor, a: Appointment, by: By) -> None:
    """Cancel a scheduled appointment (its time is free again): the status rule, the claims, the
    audit row, the event."""
    a.move_to("cancelled")
    a.changed_for_client()
    claims.release(db, a)
    db.add(a)
    db.flush()
    audit.record(db, a.workspace_id, actor, "appointment.cancelled", "appointment", a.public_id,
                 {"by": by, "starts_at": _iso(a.starts_at), "ends_at": _iso(a.ends_at)})
    events.raise_event(db, events.AppointmentCancelled(workspace_id=a.workspace_id, appointment=a.public_id,
                                                       contact=contact_public_id(db, a), by=by, sequence=a.sequence))
    _hint(db, a)


def cancel_appointment(db: Session, actor: Actor, public_id: object) -> Appointment:
    staff, a = staff_appointment(db, actor, public_id)
    if not a.is_scheduled:
        raise Invalid("This appointment is already cancelled.")
    cancel(db, staff, a, "staff")
    return a


def staff_appointments(db: Session, actor: Actor, *, start: datetime, end: datetime, staff_member: object = None,
                       contact: object = None, zone: object = None) -> list[views.StaffAppointmentView]:
    """The workspace's appointments starting in [start, end) (a week or a list view; at most
    LIST_LIMIT), optionally one colleague's or one contact's, in `zone` (None: each its own)."""
    staff = require_manage_appointments(actor)
    if start.tzinfo is None or end.tzinfo is None or end <= start or end - start > WINDOW_MAX:
        raise Invalid("Choose a period of at most two months.")
    q = select(Appointment).where(Appointment.workspace_id == staff.workspace_id,
                                  col(Appointment.starts_at) >= start, col(Appointment.starts_at) < end)
    if staff_member:
        q = q.where(Appointment.staff_id == _member(db, staff, staff_member).id)
    if contact:
        q = q.where(Appointment.contact_id == _contact(db, staff.workspace_id, contact).id)
    rows = list(db.exec(q.order_by(col(Appointment.starts_at), col(Appointment.id)).limit(LIST_LIMIT)).all())
    return _staff_views(db, rows, zone)


def staff_appointment_view(db: Session, actor: Actor, public_id: object) -> views.StaffAppointmentView:
    """One appointment as staff see it (the calendar's edit dialog), times in its own zone."""
    _staff, a = staff_appointment(db, actor, public_id)
    return _staff_views(db, [a], None)[0]


def contact_appointments(db: Session, actor: Actor, contact: object) -> list[views.StaffAppointmentView]:
    """The staff contact record's list: the contact's newest LIST_LIMIT appointments, latest first."""
    staff = require_manage_appointments(actor)
    found = _contact(db, staff.workspace_id, contact)
    rows = list(db.exec(select(Appointment).where(Appointment.workspace_id == staff.workspace_id,
                                                  Appointment.contact_id == found.id)
                        .order_by(col(Appointment.starts_at).desc()).limit(LIST_LIMIT)).all())
    return _staff_views(db, rows, None)


def _staff_views(db: Session, rows: list[Appointment], zone: object) -> list[views.StaffAppointmentView]:
    tz = view_zone(zone) if zone else None
    people, members, now = views.contacts(db, rows), views.staff_names(db, rows), utcnow()
    return [views.staff_view(a, tz, people[a.contact_id].display_name, people[a.contact_id].public_id,
                             members.get(a.staff_id), now=now) for a in rows]


# --- clients -----------------------------------------------------------------------------------

class ClientAppointments(TypedDict):
    upcoming: list[views.AppointmentView]   # soonest first
    past: list[views.AppointmentView]       # latest first (and cancelled ones)


def client_and_cutoff(db: Session, actor: Actor) -> tuple[Client, int]:
    settings = portal_settings_for(db, getattr(actor, "workspace_id", 0) or 0)
    client = require_client_appointments(actor, settings)
    return client, settings.appointment_cancel_cutoff_hours


def client_appointments(db: Session, actor: Actor, *, zone: object = "UTC") -> ClientAppointments:
    """The signed-in client's appointments in their zone (a zone we do not know: UTC): upcoming
    (scheduled, not ended) soonest first, then past and cancelled ones, latest first."""
    client, cutoff = client_and_cutoff(db, actor)
    tz, now = view_zone(zone), utcnow()
    mine = client_appointment_clause(Appointment, client)
    upcoming = list(db.exec(select(Appointment).where(mine, Appointment.status == "scheduled",
                                                      col(Appointment.ends_at) > now)
                            .order_by(col(Appointment.starts_at)).limit(LIST_LIMIT)).all())
    past = list(db.exec(select(Appointment).where(mine, sa.or_(col(Appointment.ends_at) <= now,
                                                               col(Appointment.status) == "cancelled"))
                        .order_by(col(Appointment.starts_at).desc()).limit(LIST_LIMIT)).all())
    members = views.staff_names(db, upcoming + past)

    def view(a: Appointment) -> views.AppointmentView:
        member = members.get(a.staff_id)
        return views.client_view(a, tz, member.name if member else "", now=now, cutoff_hours=cutoff)

    return ClientAppointments(upcoming=[view(a) for a in upcoming], past=[view(a) for a in past])


def client_appointment(db: Session, actor: Actor, public_id: object) -> tuple[Client, Appointment, int]:
    """One of the client's own appointments (anyone else's: not found), and the cut-off in hours."""
    client, cutoff = client_and_cutoff(db, actor)
    a = db.exec(select(Appointment).where(client_appointment_clause(Appointment, client),
                                          Appointment.public_id == str(public_id or "")[:40])
                .execution_options(populate_existing=True)).first()
    if a is None:
        raise NotFound("This appointment does not exist.")
    return client, a, cutoff


def require_changeable(a: Appointment, cutoff_hours: int, verb: str) -> None:
    """A client changes a scheduled appointment only up to the cut-off."""
    if not a.is_scheduled:
        raise Invalid("This appointment is already cancelled.")
    if not views.before_cutoff(a, utcnow(), cutoff_hours):
        raise Invalid(f"Appointments can be {verb} online up to {cutoff_hours} hours before they start. "
                      "Please contact us to change this one.")


def client_cancel(db: Session, actor: Actor, public_id: object) -> Appointment:
    client, a, cutoff = client_appointment(db, actor, public_id)
    claims.lock_staff(db, a.staff_id)
    db.refresh(a)
    require_changeable(a, cutoff, "cancelled")
    cancel(db, client, a, "client")
    return a


def next_appointment(db: Session, actor: Actor, *, zone: object = "UTC") -> views.AppointmentView | None:
    """The client home's "Next appointment" (None: nothing upcoming, or the section is off)."""
    try:
        client, cutoff = client_and_cutoff(db, actor)
    except NotFound:
        return None
    now = utcnow()
    a = db.exec(select(Appointment).where(client_appointment_clause(Appointment, client),
                                          Appointment.status == "scheduled", col(Appointment.ends_at) > now)
                .order_by(col(Appointment.starts_at)).limit(1)).first()
    if a is None:
        return None
    member = db.get(StaffUser, a.staff_id)
    return views.client_view(a, ZoneInfo(view_zone(zone).key), member.name if member else "", now=now,
                             cutoff_hours=cutoff)

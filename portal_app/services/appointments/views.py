"""What staff and clients see of an appointment (small view models, no ORM rows)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TypedDict
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from portal_app.models import Appointment, Contact, StaffUser
from portal_app.models.status import status_label
from portal_app.services.appointments.times import when_text


class AppointmentView(TypedDict):
    id: str
    title: str
    when: str               # in the reader's zone: "Tue 08 Dec 2026, 10:00–10:30 (Europe/Berlin)"
    starts_at: str          # ISO 8601, UTC
    ends_at: str
    zone: str               # the zone it was made in
    location: str
    notes: str              # notes for the client
    status: str
    status_label: str
    with_name: str          # the staff member (for the client) or the contact (for staff)
    can_change: bool        # the reader may still cancel or reschedule it


class StaffAppointmentView(AppointmentView):
    internal_notes: str
    contact: str            # the contact's public id
    staff: str              # the staff member's public id
    staff_name: str
    sequence: int


def client_view(a: Appointment, tz: ZoneInfo, staff_name: str, *, now: datetime, cutoff_hours: int) -> AppointmentView:
    return AppointmentView(id=a.public_id, title=a.title, when=when_text(a.starts_at, a.ends_at, tz),
                           starts_at=a.starts_at.isoformat(), ends_at=a.ends_at.isoformat(), zone=a.zone,
                           location=a.location, notes=a.client_notes, status=a.status,
                           status_label=status_label("appointment", a.status), with_name=staff_name,
                           can_change=a.is_scheduled and before_cutoff(a, now, cutoff_hours))


def before_cutoff(a: Appointment, now: datetime, cutoff_hours: int) -> bool:
    return now + timedelta(hours=cutoff_hours) <= a.starts_at


def staff_view(a: Appointment, tz: ZoneInfo | None, contact_name: str, contact_public_id: str, staff: StaffUser | None,
               *, now: datetime) -> StaffAppointmentView:
    zone = tz or ZoneInfo(a.zone)
    return StaffAppointmentView(id=a.public_id, title=a.title, when=when_text(a.starts_at, a.ends_at, zone),
                                starts_at=a.starts_at.isoformat(), ends_at=a.ends_at.isoformat(), zone=a.zone,
                                location=a.location, notes=a.client_notes, status=a.status,
                                status_label=status_label("appointment", a.status), with_name=contact_name,
                                can_change=a.is_scheduled and a.ends_at > now, internal_notes=a.internal_notes,
                                contact=contact_public_id, staff=staff.public_id if staff else "",
                                staff_name=staff.name if staff else "", sequence=a.sequence)


def staff_names(db: Session, rows: list[Appointment]) -> dict[int, StaffUser]:
    ids = {a.staff_id for a in rows}
    if not ids:
        return {}
    return {u.id: u for u in db.exec(select(StaffUser).where(col(StaffUser.id).in_(ids))).all()}


def contacts(db: Session, rows: list[Appointment]) -> dict[int, Contact]:
    ids = {a.contact_id for a in rows}
    if not ids:
        return {}
    return {c.id: c for c in db.exec(select(Contact).where(col(Contact.id).in_(ids))).all()}

"""The slot claims that make double booking impossible (models/appointments.py), and the
per-staff lock booking takes before it re-checks a slot."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, col, select

from portal_app.db import begin_write, savepoint
from portal_app.errors import Invalid
from portal_app.models import Appointment, AppointmentSlotClaim, StaffAvailability

TAKEN = "That time was just taken. Please pick another one."


def lock_staff(db: Session, staff_id: int) -> StaffAvailability | None:
    """Serialise the writes to one staff member's calendar: SQLite takes its writer lock
    (BEGIN IMMEDIATE), PostgreSQL locks their availability row (FOR UPDATE), so what the
    caller reads next (busy times) is current until it commits. Returns that row (None: the
    member has set no availability)."""
    begin_write(db)
    q = select(StaffAvailability).where(StaffAvailability.staff_id == staff_id)
    q = q.execution_options(populate_existing=True)
    if db.get_bind().dialect.name == "postgresql":
        q = q.with_for_update()
    return db.exec(q).first()


def claim(db: Session, appointment: Appointment, *, taken_message: str = TAKEN) -> None:
    """Hold every cell the (flushed) appointment covers; a cell another appointment of the same
    staff member holds raises Invalid(taken_message) and leaves the transaction usable."""
    try:
        with savepoint(db):
            db.add_all([AppointmentSlotClaim(staff_id=appointment.staff_id, cell_start=cell,
                                             appointment_id=appointment.id) for cell in appointment.cells()])
            db.flush()
    except sa.exc.IntegrityError:
        raise Invalid(taken_message, "starts_at") from None


def release(db: Session, appointment: Appointment) -> None:
    db.connection().execute(sa.delete(AppointmentSlotClaim)
                            .where(col(AppointmentSlotClaim.appointment_id) == appointment.id))


def busy(db: Session, staff_id: int, start, end, *, except_id: int | None = None) -> list[tuple]:
    """(starts_at, ends_at) of the staff member's scheduled appointments overlapping [start, end)."""
    q = select(Appointment.starts_at, Appointment.ends_at).where(
        Appointment.staff_id == staff_id, Appointment.status == "scheduled",
        col(Appointment.starts_at) < end, col(Appointment.ends_at) > start)
    if except_id is not None:
        q = q.where(Appointment.id != except_id)
    return [(s, e) for s, e in db.exec(q.order_by(col(Appointment.starts_at))).all()]

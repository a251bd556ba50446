"""Appointments: a meeting of a contact with one staff member, booking types clients book from,
each staff member's weekly availability, private calendar feed tokens, and the slot claims that
make double booking impossible.

Status of an appointment:

    scheduled → cancelled (staff, or the client up to the workspace's cut-off)

Times are stored in UTC (`starts_at`, `ends_at`) with the IANA zone the appointment was made in
(`zone`): the .ics and the staff pages show it there, the client in their own zone. `sequence`
grows on every change the client sees (iCalendar SEQUENCE: their calendar app replaces the event).

Slot claims: an appointment holds one `AppointmentSlotClaim` row per 5-minute cell it covers
(limits.APPOINTMENT_GRID_MINUTES; appointments start and end on those marks), unique per
(staff_id, cell_start). Two appointments of one staff member that overlap by even one cell cannot
both commit, on SQLite and on PostgreSQL, whatever the isolation level: the second insert fails.
Cancelling deletes the claims; rescheduling replaces them. Buffers between appointments are not
part of the claims (a staff member may put two meetings back to back by hand); booking keeps them
by re-checking under a per-staff lock (services/appointments/booking.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from portal_app import limits
from portal_app.models.base import new_public_id, ts_column, utcnow

APPOINTMENT_STATUSES = ("scheduled", "cancelled")
APPOINTMENT_TRANSITIONS: dict[str, tuple[str, ...]] = {"scheduled": ("cancelled",), "cancelled": ()}
APPOINTMENT_CREATORS = ("staff", "client")     # Appointment.created_by: staff made it, or the client booked it
FEED_OWNERS = ("client", "staff")              # CalendarFeedToken.owner
GRID = timedelta(minutes=limits.APPOINTMENT_GRID_MINUTES)


class AppointmentStatusError(ValueError):
    """A status change the rules above do not allow."""


class Appointment(SQLModel, table=True):
    __tablename__ = "appointment"
    __table_args__ = (
        # the staff calendar: a workspace's appointments by start
        sa.Index("ix_appointment_workspace_start", "workspace_id", "starts_at"),
        # a contact's appointments (the client's list, the contact record)
        sa.Index("ix_appointment_contact_start", "contact_id", "starts_at"),
        # a staff member's appointments (their busy times, their feed)
        sa.Index("ix_appointment_staff_start", "staff_id", "starts_at"),
        # reminders due: scheduled appointments starting soon
        sa.Index("ix_appointment_due", "status", "starts_at"),
    )

    id: int = Field(default=None, primary_key=True)
    public_id: str = Field(default_factory=lambda: new_public_id("ap"), unique=True, max_length=40)
    workspace_id: int = Field(foreign_key="workspace.id")
    contact_id: int = Field(foreign_key="contact.id")
    staff_id: int = Field(foreign_key="staff_user.id")
    booking_type_id: int | None = Field(default=None, foreign_key="booking_type.id", index=True)
    title: str = Field(max_length=limits.APPOINTMENT_TITLE)
    starts_at: datetime = Field(sa_column=ts_column(nullable=False))
    ends_at: datetime = Field(sa_column=ts_column(nullable=False))
    zone: str = Field(max_length=limits.TIME_ZONE)
    location: str = Field(default="", max_length=limits.APPOINTMENT_LOCATION)
    client_notes: str = Field(default="", sa_column=sa.Column(sa.Text(), nullable=False))  # ≤ APPOINTMENT_NOTES
    internal_notes: str = Field(default="", sa_column=sa.Column(sa.Text(), nullable=False))  # ≤ APPOINTMENT_NOTES
    status: str = Field(default="scheduled", max_length=10)
    sequence: int = Field(default=0)
    created_by: str = Field(default="staff", max_length=10)  # APPOINTMENT_CREATORS
    cancelled_at: datetime | None = Field(default=None, sa_column=ts_column())
    reminder_24h_sent_at: datetime | None = Field(default=None, sa_column=ts_column())
    reminder_1h_sent_at: datetime | None = Field(default=None, sa_column=ts_column())
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))

    @property
    def is_scheduled(self) -> bool:
        return self.status == "scheduled"

    def move_to(self, status: str, at: datetime | None = None) -> None:
        if status == self.status:
            return
        if status not in APPOINTMENT_TRANSITIONS.get(self.status, ()):
            raise AppointmentStatusError(f"an appointment cannot go from {self.status} to {status}")
        self.status = status
        if status == "cancelled":
            self.cancelled_at = at or utcnow()

    def changed_for_client(self, at: datetime | None = None) -> None:
        """Something the client sees changed: their calendar's copy must be replaced."""
        self.sequence += 1
        self.updated_at = at or utcnow()

    def cells(self) -> list[datetime]:
        """The 5-minute cells this appointment covers (what its slot claims hold)."""
        return grid_cells(self.starts_at, self.ends_at)


def grid_cells(start: datetime, end: datetime) -> list[datetime]:
    """Every cell start in [start, end), start floored to the grid (times off the grid still
    claim every cell they touch)."""
    epoch = start.replace(hour=0, minute=0, second=0, microsecond=0)
    cell = epoch + ((start - epoch) // GRID) * GRID
    out: list[datetime] = []
    while cell < end:
        out.append(cell)
        cell += GRID
    return out


class AppointmentSlotClaim(SQLModel, table=True):
    """One 5-minute cell of one staff member's time, held by one appointment."""

    __tablename__ = "appointment_slot_claim"
    __table_args__ = (sa.UniqueConstraint("staff_id", "cell_start", name="uq_appointment_slot_claim"),)

    id: int = Field(default=None, primary_key=True)
    staff_id: int = Field(foreign_key="staff_user.id")
    cell_start: datetime = Field(sa_column=ts_column(nullable=False))
    appointment_id: int = Field(foreign_key="appointment.id", index=True)


class StaffAvailability(SQLModel, table=True):
    """One staff member's working hours in their zone. `weekly_hours` is JSON:
    {"0": [["09:00", "17:00"]], …} (weekday 0 = Monday; local wall times, end after start);
    `days_off` is JSON: ["2026-12-24", …] (local dates)."""

    __tablename__ = "staff_availability"

    id: int = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    staff_id: int = Field(foreign_key="staff_user.id", unique=True)
    zone: str = Field(default="UTC", max_length=limits.TIME_ZONE)
    weekly_hours: str = Field(default="{}", sa_column=sa.Column(sa.Text(), nullable=False))
    days_off: str = Field(default="[]", sa_column=sa.Column(sa.Text(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))


class BookingType(SQLModel, table=True):
    """What a client may book ("30-min check-in") with one staff member."""

    __tablename__ = "booking_type"
    __table_args__ = (sa.Index("ix_booking_type_workspace", "workspace_id", "active"),)

    id: int = Field(default=None, primary_key=True)
    public_id: str = Field(default_factory=lambda: new_public_id("bt"), unique=True, max_length=40)
    workspace_id: int = Field(foreign_key="workspace.id")
    staff_id: int = Field(foreign_key="staff_user.id", index=True)
    name: str = Field(max_length=limits.BOOKING_TYPE_NAME)
    description: str = Field(default="", sa_column=sa.Column(sa.Text(), nullable=False))  # ≤ BOOKING_TYPE_DESCRIPTION
    location: str = Field(default="", max_length=limits.APPOINTMENT_LOCATION)  # given to every booking of it
    duration_minutes: int = Field(default=30)
    buffer_minutes: int = Field(default=0)
    min_notice_minutes: int = Field(default=0)
    horizon_days: int = Field(default=60)
    active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))


class CalendarFeedToken(SQLModel, table=True):
    """A private iCal feed: the URL carries the token, only its hash is stored. `owner` says
    whose appointments it lists: a client contact's, or a staff member's."""

    __tablename__ = "calendar_feed_token"

    id: int = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    owner: str = Field(max_length=10)  # FEED_OWNERS
    contact_id: int | None = Field(default=None, foreign_key="contact.id", index=True)
    staff_id: int | None = Field(default=None, foreign_key="staff_user.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=ts_column())

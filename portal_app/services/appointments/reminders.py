"""Reminder emails before appointments (worker: the periodic job "appointments.remind", every
minute; the clock is the worker's, passed in as `now`).

Which reminders: the workspace setting PortalSettings.appointment_reminders ("24h,1h";
settings.py REMINDER_CHOICES). An appointment has two "sent" marks, so a workspace gets at most
two reminders per appointment: a day-ahead one (48h or 24h: `reminder_24h_sent_at`) and a
short one (2h, 1h or 15m: `reminder_1h_sent_at`); when a workspace picks two of one kind, the
earlier one is sent (e.g. "48h,24h,1h" sends 48 h and 1 h before).

When: a reminder `D` before is due from `starts_at - D` (UTC, so daylight-saving changes move
nothing: "24 h before" is 24 real hours) and stays due for a window of a quarter of D (at least
5 minutes): 24 h → until 18 h before, 1 h → until 45 minutes before, 15m → until 10 minutes
before. Past its window it is skipped for good (a worker that was down does not send "tomorrow"
an hour before). It is also skipped when the appointment was made after the reminder fell due
(booked 2 hours ahead: no 24 h reminder; its booking email said everything), and never sent for
a cancelled appointment or one that has started.

Once: each reminder is claimed with `UPDATE appointment SET reminder_…_sent_at = now WHERE id = …
AND reminder_…_sent_at IS NULL AND status = 'scheduled' AND starts_at = …` and its email queued in
that same transaction; a second worker's UPDATE matches nothing (PostgreSQL re-checks the WHERE
after the first commits; SQLite has one writer), so it sends nothing. Rescheduling clears both
marks (appointments.update_appointment, booking.client_reschedule): the new time's reminders are
due again.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from portal_app.models import Appointment, PortalSettings, StaffUser, Workspace
from portal_app.services import emails
from portal_app.services.appointments import notify
from portal_app.services.appointments.settings import reminder_offsets

log = logging.getLogger("portal.appointments")

BATCH = 500
OFFSETS: dict[str, timedelta] = {"48h": timedelta(hours=48), "24h": timedelta(hours=24), "2h": timedelta(hours=2),
                                 "1h": timedelta(hours=1), "15m": timedelta(minutes=15)}
COLUMN = {"48h": "reminder_24h_sent_at", "24h": "reminder_24h_sent_at", "2h": "reminder_1h_sent_at",
          "1h": "reminder_1h_sent_at", "15m": "reminder_1h_sent_at"}
LABEL = {"48h": "in 48 hours", "24h": "in 24 hours", "2h": "in 2 hours", "1h": "in 1 hour", "15m": "in 15 minutes"}
MIN_WINDOW = timedelta(minutes=5)
LONGEST = max(OFFSETS.values())


def window(offset: str) -> tuple[timedelta, timedelta]:
    """(from, until) before the start: the reminder is due while start - from <= now < start - until."""
    d = OFFSETS[offset]
    return d, d - max(d / 4, MIN_WINDOW)


def chosen(setting: str) -> list[str]:
    """The reminders a workspace's setting sends: the earliest of each kind (one per sent mark)."""
    out: dict[str, str] = {}
    for offset in reminder_offsets(setting):  # longest first
        out.setdefault(COLUMN[offset], offset)
    return list(out.values())


def due(a: Appointment, offsets: list[str], now: datetime) -> str | None:
    """The reminder of `a` due at `now` and not sent yet, or None."""
    if not a.is_scheduled or a.starts_at <= now:
        return None
    for offset in offsets:
        if getattr(a, COLUMN[offset]) is not None:
            continue
        start_before, end_before = window(offset)
        due_at = a.starts_at - start_before
        if due_at <= now < a.starts_at - end_before and a.created_at <= due_at:
            return offset
    return None


def claim(db: Session, a: Appointment, offset: str, now: datetime) -> bool:
    """Mark the reminder sent, unless another worker did or the appointment changed meanwhile."""
    column = getattr(Appointment, COLUMN[offset])
    result = db.connection().execute(
        sa.update(Appointment).where(col(Appointment.id) == a.id, column.is_(None),
                                     col(Appointment.status) == "scheduled",
                                     col(Appointment.starts_at) == a.starts_at)
        .values({COLUMN[offset]: now}))
    return int(result.rowcount) == 1


def send_reminder(db: Session, a: Appointment, offset: str) -> str:
    """Queue the client's reminder email; the address, or "" when the contact is not emailed."""
    contact = notify.recipient(db, a)
    if contact is None:
        return ""
    ws = db.get_one(Workspace, a.workspace_id)
    member = db.get(StaffUser, a.staff_id)
    when = notify.client_when(a, contact)
    button_label, button_url = notify.portal_button(db, ws)
    emails.queue_branded_email(
        db, ws, to=contact.email, subject=f"Reminder: {a.title}, {when}",
        heading=f"Hello {contact.display_name},",
        paragraphs=[f"A reminder: your appointment with {ws.name} starts {LABEL[offset]}.", f"“{a.title}”",
                    *notify.details(a, when, member)],
        button_label=button_label, button_url=button_url,
        footer=f"You received this reminder because {ws.name} has an appointment with {contact.email}.")
    return contact.email


def send_due(db: Session, now: datetime, limit: int = BATCH) -> int:
    """Send every reminder due at `now` (at most `limit` appointments looked at); how many sent."""
    pending = []
    for column in sorted(set(COLUMN.values())):
        spans = [window(o) for o in OFFSETS if COLUMN[o] == column]
        latest, earliest = max(s for s, _ in spans), min(e for _, e in spans)
        pending.append(sa.and_(getattr(Appointment, column).is_(None), col(Appointment.starts_at) > now + earliest,
                               col(Appointment.starts_at) <= now + latest))
    rows = db.exec(select(Appointment).where(Appointment.status == "scheduled", col(Appointment.starts_at) > now,
                                             col(Appointment.starts_at) <= now + LONGEST, sa.or_(*pending))
                   .order_by(col(Appointment.starts_at), col(Appointment.id)).limit(limit)
                   .execution_options(populate_existing=True)).all()
    settings: dict[int, list[str]] = {}
    sent = 0
    for a in rows:
        if a.workspace_id not in settings:
            ps = db.get(PortalSettings, a.workspace_id)
            settings[a.workspace_id] = chosen(ps.appointment_reminders if ps else "24h,1h")
        offset = due(a, settings[a.workspace_id], now)
        if offset is None or not claim(db, a, offset, now):
            continue
        if send_reminder(db, a, offset):
            sent += 1
    if sent:
        log.info("appointment reminders sent: %s", sent)
    return sent

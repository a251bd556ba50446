"""The workspace's appointment settings (Configure Portal): the clients' cancel/reschedule cut-off
and when reminder emails go out. Owners and admins (access.require_configure_portal)."""

from __future__ import annotations

from typing import TypedDict

from sqlmodel import Session

from portal_app import limits
from portal_app.access import Actor, require_configure_portal
from portal_app.errors import Invalid
from portal_app.models import utcnow
from portal_app.services.appointments.times import clean_minutes
from portal_app.services.portal.portal_settings import portal_settings_for

REMINDER_CHOICES = ("48h", "24h", "2h", "1h", "15m")   # what a workspace may pick, longest first


class AppointmentSettings(TypedDict):
    cancel_cutoff_hours: int
    reminders: list[str]       # e.g. ["24h", "1h"]


def reminder_offsets(text: str) -> list[str]:
    """The stored "24h,1h" as a list in REMINDER_CHOICES order (unknown parts are dropped)."""
    parts = {p.strip() for p in (text or "").split(",")}
    return [c for c in REMINDER_CHOICES if c in parts]


def get_appointment_settings(db: Session, actor: Actor) -> AppointmentSettings:
    staff = require_configure_portal(actor)
    ps = portal_settings_for(db, staff.workspace_id)
    return AppointmentSettings(cancel_cutoff_hours=ps.appointment_cancel_cutoff_hours,
                               reminders=reminder_offsets(ps.appointment_reminders))


def update_appointment_settings(db: Session, actor: Actor, *, cancel_cutoff_hours: object,
                                reminders: object) -> AppointmentSettings:
    staff = require_configure_portal(actor)
    hours = clean_minutes(cancel_cutoff_hours, "cancel_cutoff_hours", "The cut-off", 0,
                          limits.CANCEL_CUTOFF_HOURS, unit="hours")
    chosen = [str(r).strip() for r in (reminders if isinstance(reminders, (list, tuple)) else
                                       str(reminders or "").split(",")) if str(r).strip()]
    unknown = [r for r in chosen if r not in REMINDER_CHOICES]
    if unknown:
        raise Invalid(f"Reminders can be sent {', '.join(REMINDER_CHOICES)} before; not {unknown[0][:10]!r}.",
                      "reminders")
    ps = portal_settings_for(db, staff.workspace_id)
    ps.appointment_cancel_cutoff_hours = hours
    ps.appointment_reminders = ",".join(c for c in REMINDER_CHOICES if c in chosen)
    ps.updated_at = utcnow()
    db.add(ps)
    db.flush()
    return AppointmentSettings(cancel_cutoff_hours=hours, reminders=reminder_offsets(ps.appointment_reminders))

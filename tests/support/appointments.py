"""Appointments test set-up: a frozen clock, working hours, a booking type, built through services."""

from __future__ import annotations

from datetime import UTC, datetime

from portal_app.models import StaffUser
from tests.support.clock import Clock

# Monday 7 Dec 2026, 08:00 UTC (09:00 in Berlin)
NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
WEEKDAYS_9_TO_5 = {str(d): [["09:00", "17:00"]] for d in range(5)}


def freeze(monkeypatch, now: datetime = NOW) -> Clock:
    from portal_app.models import base as model_base

    clock = Clock(now)
    monkeypatch.setattr(model_base, "clock", clock)
    return clock


def staff_public_id(db, actor) -> str:
    return db.get_one(StaffUser, actor.user_id).public_id


def open_hours(db, actor, *, zone: str = "Europe/Berlin", days: dict | None = None, days_off=()) -> None:
    from portal_app.services.appointments import availability

    availability.set_availability(db, actor, staff_public_id(db, actor), zone=zone,
                                  days=WEEKDAYS_9_TO_5 if days is None else days, days_off=list(days_off))


def booking_type(db, actor, **values):
    from portal_app.services.appointments import booking

    return booking.create_booking_type(db, actor, {"name": "30-min check-in", "duration_minutes": 30, **values})

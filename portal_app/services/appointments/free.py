"""The free start times of a booking type: what the client's Book page offers.

The one caller of the pure `slots.free_slots` (imported when called, not at import time): it
reads the staff member's hours and their appointments in the window (widened by the buffer),
and hands them over. Booking re-checks the chosen time in its own transaction
(availability.check_bookable): a list shown a minute ago may be stale.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, select

from portal_app.access import Actor
from portal_app.errors import Invalid
from portal_app.models import StaffAvailability
from portal_app.services.appointments import appointments as appts
from portal_app.services.appointments import availability, booking, claims

WINDOW_MAX = timedelta(days=31)


def available_slots(db: Session, actor: Actor, booking_type_public_id: object, window_start: datetime,
                    window_end: datetime, now: datetime) -> list[datetime]:
    """Start times (aware, UTC) a client may book of this type in [window_start, window_end)."""
    # slots.py lands from a parallel branch; until it is merged mypy cannot see it
    from portal_app.services.appointments import slots

    client, _cutoff = appts.client_and_cutoff(db, actor)
    bt = booking.bookable_type(db, client, booking_type_public_id)
    if window_start.tzinfo is None or window_end.tzinfo is None or now.tzinfo is None:
        raise Invalid("Times must carry their zone.")
    if window_end <= window_start or window_end - window_start > WINDOW_MAX:
        raise Invalid("Choose a period of at most a month.")
    row = db.exec(select(StaffAvailability).where(StaffAvailability.staff_id == bt.staff_id)).first()
    if row is None:
        return []
    hours = availability.hours_of(row)
    rules = booking.rules_of(bt)
    busy = claims.busy(db, bt.staff_id, window_start - rules.buffer - rules.duration,
                       window_end + rules.buffer + rules.duration)
    return slots.free_slots(slots.WeeklyHours(zone=hours.zone, days=hours.days, days_off=hours.days_off), busy,
                            slots.BookingRules(duration=rules.duration, buffer=rules.buffer,
                                               min_notice=rules.min_notice, horizon=rules.horizon),
                            now=now, window_start=window_start, window_end=window_end)

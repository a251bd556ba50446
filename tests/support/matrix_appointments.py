"""Authorization matrix rows for the client's Appointments pages (state/portal/appointments.py)
and the Profile's time zone (part of tests/support/matrix.py, run for every kind of actor by
test_authz_matrix.py).

Workspace A's owner has working hours (Mon–Fri 9–17 Berlin) and a bookable "30-min check-in".
Client A1 has two appointments a week or more ahead (one to cancel, one to move, and a free
slot to move it to); client A2 has one of their own. Only a signed-in client of A reaches these
handlers: anonymous visitors (and B's client, anonymous on A's host) are sent to sign in, staff
are refused (a page load sends them to the staff area), client A2 never finds A1's appointments.
The section switched off is refused by URL (test_authz_matrix.test_disabled_section_is_refused_by_url,
tests/unit/test_appointments_client.py).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def _weekday_ahead(days: int) -> datetime:
    day = datetime.now(UTC).date() + timedelta(days=days)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day)


def appointments_world(db, world) -> None:
    from portal_app.services.appointments import appointments as appts
    from portal_app.services.appointments import client_side
    from tests.support.appointments import booking_type, open_hours

    open_hours(db, world.staff_a)
    bt = booking_type(db, world.staff_a)

    def make(contact, day: datetime, hour: int, title: str) -> str:
        start = day.replace(hour=hour)
        return appts.create_appointment(db, world.staff_a, contact=contact.public_id, zone="Europe/Berlin",
                                        starts_at=start.isoformat(), ends_at=(start + timedelta(minutes=30)).isoformat(),
                                        title=title).public_id

    day = _weekday_ahead(8)
    cancel_me = make(world.contact_a1, day, 10, "Matrix cancel")
    move_me = make(world.contact_a1, day, 11, "Matrix move")
    theirs = make(world.contact_a2, day, 12, "Bob's matrix")
    db.flush()
    now = datetime.now(UTC)
    start = day.replace(tzinfo=UTC) - timedelta(days=1)
    slots = client_side.reschedule_slots(db, world.client_a1, move_me, start, start + timedelta(days=7), now)
    book_start = start + timedelta(days=7)
    from portal_app.services.appointments import free

    book_slots = free.available_slots(db, world.client_a1, bt.public_id, book_start, book_start + timedelta(days=7),
                                      now)
    world.appointments = {"cancel": cancel_me, "move": move_me, "a2": theirs, "type": bt.public_id,
                          "slot": slots[0].isoformat(), "book_slot": book_slots[0].isoformat()}


def appointments_rows(world, grids: dict) -> list:
    from portal_app.state.portal.appointments import AppointmentsState as A
    from portal_app.state.portal.appointments import BookState as B
    from portal_app.state.portal.profile import ProfileState as P

    CLIENT, SIGNIN, grid = grids["CLIENT"], grids["SIGNIN"], grids["grid"]
    OWNER_A1 = grid(CLIENT, client_a2="denied")     # A1's own appointment: A2 gets not found
    BAD = grid(CLIENT, client_a1="invalid", client_a2="invalid")
    PAGE = grid(**SIGNIN)                            # a page load: staff are sent to the staff area
    ap = lambda key: (lambda: world.appointments[key])  # noqa: E731
    chosen = (("choose_type", lambda: (world.appointments["type"],)),
              ("choose_slot", lambda: (world.appointments["book_slot"], "Mon 10:00")))
    path, book = "/appointments", "/appointments/book"
    return [
        (A, "load", (), path, PAGE),
        (A, "load", (), path + "?booked=1", PAGE),
        (A, "browser_zone", ("Europe/Berlin",), path, CLIENT),
        (A, "browser_zone", ("Mars/Olympus_Mons",), path, CLIENT),  # not a zone: ignored, nothing stored
        (A, "open_reschedule", (ap("move"),), path, OWNER_A1),
        (A, "open_reschedule", (ap("a2"),), path, grid(CLIENT, client_a1="denied")),
        (A, "reschedule_week", (1,), path, CLIENT, (("open_reschedule", lambda: (world.appointments["move"],)),)),
        (A, "reschedule_week", (1,), path, CLIENT),  # without the panel open: nothing to page
        (A, "close_reschedule", (), path, "local"),
        (A, "reschedule_to", (ap("slot"),), path, OWNER_A1,
         (("open_reschedule", lambda: (world.appointments["move"],)),)),
        (A, "reschedule_to", ("not a time",), path, grid(CLIENT, client_a1="denied", client_a2="denied")),
        (A, "cancel", (ap("cancel"),), path, OWNER_A1),
        (A, "cancel", (ap("a2"),), path, grid(CLIENT, client_a1="denied")),
        (A, "cancel", ("ap_forged",), path, grid(CLIENT, client_a1="denied", client_a2="denied")),
        (A, "new_feed_link", (), path, CLIENT),
        (A, "setvar", ("upcoming", []), path, "setvar"),
        (B, "load", (), book, PAGE),
        (B, "choose_type", (ap("type"),), book, CLIENT),
        (B, "choose_type", ("bt_forged",), book, grid(CLIENT, client_a1="denied", client_a2="denied")),
        (B, "change_week", (1,), book, CLIENT, (("choose_type", lambda: (world.appointments["type"],)),)),
        (B, "change_week", (-1,), book, CLIENT),
        (B, "choose_slot", ("2026-12-08T09:00:00+00:00", "Tue 10:00"), book, "local"),
        (B, "back_to_types", (), book, "local"),
        (B, "confirm", ({"notes": "About the kick-off"},), book, CLIENT, chosen),
        (B, "confirm", ({"notes": ""},), book, BAD),                      # no time picked
        (B, "confirm", ({"notes": "x" * 3000},), book, BAD, chosen),      # notes too long
        (B, "setvar", ("days", []), book, "setvar"),
        (P, "save_zone", ({"time_zone": "America/New_York"},), "/profile", CLIENT),
        (P, "save_zone", ({"time_zone": "Mars/Olympus_Mons"},), "/profile", BAD),
    ]

"""Authorization matrix rows for the staff calendar, Settings › Booking and the contact record's
Appointments panel, and a staff member's own calendar feed (part of tests/support/matrix.py).

Every staff member of workspace A reads and changes A's appointments and booking types; B's owner
finds none of them (an appointment or type of A: not found) and works in their own, empty,
calendar; a client is sent home before any handler runs. Availability: each member their own,
owners and admins anyone's (a member choosing a colleague: refused). The cut-off and reminder
times: owners and admins."""

from __future__ import annotations

FORM = {"title": "Matrix review", "date": "2027-03-01", "start": "10:00", "end": "10:30", "zone": "Europe/Berlin",
        "location": "Zoom", "client_notes": "Bring the figures", "internal_notes": "Upsell", "staff": ""}
HOURS = {"zone": "Europe/Berlin", "d0_on": "on", "d0_s1": "09:00", "d0_e1": "12:00", "d0_s2": "13:00",
         "d0_e2": "17:00", "d2_on": "on", "d2_s1": "10:00", "d2_e1": "16:00"}
TYPE = {"name": "Kick-off", "duration_minutes": "60", "buffer_minutes": "15", "min_notice_minutes": "240",
        "horizon_days": "30", "location": "Office", "description": "", "staff": ""}


def calendar_world(db, world) -> None:
    """An appointment of client A1 with A's owner (to open, edit and cancel), a booking type of A."""
    from portal_app.models import StaffUser
    from portal_app.services.appointments import appointments, booking

    appt = appointments.create_appointment(db, world.staff_a, contact=world.contact_a1.public_id,
                                           starts_at="2027-03-02T09:00", ends_at="2027-03-02T09:30",
                                           zone="Europe/Berlin", title="Matrix check-in")
    world.appt_a1 = appt.public_id
    world.booking_type_a = booking.create_booking_type(db, world.staff_a, {"name": "Check-in",
                                                                           "duration_minutes": 30}).public_id
    world.owner_a_public_id = db.get_one(StaffUser, world.staff_a.user_id).public_id


def calendar_rows(world, grids: dict) -> list:
    from portal_app.state.staff.booking_settings import BookingSettingsState as B
    from portal_app.state.staff.calendar import CalendarState as C
    from portal_app.state.staff.calendar_feed import StaffFeedState as F
    from portal_app.state.staff.contact_appointments import ContactAppointmentsState as P

    STAFF, STAFF_ON_A1, ADMIN, grid = grids["STAFF"], grids["STAFF_ON_A1"], grids["ADMIN"], grids["grid"]
    top, settings = "/staff/calendar", "/staff/settings/booking"
    a1 = lambda: world.contact_a1.public_id  # noqa: E731
    appt = lambda: world.appt_a1  # noqa: E731
    bad = lambda base: grid(base, staff_a="invalid", member_a="invalid", staff_b_on_b="invalid")  # noqa: E731
    chosen = ("load", ("find_dialog_contacts", ("alice",)), ("choose_dialog_contact", lambda: (a1(),)))
    opened = ("load", ("open_appointment", lambda: (appt(),)))
    record = lambda: f"/staff/contacts/{world.contact_a1.public_id}"  # noqa: E731
    return [
        (C, "load", (), top, STAFF),
        # a contact record's New appointment: B's owner gets their calendar, without A's client
        (C, "load", (), lambda: f"{top}?new={a1()}", STAFF),
        (C, "on_hint", (), top, STAFF, ("load",)),
        (C, "set_view", ("list",), top, STAFF),
        (C, "set_view", ("month",), top, STAFF),
        (C, "set_who", ("mine",), top, STAFF),
        (C, "set_zone", ("Asia/Kolkata",), top, STAFF),
        (C, "go_week", (1,), top, STAFF),
        (C, "this_week", (), top, STAFF),
        (C, "open_new", (), top, STAFF),
        (C, "open_appointment", (appt,), top, grid(STAFF, staff_b_on_b="denied")),
        (C, "set_dialog_open", (False,), top, "local"),
        (C, "find_dialog_contacts", ("ali",), top, STAFF),
        (C, "choose_dialog_contact", (a1,), top, "local"),
        (C, "change_dialog_contact", (), top, "local"),
        # a new one for A1: B's owner cannot pick A's client (not among their choices)
        (C, "save_appointment", (FORM,), top, grid(STAFF, staff_b_on_b="invalid"), chosen),
        (C, "save_appointment", ({**FORM, "title": ""},), top, bad(STAFF), chosen),
        # A1's appointment edited: B's owner never opened it (not found), so nothing to save
        (C, "save_appointment", ({**FORM, "date": "2027-03-03"},), top, grid(STAFF_ON_A1, staff_b_on_b="invalid"),
         opened),
        (C, "cancel_appointment", (), top, STAFF_ON_A1, opened),
        # a forged cancel without an appointment open: not found, nothing written
        (C, "cancel_appointment", (), top, grid(STAFF_ON_A1, staff_a="denied", member_a="denied")),
        (C, "setvar", ("dlg_id", "ap_x"), top, "setvar"),
        # the viewer's own calendar feed: every staff member their own; a client is sent home
        # before a token is made (nothing written), anyone signed out to the sign-in page
        (F, "load_feed", (), top, STAFF),
        (F, "new_feed_link", (), top, STAFF),
        (F, "new_feed_link", (), top, STAFF, ("new_feed_link",)),
        (F, "setvar", ("feed_https", "https://x"), top, "setvar"),
        (B, "load", (), settings, STAFF),
        # a member may not open a colleague's hours; B's owner finds no such person
        (B, "choose_member", (lambda: world.owner_a_public_id,), settings,
         grid(STAFF, member_a="denied", staff_b_on_b="denied")),
        (B, "choose_member", (lambda: world.member_public_id,), settings, grid(STAFF, staff_b_on_b="denied")),
        (B, "add_day_off", ({"day_off": "2027-01-04"},), settings, "local"),
        (B, "remove_day_off", ("2027-01-04",), settings, "local"),
        (B, "save_hours", (HOURS,), settings, STAFF, ("load",)),
        (B, "save_hours", ({**HOURS, "d0_e1": "08:00"},), settings, bad(STAFF), ("load",)),
        (B, "open_type", ("",), settings, "local"),
        (B, "set_type_open", (False,), settings, "local"),
        (B, "save_type", (TYPE,), settings, STAFF, ("load", ("open_type", ("",)))),
        (B, "save_type", ({**TYPE, "duration_minutes": "7"},), settings, bad(STAFF), ("load", ("open_type", ("",)))),
        (B, "save_type", ({**TYPE, "name": "Renamed"},), settings, STAFF,
         ("load", ("open_type", lambda: (world.booking_type_a,)))),
        (B, "deactivate_type", (lambda: world.booking_type_a,), settings, grid(STAFF, staff_b_on_b="denied")),
        (B, "activate_type", (lambda: world.booking_type_a,), settings, grid(STAFF, staff_b_on_b="denied")),
        (B, "save_settings", ({"cutoff": "12", "reminder_24h": "on", "reminder_1h": "on"},), settings, ADMIN),
        (B, "save_settings", ({"cutoff": "9999"},), settings, grid(ADMIN, staff_a="invalid", staff_b_on_b="invalid")),
        (B, "setvar", ("member", "st_x"), settings, "setvar"),
        (P, "load_panel", (), record, STAFF_ON_A1),
        (P, "send_booking_link", (), record, STAFF_ON_A1),
        (P, "setvar", ("link_sent", "x"), record, "setvar"),
    ]

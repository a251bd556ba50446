"""Appointments across roles in Chromium against the production build (issue 16): a staff
member creates an appointment for a client in the Calendar's dialog → the client gets the
invitation email with an .ics (METHOD:REQUEST, SEQUENCE 0, the appointment's UID; read as the
client gets it: the SMTP server's mail, or the dev outbox's row) → the client sees it on
Appointments (1280 and 390 px) and downloads its .ics → reschedules it to a free time → the
staff member's open Calendar tab shows the new time without a reload, and the client got an
updated invitation (same UID, higher SEQUENCE) → the client books a slot of a booking type →
the staff tab shows it → the client cancels it → a METHOD:CANCEL email, and the staff tab shows
it cancelled. axe-core scans each page; screenshots also copied to /tmp/shots-appointments-cross/.
Everything happens in next week (Berlin), so the staff tab stays on one week throughout.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from icalendar import Calendar
from playwright.sync_api import expect
from sqlmodel import Session, select

from tests.support.journey import (
    Journey,
    accept_invite,
    invite_client,
    look_and_keep,
    staff_credentials,
    staff_sign_in,
)
from tests.support.waiting import until

CLIENT = ("Cleo", "Cross", "cleo@cross.example")
NAME = "Cleo Cross"
KIND = "Cross-check call"
ZONE = "Europe/Berlin"
SHOTS = Path("/tmp/shots-appointments-cross")
EVERY_DAY = {str(d): [["08:00", "18:00"]] for d in range(7)}


def _look(j: Journey, page, name: str) -> None:
    look_and_keep(j, page, name, SHOTS)


def _set_up_booking(j: Journey) -> None:
    """The owner's hours (every day 08:00–18:00 in Berlin) and a bookable kind, through the
    services on the server's own database (Settings › Booking has its own journey)."""
    from portal_app.access import Staff
    from portal_app.models import StaffUser
    from portal_app.services.appointments import availability, booking

    engine = sa.create_engine(j.s.env["PORTAL_DATABASE_URL"])
    try:
        with Session(engine, expire_on_commit=False) as db:
            user = db.exec(select(StaffUser).where(StaffUser.email == staff_credentials(j)[0])).one()
            staff = Staff(user.workspace_id, user.id, user.role, user.email, user.name)
            availability.set_availability(db, staff, user.public_id, zone=ZONE, days=EVERY_DAY, days_off=[])
            booking.create_booking_type(db, staff, {"name": KIND, "duration_minutes": 30,
                                                    "description": "Half an hour to check where things stand."})
            db.commit()
    finally:
        engine.dispose()


def _invitations(j: Journey, to: str) -> list[tuple[str, Calendar]]:
    """Every calendar file emailed to `to`, oldest first, with its mail's subject: from the SMTP
    server (production), or the dev outbox's attachments (embedded)."""
    if j.s.mailbox is not None:
        found = []
        for msg in list(j.s.mailbox.messages):
            if to not in str(msg["To"]):
                continue
            for part in msg.iter_attachments():
                if part.get_content_type() == "text/calendar" or str(part.get_filename()).endswith(".ics"):
                    found.append((str(msg["Subject"]), Calendar.from_ical(part.get_payload(decode=True))))
        return found
    engine = sa.create_engine(j.s.env["PORTAL_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT m.subject, a.data FROM dev_mail m JOIN dev_mail_attachment a ON a.dev_mail_id = m.id "
                "WHERE m.to_addr = :to ORDER BY m.id, a.position"), {"to": to}).all()
    finally:
        engine.dispose()
    return [(subject, Calendar.from_ical(bytes(data))) for subject, data in rows]


def _nth_invitation(j: Journey, n: int) -> tuple[str, Calendar, dict]:
    """The n-th (1-based) calendar file emailed to the client, waiting for the worker; its
    subject, calendar and the one VEVENT."""
    got = until(lambda: (lambda found: found if len(found) >= n else None)(_invitations(j, CLIENT[2])), 30,
                f"no {n}th calendar invitation reached {CLIENT[2]}")
    subject, cal = got[n - 1]
    events = cal.walk("VEVENT")
    assert len(events) == 1, cal.to_ical()
    return subject, cal, events[0]


def _berlin(event) -> str:
    start = event["dtstart"].dt.astimezone(ZoneInfo(ZONE))
    end = event["dtend"].dt.astimezone(ZoneInfo(ZONE))
    return f"{start:%H:%M}\u2013{end:%H:%M}"


def _item(page, time: str, title: str, status: str = ""):
    label = f"^{re.escape(time)}, {re.escape(title)}, {re.escape(NAME)}, " + (re.escape(status) if status else "")
    return page.locator("#calendar-week").get_by_role("button", name=re.compile(label))


def _card(page, title: str):
    return page.get_by_role("list", name="Upcoming appointments").get_by_role("listitem").filter(
        has=page.get_by_role("heading", name=title))


def test_appointments_cross_journey(server, browser, axe):
    j = Journey(server, browser, axe)
    staff_ctx = j.context()
    client_ctx = browser.new_context(viewport={"width": 1280, "height": 900}, timezone_id=ZONE,
                                     accept_downloads=True)
    client_ctx.set_default_timeout(20_000)
    staff, client = j.page(staff_ctx), j.page(client_ctx)

    staff_sign_in(j, staff)
    accept_invite(client, invite_client(j, staff, *CLIENT), CLIENT[0])
    _set_up_booking(j)

    # the staff member's Calendar, on next week (Berlin); it stays open for the whole journey
    today = datetime.now(ZoneInfo(ZONE)).date()
    wednesday = today + timedelta(days=7 - today.weekday() + 2)
    j.go(staff, "/staff/calendar")
    expect(staff.get_by_role("heading", name="Calendar", exact=True)).to_be_visible()
    staff.get_by_label("Show times in").select_option(ZONE)
    staff.get_by_role("button", name="Next week").click()
    expect(staff.get_by_role("region", name=re.compile(f"^Week {wednesday - timedelta(days=2):%d %b}"))).to_be_visible()

    # staff: a new appointment for the client, Wednesday 10:00–10:45
    staff.get_by_role("button", name="New appointment").click()
    dialog = staff.get_by_role("dialog", name="New appointment")
    dialog.get_by_label("Client", exact=True).fill(CLIENT[0])
    dialog.get_by_role("button", name=re.compile(NAME)).click()
    expect(dialog.get_by_text(NAME)).to_be_visible()
    dialog.get_by_label("Title").fill("Strategy session")
    dialog.get_by_label("Date").fill(wednesday.isoformat())
    dialog.get_by_label("Start").fill("10:00")
    dialog.get_by_label("End").fill("10:45")
    expect(dialog.get_by_label("Time zone")).to_have_value(ZONE)
    dialog.get_by_label("Location or meeting link").fill("https://meet.example.com/strategy")
    dialog.get_by_label("Notes for the client").fill("Bring last quarter's numbers.")
    dialog.get_by_role("button", name="Create appointment").click()
    expect(staff.get_by_role("status").filter(has_text="Appointment created.")).to_be_visible()
    expect(_item(staff, "10:00\u201310:45", "Strategy session")).to_be_visible()

    # the client's invitation: METHOD:REQUEST, SEQUENCE 0, a stable UID, in Berlin
    subject, cal, invite = _nth_invitation(j, 1)
    assert subject.startswith("Appointment booked: Strategy session"), subject
    assert str(cal["method"]) == "REQUEST"
    uid, seq = str(invite["uid"]), int(invite.get("sequence", 0))
    assert uid.startswith("ap_") and seq == 0, (uid, seq)
    assert invite["dtstart"].params["TZID"] == ZONE and _berlin(invite) == "10:00\u201310:45"

    # the client's Appointments: it is there, at desktop and phone width
    j.go(client, "/appointments")
    card = _card(client, "Strategy session")
    expect(card).to_contain_text("10:00")
    expect(card).to_contain_text("Bring last quarter's numbers.")
    expect(card.get_by_role("link", name=re.compile("Join the meeting"))).to_have_attribute(
        "href", "https://meet.example.com/strategy")
    _look(j, client, "client-appointments-from-staff")

    # Add to calendar: the page's .ics is the same event (UID, SEQUENCE)
    with client.expect_download() as got:
        card.get_by_role("link", name="Add to calendar: Strategy session (.ics file)").click()
    page_cal = Calendar.from_ical(Path(got.value.path()).read_bytes())
    page_event = page_cal.walk("VEVENT")[0]
    assert str(page_cal["method"]) == "REQUEST" and str(page_event["uid"]) == uid
    assert int(page_event.get("sequence", 0)) == seq

    # the client reschedules to a free time on Thursday of the same week
    card.get_by_role("button", name="Reschedule Strategy session").click()
    panel = client.get_by_role("region", name=re.compile("Pick a new time"))
    expect(panel).to_be_visible()
    panel.get_by_role("button", name="Next week").click()
    thursday = wednesday + timedelta(days=1)
    slot = panel.get_by_role("button", name=re.compile(f"^Move to {thursday:%A %d %B}, 1[1-5]:"))
    expect(slot.first).to_be_visible()
    _look(j, client, "client-reschedule-panel")
    slot.first.click()
    expect(client.get_by_text("“Strategy session” is moved.", exact=False)).to_be_visible()

    # the updated invitation: the same UID, a higher SEQUENCE; the staff tab moved it live
    subject, cal, moved = _nth_invitation(j, 2)
    assert subject.startswith("Appointment moved: Strategy session"), subject
    assert str(cal["method"]) == "REQUEST" and str(moved["uid"]) == uid
    assert int(moved["sequence"]) > seq, (moved["sequence"], seq)
    assert moved["dtstart"].dt.date() == thursday
    new_time = _berlin(moved)
    expect(_item(staff, new_time, "Strategy session")).to_be_visible()
    expect(_item(staff, "10:00\u201310:45", "Strategy session")).to_have_count(0)
    _look(j, staff, "staff-calendar-after-client-move")

    # the client books a kind on Friday of that week; the staff tab shows it
    j.go(client, "/appointments/book")
    client.get_by_role("button", name=f"Choose {KIND}").click()
    client.get_by_role("button", name="Next week").click()
    friday = wednesday + timedelta(days=2)
    book = client.get_by_role("button", name=re.compile(f"^Book {friday:%A %d %B}, 09:"))
    expect(book.first).to_be_visible()
    book.first.click()
    confirm = client.get_by_role("region", name="Confirm your appointment")
    confirm.get_by_label("What would you like to talk about? (optional)").fill("Next quarter")
    _look(j, client, "client-book-confirm-cross")
    confirm.get_by_role("button", name="Book this time").click()
    client.wait_for_url(re.compile(r"/appointments\?booked=1$"))
    subject, cal, booked = _nth_invitation(j, 3)
    assert str(cal["method"]) == "REQUEST" and str(booked["uid"]) != uid
    assert booked["dtstart"].dt.date() == friday
    booked_time = _berlin(booked)
    expect(_item(staff, booked_time, KIND)).to_be_visible()

    # the client cancels it: a METHOD:CANCEL for the same UID, and the staff tab shows it cancelled
    _card(client, KIND).get_by_role("button", name=f"Cancel {KIND}").click()
    alert = client.get_by_role("alertdialog")
    expect(alert).to_contain_text("Cancel this appointment?")
    alert.get_by_role("button", name="Cancel appointment").click()
    expect(client.get_by_text(f"“{KIND}” is cancelled.", exact=False)).to_be_visible()
    subject, cal, cancelled = _nth_invitation(j, 4)
    assert subject.startswith(f"Appointment cancelled: {KIND}"), subject
    assert str(cal["method"]) == "CANCEL" and str(cancelled["uid"]) == str(booked["uid"])
    assert int(cancelled["sequence"]) > int(booked.get("sequence", 0))
    expect(_item(staff, booked_time, KIND, "Cancelled")).to_be_visible()
    expect(_item(staff, new_time, "Strategy session", "Scheduled")).to_be_visible()
    _look(j, staff, "staff-calendar-after-client-cancel")
    _look(j, client, "client-appointments-after-cancel")

    for c in (staff_ctx, client_ctx):
        c.close()
    serious = axe.serious()
    assert not serious, "\n".join(f"{page}: {v['id']} ({v['impact']}) {v['help']} at {v['nodes']}"
                                   for page, vs in serious.items() for v in vs)
    assert not j.errors, j.errors

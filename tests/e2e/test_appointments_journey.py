"""The client's Appointments in Chromium against the production build (issue 16):

two appointments are made for a new client through the services on the server's database (the
staff pages come from another branch) → the client, whose browser is in America/New_York, opens
Appointments: their zone is detected and the times are shown in it, at desktop and phone width →
they download the Kick-off's .ics and it parses (METHOD:REQUEST, the appointment's UID) → they
reschedule it to another free time → cancel the other (a confirm dialog) → make their private
calendar link (webcal:// and https://; the feed answers with their appointments) → book a
"30-min check-in" (a kind, a week, a time, confirm) → the home shows the next appointment.
axe-core scans each page; screenshots at 1280 and 390 px (also copied to /tmp/shots-appointments/).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

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

CLIENT = ("Ada", "Appoint", "ada@appoint.example")
SHOTS = Path("/tmp/shots-appointments")
EVERY_DAY = {str(d): [["08:00", "18:00"]] for d in range(7)}


def _look(j: Journey, page, name: str) -> None:
    look_and_keep(j, page, name, SHOTS)


def _set_up(j: Journey) -> None:
    """The owner's hours and a bookable kind, and two appointments of the client a few days
    ahead (past the 24-hour cut-off), through the services on the server's own database."""
    from portal_app.access import Staff
    from portal_app.models import Contact, StaffUser
    from portal_app.services.appointments import appointments as appts
    from portal_app.services.appointments import availability, booking

    engine = sa.create_engine(j.s.env["PORTAL_DATABASE_URL"])
    try:
        with Session(engine, expire_on_commit=False) as db:
            user = db.exec(select(StaffUser).where(StaffUser.email == staff_credentials(j)[0])).one()
            staff = Staff(user.workspace_id, user.id, user.role, user.email, user.name)
            contact = db.exec(select(Contact).where(Contact.workspace_id == user.workspace_id,
                                                    Contact.email == CLIENT[2])).one()
            availability.set_availability(db, staff, user.public_id, zone="Europe/Berlin", days=EVERY_DAY,
                                          days_off=[])
            booking.create_booking_type(db, staff, {"name": "30-min check-in", "duration_minutes": 30,
                                                    "description": "A short call about where things stand."})
            day = datetime.now(UTC).date() + timedelta(days=3)
            for title, hour, location in (("Kick-off", 10, "https://meet.example.com/kick-off"),
                                          ("Review", 14, "Harbor office, Pier 4")):
                start = datetime(day.year, day.month, day.day, hour)
                appts.create_appointment(db, staff, contact=contact.public_id, zone="Europe/Berlin", title=title,
                                         starts_at=start.isoformat(),
                                         ends_at=(start + timedelta(minutes=45)).isoformat(), location=location,
                                         client_notes="Bring the brand brief." if title == "Kick-off" else "")
            db.commit()
    finally:
        engine.dispose()


def _card(page, title: str):
    return page.get_by_role("list", name="Upcoming appointments").get_by_role("listitem").filter(
        has=page.get_by_role("heading", name=title))


def test_appointments_journey(server, browser, axe):
    j = Journey(server, browser, axe)
    staff_ctx = j.context()
    client_ctx = browser.new_context(viewport={"width": 1280, "height": 900}, timezone_id="America/New_York",
                                     accept_downloads=True)
    client_ctx.set_default_timeout(20_000)
    staff, client = j.page(staff_ctx), j.page(client_ctx)

    staff_sign_in(j, staff)
    accept_invite(client, invite_client(j, staff, *CLIENT), CLIENT[0])
    _set_up(j)

    # the list, in the browser's own zone (reported once, then kept)
    j.go(client, "/appointments")
    expect(client.get_by_role("heading", name="Appointments", exact=True)).to_be_visible()
    expect(client.get_by_text("Times are shown in America/New_York")).to_be_visible()
    kick = _card(client, "Kick-off")
    expect(kick).to_contain_text("(America/New_York)")
    expect(kick.get_by_role("link", name=re.compile("Join the meeting"))).to_have_attribute(
        "href", "https://meet.example.com/kick-off")
    expect(kick).to_contain_text("Bring the brand brief.")
    expect(_card(client, "Review")).to_contain_text("Harbor office, Pier 4")
    _look(j, client, "client-appointments")

    # Add to calendar: the .ics parses, an invitation with the appointment's UID
    with client.expect_download() as got:
        kick.get_by_role("link", name="Add to calendar: Kick-off (.ics file)").click()
    cal = Calendar.from_ical(Path(got.value.path()).read_bytes())
    event = next(iter(cal.walk("VEVENT")))
    assert str(cal["method"]) == "REQUEST" and str(event["uid"]).startswith("ap_")
    assert event["dtstart"].params["TZID"] == "Europe/Berlin" and "Kick-off" in str(event["summary"])
    before = kick.inner_text()

    # Reschedule: a new free time of the same length
    kick.get_by_role("button", name="Reschedule Kick-off").click()
    panel = client.get_by_role("region", name=re.compile("Pick a new time"))
    expect(panel).to_be_visible()
    _look(j, client, "client-appointments-reschedule")
    panel.get_by_role("button", name=re.compile("^Move to ")).first.click()
    expect(client.get_by_text("“Kick-off” is moved.", exact=False)).to_be_visible()
    expect(panel).to_have_count(0)
    assert _card(client, "Kick-off").inner_text() != before

    # Cancel the other, after a confirm
    _card(client, "Review").get_by_role("button", name="Cancel Review").click()
    dialog = client.get_by_role("alertdialog")
    expect(dialog).to_contain_text("Cancel this appointment?")
    dialog.get_by_role("button", name="Cancel appointment").click()
    expect(client.get_by_text("“Review” is cancelled.", exact=False)).to_be_visible()
    past = client.get_by_role("list", name="Past and cancelled appointments")
    expect(past).to_contain_text("Review")
    expect(past).to_contain_text("Cancelled")

    # the private calendar link
    client.get_by_role("button", name="Create my calendar link").click()
    webcal = client.get_by_label("Calendar app link (webcal)")
    expect(webcal).to_have_value(re.compile(r"^webcal://.+/api/calendar/feed/.+\.ics$"))
    expect(client.get_by_label("Web link", exact=True)).to_have_value(re.compile(r"^https?://.+\.ics$"))
    expect(client.get_by_role("button", name="Reset link")).to_be_visible()
    feed = client.request.get(client.get_by_label("Web link", exact=True).input_value())
    assert feed.status == 200 and b"Kick-off" in feed.body() and b"BEGIN:VCALENDAR" in feed.body()
    _look(j, client, "client-appointments-feed")

    # Book: a kind, a time, confirm
    client.get_by_role("link", name="Book an appointment").click()
    client.wait_for_url(re.compile(r"/appointments/book$"))
    expect(client.get_by_role("heading", name="What kind of appointment?")).to_be_visible()
    _look(j, client, "client-book-kinds")
    client.get_by_role("button", name="Choose 30-min check-in").click()
    first = client.get_by_role("button", name=re.compile("^Book ")).first
    expect(first).to_be_visible()
    first.click()
    confirm = client.get_by_role("region", name="Confirm your appointment")
    expect(confirm).to_be_visible()
    confirm.get_by_label("What would you like to talk about? (optional)").fill("The launch plan")
    _look(j, client, "client-book-confirm")
    confirm.get_by_role("button", name="Book this time").click()
    client.wait_for_url(re.compile(r"/appointments\?booked=1$"))
    expect(client.get_by_text("Your appointment is booked.", exact=False)).to_be_visible()
    expect(_card(client, "30-min check-in")).to_contain_text("The launch plan")

    # the home's Appointments card shows what comes next
    j.go(client, "/")
    expect(client.get_by_role("link", name=re.compile("Appointments")).filter(has_text="Next:")).to_be_visible()
    _look(j, client, "client-home-next-appointment")
    assert not j.errors, j.errors

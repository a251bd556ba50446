"""The staff calendar in Chromium against the production build (issue 16, staff side): the owner
sets working hours and a booking type (Settings › Booking), creates an appointment for the client
in the calendar's dialog (a missing title answered beside the field), edits and reschedules it,
sees it in the week and the list view, subscribes to it with their private calendar feed
(fetched and parsed; reset: the old link 404s) — and a second staff tab sees each change live,
without a reload; the contact record lists it and sends a booking link; cancelling asks first.
Screenshots at 1280 and 390 px (look_and_keep), axe clean."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from icalendar import Calendar
from playwright.sync_api import expect

from tests.support.journey import Journey, invite_client, look_and_keep, staff_sign_in

# a name of its own: the other appointment journeys make booking types on the same server
KIND = "Calendar journey check-in"

SHOTS = Path("/tmp/shots-calendar")
ZONE = "Europe/Berlin"


def _look(j: Journey, page, name: str) -> None:
    look_and_keep(j, page, name, SHOTS)


def _client(j: Journey, staff) -> tuple[str, str]:
    """The demo's client (embedded), or one invited now (a fresh install)."""
    if j.s.env["PORTAL_DEMO"] == "1":
        return "Casey Client", "Casey"
    invite_client(j, staff, "Cora", "Calendar", "cora@calendar.example")
    return "Cora Calendar", "Cora"


def _week_item(page, text: str):
    return page.locator("#calendar-week").get_by_role("button", name=re.compile(text))


def test_calendar_journey(server, browser, axe):
    j = Journey(server, browser, axe)
    ctx, other_ctx = j.context(), j.context()
    staff, other = j.page(ctx), j.page(other_ctx)
    staff_sign_in(j, staff)
    staff_sign_in(j, other)
    name, search = _client(j, staff)

    # Settings › Booking: Monday to Friday 09:00–17:00 in Berlin, a lunch break on Monday; a type
    j.go(staff, "/staff/settings/booking")
    expect(staff.get_by_role("heading", name="Booking", exact=True)).to_be_visible()
    staff.get_by_label("Time zone").select_option(ZONE)
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday"):
        box = staff.get_by_role("checkbox", name=day)
        if box.get_attribute("aria-checked") != "true":
            box.click()
    staff.get_by_label("Monday until").fill("12:00")
    staff.get_by_label("Monday second block from").fill("13:00")
    staff.get_by_label("Monday second block until").fill("17:00")
    staff.get_by_role("button", name="Save working hours").click()
    expect(staff.get_by_role("alert").filter(has_text="Working hours saved.")).to_be_visible()
    staff.get_by_role("button", name="New booking type").click()
    dialog = staff.get_by_role("dialog")
    dialog.get_by_label("Name").fill(KIND)
    dialog.get_by_label("Duration (minutes)").fill("7")
    dialog.get_by_role("button", name="Save booking type").click()
    expect(dialog.get_by_role("alert")).to_contain_text("steps of 5")
    dialog.get_by_label("Duration (minutes)").fill("30")
    dialog.get_by_role("button", name="Save booking type").click()
    expect(staff.get_by_role("row").filter(has_text=KIND)).to_be_visible()
    _look(j, staff, "staff-booking-settings")

    # the calendar, in the staff navigation; a second staff tab follows it
    staff.get_by_role("navigation", name="Staff navigation").get_by_role("link", name="Calendar").click()
    staff.wait_for_url(re.compile(r"/staff/calendar$"))
    expect(staff.get_by_role("heading", name="Calendar", exact=True)).to_be_visible()
    expect(staff.get_by_label("Show times in")).to_have_value(ZONE)
    j.go(other, "/staff/calendar")
    other.get_by_label("Show times in").select_option(ZONE)

    # tomorrow (in Berlin) at 10:00; on a Sunday that is next week's first day
    today = datetime.now(ZoneInfo(ZONE)).date()
    day = today + timedelta(days=1)
    next_week = day.weekday() == 0
    staff.get_by_role("button", name="New appointment").click()
    dialog = staff.get_by_role("dialog", name="New appointment")
    dialog.get_by_label("Client", exact=True).fill(search)
    dialog.get_by_role("button", name=re.compile(name)).click()
    expect(dialog.get_by_text(name)).to_be_visible()
    dialog.get_by_label("Date").fill(day.isoformat())
    dialog.get_by_label("Start").fill("10:00")
    dialog.get_by_label("End").fill("10:30")
    expect(dialog.get_by_label("Time zone")).to_have_value(ZONE)
    dialog.get_by_label("Location or meeting link").fill("https://meet.example/kickoff")
    dialog.get_by_label("Notes for the client").fill("We will go through the plan.")
    dialog.get_by_label("Internal notes").fill("Budget about 10k")
    dialog.get_by_role("button", name="Create appointment").click()
    expect(dialog).to_be_visible()   # the title is required (the browser's check)
    dialog.get_by_label("Title").fill("Kick-off call")
    dialog.get_by_label("End").fill("09:30")
    dialog.get_by_role("button", name="Create appointment").click()
    expect(dialog.get_by_role("alert")).to_have_text("The end must be after the start.")   # beside End
    dialog.get_by_label("End").fill("10:30")
    _look(j, staff, "staff-appointment-dialog")
    dialog.get_by_role("button", name="Create appointment").click()
    expect(staff.get_by_role("status").filter(has_text="Appointment created.")).to_be_visible()
    for page in (staff, other):
        if next_week:
            page.get_by_role("button", name="Next week").click()
        expect(_week_item(page, f"10:00\u201310:30, Kick-off call, {name}")).to_be_visible()

    # edit and reschedule: the other tab moves with it
    _week_item(staff, "Kick-off call").click()
    dialog = staff.get_by_role("dialog", name="Edit appointment")
    expect(dialog.get_by_label("Title")).to_have_value("Kick-off call")
    dialog.get_by_label("Title").fill("Kick-off call (moved)")
    dialog.get_by_label("Start").fill("11:00")
    dialog.get_by_label("End").fill("11:45")
    dialog.get_by_role("button", name="Save changes").click()
    expect(staff.get_by_role("status").filter(has_text="Appointment saved.")).to_be_visible()
    for page in (staff, other):
        expect(_week_item(page, f"11:00\u201311:45, Kick-off call \\(moved\\), {name}")).to_be_visible()
    _look(j, staff, "staff-calendar-week")

    staff.get_by_role("button", name="List", exact=True).click()
    row = staff.locator("#calendar-list").get_by_role("row").filter(has_text=name)
    expect(row.first).to_contain_text("11:00\u201311:45")
    staff.get_by_label("Show", exact=True).select_option("mine")
    expect(row.first).to_be_visible()
    _look(j, staff, "staff-calendar-list")

    # my private calendar feed: made, copied, served with my appointment; a reset stops the old one
    staff.get_by_role("button", name="Create my calendar link").click()
    webcal = staff.get_by_label("Calendar app link (webcal)")
    expect(webcal).to_have_value(re.compile(r"^webcal://.+/api/calendar/feed/.+\.ics$"))
    web_link = staff.get_by_label("Web link", exact=True)
    expect(web_link).to_have_value(re.compile(r"^https?://.+\.ics$"))
    first = web_link.input_value()
    assert webcal.input_value().split("://", 1)[1] == first.split("://", 1)[1]
    expect(staff.get_by_role("button", name="Copy the calendar app link")).to_be_visible()
    feed = staff.request.get(first)
    assert feed.status == 200 and "private" in feed.headers["cache-control"]
    events = Calendar.from_ical(feed.body()).walk("VEVENT")
    assert any("Kick-off call (moved)" in str(e["SUMMARY"]) for e in events), [str(e["SUMMARY"]) for e in events]
    assert b"Budget about 10k" not in feed.body()   # internal notes never in a feed
    _look(j, staff, "staff-calendar-feed")
    staff.get_by_role("button", name="Reset link").click()
    confirm = staff.get_by_role("alertdialog")
    expect(confirm).to_contain_text("stops working at once")
    confirm.get_by_role("button", name="Reset link").click()
    expect(web_link).not_to_have_value(first)
    assert staff.request.get(first).status == 404
    assert staff.request.get(web_link.input_value()).status == 200

    # the contact record: the appointment listed, a booking link sent (once; a second is refused)
    j.go(staff, "/staff/contacts")
    staff.get_by_role("link", name=name).first.click()
    staff.wait_for_url(re.compile(r"/staff/contacts/ct_"))
    panel = staff.get_by_role("list", name="Appointments of this contact")
    expect(panel).to_contain_text("Kick-off call (moved)")
    staff.get_by_role("button", name="Send booking link").click()
    expect(staff.get_by_role("alert").filter(has_text="Booking link sent to")).to_be_visible()
    staff.get_by_role("button", name="Send booking link").click()
    expect(staff.get_by_role("alert").filter(has_text="minute ago")).to_be_visible()
    _look(j, staff, "staff-contact-appointments")
    expect(staff.get_by_role("link", name="New appointment")).to_have_attribute("href", re.compile(r"new=ct_"))

    # cancel: asks first; the other tab shows it cancelled
    j.go(staff, "/staff/calendar")
    expect(staff.get_by_role("button", name="List", exact=True)).to_have_attribute("aria-pressed", "true")  # kept
    staff.get_by_role("button", name="Week", exact=True).click()
    if next_week:
        staff.get_by_role("button", name="Next week").click()
    _week_item(staff, "Kick-off call").click()
    dialog = staff.get_by_role("dialog", name="Edit appointment")
    dialog.get_by_role("button", name="Cancel appointment").click()
    confirm = staff.get_by_role("alertdialog")
    expect(confirm).to_contain_text("client is told by email")
    confirm.get_by_role("button", name="Cancel appointment").click()
    expect(staff.get_by_role("status").filter(has_text="Appointment cancelled.")).to_be_visible()
    expect(_week_item(other, f"Kick-off call \\(moved\\), {name}, Cancelled")).to_be_visible()

    for c in (ctx, other_ctx):
        c.close()
    serious = axe.serious()
    assert not serious, "\n".join(f"{page}: {v['id']} ({v['impact']}) {v['help']} at {v['nodes']}"
                                   for page, vs in serious.items() for v in vs)
    assert not j.errors, j.errors

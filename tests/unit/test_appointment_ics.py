"""services/appointments/ics.py (pure): invitations and feeds parsed back with icalendar —
UID, SEQUENCE, METHOD, DTSTART/DTEND with the appointment's TZID and a VTIMEZONE for it,
STATUS for a cancellation, ORGANIZER/ATTENDEE, escaping of commas, semicolons and newlines,
truncation, CRLF lines, a 500-event feed, and bad input."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from portal_app.services.appointments.ics import (
    MAX_DESCRIPTION,
    MAX_LOCATION,
    MAX_SUMMARY,
    IcsEvent,
    feed,
    invitation,
    prodid,
)

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
EVENT = IcsEvent(
    uid="ap_7Kq2@portal.example.test", sequence=0,
    start=datetime(2026, 3, 9, 13, tzinfo=UTC), end=datetime(2026, 3, 9, 13, 30, tzinfo=UTC),
    zone="America/New_York", summary="Tax review", description="Bring last year's return.",
    location="https://meet.example.test/abc", url="https://portal.example.test/portal/appointments/ap_7Kq2",
    organizer_email="anna@business.example.test", organizer_name="Anna Staff",
    attendee_email="bob@client.example.test", attendee_name="Bob Client", stamp=NOW,
)


def parse(data: bytes) -> Calendar:
    return Calendar.from_ical(data)


def only_event(cal: Calendar):
    events = cal.walk("VEVENT")
    assert len(events) == 1
    return events[0]


def test_request_invitation_round_trips():
    data = invitation(EVENT, business="Alpha Studio")
    assert data.startswith(b"BEGIN:VCALENDAR\r\n") and data.endswith(b"END:VCALENDAR\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")  # CRLF only
    cal = parse(data)
    assert str(cal["method"]) == "REQUEST" and str(cal["version"]) == "2.0"
    assert str(cal["prodid"]) == "-//Alpha Studio//Appointments//EN" and b"Client Portal" not in data
    ev = only_event(cal)
    assert str(ev["uid"]) == "ap_7Kq2@portal.example.test"
    assert ev.decoded("sequence") == 0
    assert str(ev["status"]) == "CONFIRMED"
    assert ev["dtstart"].params["TZID"] == "America/New_York" and ev["dtend"].params["TZID"] == "America/New_York"
    start = ev.decoded("dtstart")
    assert start == EVENT.start and start.tzinfo == ZoneInfo("America/New_York")
    assert (start.hour, start.minute) == (9, 0)  # 13:00 UTC is 09:00 EDT (the day after the change)
    assert ev.decoded("dtend") == EVENT.end
    assert ev.decoded("dtstamp") == NOW
    assert str(ev["summary"]) == "Tax review" and str(ev["location"]) == EVENT.location
    assert str(ev["url"]) == EVENT.url
    assert str(ev["organizer"]) == "mailto:anna@business.example.test" and ev["organizer"].params["CN"] == "Anna Staff"
    assert str(ev["attendee"]) == "mailto:bob@client.example.test" and ev["attendee"].params["CN"] == "Bob Client"
    assert [tz.tz_name for tz in cal.timezones] == ["America/New_York"]
    assert cal.get_missing_tzids() == set()


def test_the_vtimezone_gives_the_right_offsets_on_both_sides_of_the_change():
    before = dataclasses.replace(EVENT, start=datetime(2026, 3, 6, 14, tzinfo=UTC),
                                 end=datetime(2026, 3, 6, 15, tzinfo=UTC))
    for event, utc_hour in ((before, 14), (EVENT, 13)):
        cal = parse(invitation(event))
        tz = cal.timezones[0].to_tz()  # the VTIMEZONE itself, not the system's zone database
        start = only_event(cal)["dtstart"].dt.replace(tzinfo=None)
        assert start.hour == 9
        assert start.replace(tzinfo=tz).astimezone(UTC).hour == utc_hour


@pytest.mark.parametrize(("zone", "wall"), [("Europe/Berlin", "20260309T140000"), ("Asia/Kolkata", "20260309T183000")])
def test_tzid_follows_the_zone_of_the_appointment(zone, wall):
    data = invitation(dataclasses.replace(EVENT, zone=zone))
    assert f"DTSTART;TZID={zone}:{wall}".encode() in data
    cal = parse(data)
    assert [tz.tz_name for tz in cal.timezones] == [zone]
    assert only_event(cal).decoded("dtstart") == EVENT.start


def test_a_change_increases_the_sequence_and_keeps_the_uid():
    moved = dataclasses.replace(EVENT, sequence=1, start=EVENT.start + timedelta(days=1),
                                end=EVENT.end + timedelta(days=1))
    ev = only_event(parse(invitation(moved)))
    assert str(ev["uid"]) == EVENT.uid and ev.decoded("sequence") == 1


def test_cancel_invitation():
    cancelled = dataclasses.replace(EVENT, sequence=2, cancelled=True)
    cal = parse(invitation(cancelled, method="CANCEL"))
    ev = only_event(cal)
    assert str(cal["method"]) == "CANCEL" and str(ev["status"]) == "CANCELLED"
    assert str(ev["uid"]) == EVENT.uid and ev.decoded("sequence") == 2
    # METHOD:CANCEL always says CANCELLED, even if the caller forgot the flag
    assert str(only_event(parse(invitation(EVENT, method="CANCEL")))["status"]) == "CANCELLED"


def test_text_is_escaped_and_round_trips():
    tricky = "Review, part 1; bring: forms\nSecond line\\ with backslash"
    data = invitation(dataclasses.replace(EVENT, summary=tricky, description=tricky + "\r\nThird",
                                          location="Room 4, 2nd floor; east"))
    unfolded = data.replace(b"\r\n ", b"")
    assert b"SUMMARY:Review\\, part 1\\; bring: forms\\nSecond line\\\\ with backslash\r\n" in unfolded
    ev = only_event(parse(data))
    assert str(ev["summary"]) == tricky
    assert str(ev["description"]) == tricky + "\nThird"
    assert str(ev["location"]) == "Room 4, 2nd floor; east"


def test_text_cannot_inject_properties_and_is_cut_to_length():
    evil = "x\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:evil\x00\x07"
    data = invitation(dataclasses.replace(EVENT, summary=evil, description="d" * 50_000, location="l" * 5_000,
                                          attendee_name="Bob\r\nX-EVIL:1"))
    cal = parse(data)
    ev = only_event(cal)
    assert str(ev["uid"]) == EVENT.uid and "X-EVIL" not in ev
    assert str(ev["summary"]) == "x\nEND:VEVENT\nBEGIN:VEVENT\nUID:evil"
    assert len(str(ev["description"])) == MAX_DESCRIPTION and len(str(ev["location"])) == MAX_LOCATION
    long = only_event(parse(invitation(dataclasses.replace(EVENT, summary="s" * 3_000))))
    assert len(str(long["summary"])) == MAX_SUMMARY
    assert str(only_event(parse(invitation(dataclasses.replace(EVENT, summary="  "))))["summary"]) == "Appointment"


def test_optional_people_and_links_are_left_out():
    bare = IcsEvent(uid="ap_1@h.test", sequence=3, start=EVENT.start, end=EVENT.end, zone="Europe/Berlin",
                    summary="Call", stamp=NOW)
    ev = only_event(parse(invitation(bare)))
    for name in ("organizer", "attendee", "url", "location", "description"):
        assert name not in ev


def test_feed_with_500_events():
    zones = ["Europe/Berlin", "America/New_York", "Asia/Kolkata"]
    events = [dataclasses.replace(EVENT, uid=f"ap_{i:04d}@portal.example.test", sequence=i % 4,
                                  start=EVENT.start + timedelta(hours=7 * i), end=EVENT.end + timedelta(hours=7 * i),
                                  zone=zones[i % 3], cancelled=i % 10 == 0, stamp=None if i % 2 else NOW)
              for i in range(500)]
    data = feed(events, name="Bob's appointments, Acme", stamp=NOW + timedelta(minutes=5))
    cal = parse(data)
    assert "METHOD" not in cal
    assert str(cal["x-wr-calname"]) == "Bob's appointments, Acme"
    vevents = cal.walk("VEVENT")
    assert len(vevents) == 500
    assert {str(e["uid"]) for e in vevents} == {e.uid for e in events}
    assert sorted(tz.tz_name for tz in cal.timezones) == sorted(zones) and cal.get_missing_tzids() == set()
    by_uid = {str(e["uid"]): e for e in vevents}
    for event in events[:30]:
        ev = by_uid[event.uid]
        assert ev["dtstart"].params["TZID"] == event.zone and ev.decoded("dtstart") == event.start
        assert ev.decoded("sequence") == event.sequence
        assert str(ev["status"]) == ("CANCELLED" if event.cancelled else "CONFIRMED")
        assert ev.decoded("dtstamp") == (event.stamp or NOW + timedelta(minutes=5))


def test_empty_feed_is_a_valid_calendar():
    cal = parse(feed([], name="", stamp=NOW))
    assert cal.walk("VEVENT") == [] and str(cal["x-wr-calname"]) == "Appointments"


def test_bad_input_raises_value_error():
    with pytest.raises(ValueError, match="method"):
        invitation(EVENT, method="PUBLISH")
    with pytest.raises(ValueError, match="DTSTAMP"):
        invitation(dataclasses.replace(EVENT, stamp=None))
    with pytest.raises(ValueError, match="timezone-aware"):
        invitation(dataclasses.replace(EVENT, start=datetime(2026, 3, 9, 13)))
    with pytest.raises(ValueError, match="end after it starts"):
        invitation(dataclasses.replace(EVENT, end=EVENT.start))
    with pytest.raises(ValueError, match="Unknown time zone"):
        invitation(dataclasses.replace(EVENT, zone="Nowhere/Land"))
    with pytest.raises(ValueError, match="UID"):
        invitation(dataclasses.replace(EVENT, uid=""))
    with pytest.raises(ValueError, match="UID"):
        invitation(dataclasses.replace(EVENT, uid="a\r\nb"))
    with pytest.raises(ValueError, match="SEQUENCE"):
        invitation(dataclasses.replace(EVENT, sequence=-1))
    with pytest.raises(ValueError, match="attendee email"):
        invitation(dataclasses.replace(EVENT, attendee_email="bob@x.test\r\nX-EVIL:1"))
    with pytest.raises(ValueError, match="organizer email"):
        invitation(dataclasses.replace(EVENT, organizer_email="not-an-address"))
    with pytest.raises(ValueError, match="URL"):
        invitation(dataclasses.replace(EVENT, url="javascript:alert(1)"))
    with pytest.raises(ValueError, match="timezone-aware"):
        feed([EVENT], name="x", stamp=datetime(2026, 3, 1))


def test_a_utc_appointment_is_written_in_utc_without_a_vtimezone():
    data = invitation(dataclasses.replace(EVENT, zone="Etc/UTC"))
    assert b"DTSTART:20260309T130000Z\r\n" in data and b"VTIMEZONE" not in data
    assert only_event(parse(data)).decoded("dtstart") == EVENT.start


# --- PRODID: the business's calendar -----------------------------------------------------------------

@pytest.mark.parametrize("business, expected", [
    ("Alpha Studio", "-//Alpha Studio//Appointments//EN"),
    ("Zoë & Co. Café", "-//Zoë & Co. Café//Appointments//EN"),  # letters of any script stay
    ("A/B Partners", "-//A B Partners//Appointments//EN"),  # a slash would split the identifier
    ("Smith, Jones; Partners: Law", "-//Smith Jones Partners Law//Appointments//EN"),  # no TEXT escapes
    ('Evil\r\nMETHOD:CANCEL\\ "x"', "-//Evil METHOD CANCEL x//Appointments//EN"),  # no line break, no quotes
    ("  lots   of\tspace  ", "-//lots of space//Appointments//EN"),
    ("x" * 500, "-//" + "x" * 80 + "//Appointments//EN"),  # cut
    ("", "-//Portal//Appointments//EN"),
    ("///", "-//Portal//Appointments//EN"),  # nothing left
    ("Client Portal", "-//Client Portal//Appointments//EN"),  # a business may call itself that
])
def test_prodid_names_the_business_sanitised(business, expected):
    assert prodid(business) == expected


def test_invitations_and_feeds_carry_the_business_in_prodid_and_parse_back():
    tricky = "Smith/Jones, Tax; Advice\nLtd"
    for data in (invitation(EVENT, business=tricky), invitation(EVENT, method="CANCEL", business=tricky),
                 feed([EVENT], name="Smith appointments", stamp=NOW, business=tricky)):
        cal = parse(data)
        assert str(cal["prodid"]) == "-//Smith Jones Tax Advice Ltd//Appointments//EN"
        assert b"PRODID:-//Smith Jones Tax Advice Ltd//Appointments//EN\r\n" in data  # unescaped, one line
        assert b"Client Portal" not in data

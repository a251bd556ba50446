"""services/appointments booking, availability and feeds: booking types kept by staff, a client
books a time inside working hours that is still free (buffer, notice, horizon, days off), moves
it up to the cut-off; each member sets their own hours (owners and admins anyone's); feed tokens
are stored hashed, list only their owner's appointments, and stop at once when reset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from portal_app.errors import Forbidden, Invalid, NotFound, NotSignedIn
from portal_app.models import Appointment, BookingType, CalendarFeedToken, ClientAccount, PortalSettings, StaffUser
from portal_app.services.appointments import appointments as appts
from portal_app.services.appointments import availability, booking, feeds
from portal_app.services.security import hash_token
from tests.support.appointments import booking_type, freeze, open_hours, staff_public_id

TAKEN = "That time was just taken. Please pick another one."
TUE_10_BERLIN = "2026-12-08T09:00:00+00:00"


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    return freeze(monkeypatch)


@pytest.fixture
def bt(world, db):
    open_hours(db, world.staff_a)
    t = booking_type(db, world.staff_a, location="https://meet.example.com/x")
    db.commit()
    return t


# --- booking types ---------------------------------------------------------------------------

def test_staff_keep_booking_types_and_clients_see_the_active_ones(world, db, bt):
    other = booking.create_booking_type(db, world.member_a, {"name": "Kick-off", "duration_minutes": 60,
                                                             "buffer_minutes": 15, "min_notice_minutes": 120,
                                                             "horizon_days": 30})
    db.commit()
    assert [t["name"] for t in booking.staff_booking_types(db, world.staff_a)] == ["30-min check-in", "Kick-off"]
    assert other.staff_id == world.member_a.user_id
    booking.update_booking_type(db, world.member_a, bt.public_id, {"name": "Check-in", "duration_minutes": 45})
    booking.delete_booking_type(db, world.staff_a, other.public_id)
    db.commit()
    seen = booking.client_booking_types(db, world.client_a1)
    assert [(t["name"], t["duration_minutes"], t["staff_name"]) for t in seen] == [("Check-in", 45, "Ava Owner")]
    assert booking.client_booking_types(db, world.client_b1) == []
    assert booking.staff_booking_types(db, world.staff_b) == []
    with pytest.raises(NotFound):
        booking.update_booking_type(db, world.staff_b, bt.public_id, {"name": "Theirs"})
    with pytest.raises(Forbidden):
        booking.create_booking_type(db, world.client_a1, {"name": "x"})
    with pytest.raises(NotSignedIn):
        booking.staff_booking_types(db, world.anon)


@pytest.mark.parametrize("values, message", [
    ({"name": ""}, "Name is required"),
    ({"name": "n" * 121}, "at most 120 characters"),
    ({"duration_minutes": 0}, "between 5 and 480"),
    ({"duration_minutes": 22}, "steps of 5 minutes"),
    ({"duration_minutes": "half an hour"}, "whole number"),
    ({"buffer_minutes": -5}, "between 0 and 240"),
    ({"horizon_days": 0}, "between 1 and 365 days"),
    ({"description": "d" * 1001}, "at most 1000 characters"),
])
def test_bad_booking_types_are_refused_in_words(world, db, values, message):
    with pytest.raises(Invalid, match=message):
        booking.create_booking_type(db, world.staff_a, {"name": "Check-in", **values})


# --- booking ---------------------------------------------------------------------------------

def test_a_client_books_a_free_time(world, db, bt):
    a = booking.book(db, world.client_a1, bt.public_id, TUE_10_BERLIN, zone="Europe/Paris", notes="About the logo")
    db.commit()
    assert (a.starts_at, a.ends_at) == (datetime(2026, 12, 8, 9, 0, tzinfo=UTC), datetime(2026, 12, 8, 9, 30,
                                                                                          tzinfo=UTC))
    assert a.contact_id == world.contact_a1.id and a.staff_id == world.staff_a.user_id and a.created_by == "client"
    assert a.title == "30-min check-in" and a.location == "https://meet.example.com/x" and a.zone == "Europe/Paris"
    [seen] = appts.client_appointments(db, world.client_a1, zone="Europe/Paris")["upcoming"]
    assert seen["notes"] == "About the logo"
    with pytest.raises(Invalid, match=TAKEN):   # the same time again (here: one after the other)
        booking.book(db, world.client_a2, bt.public_id, TUE_10_BERLIN)
    db.rollback()
    assert len(db.exec(select(Appointment)).all()) == 1


@pytest.mark.parametrize("start, message", [
    ("2026-12-08T07:30:00+00:00", "not one of the times offered"),   # 08:30 in Berlin: before hours
    ("2026-12-08T15:45:00+00:00", "not one of the times offered"),   # 16:45–17:15 crosses the end of hours
    ("2026-12-08T09:10:00+00:00", "not one of the times offered"),   # off the 30-minute grid
    ("2026-12-12T09:00:00+00:00", "not one of the times offered"),   # a Saturday
    ("2026-12-07T07:30:00+00:00", "too soon"),                       # in the past
    ("2027-03-01T09:00:00+00:00", "too far ahead"),                  # past the 60-day horizon
    ("2026-12-08T10:00", "Pick one of the times offered"),           # no offset
    ("next tuesday", "Pick one of the times offered"),
])
def test_times_that_are_not_offered_are_refused(world, db, bt, start, message):
    with pytest.raises(Invalid, match=message):
        booking.book(db, world.client_a1, bt.public_id, start)


def test_notice_buffer_and_days_off(world, db):
    open_hours(db, world.staff_a, days_off=["2026-12-09"])
    t = booking_type(db, world.staff_a, name="Long", duration_minutes=60, buffer_minutes=30, min_notice_minutes=24 * 60)
    db.commit()
    with pytest.raises(Invalid, match="too soon"):   # Mon 10:00 Berlin is inside hours but not 24 h ahead
        booking.book(db, world.client_a1, t.public_id, "2026-12-07T09:00:00+00:00")
    with pytest.raises(Invalid, match="not one of the times offered"):  # a day off
        booking.book(db, world.client_a1, t.public_id, "2026-12-09T09:00:00+00:00")
    booking.book(db, world.client_a1, t.public_id, "2026-12-08T09:00:00+00:00")  # Tue 10:00–11:00 Berlin
    db.commit()
    with pytest.raises(Invalid, match=TAKEN):        # 11:00 would leave no 30-minute buffer
        booking.book(db, world.client_a2, t.public_id, "2026-12-08T10:00:00+00:00")
    db.rollback()
    with pytest.raises(Invalid, match=TAKEN):        # before: 09:00–10:00 Berlin leaves no buffer either
        booking.book(db, world.client_a2, t.public_id, "2026-12-08T08:00:00+00:00")
    db.rollback()
    booking.book(db, world.client_a2, t.public_id, "2026-12-08T11:00:00+00:00")  # 12:00–13:00 Berlin: clear


def test_a_staff_appointment_blocks_booking_too(world, db, bt):
    appts.create_appointment(db, world.staff_a, contact=world.contact_a2.public_id, starts_at="2026-12-08T10:00",
                             ends_at="2026-12-08T11:00", zone="Europe/Berlin", title="Workshop")
    db.commit()
    with pytest.raises(Invalid, match=TAKEN):
        booking.book(db, world.client_a1, bt.public_id, "2026-12-08T09:30:00+00:00")


def test_who_may_book_what(world, db, bt):
    with pytest.raises(NotFound):   # a client of workspace B and a type of workspace A
        booking.book(db, world.client_b1, bt.public_id, TUE_10_BERLIN)
    with pytest.raises(Forbidden):
        booking.book(db, world.staff_a, bt.public_id, TUE_10_BERLIN)
    with pytest.raises(NotSignedIn):
        booking.book(db, world.anon, bt.public_id, TUE_10_BERLIN)
    booking.delete_booking_type(db, world.staff_a, bt.public_id)
    db.commit()
    with pytest.raises(NotFound, match="cannot be booked"):
        booking.book(db, world.client_a1, bt.public_id, TUE_10_BERLIN)
    ps = db.get(PortalSettings, world.ws_a.id)
    ps.show_appointments, bt.active = False, True
    db.add_all([ps, bt])
    db.commit()
    with pytest.raises(NotFound):
        booking.book(db, world.client_a1, bt.public_id, TUE_10_BERLIN)
    with pytest.raises(NotFound):
        booking.client_booking_types(db, world.client_a1)


def test_no_hours_set_means_no_online_booking(world, db):
    t = booking_type(db, world.member_a)
    db.commit()
    with pytest.raises(Invalid, match="not available for this person"):
        booking.book(db, world.client_a1, t.public_id, TUE_10_BERLIN)


def test_the_client_moves_a_booking_to_another_free_time_up_to_the_cut_off(world, db, bt, clock):
    a = booking.book(db, world.client_a1, bt.public_id, "2026-12-09T09:00:00+00:00")
    db.commit()
    moved = booking.client_reschedule(db, world.client_a1, a.public_id, "2026-12-10T13:00:00+00:00")
    db.commit()
    assert moved.sequence == 1 and moved.starts_at == datetime(2026, 12, 10, 13, 0, tzinfo=UTC)
    booking.book(db, world.client_a2, bt.public_id, "2026-12-09T09:00:00+00:00")  # the old time is free
    db.commit()
    with pytest.raises(Invalid, match=TAKEN):
        booking.client_reschedule(db, world.client_a1, a.public_id, "2026-12-09T09:00:00+00:00")
    db.rollback()
    with pytest.raises(NotFound):
        booking.client_reschedule(db, world.client_a2, a.public_id, "2026-12-11T09:00:00+00:00")
    clock.advance(days=2, hours=10)  # Wed 18:00 UTC: 19 h before Thu 13:00
    with pytest.raises(Invalid, match="rescheduled online up to 24 hours"):
        booking.client_reschedule(db, world.client_a1, a.public_id, "2026-12-11T09:00:00+00:00")


# --- availability ----------------------------------------------------------------------------

def test_members_set_their_own_hours_owners_anyones(world, db):
    me = staff_public_id(db, world.member_a)
    owner = staff_public_id(db, world.staff_a)
    view = availability.set_availability(db, world.member_a, me, zone="Asia/Kolkata",
                                         days={"0": [["13:00", "17:00"], ["09:00", "12:30"]]},
                                         days_off=["2026-12-24", "2026-12-24"])
    assert view["days"] == {"0": [["09:00", "12:30"], ["13:00", "17:00"]]} and view["days_off"] == ["2026-12-24"]
    with pytest.raises(Forbidden, match="colleague's availability"):
        availability.set_availability(db, world.member_a, owner, zone="UTC", days={})
    availability.set_availability(db, world.staff_a, me, zone="Europe/Berlin", days={"1": [["08:00", "12:00"]]})
    db.commit()
    assert availability.get_availability(db, world.member_a, me)["zone"] == "Europe/Berlin"
    assert not availability.get_availability(db, world.member_a, owner)["editable"]
    assert availability.get_availability(db, world.staff_a, me)["editable"]
    with pytest.raises(NotFound):
        availability.set_availability(db, world.staff_b, me, zone="UTC", days={})
    with pytest.raises(NotFound):
        availability.get_availability(db, world.staff_b, me)
    with pytest.raises(Forbidden):
        availability.set_availability(db, world.client_a1, me, zone="UTC", days={})


@pytest.mark.parametrize("zone, days, days_off, message", [
    ("Nowhere/City", {}, [], "not a time zone we know"),
    ("UTC", {"0": [["17:00", "09:00"]]}, [], "must end after it starts"),
    ("UTC", {"0": [["09:00", "12:00"], ["11:00", "13:00"]]}, [], "overlap"),
    ("UTC", {"7": [["09:00", "12:00"]]}, [], "0 = Monday"),
    ("UTC", {"0": [["9am", "12:00"]]}, [], "not a time like"),
    ("UTC", {"0": [["09:07", "12:00"]]}, [], "steps of 5 minutes"),
    ("UTC", {"0": [["09:00"]]}, [], "a start and an end"),
    ("UTC", {"0": [["09:00", "09:30"]] * 7}, [], "at most 6 blocks"),
    ("UTC", [], [], "list of times per weekday"),
    ("UTC", {}, ["24 Dec"], "not a date like"),
])
def test_bad_hours_are_refused_in_words(world, db, zone, days, days_off, message):
    with pytest.raises(Invalid, match=message):
        availability.set_availability(db, world.staff_a, staff_public_id(db, world.staff_a), zone=zone, days=days,
                                      days_off=days_off)


def test_hours_in_a_half_hour_zone(world, db):
    open_hours(db, world.staff_a, zone="Asia/Kolkata")  # 09:00 IST is 03:30 UTC
    t = booking_type(db, world.staff_a)
    db.commit()
    a = booking.book(db, world.client_a1, t.public_id, "2026-12-08T03:30:00+00:00")
    assert a.starts_at.hour == 3 and a.starts_at.minute == 30
    with pytest.raises(Invalid, match="not one of the times offered"):
        booking.book(db, world.client_a2, t.public_id, "2026-12-08T03:00:00+00:00")


# --- feeds -----------------------------------------------------------------------------------

def test_feed_tokens_are_hashed_list_only_their_owner_and_stop_when_reset(world, db, bt):
    mine = booking.book(db, world.client_a1, bt.public_id, TUE_10_BERLIN)
    appts.create_appointment(db, world.member_a, contact=world.contact_a2.public_id, staff_member=None,
                             starts_at="2026-12-08T12:00", ends_at="2026-12-08T13:00", zone="UTC", title="Bob's")
    token = feeds.reset_feed(db, world.client_a1)
    db.commit()
    row = db.exec(select(CalendarFeedToken)).one()
    assert row.token_hash == hash_token(token) and token not in row.token_hash and row.owner == "client"
    owner = feeds.resolve_feed(db, token)
    assert [a.public_id for a in feeds.feed_appointments(db, owner)] == [mine.public_id]
    assert feeds.has_feed(db, world.client_a1) and not feeds.has_feed(db, world.client_a2)
    new = feeds.reset_feed(db, world.client_a1)
    db.commit()
    with pytest.raises(NotFound):
        feeds.resolve_feed(db, token)  # the old URL stops at once
    assert feeds.resolve_feed(db, new).contact_id == world.contact_a1.id
    staff_token = feeds.reset_feed(db, world.member_a)
    db.commit()
    assert [a.title for a in feeds.feed_appointments(db, feeds.resolve_feed(db, staff_token))] == ["Bob's"]
    assert feeds.revoke_feed(db, world.member_a) == 1
    db.commit()
    with pytest.raises(NotFound):
        feeds.resolve_feed(db, staff_token)
    for bad in ("", "x" * 10, "y" * 43, None):
        with pytest.raises(NotFound):
            feeds.resolve_feed(db, bad)
    with pytest.raises(NotSignedIn):
        feeds.reset_feed(db, world.anon)


def test_a_feed_stops_with_the_section_or_the_account(world, db, bt):
    token = feeds.reset_feed(db, world.client_a1)
    db.commit()
    ps = db.get(PortalSettings, world.ws_a.id)
    ps.show_appointments = False
    db.add(ps)
    db.commit()
    with pytest.raises(NotFound):
        feeds.resolve_feed(db, token)
    with pytest.raises(NotFound):
        feeds.reset_feed(db, world.client_a1)
    ps.show_appointments = True
    account = db.get(ClientAccount, world.account_a1.id)
    account.status = "disabled"
    db.add_all([ps, account])
    db.commit()
    with pytest.raises(NotFound):
        feeds.resolve_feed(db, token)
    staff_token = feeds.reset_feed(db, world.member_a)
    member = db.get(StaffUser, world.member_a.user_id)
    member.disabled = True
    db.add(member)
    db.commit()
    with pytest.raises(NotFound):
        feeds.resolve_feed(db, staff_token)


# --- free slots ----------------------------------------------------------------------------------

def test_available_slots_offers_free_times_only(world, db, bt):
    from portal_app.services.appointments import free

    booking.book(db, world.client_a2, bt.public_id, TUE_10_BERLIN)
    db.commit()
    day = datetime(2026, 12, 8, tzinfo=UTC)
    offered = free.available_slots(db, world.client_a1, bt.public_id, day, day + timedelta(days=1),
                                   datetime(2026, 12, 7, 8, tzinfo=UTC))
    assert offered[0] == datetime(2026, 12, 8, 8, 0, tzinfo=UTC)             # 09:00 Berlin
    assert datetime(2026, 12, 8, 9, 0, tzinfo=UTC) not in offered            # booked
    assert len(offered) == 15                                               # 16 half hours, one taken
    with pytest.raises(NotFound):
        free.available_slots(db, world.client_b1, bt.public_id, day, day + timedelta(days=1), day)
    with pytest.raises(Invalid):
        free.available_slots(db, world.client_a1, bt.public_id, day, day + timedelta(days=40), day)
    assert db.exec(select(BookingType)).first() is not None


# --- the workspace's settings ----------------------------------------------------------------

def test_owners_and_admins_set_the_cut_off_and_reminders(world, db):
    from portal_app.services.appointments import settings

    assert settings.get_appointment_settings(db, world.staff_a) == {"cancel_cutoff_hours": 24,
                                                                    "reminders": ["24h", "1h"]}
    saved = settings.update_appointment_settings(db, world.staff_a, cancel_cutoff_hours="48", reminders=["1h", "48h"])
    assert saved == {"cancel_cutoff_hours": 48, "reminders": ["48h", "1h"]}
    assert db.get(PortalSettings, world.ws_a.id).appointment_reminders == "48h,1h"
    assert settings.update_appointment_settings(db, world.staff_a, cancel_cutoff_hours=0, reminders="")["reminders"] == []
    with pytest.raises(Forbidden):
        settings.update_appointment_settings(db, world.member_a, cancel_cutoff_hours=1, reminders=[])
    with pytest.raises(Forbidden):
        settings.get_appointment_settings(db, world.client_a1)
    with pytest.raises(Invalid, match="between 0 and 720 hours"):
        settings.update_appointment_settings(db, world.staff_a, cancel_cutoff_hours=1000, reminders=[])
    with pytest.raises(Invalid, match="whole number of hours"):
        settings.update_appointment_settings(db, world.staff_a, cancel_cutoff_hours="a day", reminders=[])
    with pytest.raises(Invalid, match="not '3h'"):
        settings.update_appointment_settings(db, world.staff_a, cancel_cutoff_hours=1, reminders="24h,3h")
    assert db.get(PortalSettings, world.ws_b.id).appointment_cancel_cutoff_hours == 24  # B untouched

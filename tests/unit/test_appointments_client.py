"""The client's side of appointments (issue 16): their zone (reported by the browser once, chosen
in Profile), the .ics download route, rescheduling slots, the /appointments and
/appointments/book handlers (cancel, reschedule, book, the race for one slot, the private feed),
the section switched off, and the home's next appointment in a bounded number of statements."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar
from sqlmodel import select
from starlette.testclient import TestClient

from portal_app.errors import Forbidden, Invalid, NotFound, NotSignedIn
from portal_app.models import Appointment, Contact, PortalSettings
from portal_app.services.appointments import appointments as appts
from portal_app.services.appointments import booking, client_side, feeds
from tests.support.appointments import booking_type, freeze, open_hours
from tests.support.queries import count_queries
from tests.support.states import run_handler
from tests.support.world import HOST_A, HOST_B

TAKEN = "That time was just taken. Please pick another one."
MON_14 = datetime(2026, 12, 14, 9, 0, tzinfo=UTC)   # Mon 14 Dec 2026, 10:00 in Berlin


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    return freeze(monkeypatch)


@pytest.fixture
def setup(world, db):
    open_hours(db, world.staff_a)
    bt = booking_type(db, world.staff_a, location="https://meet.example.com/x")
    a1 = make(db, world, world.contact_a1, MON_14, "Kick-off", location="https://meet.example.com/kick")
    a2 = make(db, world, world.contact_a2, MON_14 + timedelta(hours=2), "Bob's review")
    db.commit()
    return {"bt": bt.public_id, "a1": a1, "a2": a2}


def make(db, world, contact, start: datetime, title: str, minutes: int = 30, **kw) -> str:
    return appts.create_appointment(db, world.staff_a, contact=contact.public_id, starts_at=start,
                                    ends_at=start + timedelta(minutes=minutes), zone="Europe/Berlin", title=title,
                                    **kw).public_id


def cookie(db, account) -> str:
    from portal_app.services.accounts.auth import start_client_session

    token = start_client_session(db, account)
    db.commit()
    return token


def section(db, world, on: bool) -> None:
    row = db.get(PortalSettings, world.ws_a.id)
    row.show_appointments = on
    db.add(row)
    db.commit()


# --- the client's zone ------------------------------------------------------------------------

def test_the_browser_zone_is_kept_once_and_a_choice_in_profile_wins(world, db):
    assert client_side.client_zone(db, world.client_a1) == ""
    assert client_side.set_client_zone(db, world.client_a1, "Mars/Olympus", detected=True) == ""
    assert client_side.set_client_zone(db, world.client_a1, "America/New_York", detected=True) == "America/New_York"
    assert client_side.set_client_zone(db, world.client_a1, "Asia/Kolkata") == "Asia/Kolkata"
    # a later visit from another browser does not overwrite what is known
    assert client_side.set_client_zone(db, world.client_a1, "Europe/Berlin", detected=True) == "Asia/Kolkata"
    db.commit()
    assert db.get(Contact, world.contact_a1.id).time_zone == "Asia/Kolkata"
    assert db.get(Contact, world.contact_a2.id).time_zone == ""
    with pytest.raises(Invalid) as bad:
        client_side.set_client_zone(db, world.client_a1, "../etc/passwd")
    assert bad.value.field == "time_zone"
    with pytest.raises(Forbidden):
        client_side.set_client_zone(db, world.staff_a, "UTC")
    with pytest.raises(NotSignedIn):
        client_side.client_zone(db, world.anon)
    assert "Europe/Berlin" in client_side.zone_choices() and client_side.zone_choices()[0] == "UTC"


def test_profile_saves_the_zone_and_refuses_a_made_up_one(world, db):
    token = cookie(db, world.account_a1)
    state, _ = run_handler(__import__("portal_app.state.portal.profile", fromlist=["x"]).ProfileState, "save_zone",
                           ({"time_zone": "Not/AZone"},), HOST_A, token, "/profile")
    assert state._outcome == "invalid" and "not a time zone" in state.zone_error
    from portal_app.state.portal.profile import ProfileState

    state, _ = run_handler(ProfileState, "save_zone", ({"time_zone": "Europe/Berlin"},), HOST_A, token, "/profile")
    assert state._outcome == "ok" and state.time_zone == "Europe/Berlin" and "Europe/Berlin" in state.zone_saved
    state, _ = run_handler(ProfileState, "load", (), HOST_A, token, "/profile")
    assert state.time_zone == "Europe/Berlin"


# --- Add to calendar ----------------------------------------------------------------------------

def test_the_client_downloads_her_appointment_as_an_invitation(world, db, setup):
    found = client_side.appointment_ics(db, world.client_a1, setup["a1"])
    cal = Calendar.from_ical(found.data)
    assert str(cal["method"]) == "REQUEST"
    assert str(cal["prodid"]) == "-//Alpha Studio//Appointments//EN" and b"Client Portal" not in found.data
    event = next(c for c in cal.walk("VEVENT"))
    assert str(event["uid"]) == f"{setup['a1']}@alpha.example.test"
    assert int(event["sequence"]) == 0
    assert event["dtstart"].params["TZID"] == "Europe/Berlin"
    assert event["dtstart"].dt == MON_14
    assert str(event["location"]) == "https://meet.example.com/kick"
    assert "Kick-off" in str(event["summary"])
    assert found.filename == "appointment-2026-12-14.ics"
    for other in (world.client_a2, world.client_b1):
        with pytest.raises(NotFound):
            client_side.appointment_ics(db, other, setup["a1"])
    with pytest.raises(Forbidden):
        client_side.appointment_ics(db, world.staff_a, setup["a1"])
    section(db, world, False)
    with pytest.raises(NotFound):
        client_side.appointment_ics(db, world.client_a1, setup["a1"])


def test_the_ics_route_serves_only_the_appointments_own_client(world, db, setup):
    from portal_app.api.routes import build_api
    from portal_app.services.accounts.auth import start_staff_session
    from portal_app.services.sessions import SESSION_COOKIE

    a1, a2 = cookie(db, world.account_a1), cookie(db, world.account_a2)
    staff = start_staff_session(db, world.owner_user)
    db.commit()
    client = TestClient(build_api(), base_url=f"https://{HOST_A}", follow_redirects=False)
    url = f"/api/appointments/{setup['a1']}.ics"

    def get(token, path=url, host=HOST_A):
        return client.get(path, headers={"host": host}, cookies={SESSION_COOKIE: token} if token else {})

    ok = get(a1)
    assert ok.status_code == 200 and ok.headers["content-type"].startswith("text/calendar")
    assert "attachment" in ok.headers["content-disposition"] and ok.headers["cache-control"] == "private, no-store"
    assert str(Calendar.from_ical(ok.content)["method"]) == "REQUEST"
    # deny: another client, staff (the route is the client's), another workspace's host, junk ids
    for token, host in ((a2, HOST_A), (staff, HOST_A), (a1, HOST_B)):
        refused = get(token, host=host)
        assert refused.status_code in (404, 303) and b"BEGIN:VCALENDAR" not in refused.content
    assert get(a2).status_code == 404 and get(staff).status_code == 404
    assert get(a1, "/api/appointments/ap_forged.ics").status_code == 404
    assert get(a1, "/api/appointments/..%2Fsecret.ics").status_code == 404
    anon = get(None)
    assert anon.status_code == 303 and anon.headers["location"].startswith("/login")
    section(db, world, False)
    assert get(a1).status_code == 404


# --- rescheduling -------------------------------------------------------------------------------

def test_reschedule_slots_keep_the_length_and_leave_out_the_current_time(world, db, setup):
    start, end = MON_14 - timedelta(hours=9), MON_14 + timedelta(hours=15)
    found = client_side.reschedule_slots(db, world.client_a1, setup["a1"], start, end, datetime.now(UTC))
    assert found and MON_14 not in found
    assert MON_14 + timedelta(hours=2) not in found   # Bob's
    assert all(s.minute in (0, 30) for s in found)
    with pytest.raises(NotFound):
        client_side.reschedule_slots(db, world.client_a2, setup["a1"], start, end, datetime.now(UTC))
    # past the cut-off: nothing to offer
    late = MON_14 - timedelta(hours=3)
    assert client_side.reschedule_slots(db, world.client_a1, setup["a1"], start, end, late) == []


# --- the pages' handlers ------------------------------------------------------------------------

def test_the_list_shows_upcoming_first_in_the_clients_zone_and_keeps_the_browser_zone(world, db, setup, clock):
    from portal_app.state.portal.appointments import AppointmentsState

    make(db, world, world.contact_a1, MON_14 + timedelta(days=1), "Follow-up", minutes=60)
    db.commit()
    token = cookie(db, world.account_a1)
    state, _ = run_handler(AppointmentsState, "load", (), HOST_A, token, "/appointments")
    assert state._outcome == "ok" and state.available and not state.zone_known
    assert [r["title"] for r in state.upcoming] == ["Kick-off", "Follow-up"]
    assert state.upcoming[0]["when"] == "Mon 14 Dec 2026, 09:00\u201309:30 (UTC)"
    assert state.upcoming[0]["location_link"] and state.upcoming[0]["can_change"]
    assert "Bob" not in str(state.upcoming)
    state, _ = run_handler(AppointmentsState, "browser_zone", ("Asia/Kolkata",), HOST_A, token, "/appointments")
    assert state.zone == "Asia/Kolkata" and state.zone_known
    assert state.upcoming[0]["when"] == "Mon 14 Dec 2026, 14:30\u201315:00 (Asia/Kolkata)"
    # past the cut-off the buttons give way to a line saying until when
    clock.now = MON_14 - timedelta(hours=2)
    token = cookie(db, world.account_a1)   # (a week on: a fresh sign-in)
    state, _ = run_handler(AppointmentsState, "load", (), HOST_A, token, "/appointments")
    first = state.upcoming[0]
    assert not first["can_change"] and first["until"] == "Sun 13 Dec 2026, 14:30"
    state, _ = run_handler(AppointmentsState, "cancel", (first["id"],), HOST_A, token, "/appointments")
    assert state._outcome == "invalid" and "24 hours" in state.error


def test_cancel_and_reschedule_from_the_page(world, db, setup):
    from portal_app.state.portal.appointments import AppointmentsState

    other = make(db, world, world.contact_a1, MON_14 + timedelta(days=1), "Second")
    db.commit()
    token = cookie(db, world.account_a1)
    state, _ = run_handler(AppointmentsState, "open_reschedule", (setup["a1"],), HOST_A, token, "/appointments")
    assert state.moving == setup["a1"] and state.move_days
    slot = state.move_days[0]["slots"][0]["start"]
    state, _ = run_handler(AppointmentsState, "reschedule_to", (slot,), HOST_A, token, "/appointments",
                           (("open_reschedule", (setup["a1"],)),))
    assert state._outcome == "ok" and state.moving == "" and "moved" in state.notice
    db.expire_all()
    moved = db.exec(select(Appointment).where(Appointment.public_id == setup["a1"])).one()
    assert moved.starts_at == datetime.fromisoformat(slot) and moved.ends_at - moved.starts_at == timedelta(minutes=30)
    state, _ = run_handler(AppointmentsState, "cancel", (other,), HOST_A, token, "/appointments")
    assert state._outcome == "ok" and "cancelled" in state.notice
    assert [r["title"] for r in state.past] == ["Second"] and state.past[0]["cancelled"]
    # deny: Bob cannot move or cancel Alice's
    bob = cookie(db, world.account_a2)
    state, _ = run_handler(AppointmentsState, "cancel", (setup["a1"],), HOST_A, bob, "/appointments")
    assert state._outcome == "denied"
    db.expire_all()
    assert db.exec(select(Appointment.status).where(Appointment.public_id == setup["a1"])).one() == "scheduled"


def test_booking_a_slot_and_losing_the_race_for_one(world, db, setup):
    from portal_app.state.portal.appointments import BookState

    alice, bob = cookie(db, world.account_a1), cookie(db, world.account_a2)
    state, _ = run_handler(BookState, "load", (), HOST_A, alice, "/appointments/book")
    assert [t["name"] for t in state.types] == ["30-min check-in"]
    state, _ = run_handler(BookState, "choose_type", (setup["bt"],), HOST_A, bob, "/appointments/book")
    wanted = state.days[0]["slots"][0]
    # Alice books it first
    pre = (("choose_type", (setup["bt"],)), ("choose_slot", (wanted["start"], wanted["aria"])))
    state, result = run_handler(BookState, "confirm", ({"notes": "Plans"},), HOST_A, alice, "/appointments/book", pre)
    assert state._outcome == "ok"
    # Bob, still looking at the old list, is told and offered fresh slots
    state, result = run_handler(BookState, "confirm", ({"notes": ""},), HOST_A, bob, "/appointments/book", pre)
    assert state._outcome == "invalid" and state.error == TAKEN and state.chosen_slot == ""
    assert result is not None   # the fresh week follows
    state, _ = run_handler(BookState, "change_week", (0,), HOST_A, bob, "/appointments/book",
                           (("choose_type", (setup["bt"],)),))
    assert wanted["start"] not in {s["start"] for d in state.days for s in d["slots"]}
    db.expire_all()
    booked = db.exec(select(Appointment).where(Appointment.created_by == "client")).all()
    assert [(a.contact_id, a.client_notes) for a in booked] == [(world.contact_a1.id, "Plans")]


def test_the_private_feed_link_is_made_shown_once_and_reset(world, db, setup):
    from portal_app.state.portal.appointments import AppointmentsState

    token = cookie(db, world.account_a1)
    state, _ = run_handler(AppointmentsState, "new_feed_link", (), HOST_A, token, "/appointments")
    first = state.feed_https
    assert first.startswith("https://alpha.example.test/api/calendar/feed/") and first.endswith(".ics")
    assert state.feed_webcal == "webcal://" + first.removeprefix("https://") and state.has_feed
    state, _ = run_handler(AppointmentsState, "load", (), HOST_A, token, "/appointments")
    assert state.has_feed
    state, _ = run_handler(AppointmentsState, "new_feed_link", (), HOST_A, token, "/appointments")
    assert state.feed_https != first
    old = first.rsplit("/", 1)[1].removesuffix(".ics")
    new = state.feed_https.rsplit("/", 1)[1].removesuffix(".ics")
    with pytest.raises(NotFound):
        feeds.resolve_feed(db, old)
    assert feeds.resolve_feed(db, new).contact_id == world.contact_a1.id


def test_the_section_switched_off_refuses_every_handler(world, db, setup):
    from portal_app.state.portal.appointments import AppointmentsState, BookState

    token = cookie(db, world.account_a1)
    section(db, world, False)
    calls = [(AppointmentsState, "load", ()), (AppointmentsState, "browser_zone", ("Europe/Berlin",)),
             (AppointmentsState, "open_reschedule", (setup["a1"],)), (AppointmentsState, "reschedule_week", (1,)),
             (AppointmentsState, "reschedule_to", (MON_14.isoformat(),)), (AppointmentsState, "cancel", (setup["a1"],)),
             (AppointmentsState, "new_feed_link", ()), (BookState, "load", ()), (BookState, "choose_type", (setup["bt"],)),
             (BookState, "change_week", (1,)), (BookState, "confirm", ({"notes": ""},))]
    for state_cls, handler, args in calls:
        state, _ = run_handler(state_cls, handler, args, HOST_A, token, "/appointments")
        assert state._outcome == "denied", (handler, state._outcome)
    db.expire_all()
    assert db.get(Contact, world.contact_a1.id).time_zone == ""
    assert db.exec(select(Appointment.status).where(Appointment.public_id == setup["a1"])).one() == "scheduled"


# --- the client home ----------------------------------------------------------------------------

def test_home_shows_the_next_appointment_in_one_statement_whatever_the_count(world, db, setup):
    from portal_app.state.portal.home import HomeState

    token = cookie(db, world.account_a1)

    def load() -> tuple[str, int]:
        run_handler(HomeState, "load", (), HOST_A, token, "/")
        with count_queries() as counter:
            state, _ = run_handler(HomeState, "load", (), HOST_A, token, "/")
        card = next(c for c in state.cards if c["key"] == "appointments")
        return card["empty"], counter["n"]

    text, few = load()
    assert text == "Next: Kick-off, Mon 14 Dec 2026, 09:00\u201309:30 (UTC)."
    client_side.set_client_zone(db, world.client_a1, "Europe/Berlin")
    for day in range(2, 8):
        make(db, world, world.contact_a1, MON_14 + timedelta(days=day), f"Later {day}")
    db.commit()
    text, many = load()
    assert text == "Next: Kick-off, Mon 14 Dec 2026, 10:00\u201310:30 (Europe/Berlin) (and 6 more appointments)."
    assert many == few
    booking.client_booking_types(db, world.client_a1)  # (the section is on)
    appts.client_cancel(db, world.client_a1, setup["a1"])
    db.commit()
    text, _ = load()
    assert text.startswith("Next: Later 2, ")

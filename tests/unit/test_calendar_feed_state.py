"""A staff member's own private calendar feed on the Calendar page (state/staff/calendar_feed.py,
issue 16 item 4), driven as the browser would: the link made and shown once, served over the
api/ route with only the appointments that member is with, reset (the old link 404s at once);
a member's feed is theirs alone; a client or someone signed out makes nothing."""

from __future__ import annotations

import pytest
from icalendar import Calendar
from sqlmodel import select
from starlette.testclient import TestClient

from portal_app.errors import NotFound
from portal_app.models import CalendarFeedToken
from portal_app.services.appointments import feeds
from tests.support.appointments import freeze
from tests.support.states import HOST_A, call, run_handler

TOP = "/staff/calendar"


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    return freeze(monkeypatch)  # Monday 7 Dec 2026, 08:00 UTC


def _state():
    from portal_app.state.staff.calendar_feed import StaffFeedState

    return StaffFeedState


def _cookie(db, user_id: int) -> str:
    from portal_app.models import StaffUser
    from portal_app.services.accounts.auth import start_staff_session

    cookie = start_staff_session(db, db.get(StaffUser, user_id))
    db.commit()
    return cookie


def _appointments(db, world) -> None:
    from portal_app.services.appointments import appointments

    appointments.create_appointment(db, world.staff_a, contact=world.contact_a1.public_id,
                                    starts_at="2026-12-08T10:00", ends_at="2026-12-08T10:30", zone="Europe/Berlin",
                                    title="Owner's review", internal_notes="Upsell them")
    appointments.create_appointment(db, world.staff_a, contact=world.contact_a2.public_id,
                                    starts_at="2026-12-09T10:00", ends_at="2026-12-09T10:30", zone="Europe/Berlin",
                                    title="Member's kick-off",
                                    staff_member=db.get_one(_staff_model(), world.member_a.user_id).public_id)
    db.commit()


def _staff_model():
    from portal_app.models import StaffUser

    return StaffUser


def _token(url: str) -> str:
    return url.rsplit("/", 1)[1].removesuffix(".ics")


def test_a_staff_member_makes_sees_and_resets_their_feed(world, db, staff_cookie):
    from portal_app.api.routes import build_api

    _appointments(db, world)
    state, _ = run_handler(_state(), "load_feed", (), HOST_A, staff_cookie, TOP)
    assert state._outcome == "ok" and not state.has_feed and state.feed_https == ""
    call(state, "new_feed_link")
    assert state._outcome == "ok" and state.has_feed
    first = state.feed_https
    assert first.startswith("https://alpha.example.test/api/calendar/feed/") and first.endswith(".ics")
    assert state.feed_webcal == "webcal://" + first.removeprefix("https://")
    # only the hash is stored; a later visit knows a feed exists but cannot show it again
    db.expire_all()
    assert _token(first) not in {r.token_hash for r in db.exec(select(CalendarFeedToken)).all()}
    state, _ = run_handler(_state(), "load_feed", (), HOST_A, staff_cookie, TOP)
    assert state.has_feed and state.feed_https == "" and state.feed_webcal == ""

    client = TestClient(build_api(), base_url=f"https://{HOST_A}", follow_redirects=False)
    got = client.get(first.removeprefix(f"https://{HOST_A}"), headers={"host": HOST_A})
    assert got.status_code == 200 and "private" in got.headers["cache-control"]
    cal = Calendar.from_ical(got.content)
    summaries = [str(e["SUMMARY"]) for e in cal.walk("VEVENT")]
    assert len(summaries) == 1 and "Owner's review" in summaries[0]   # not the member's appointment
    assert b"Upsell" not in got.content                                 # internal notes never in a feed
    assert str(cal["PRODID"]) == "-//Alpha Studio//Appointments//EN"     # the business's calendar
    assert b"Client Portal" not in got.content

    call(state, "new_feed_link")   # Reset link
    second = state.feed_https
    assert second != first and state.has_feed
    assert client.get(first.removeprefix(f"https://{HOST_A}"), headers={"host": HOST_A}).status_code == 404
    assert client.get(second.removeprefix(f"https://{HOST_A}"), headers={"host": HOST_A}).status_code == 200


def test_each_member_has_their_own_feed(world, db, staff_cookie):
    _appointments(db, world)
    owner, _ = run_handler(_state(), "new_feed_link", (), HOST_A, staff_cookie, TOP)
    member_cookie = _cookie(db, world.member_a.user_id)
    state, _ = run_handler(_state(), "load_feed", (), HOST_A, member_cookie, TOP)
    assert not state.has_feed     # the owner's feed is not the member's
    call(state, "new_feed_link")
    mine = feeds.resolve_feed(db, _token(state.feed_https))
    assert mine.staff_id == world.member_a.user_id
    assert [a.title for a in feeds.feed_appointments(db, mine)] == ["Member's kick-off"]
    # the member's reset left the owner's link working
    assert feeds.resolve_feed(db, _token(owner.feed_https)).staff_id == world.staff_a.user_id


def test_a_client_or_someone_signed_out_makes_nothing(world, db):
    from portal_app.services.accounts.auth import start_client_session

    client_cookie = start_client_session(db, world.account_a1)
    db.commit()
    for handler in ("load_feed", "new_feed_link"):
        state, _ = run_handler(_state(), handler, (), HOST_A, client_cookie, TOP)
        assert state._outcome == "denied" and state.feed_https == "" and not state.has_feed
        state, _ = run_handler(_state(), handler, (), HOST_A, None, TOP)
        assert state._outcome == "signin" and state.feed_https == ""
    db.expire_all()
    assert db.exec(select(CalendarFeedToken)).all() == []


def test_a_disabled_member_s_feed_stops_at_once(world, db):
    from portal_app.models import StaffUser

    member_cookie = _cookie(db, world.member_a.user_id)
    state, _ = run_handler(_state(), "new_feed_link", (), HOST_A, member_cookie, TOP)
    member = db.get_one(StaffUser, world.member_a.user_id)
    member.disabled = True
    db.add(member)
    db.commit()
    with pytest.raises(NotFound):
        feeds.resolve_feed(db, _token(state.feed_https))

"""GET /api/calendar/feed/<token>.ics: the private iCal feed route inside SecurityHeaders, over
Starlette's TestClient (no server), on SQLite and PostgreSQL. Data built through the services.

FEED_MATRIX is the route's authorization matrix: the token alone decides (no cookie needed, a
cookie changes nothing); each row says what a token opens, with its deny assertion (another
client's appointments never appear, a reset token is 404 at once, …)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from icalendar import Calendar
from sqlmodel import select

from portal_app.models import CalendarFeedToken, ClientAccount, PortalSettings
from portal_app.services.appointments import appointments as appts
from portal_app.services.appointments import feeds
from portal_app.services.sessions import SESSION_COOKIE
from tests.support.appointments import freeze
from tests.support.file_routes import is_not_found

PATH = "/api/calendar/feed/{}.ics"


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    return freeze(monkeypatch)


@pytest.fixture
def booked(world, db) -> dict[str, str]:
    """Alice (A1) and Bob (A2) of workspace A, Carol of B: one appointment each, titled by owner."""
    made = {}
    for name, actor, contact, staff in (("alice", world.staff_a, world.contact_a1, None),
                                        ("bob", world.staff_a, world.contact_a2, world.member_a),
                                        ("carol", world.staff_b, world.contact_b1, None)):
        member = None
        if staff is not None:
            from portal_app.models import StaffUser

            member = db.get(StaffUser, staff.user_id).public_id
        a = appts.create_appointment(db, actor, contact=contact.public_id, starts_at="2026-12-09T10:00",
                                     ends_at="2026-12-09T10:30", zone="Europe/Berlin", title=f"{name} meeting",
                                     staff_member=member, internal_notes=f"secret about {name}")
        made[name] = a.public_id
    db.commit()
    return made


def events_of(resp) -> list:
    return Calendar.from_ical(resp.content).walk("VEVENT")


def test_a_clients_feed_lists_only_their_appointments(world, db, http, booked):
    token = feeds.reset_feed(db, world.client_a1)
    db.commit()
    resp = http.get(PATH.format(token))
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "text/calendar; charset=utf-8"
    assert resp.headers["cache-control"] == "private, max-age=300"
    assert resp.headers["x-content-type-options"] == "nosniff"
    [event] = events_of(resp)
    assert str(event["UID"]) == f"{booked['alice']}@alpha.example.test"
    assert str(event["SUMMARY"]) == "alice meeting" and event["DTSTART"].params["TZID"] == "Europe/Berlin"
    body = resp.text
    # deny: nobody else's appointment, no internal notes, no attendee invitations
    for other in ("bob", "carol"):
        assert booked[other] not in body and f"{other} meeting" not in body
    assert "secret about" not in body and "ATTENDEE" not in body
    assert "X-WR-CALNAME:Alpha Studio appointments" in body


def test_a_staff_members_feed_lists_the_appointments_they_are_with(world, db, http, booked):
    token = feeds.reset_feed(db, world.member_a)
    db.commit()
    resp = http.get(PATH.format(token))
    [event] = events_of(resp)
    assert str(event["SUMMARY"]) == "bob meeting (Bob Client)"
    assert booked["alice"] not in resp.text and booked["carol"] not in resp.text
    assert "secret about" not in resp.text


def test_a_reset_token_is_404_at_once_and_the_new_one_works(world, db, http, booked):
    old = feeds.reset_feed(db, world.client_a1)
    db.commit()
    assert http.get(PATH.format(old)).status_code == 200
    new = feeds.reset_feed(db, world.client_a1)
    db.commit()
    resp = http.get(PATH.format(old))
    assert is_not_found(resp) and "max-age" not in resp.headers["cache-control"]
    assert http.get(PATH.format(new)).status_code == 200
    feeds.revoke_feed(db, world.client_a1)
    db.commit()
    assert is_not_found(http.get(PATH.format(new)))


def test_cancelled_appointments_stay_in_the_feed_as_cancelled(world, db, http, booked):
    token = feeds.reset_feed(db, world.client_a1)
    appts.cancel_appointment(db, world.staff_a, booked["alice"])
    db.commit()
    [event] = events_of(http.get(PATH.format(token)))
    assert str(event["STATUS"]) == "CANCELLED" and int(event["SEQUENCE"]) == 1


@pytest.mark.parametrize("token", ["", "short", "x" * 43, "a" * 43 + "%00", "../../etc/passwd", "y" * 101,
                                   "z" * 43 + ".ics"])
def test_unknown_or_malformed_tokens_are_404(world, http, booked, token):
    resp = http.get(PATH.format(token))
    assert resp.status_code == 404


# The route's matrix: who holds which token, what they get. A session cookie (anyone's) never
# matters; the Host never matters (the token names its workspace).
FEED_MATRIX = [
    # (whose token, state change before the request, expected status, titles that must appear, must not appear)
    ("client_a1", None, 200, ["alice meeting"], ["bob meeting", "carol meeting"]),
    ("client_a2", None, 200, ["bob meeting"], ["alice meeting", "carol meeting"]),
    ("client_b1", None, 200, ["carol meeting"], ["alice meeting", "bob meeting"]),
    ("member_a", None, 200, ["bob meeting"], ["alice meeting", "carol meeting"]),
    ("staff_b", None, 200, ["carol meeting"], ["alice meeting", "bob meeting"]),
    ("client_a1", "section_off", 404, [], ["alice meeting"]),
    ("client_a1", "account_disabled", 404, [], ["alice meeting"]),
    ("client_a1", "reset", 404, [], ["alice meeting"]),
]


@pytest.mark.parametrize("who,change,status,shown,hidden", FEED_MATRIX)
def test_feed_matrix(world, db, http, sessions, booked, who, change, status, shown, hidden):
    token = feeds.reset_feed(db, getattr(world, who))
    db.commit()
    if change == "section_off":
        db.get(PortalSettings, world.ws_a.id).show_appointments = False
    elif change == "account_disabled":
        db.get(ClientAccount, world.account_a1.id).status = "disabled"
    elif change == "reset":
        feeds.reset_feed(db, getattr(world, who))
    db.commit()
    for host, session in (sessions["anon"], sessions["staff_a"], sessions["carol_on_b"]):
        headers = {"host": host}
        if session:
            headers["cookie"] = f"{SESSION_COOKIE}={session}"
        resp = http.get(PATH.format(token), headers=headers)
        assert resp.status_code == status, (who, change, host)
        for title in shown:
            assert title in resp.text
        for title in hidden:
            assert title not in resp.text
    # deny assertion: a guessed token next to a real one opens nothing, and nothing was written
    before = len(db.exec(select(CalendarFeedToken)).all())
    assert is_not_found(http.get(PATH.format(token[:-1] + ("A" if token[-1] != "A" else "B"))))
    assert len(db.exec(select(CalendarFeedToken)).all()) == before


def test_feed_building_runs_off_the_event_loop():
    import inspect

    from portal_app.api import calendar

    source = inspect.getsource(calendar.feed)
    assert "asyncio.to_thread(_calendar" in source


def test_the_feed_reaches_back_180_days_only(world, db, http, clock):
    old = appts.create_appointment(db, world.staff_a, contact=world.contact_a1.public_id,
                                   starts_at="2026-05-01T10:00", ends_at="2026-05-01T10:30",
                                   zone="Europe/Berlin", title="Long ago")
    token = feeds.reset_feed(db, world.client_a1)
    db.commit()
    assert clock.now - old.ends_at > feeds.FEED_PAST
    resp = http.get(PATH.format(token))
    assert resp.status_code == 200 and "Long ago" not in resp.text and events_of(resp) == []
    assert clock.now == datetime(2026, 12, 7, 8, 0, tzinfo=UTC)

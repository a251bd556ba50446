"""The Security page's services (issue 18, part A): the device a user agent names, the "new
sign-in" and "password changed" emails through typed events, one's own sessions listed and
ended (and nobody else's), the current password asked before a new password or a new email,
throttled. The clock is injected (auth.clock); nothing here reads the wall clock."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlmodel import col, select

from portal_app.access import Anonymous, Client, Staff
from portal_app.errors import Invalid, NotFound, NotSignedIn, Throttled
from portal_app.models import AuthSession, ClientAccount, KnownDevice, LoginAttempt, OutboxMessage, StaffUser
from portal_app.services import bus
from portal_app.services.accounts import auth, credentials, devices, my_sessions, passwords, profile
from portal_app.services.security import hash_token, verify_password
from portal_app.services.sessions import context_for
from portal_app.settings import get_settings
from tests.support.clock import Clock
from tests.support.outbox import last_link, token_of

HOST = "alpha.example.test"
CHROME_MAC = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/131.0.0.0 Safari/537.36")
FIREFOX_WIN = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
SAFARI_IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                 "Version/18.1 Mobile/15E148 Safari/604.1")
NEW = "a-brand-new-password"


@pytest.fixture
def clock(monkeypatch):
    c = Clock(datetime(2026, 12, 8, 9, 0, tzinfo=UTC))
    monkeypatch.setattr(auth, "clock", c)
    return c


def _sign_in(db, world, kind: str, email: str, ua: str = "", ip: str = "198.51.100.1") -> tuple[str, Staff | Client]:
    token = auth.sign_in(db, world.ws_a.id, kind, email, world.password, ip=ip, user_agent=ua)
    db.flush()
    actor = context_for(db, HOST, token)[1]
    assert isinstance(actor, (Staff, Client))
    return token, actor


def _session(db, token: str) -> AuthSession:
    db.expire_all()
    return db.exec(select(AuthSession).where(AuthSession.token_hash == hash_token(token))).one()


def _events(db, kind: str) -> list[dict]:
    rows = db.exec(select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(col(OutboxMessage.id))).all()
    return [json.loads(m.payload) for m in rows]


def _run_events(db) -> None:
    """What the worker does with the pending account events: their handlers run."""
    rows = db.exec(select(OutboxMessage).where(col(OutboxMessage.kind).startswith("account."),
                                               col(OutboxMessage.done_at).is_(None))).all()
    for msg in rows:
        bus.dispatch(db, msg.workspace_id, msg.kind, json.loads(msg.payload))
        msg.done_at = auth.clock()
        db.add(msg)
    db.flush()


def _emails(db, to: str) -> list[dict]:
    return [p for p in _events(db, "email") if p["to"] == to]


# --- the device a user agent names -------------------------------------------------------------

@pytest.mark.parametrize("ua, label, phone", [
    (CHROME_MAC, "Chrome on macOS", False),
    (FIREFOX_WIN, "Firefox on Windows", False),
    (SAFARI_IPHONE, "Safari on iOS", True),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
     "Safari/537.36 Edg/131.0.2903.86", "Edge on Windows", False),
    ("Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 "
     "Chrome/122.0.0.0 Mobile Safari/537.36", "Samsung Internet on Android", True),
    ("Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0 "
     "Mobile/15E148 Safari/604.1", "Chrome on iPadOS", True),
    ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 "
     "OPR/115.0.0.0", "Opera on Linux", False),
    ("Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
     "Safari/537.36", "Chrome on ChromeOS", False),
    ("curl/8.5.0", "Unknown browser on unknown system", False),
    ("", "Unknown browser on unknown system", False),
    ("<script>alert(1)</script>" * 40, "Unknown browser on unknown system", False),
])
def test_the_device_of_a_user_agent(ua, label, phone):
    device = devices.parse_user_agent(ua)
    assert (device.label, device.phone) == (label, phone)


# --- the "new sign-in" email -----------------------------------------------------------------------

def test_a_new_device_is_emailed_but_not_the_first_nor_a_known_one(db, world, clock):
    _sign_in(db, world, "client", "alice@client.example", CHROME_MAC)   # the account's first device
    _sign_in(db, world, "client", "alice@client.example", CHROME_MAC)   # the same again
    _sign_in(db, world, "client", "alice@client.example", "")           # no user agent: nothing noted
    assert _events(db, "account.new_device") == []
    _sign_in(db, world, "client", "alice@client.example", FIREFOX_WIN, ip="203.0.113.9")
    [event] = _events(db, "account.new_device")
    assert event == {"account_kind": "client", "account": world.contact_a1.public_id, "device": "Firefox on Windows",
                     "ip": "203.0.113.9", "at": clock().isoformat()}
    devices_of_a1 = db.exec(select(KnownDevice.device).where(KnownDevice.account_id == world.account_a1.id,
                                                             KnownDevice.account_kind == "client")).all()
    assert sorted(devices_of_a1) == ["Chrome on macOS", "Firefox on Windows"]
    _run_events(db)
    [mail] = _emails(db, "alice@client.example")
    assert mail["subject"].startswith("New sign-in to your ")
    assert "Firefox on Windows" in mail["text"] and "203.0.113.9" in mail["text"]
    assert "/security" in mail["text"] and "/staff/security" not in mail["text"]
    assert "<html>" in mail["html"] or "<!doctype html>" in mail["html"]  # branded
    assert not _emails(db, "bob@client.example")


def test_staff_devices_are_their_own_and_the_email_names_the_staff_page(db, world, clock):
    _sign_in(db, world, "staff", "owner@alpha.example", CHROME_MAC)
    _sign_in(db, world, "client", "alice@client.example", FIREFOX_WIN)  # another account's device
    assert _events(db, "account.new_device") == []
    _sign_in(db, world, "staff", "owner@alpha.example", SAFARI_IPHONE)
    _run_events(db)
    [mail] = _emails(db, "owner@alpha.example")
    assert "Safari on iOS" in mail["text"] and "/staff/security" in mail["text"]


def test_the_emails_payload_is_checked(db, world):
    from portal_app.services import events

    with pytest.raises(TypeError):
        events.NewDeviceSignIn(workspace_id=1, account_kind="robot", account="x", device="d", ip="", at="")
    with pytest.raises(TypeError):
        events.PasswordChanged(workspace_id=1, account_kind="client", account="x", how="guessed", at="")


# --- one's own sessions --------------------------------------------------------------------------

def test_sessions_are_listed_this_device_first_and_only_ones_own(db, world, clock):
    old, _ = _sign_in(db, world, "client", "alice@client.example", FIREFOX_WIN, ip="203.0.113.5")
    clock.advance(minutes=30)
    mine, me = _sign_in(db, world, "client", "alice@client.example", CHROME_MAC)
    _sign_in(db, world, "client", "bob@client.example", SAFARI_IPHONE)  # Bob's: never listed for Alice
    ended, _ = _sign_in(db, world, "client", "alice@client.example", SAFARI_IPHONE)
    auth.sign_out(db, ended)
    db.flush()
    rows, total = my_sessions.list_sessions(db, me)
    assert total == 2
    assert [(r["device"], r["current"], r["ip"]) for r in rows] == [
        ("Chrome on macOS", True, "198.51.100.1"), ("Firefox on Windows", False, "203.0.113.5")]
    assert rows[0]["last_active"] == "Active now" and rows[1]["last_active"] == "30 minutes ago"
    assert rows[1]["signed_in"] == "Signed in 8 Dec 2026"
    # an idle session is not open any more: not listed
    clock.advance(minutes=get_settings().session_idle_minutes - 20)
    context_for(db, HOST, mine)  # this device is in use (its last_seen is touched)
    db.flush()
    rows, total = my_sessions.list_sessions(db, context_for(db, HOST, mine)[1])
    assert [r["device"] for r in rows] == ["Chrome on macOS"] and total == 1


@pytest.mark.parametrize("ago_minutes, text", [(0, "Active now"), (1.9, "Active now"), (2, "2 minutes ago"),
                                               (61, "1 hour ago"), (60 * 49, "2 days ago")])
def test_ago(ago_minutes, text):
    from datetime import timedelta

    now = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
    assert my_sessions.ago(now - timedelta(minutes=ago_minutes), now) == text


def test_ending_a_session_signs_it_out_at_its_next_event(db, world, clock):
    other, _ = _sign_in(db, world, "client", "alice@client.example", FIREFOX_WIN)
    mine, me = _sign_in(db, world, "client", "alice@client.example", CHROME_MAC)
    my_sessions.end_session(db, me, str(_session(db, other).id))
    db.flush()
    assert _session(db, other).revoked_at == clock()
    assert context_for(db, HOST, other)[1] == Anonymous(world.ws_a.id)  # that page lands on sign-in
    assert isinstance(context_for(db, HOST, mine)[1], Client)          # this one stays
    my_sessions.end_session(db, me, str(_session(db, other).id))       # ended already: done, no error


def test_nobody_ends_anyone_elses_session(db, world, clock):
    alices, _ = _sign_in(db, world, "client", "alice@client.example", FIREFOX_WIN)
    _, bob = _sign_in(db, world, "client", "bob@client.example", CHROME_MAC)
    _, owner = _sign_in(db, world, "staff", "owner@alpha.example", CHROME_MAC)
    target = str(_session(db, alices).id)
    for actor in (bob, owner):
        with pytest.raises(NotFound):
            my_sessions.end_session(db, actor, target)
    with pytest.raises(NotSignedIn):
        my_sessions.end_session(db, Anonymous(world.ws_a.id), target)
    with pytest.raises(NotSignedIn):
        my_sessions.list_sessions(db, Anonymous(world.ws_a.id))
    assert my_sessions.end_other_sessions(db, bob) == 0 and my_sessions.end_other_sessions(db, owner) == 0
    db.flush()
    assert _session(db, alices).revoked_at is None
    assert isinstance(context_for(db, HOST, alices)[1], Client)


@pytest.mark.parametrize("bad", ["", "abc", "-1", "1.5", "9" * 40, None, {"id": 1}, "1; DROP TABLE auth_session"])
def test_a_malformed_session_id_is_not_found(db, world, clock, bad):
    _, me = _sign_in(db, world, "client", "alice@client.example", CHROME_MAC)
    with pytest.raises(NotFound):
        my_sessions.end_session(db, me, bad)


def test_this_device_is_not_ended_from_the_list(db, world, clock):
    mine, me = _sign_in(db, world, "client", "alice@client.example", CHROME_MAC)
    with pytest.raises(Invalid, match="device you are using"):
        my_sessions.end_session(db, me, str(_session(db, mine).id))
    assert _session(db, mine).revoked_at is None


def test_sign_out_everywhere_else_keeps_this_device(db, world, clock):
    a, _ = _sign_in(db, world, "staff", "owner@alpha.example", FIREFOX_WIN)
    b, _ = _sign_in(db, world, "staff", "owner@alpha.example", SAFARI_IPHONE)
    mine, me = _sign_in(db, world, "staff", "owner@alpha.example", CHROME_MAC)
    member, _ = _sign_in(db, world, "staff", "member@alpha.example", CHROME_MAC)
    assert my_sessions.end_other_sessions(db, me) == 2
    db.flush()
    assert [context_for(db, HOST, t)[1].kind for t in (a, b, mine, member)] == ["anonymous", "anonymous",
                                                                                "staff", "staff"]
    rows, total = my_sessions.list_sessions(db, me)
    assert total == 1 and rows[0]["current"]


# --- the current password, asked again -------------------------------------------------------------

def test_change_password_asks_for_the_current_one_and_ends_the_other_sessions(db, world, clock):
    other, _ = _sign_in(db, world, "client", "alice@client.example", FIREFOX_WIN)
    mine, me = _sign_in(db, world, "client", "alice@client.example", CHROME_MAC)
    with pytest.raises(credentials.WrongPassword) as wrong:
        credentials.change_password(db, me, "not my password", NEW, NEW)
    assert wrong.value.field == "current_password" and wrong.value.throttle_key
    with pytest.raises(Invalid, match="Enter your current password"):
        credentials.change_password(db, me, "", NEW, NEW)
    with pytest.raises(Invalid, match="do not match"):
        credentials.change_password(db, me, world.password, NEW, NEW + "x")
    with pytest.raises(Invalid, match="at least"):
        credentials.change_password(db, me, world.password, "short", "short")
    with pytest.raises(Invalid, match="different"):
        credentials.change_password(db, me, world.password, world.password, world.password)
    assert credentials.change_password(db, me, world.password, NEW, NEW) == 1
    db.flush()
    db.expire_all()
    assert verify_password(db.get(ClientAccount, world.account_a1.id).password_hash, NEW)
    assert context_for(db, HOST, other)[1].kind == "anonymous"
    assert context_for(db, HOST, mine)[1].kind == "client"
    [event] = _events(db, "account.password_changed")
    assert event == {"account_kind": "client", "account": world.contact_a1.public_id, "how": "changed",
                     "at": clock().isoformat()}
    _run_events(db)
    [mail] = [m for m in _emails(db, "alice@client.example") if "password was changed" in m["subject"]]
    assert "/security" in mail["text"]


def test_staff_change_their_own_password_only(db, world, clock):
    _, owner = _sign_in(db, world, "staff", "owner@alpha.example", CHROME_MAC)
    credentials.change_password(db, owner, world.password, NEW, NEW)
    db.flush()
    db.expire_all()
    assert verify_password(db.get(StaffUser, world.owner_user.id).password_hash, NEW)
    assert verify_password(db.get(StaffUser, world.member_a.user_id).password_hash, world.password)
    with pytest.raises(NotSignedIn):
        credentials.change_password(db, Anonymous(world.ws_a.id), world.password, NEW, NEW)


def test_wrong_current_passwords_are_throttled(db, world, clock):
    _, me = _sign_in(db, world, "client", "alice@client.example", CHROME_MAC)
    for _ in range(get_settings().login_max_failures):
        with pytest.raises(credentials.WrongPassword) as wrong:
            credentials.change_password(db, me, "guess", NEW, NEW)
        credentials.record_wrong_password(db, wrong.value.throttle_key)
        db.flush()
    with pytest.raises(Throttled):
        credentials.change_password(db, me, world.password, NEW, NEW)  # even the right one, for now
    _, bob = _sign_in(db, world, "client", "bob@client.example", CHROME_MAC)
    credentials.change_password(db, bob, world.password, NEW, NEW)  # another account is not held up
    clock.advance(minutes=get_settings().login_window_minutes + 1)
    _, me = _sign_in(db, world, "client", "alice@client.example", CHROME_MAC)
    credentials.change_password(db, me, world.password, NEW, NEW)


def test_an_account_without_a_password_is_told_how_to_get_one(db, world, clock):
    _, me = _sign_in(db, world, "client", "alice@client.example", CHROME_MAC)
    account = db.get(ClientAccount, world.account_a1.id)
    account.password_hash = None
    db.add(account)
    db.flush()
    with pytest.raises(Invalid, match="no password yet"):
        credentials.change_password(db, me, "anything at all", NEW, NEW)


def test_a_reset_link_emails_the_change_too(db, world, clock):
    passwords.request_reset(db, world.ws_a.id, "staff", "member@alpha.example")
    db.flush()
    token = token_of(last_link(db, "/reset-password"))
    passwords.reset_password(db, token, NEW, NEW, workspace_id=world.ws_a.id)
    db.flush()
    [event] = _events(db, "account.password_changed")
    assert event["how"] == "reset" and event["account_kind"] == "staff"
    _run_events(db)
    assert any("password was changed" in m["subject"] for m in _emails(db, "member@alpha.example"))


def test_the_email_change_asks_for_the_current_password(db, world, clock):
    _, me = _sign_in(db, world, "client", "alice@client.example", CHROME_MAC)
    before = len(_events(db, "email"))
    with pytest.raises(credentials.WrongPassword):
        profile.request_email_change(db, me, "alice.new@client.example", "not my password")
    with pytest.raises(Invalid, match="Enter your current password"):
        profile.request_email_change(db, me, "alice.new@client.example", None)
    db.flush()
    assert len(_events(db, "email")) == before
    assert profile.request_email_change(db, me, "alice.new@client.example", world.password)


def test_a_wrong_password_on_the_page_is_counted(db, world, actors):
    """The handler's transaction rolls back; the failure is recorded in one of its own."""
    from portal_app.state.security import SecurityState
    from tests.support.states import run_handler

    host, cookie = actors["client_a1"]
    before = len(db.exec(select(LoginAttempt)).all())
    state, _ = run_handler(SecurityState, "change_password", ({"current_password": "wrong", "password": NEW,
                                                               "confirm": NEW},), host, cookie, "/security")
    assert state._outcome == "invalid" and state.pw_error == credentials.WRONG_PASSWORD
    assert state.pw_field == "current_password"
    db.expire_all()
    assert len(db.exec(select(LoginAttempt)).all()) == before + 1

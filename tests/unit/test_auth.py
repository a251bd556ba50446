"""services/accounts/auth.py: sign-in, throttling, server-side sessions and resolving the actor."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from portal_app.access import Anonymous, Client, Staff
from portal_app.errors import Invalid, Throttled
from portal_app.models import AuditEvent, AuthSession, LoginAttempt, StaffUser, utcnow
from portal_app.services.accounts import auth
from portal_app.services.accounts.invites import set_portal_access
from portal_app.services.security import hash_token
from portal_app.settings import reset_settings_cache
from tests.support.clock import Clock


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """auth's clock, stepped by hand: a boundary is crossed when the test says, not when a
    loaded machine gets round to it."""
    clock = Clock()
    monkeypatch.setattr(auth, "clock", clock)
    return clock


def _session_row(db, token: str) -> AuthSession:
    return db.exec(select(AuthSession).where(AuthSession.token_hash == hash_token(token))).one()


def _staff_token(db, world) -> str:
    return auth.sign_in(db, world.ws_a.id, "staff", "owner@alpha.example", world.password)


def _client_token(db, world, email="alice@client.example") -> str:
    return auth.sign_in(db, world.ws_a.id, "client", email, world.password)


# --- sign-in -------------------------------------------------------------------------------

def test_staff_sign_in_resolves_to_staff_actor(db, world):
    token = auth.sign_in(db, world.ws_a.id, "staff", "  Owner@Alpha.Example ", world.password,
                         ip="10.0.0.1", user_agent="pytest")
    actor = auth.resolve_actor(db, token, world.ws_a.id)
    assert isinstance(actor, Staff)
    assert (actor.user_id, actor.role, actor.workspace_id) == (world.owner_user.id, "owner", world.ws_a.id)
    row = _session_row(db, token)
    assert row.staff_user_id == world.owner_user.id and row.client_account_id is None
    assert row.ip == "10.0.0.1" and row.user_agent == "pytest"
    assert row.token_hash != token  # only the hash is stored
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "staff.signed_in")).first()


def test_client_sign_in_resolves_to_client_actor(db, world):
    token = _client_token(db, world)
    actor = auth.resolve_actor(db, token, world.ws_a.id)
    assert isinstance(actor, Client)
    assert (actor.contact_id, actor.account_id) == (world.contact_a1.id, world.account_a1.id)
    assert world.account_a1.last_login_at is not None
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "client.signed_in")).first()


def test_each_sign_in_gives_a_new_token(db, world):
    first, second = _staff_token(db, world), _staff_token(db, world)
    assert first != second and len(first) >= 40
    assert isinstance(auth.resolve_actor(db, first, world.ws_a.id), Staff)
    assert isinstance(auth.resolve_actor(db, second, world.ws_a.id), Staff)


def test_wrong_password_and_unknown_email_give_the_same_message(db, world):
    messages = []
    for kind, email, password in [
        ("staff", "owner@alpha.example", "wrong password!"),
        ("staff", "nobody@alpha.example", world.password),
        ("client", "alice@client.example", "wrong password!"),
        ("client", "nobody@client.example", world.password),
        ("client", "not an email", world.password),
        ("staff", "", ""),
    ]:
        with pytest.raises(Invalid) as err:
            auth.sign_in(db, world.ws_a.id, kind, email, password)
        messages.append(err.value.message)
    assert set(messages) == {auth.BAD_LOGIN}
    assert db.exec(select(AuthSession)).first() is None


def test_actor_kinds_and_workspaces_do_not_cross(db, world):
    # a client's credentials do not open a staff session, nor staff credentials a client one
    with pytest.raises(Invalid):
        auth.sign_in(db, world.ws_a.id, "staff", "alice@client.example", world.password)
    with pytest.raises(Invalid):
        auth.sign_in(db, world.ws_a.id, "client", "owner@alpha.example", world.password)
    # workspace B's people cannot sign in on workspace A's portal
    with pytest.raises(Invalid):
        auth.sign_in(db, world.ws_a.id, "client", "carol@client.example", world.password)
    with pytest.raises(Invalid):
        auth.sign_in(db, world.ws_a.id, "staff", "owner@beta.example", world.password)


def test_disabled_staff_and_client_cannot_sign_in(db, world):
    owner = db.get(StaffUser, world.owner_user.id)
    owner.disabled = True
    db.add(owner)
    set_portal_access(db, world.staff_a, world.contact_a1.public_id, False)
    with pytest.raises(Invalid, match="do not match"):
        _staff_token(db, world)
    with pytest.raises(Invalid, match="do not match"):
        _client_token(db, world)


# --- throttling ----------------------------------------------------------------------------

@pytest.fixture
def max_failures_3(monkeypatch):
    monkeypatch.setenv("PORTAL_LOGIN_MAX_FAILURES", "3")
    reset_settings_cache()


def test_throttled_after_max_failures_even_with_right_password(db, world, max_failures_3):
    for _ in range(2):
        auth.record_failed_sign_in(db, world.ws_a.id, "alice@client.example", "10.0.0.9")
    assert _client_token(db, world)  # 2 < 3: still allowed
    auth.record_failed_sign_in(db, world.ws_a.id, "alice@client.example", "10.0.0.9")
    with pytest.raises(Throttled):
        _client_token(db, world)
    # another address from another IP is not affected
    assert _client_token(db, world, "bob@client.example")
    # the same address on another workspace is a different key
    assert auth.sign_in(db, world.ws_b.id, "client", "carol@client.example", world.password)


def test_throttle_key_ignores_spelling_variants_of_the_address(db, world, max_failures_3):
    for variant in ["ALICE@client.example", " alice@CLIENT.example ", "alice@\uff43lient.example"]:
        auth.record_failed_sign_in(db, world.ws_a.id, variant, "10.0.0.1")
    with pytest.raises(Throttled):
        _client_token(db, world)
    with pytest.raises(Throttled):  # a full-width letter reaches the same account: same key
        auth.sign_in(db, world.ws_a.id, "client", "alice@\uff43lient.example", world.password)


def test_throttle_per_ip_and_window(db, world, max_failures_3, clock):
    for i in range(12):  # 4 x the per-address limit, each from a different address
        auth.record_failed_sign_in(db, world.ws_a.id, f"guess{i}@client.example", "10.9.9.9")
    with pytest.raises(Throttled):
        auth.sign_in(db, world.ws_a.id, "client", "alice@client.example", world.password, ip="10.9.9.9")
    assert auth.sign_in(db, world.ws_a.id, "client", "alice@client.example", world.password, ip="10.1.1.1")
    clock.advance(minutes=15)  # the last moment of the window: they still count
    with pytest.raises(Throttled):
        auth.sign_in(db, world.ws_a.id, "client", "alice@client.example", world.password, ip="10.9.9.9")
    # failures older than the window no longer count
    clock.advance(microseconds=1)
    assert auth.sign_in(db, world.ws_a.id, "client", "alice@client.example", world.password, ip="10.9.9.9")


def test_failed_attempts_store_no_address(db, world):
    auth.record_failed_sign_in(db, world.ws_a.id, "alice@client.example", "10.0.0.1")
    db.flush()
    rows = db.exec(select(LoginAttempt)).all()
    assert len(rows) == 2
    assert all("alice" not in r.key_hash and "10.0.0.1" not in r.key_hash for r in rows)


# --- resolving the actor ---------------------------------------------------------------------

def test_resolve_actor_without_a_usable_token_is_anonymous(db, world):
    for token in [None, "", "forged-token", "x" * 500]:
        actor = auth.resolve_actor(db, token, world.ws_a.id)
        assert actor == Anonymous(world.ws_a.id)
    assert isinstance(auth.resolve_actor(db, _staff_token(db, world), None), Anonymous)


def test_revoked_session_is_anonymous(db, world):
    token = _client_token(db, world)
    row = _session_row(db, token)
    row.revoked_at = utcnow()
    db.add(row)
    assert isinstance(auth.resolve_actor(db, token, world.ws_a.id), Anonymous)


def test_idle_session_expires(db, world, clock):
    token = _staff_token(db, world)
    row = _session_row(db, token)
    clock.advance(minutes=120)  # idle exactly the limit: still signed in
    assert isinstance(auth.resolve_actor(db, token, world.ws_a.id), Staff)
    assert row.last_seen_at == clock.now  # touched on use
    clock.advance(minutes=120, microseconds=1)
    assert isinstance(auth.resolve_actor(db, token, world.ws_a.id), Anonymous)


def test_absolute_expiry_ends_a_busy_session(db, world, clock):
    token = _client_token(db, world)
    row = _session_row(db, token)
    assert row.expires_at - row.created_at == timedelta(hours=336)
    clock.now = row.expires_at - timedelta(microseconds=1)
    row.last_seen_at = clock.now  # busy to the end
    db.add(row)
    assert isinstance(auth.resolve_actor(db, token, world.ws_a.id), Client)
    clock.advance(microseconds=1)
    assert isinstance(auth.resolve_actor(db, token, world.ws_a.id), Anonymous)


def test_session_of_another_workspace_is_anonymous(db, world):
    staff_token, client_token = _staff_token(db, world), _client_token(db, world)
    assert isinstance(auth.resolve_actor(db, staff_token, world.ws_b.id), Anonymous)
    assert isinstance(auth.resolve_actor(db, client_token, world.ws_b.id), Anonymous)


def test_disabled_accounts_lose_their_sessions(db, world):
    staff_token, client_token = _staff_token(db, world), _client_token(db, world)
    other_client = _client_token(db, world, "bob@client.example")
    owner = db.get(StaffUser, world.owner_user.id)
    owner.disabled = True
    db.add(owner)
    set_portal_access(db, world.staff_a, world.contact_a1.public_id, False)
    assert isinstance(auth.resolve_actor(db, staff_token, world.ws_a.id), Anonymous)
    assert isinstance(auth.resolve_actor(db, client_token, world.ws_a.id), Anonymous)
    assert isinstance(auth.resolve_actor(db, other_client, world.ws_a.id), Client)


# --- signing out -----------------------------------------------------------------------------

def test_sign_out_revokes_only_that_session(db, world):
    first, second = _client_token(db, world), _client_token(db, world)
    auth.sign_out(db, first)
    assert _session_row(db, first).revoked_at is not None
    assert isinstance(auth.resolve_actor(db, first, world.ws_a.id), Anonymous)
    assert isinstance(auth.resolve_actor(db, second, world.ws_a.id), Client)
    auth.sign_out(db, None)
    auth.sign_out(db, "forged")
    auth.sign_out(db, first)  # twice is harmless
    assert isinstance(auth.resolve_actor(db, second, world.ws_a.id), Client)


def test_revoke_client_sessions_ends_every_session_of_that_account(db, world):
    a1 = [_client_token(db, world) for _ in range(2)]
    a2 = _client_token(db, world, "bob@client.example")
    staff = _staff_token(db, world)
    db.flush()
    assert auth.revoke_client_sessions(db, world.account_a1.id) == 2
    assert all(isinstance(auth.resolve_actor(db, t, world.ws_a.id), Anonymous) for t in a1)
    assert isinstance(auth.resolve_actor(db, a2, world.ws_a.id), Client)
    assert isinstance(auth.resolve_actor(db, staff, world.ws_a.id), Staff)
    assert auth.revoke_client_sessions(db, world.account_a1.id) == 0

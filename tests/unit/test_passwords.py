"""Forgotten passwords: services/accounts/passwords.py, for clients and staff."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from portal_app.access import Anonymous, Client, Staff
from portal_app.errors import Invalid
from portal_app.models import ClientAccount, PasswordReset, StaffUser, utcnow
from portal_app.services.accounts import auth, passwords
from portal_app.services.accounts.invites import set_portal_access
from tests.support.outbox import last_link, outbox_payloads, token_of

NEW = "a brand new password"


def _request(db, world, kind="client", email="alice@client.example") -> str:
    passwords.request_reset(db, world.ws_a.id, kind, email)
    db.flush()
    return token_of(last_link(db, "/reset-password"))


def test_request_queues_a_link_built_from_the_base_url(db, world):
    token = _request(db, world)
    assert last_link(db, "/reset-password").startswith("https://alpha.example.test/reset-password?token=")
    row = db.exec(select(PasswordReset)).one()
    assert row.token_hash != token and token not in row.token_hash  # stored hashed only
    assert row.client_account_id == world.account_a1.id and row.staff_user_id is None
    assert row.expires_at - row.created_at == timedelta(minutes=passwords.RESET_MINUTES)


@pytest.mark.parametrize("kind,email", [
    ("client", "nobody@client.example"),       # no such address
    ("client", "carol@client.example"),        # a client of another workspace
    ("staff", "alice@client.example"),         # a client is not staff
    ("client", "owner@alpha.example"),         # staff is not a client
])
def test_unknown_accounts_get_no_email_and_no_error(db, world, kind, email):
    passwords.request_reset(db, world.ws_a.id, kind, email)
    db.flush()
    assert db.exec(select(PasswordReset)).all() == []
    assert not any("/reset-password" in p.get("text", "") for p in outbox_payloads(db))


def test_malformed_address_is_refused(db, world):
    with pytest.raises(Invalid):
        passwords.request_reset(db, world.ws_a.id, "client", "not an email")


def test_disabled_client_gets_no_link(db, world):
    set_portal_access(db, world.staff_a, world.contact_a1.public_id, False)
    passwords.request_reset(db, world.ws_a.id, "client", "alice@client.example")
    db.flush()
    assert db.exec(select(PasswordReset)).all() == []


def test_at_most_three_links_an_hour(db, world):
    for _ in range(5):
        passwords.request_reset(db, world.ws_a.id, "client", "alice@client.example")
    db.flush()
    assert len(db.exec(select(PasswordReset)).all()) == passwords.RESETS_PER_HOUR


def test_check_is_read_only(db, world):
    token = _request(db, world)
    assert passwords.check_reset(db, token).status == "valid"
    assert passwords.check_reset(db, token).status == "valid"
    assert db.exec(select(PasswordReset)).one().used_at is None
    assert passwords.check_reset(db, "forged").status == "invalid"


def test_client_reset_sets_the_password_and_ends_other_sessions(db, world):
    old_session = auth.start_client_session(db, world.account_a1)
    token = _request(db, world)
    kind, session = passwords.reset_password(db, token, NEW, NEW, workspace_id=world.ws_a.id)
    assert kind == "client"
    assert isinstance(auth.resolve_actor(db, session, world.ws_a.id), Client)
    assert isinstance(auth.resolve_actor(db, old_session, world.ws_a.id), Anonymous)
    assert auth.sign_in(db, world.ws_a.id, "client", "alice@client.example", NEW)
    with pytest.raises(Invalid):
        auth.sign_in(db, world.ws_a.id, "client", "alice@client.example", world.password)
    with pytest.raises(Invalid, match="already been used"):
        passwords.reset_password(db, token, NEW + "2", NEW + "2", workspace_id=world.ws_a.id)


def test_staff_reset(db, world):
    old_session = auth.start_staff_session(db, world.owner_user)
    token = _request(db, world, "staff", "owner@alpha.example")
    kind, session = passwords.reset_password(db, token, NEW, NEW, workspace_id=world.ws_a.id)
    assert kind == "staff" and isinstance(auth.resolve_actor(db, session, world.ws_a.id), Staff)
    assert isinstance(auth.resolve_actor(db, old_session, world.ws_a.id), Anonymous)


def test_bad_input_leaves_the_link_unused(db, world):
    token = _request(db, world)
    for password, confirm, field in [("short", "short", "password"), (NEW, NEW + "x", "confirm")]:
        with pytest.raises(Invalid) as err:
            passwords.reset_password(db, token, password, confirm, workspace_id=world.ws_a.id)
        assert err.value.field == field
    assert passwords.check_reset(db, token).status == "valid"


def test_expired_forged_and_other_workspace_links_are_refused(db, world):
    token = _request(db, world)
    with pytest.raises(Invalid, match="not valid"):
        passwords.reset_password(db, token, NEW, NEW, workspace_id=world.ws_b.id)
    with pytest.raises(Invalid, match="not valid"):
        passwords.reset_password(db, "forged-token", NEW, NEW, workspace_id=world.ws_a.id)
    row = db.exec(select(PasswordReset)).one()
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.add(row)
    db.flush()
    with pytest.raises(Invalid, match="expired"):
        passwords.reset_password(db, token, NEW, NEW, workspace_id=world.ws_a.id)
    account = db.get(ClientAccount, world.account_a1.id)
    assert passwords.check_reset(db, token).status == "expired" and account.password_hash


def test_account_disabled_after_the_request_cannot_reset(db, world):
    token = _request(db, world)
    set_portal_access(db, world.staff_a, world.contact_a1.public_id, False)
    with pytest.raises(Invalid, match="disabled"):
        passwords.reset_password(db, token, NEW, NEW, workspace_id=world.ws_a.id)
    user = db.get(StaffUser, world.owner_user.id)
    user.disabled = True
    db.add(user)
    db.flush()
    passwords.request_reset(db, world.ws_a.id, "staff", "owner@alpha.example")
    db.flush()
    assert all(r.staff_user_id is None for r in db.exec(select(PasswordReset)).all())  # none for them

"""services/accounts/invites.py: send, resend, revoke, check, accept, request a new one; portal access."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from portal_app.access import Anonymous, Client
from portal_app.errors import Forbidden, Invalid, NotFound, NotSignedIn
from portal_app.models import ClientAccount, Contact, Invitation, OutboxMessage, utcnow
from portal_app.services.accounts import auth, invites
from portal_app.services.accounts.contacts import create_contact
from tests.support.outbox import last_link, outbox_payloads, token_of

NEW_PASSWORD = "a brand new password"


@pytest.fixture
def dana(db, world) -> Contact:
    return create_contact(db, world.staff_a, {"first_name": "Dana", "last_name": "Diaz",
                                              "email": "dana@diaz.example"})


def _invite(db, world, contact) -> str:
    invites.send_invite(db, world.staff_a, contact.public_id)
    db.flush()
    return token_of(last_link(db, "/invite"))


def _account(db, contact) -> ClientAccount | None:
    return db.exec(select(ClientAccount).where(ClientAccount.contact_id == contact.id)).first()


def test_send_invite_queues_email_with_workspace_link(db, world, dana):
    inv = invites.send_invite(db, world.staff_a, dana.public_id)
    db.flush()
    payloads = outbox_payloads(db, world.ws_a.id)
    assert len(payloads) == 1 and payloads[0]["to"] == "dana@diaz.example"
    assert "Alpha Studio" in payloads[0]["subject"]
    link = last_link(db, "/invite")
    assert link.startswith("https://alpha.example.test/invite?token=")
    assert "portal.example.test" not in payloads[0]["text"] + payloads[0]["html"]
    assert inv.expires_at - inv.created_at == timedelta(days=7)
    assert _account(db, dana).status == "invited"
    assert invites.check_invite(db, token_of(link)).status == "valid"


def test_token_is_stored_only_hashed(db, world, dana):
    token = _invite(db, world, dana)
    inv = db.exec(select(Invitation).where(Invitation.contact_id == dana.id)).one()
    assert token not in " ".join(str(v) for v in inv.model_dump().values())
    assert len(inv.token_hash) == 64


def test_check_invite_is_read_only(db, world, dana):
    token = _invite(db, world, dana)
    for _ in range(2):
        check = invites.check_invite(db, token)
        assert (check.status, check.business_name, check.email) == ("valid", "Alpha Studio",
                                                                     "dana@diaz.example")
        assert check.contact_name == "Dana Diaz"
    db.flush()
    inv = db.exec(select(Invitation).where(Invitation.contact_id == dana.id)).one()
    assert inv.used_at is None and inv.revoked_at is None


def test_accept_invite_activates_account_and_signs_in(db, world, dana):
    token = _invite(db, world, dana)
    session_token = invites.accept_invite(db, token, NEW_PASSWORD, NEW_PASSWORD,
                                          workspace_id=world.ws_a.id)
    actor = auth.resolve_actor(db, session_token, world.ws_a.id)
    assert isinstance(actor, Client) and actor.contact_id == dana.id
    account = _account(db, dana)
    assert account.status == "active" and account.activated_at is not None
    assert invites.check_invite(db, token).status == "used"
    # the new password works for a normal sign-in
    assert auth.sign_in(db, world.ws_a.id, "client", "dana@diaz.example", NEW_PASSWORD)


def test_reused_invite_says_already_used(db, world, dana):
    token = _invite(db, world, dana)
    invites.accept_invite(db, token, NEW_PASSWORD, NEW_PASSWORD, workspace_id=world.ws_a.id)
    with pytest.raises(Invalid, match="already been used"):
        invites.accept_invite(db, token, "another password!", "another password!",
                              workspace_id=world.ws_a.id)


def test_expired_invite_is_refused(db, world, dana):
    token = _invite(db, world, dana)
    inv = db.exec(select(Invitation).where(Invitation.contact_id == dana.id)).one()
    inv.expires_at = utcnow() - timedelta(seconds=1)
    db.add(inv)
    assert invites.check_invite(db, token).status == "expired"
    with pytest.raises(Invalid, match="expired"):
        invites.accept_invite(db, token, NEW_PASSWORD, NEW_PASSWORD, workspace_id=world.ws_a.id)


def test_revoked_invite_is_refused(db, world, dana):
    token = _invite(db, world, dana)
    assert invites.revoke_invite(db, world.staff_a, dana.public_id) == 1
    assert invites.check_invite(db, token).status == "revoked"
    with pytest.raises(Invalid, match="withdrawn"):
        invites.accept_invite(db, token, NEW_PASSWORD, NEW_PASSWORD, workspace_id=world.ws_a.id)
    assert _account(db, dana) is None  # the never-used account goes with the invitation
    with pytest.raises(Invalid, match="no pending invitation"):
        invites.revoke_invite(db, world.staff_a, dana.public_id)


@pytest.mark.parametrize("forged", ["", "not-a-token", "x" * 300])
def test_forged_token_is_invalid(db, world, dana, forged, token):
    _invite(db, world, dana)
    for bad in (forged, token):  # `token` is a well-formed random token nobody issued
        assert invites.check_invite(db, bad).status == "invalid"
        with pytest.raises(Invalid, match="not valid") as err:
            invites.accept_invite(db, bad, NEW_PASSWORD, NEW_PASSWORD, workspace_id=world.ws_a.id)
        assert err.value.field == "token"


def test_invite_is_refused_on_another_workspace_host(db, world, dana):
    token = _invite(db, world, dana)
    with pytest.raises(Invalid, match="not valid"):
        invites.accept_invite(db, token, NEW_PASSWORD, NEW_PASSWORD, workspace_id=world.ws_b.id)
    assert invites.check_invite(db, token).status == "valid"


def test_resend_revokes_the_earlier_link(db, world, dana):
    first = _invite(db, world, dana)
    second = _invite(db, world, dana)
    assert first != second
    assert invites.check_invite(db, first).status == "replaced"  # a resend says so; withdrawn links still say "revoked"
    assert invites.check_invite(db, second).status == "valid"
    with pytest.raises(Invalid):
        invites.accept_invite(db, first, NEW_PASSWORD, NEW_PASSWORD, workspace_id=world.ws_a.id)
    assert invites.accept_invite(db, second, NEW_PASSWORD, NEW_PASSWORD, workspace_id=world.ws_a.id)


@pytest.mark.parametrize("password,confirm,field", [
    ("short", "short", "password"),
    (" " * 12, " " * 12, "password"),
    ("p" * 201, "p" * 201, "password"),
    (NEW_PASSWORD, NEW_PASSWORD + "!", "confirm"),
])
def test_bad_password_leaves_invitation_unused(db, world, dana, password, confirm, field):
    token = _invite(db, world, dana)
    with pytest.raises(Invalid) as err:
        invites.accept_invite(db, token, password, confirm, workspace_id=world.ws_a.id)
    assert err.value.field == field
    assert invites.check_invite(db, token).status == "valid"
    assert _account(db, dana).status == "invited" and _account(db, dana).password_hash is None


def test_invite_refusals(db, world, dana):
    with pytest.raises(Invalid, match="already has portal access"):
        invites.send_invite(db, world.staff_a, world.contact_a1.public_id)
    set_off = invites.set_portal_access(db, world.staff_a, world.contact_a2.public_id, False)
    assert set_off == "disabled"
    with pytest.raises(Invalid, match="disabled"):
        invites.send_invite(db, world.staff_a, world.contact_a2.public_id)
    with pytest.raises(NotFound):
        invites.send_invite(db, world.staff_a, "ct_doesnotexist")


def test_member_staff_may_invite(db, world, dana):
    # access.require_manage_contacts: every staff role works with contacts and invites
    invites.send_invite(db, world.member_a, dana.public_id)
    assert invites.revoke_invite(db, world.member_a, dana.public_id) == 1


def test_deny_paths(db, world, dana):
    for actor, error in [(world.staff_b, NotFound), (world.client_a1, Forbidden),
                         (world.client_b1, Forbidden), (world.anon, NotSignedIn),
                         (Anonymous(None), NotSignedIn)]:
        with pytest.raises(error):
            invites.send_invite(db, actor, dana.public_id)
        with pytest.raises(error):
            invites.revoke_invite(db, actor, dana.public_id)
        with pytest.raises(error):
            invites.set_portal_access(db, actor, world.contact_a1.public_id, False)
    db.flush()
    assert db.exec(select(Invitation)).first() is None
    assert db.exec(select(OutboxMessage)).first() is None
    assert _account(db, world.contact_a1).status == "active"


def test_disabling_access_ends_sessions_and_pending_invites_at_once(db, world, dana):
    session = auth.sign_in(db, world.ws_a.id, "client", "alice@client.example", world.password)
    assert isinstance(auth.resolve_actor(db, session, world.ws_a.id), Client)
    assert invites.set_portal_access(db, world.staff_a, world.contact_a1.public_id, False) == "disabled"
    assert isinstance(auth.resolve_actor(db, session, world.ws_a.id), Anonymous)
    with pytest.raises(Invalid, match="already disabled"):
        invites.set_portal_access(db, world.staff_a, world.contact_a1.public_id, False)

    token = _invite(db, world, dana)
    invites.set_portal_access(db, world.staff_a, dana.public_id, False)
    assert invites.check_invite(db, token).status == "revoked"
    with pytest.raises(Invalid):
        invites.accept_invite(db, token, NEW_PASSWORD, NEW_PASSWORD, workspace_id=world.ws_a.id)

    # re-enabling restores the right status; the old session stays ended
    assert invites.set_portal_access(db, world.staff_a, world.contact_a1.public_id, True) == "active"
    assert invites.set_portal_access(db, world.staff_a, dana.public_id, True) == "invited"
    assert isinstance(auth.resolve_actor(db, session, world.ws_a.id), Anonymous)
    with pytest.raises(Invalid, match="not disabled"):
        invites.set_portal_access(db, world.staff_a, dana.public_id, True)


def test_portal_access_needs_an_account(db, world, dana):
    with pytest.raises(NotFound):
        invites.set_portal_access(db, world.staff_a, dana.public_id, False)


def test_request_new_invite_tells_owners_only_for_real_links(db, world, dana, token):
    spent = _invite(db, world, dana)
    inv = db.exec(select(Invitation).where(Invitation.contact_id == dana.id)).one()
    inv.expires_at = utcnow() - timedelta(days=1)
    db.add(inv)
    db.flush()
    before = len(outbox_payloads(db))
    assert invites.request_new_invite(db, token) is False
    assert invites.request_new_invite(db, "") is False
    db.flush()
    assert len(outbox_payloads(db)) == before  # a forged link queues nothing

    assert invites.request_new_invite(db, spent) is True
    db.flush()
    notices = outbox_payloads(db)[before:]
    assert [n["to"] for n in notices] == ["owner@alpha.example"]  # not the member, not B's owner
    assert "Dana Diaz" in notices[0]["subject"]
    assert "https://alpha.example.test/staff/contacts/" + dana.public_id in notices[0]["text"]


def test_request_new_invite_for_a_used_link_does_nothing(db, world, dana):
    token = _invite(db, world, dana)
    invites.accept_invite(db, token, NEW_PASSWORD, NEW_PASSWORD, workspace_id=world.ws_a.id)
    db.flush()
    before = len(outbox_payloads(db))
    assert invites.request_new_invite(db, token) is False
    db.flush()
    assert len(outbox_payloads(db)) == before


def test_request_new_invite_is_rate_limited_and_not_for_valid_links(db, world, dana):
    token = _invite(db, world, dana)
    before = len(outbox_payloads(db))
    assert invites.request_new_invite(db, token) is False  # the link still works: nothing to ask
    inv = db.exec(select(Invitation).where(Invitation.contact_id == dana.id)).one()
    inv.expires_at = utcnow() - timedelta(minutes=1)
    db.add(inv)
    db.flush()
    assert invites.request_new_invite(db, token) is True
    db.flush()
    sent = len(outbox_payloads(db))
    assert sent == before + 1
    for _ in range(3):  # pressing again within a day emails nobody again
        assert invites.request_new_invite(db, token) is False
    db.flush()
    assert len(outbox_payloads(db)) == sent

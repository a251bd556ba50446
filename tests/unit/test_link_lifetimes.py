"""Links die when they should (issue #11, item 4): for each kind of one-time link (password
reset, client portal invitation, staff invitation, email-change confirmation) only the newest
works: a newer request ends the earlier ones, and redeeming one ends every other. The holder
of a dead link gets a refusal that says why, and nothing changes."""

from __future__ import annotations

import pytest
from sqlmodel import select

from portal_app.access import Staff
from portal_app.errors import Invalid
from portal_app.models import Contact, EmailChange, PasswordReset, StaffInvitation, StaffUser
from portal_app.services.accounts import auth, invites, passwords, profile, team
from portal_app.services.accounts.contacts import create_contact
from tests.support.outbox import last_link, token_of

NEW = "a brand new password"
OTHER = "another new password"


# --- password reset --------------------------------------------------------------------------

def _reset_link(db, world, kind="client", email="alice@client.example") -> str:
    passwords.request_reset(db, world.ws_a.id, kind, email)
    db.flush()
    return token_of(last_link(db, "/reset-password"))


@pytest.mark.parametrize("kind,email", [("client", "alice@client.example"), ("staff", "owner@alpha.example")])
def test_reset_older_link_refused_after_a_newer_request(db, world, kind, email):
    older = _reset_link(db, world, kind, email)
    newer = _reset_link(db, world, kind, email)
    assert passwords.check_reset(db, older).status == "replaced"
    with pytest.raises(Invalid) as err:
        passwords.reset_password(db, older, NEW, NEW, workspace_id=world.ws_a.id)
    assert err.value.message == passwords.RESET_MESSAGES["replaced"] and err.value.field == "token"
    assert passwords.check_reset(db, newer).status == "valid"
    assert passwords.reset_password(db, newer, NEW, NEW, workspace_id=world.ws_a.id)[0] == kind


def test_reset_older_link_refused_after_the_newer_one_was_used(db, world):
    """The reported case: the 2nd-newest link, redeemed after the newest, gave a session."""
    older = _reset_link(db, world)
    newer = _reset_link(db, world)
    passwords.reset_password(db, newer, NEW, NEW, workspace_id=world.ws_a.id)
    with pytest.raises(Invalid, match="no longer works"):
        passwords.reset_password(db, older, OTHER, OTHER, workspace_id=world.ws_a.id)
    # the password is the one chosen with the newest link, and no session was started
    assert auth.sign_in(db, world.ws_a.id, "client", "alice@client.example", NEW)
    with pytest.raises(Invalid):
        auth.sign_in(db, world.ws_a.id, "client", "alice@client.example", OTHER)


def test_a_successful_reset_ends_every_other_link_of_the_account(db, world):
    """Even links that escaped a request's clean-up (two requests racing) die with a reset;
    another account's link is left alone."""
    first = _reset_link(db, world)
    second = _reset_link(db, world)
    # the race: the first link is still open as the second request did not see it
    first_row = db.exec(select(PasswordReset).order_by(PasswordReset.id)).first()
    first_row.revoked_at = None
    db.add(first_row)
    bob = _reset_link(db, world, "client", "bob@client.example")
    db.flush()
    passwords.reset_password(db, second, NEW, NEW, workspace_id=world.ws_a.id)
    assert passwords.check_reset(db, first).status == "replaced"
    assert passwords.check_reset(db, bob).status == "valid"


def test_no_new_link_means_the_last_one_keeps_working(db, world):
    """Past the hourly limit no email goes out, so the earlier link must not be ended."""
    for _ in range(passwords.RESETS_PER_HOUR):
        last = _reset_link(db, world)
    passwords.request_reset(db, world.ws_a.id, "client", "alice@client.example")
    db.flush()
    assert passwords.check_reset(db, last).status == "valid"


# --- client portal invitations -----------------------------------------------------------------

@pytest.fixture
def dana(db, world) -> Contact:
    return create_contact(db, world.staff_a, {"first_name": "Dana", "last_name": "Diaz",
                                              "email": "dana@diaz.example"})


def _invite_link(db, world, contact) -> str:
    invites.send_invite(db, world.staff_a, contact.public_id)
    db.flush()
    return token_of(last_link(db, "/invite"))


def test_invite_older_link_refused_after_a_resend(db, world, dana):
    older = _invite_link(db, world, dana)
    newer = _invite_link(db, world, dana)
    assert invites.check_invite(db, older).status == "replaced"
    with pytest.raises(Invalid) as err:
        invites.accept_invite(db, older, NEW, NEW, workspace_id=world.ws_a.id)
    assert err.value.message == invites.INVITE_MESSAGES["replaced"]
    assert invites.check_invite(db, newer).status == "valid"


def test_invite_older_link_refused_after_the_newer_one_was_accepted(db, world, dana, monkeypatch):
    """Two sends that raced (the second did not see the first's row yet) leave two open
    links; accepting one ends the other."""
    older = _invite_link(db, world, dana)
    real_pending = invites._pending
    monkeypatch.setattr(invites, "_pending", lambda db, contact_id: [])  # the race
    newer = _invite_link(db, world, dana)
    monkeypatch.setattr(invites, "_pending", real_pending)
    invites.accept_invite(db, newer, NEW, NEW, workspace_id=world.ws_a.id)
    assert invites.check_invite(db, older).status == "replaced"
    with pytest.raises(Invalid, match="replaced by a newer one"):
        invites.accept_invite(db, older, OTHER, OTHER, workspace_id=world.ws_a.id)
    assert auth.sign_in(db, world.ws_a.id, "client", "dana@diaz.example", NEW)


def test_a_withdrawn_invitation_still_says_withdrawn(db, world, dana):
    token = _invite_link(db, world, dana)
    invites.revoke_invite(db, world.staff_a, dana.public_id)
    assert invites.check_invite(db, token).status == "revoked"


# --- staff invitations (joining the team) ------------------------------------------------------

def _join_link(db, world, email="nina@alpha.example") -> str:
    team.invite_staff(db, world.staff_a, email=email, name="Nina New", role="member")
    db.flush()
    return token_of(last_link(db, "/staff/join"))


def test_join_older_link_refused_after_a_newer_invitation(db, world):
    older = _join_link(db, world)
    newer = _join_link(db, world)
    assert team.check_staff_invite(db, older)[0] == "replaced"
    with pytest.raises(Invalid) as err:
        team.accept_staff_invite(db, older, NEW, NEW, workspace_id=world.ws_a.id)
    assert err.value.message == team.STAFF_INVITE_MESSAGES["replaced"]
    assert team.check_staff_invite(db, newer)[0] == "valid"


def test_join_older_link_refused_after_the_newer_one_was_used(db, world):
    older = _join_link(db, world)
    newer = _join_link(db, world)
    session = team.accept_staff_invite(db, newer, NEW, NEW, workspace_id=world.ws_a.id)
    assert isinstance(auth.resolve_actor(db, session, world.ws_a.id), Staff)
    with pytest.raises(Invalid, match="replaced by a newer one"):
        team.accept_staff_invite(db, older, OTHER, OTHER, workspace_id=world.ws_a.id)
    users = db.exec(select(StaffUser).where(StaffUser.email == "nina@alpha.example")).all()
    assert len(users) == 1


def test_joining_ends_a_raced_second_link(db, world):
    """Two invitations to the same address that raced: joining with one ends the other."""
    older = _join_link(db, world)
    newer = _join_link(db, world)
    first = db.exec(select(StaffInvitation).order_by(StaffInvitation.id)).first()
    first.revoked_at = None  # as if the second invitation had not seen it
    db.add(first)
    db.flush()
    team.accept_staff_invite(db, newer, NEW, NEW, workspace_id=world.ws_a.id)
    assert team.check_staff_invite(db, older)[0] == "replaced"


# --- email-change confirmations ----------------------------------------------------------------

def _change_link(db, actor, new_email: str) -> str:
    profile.request_email_change(db, actor, new_email, "correct horse battery")
    db.flush()
    return token_of(last_link(db, "/confirm-email"))


def test_email_change_older_link_refused_after_a_newer_request(db, world):
    older = _change_link(db, world.client_a1, "alice.one@client.example")
    newer = _change_link(db, world.client_a1, "alice.two@client.example")
    with pytest.raises(Invalid) as err:
        profile.confirm_email_change(db, older)
    assert err.value.message == profile.EMAIL_CHANGE_MESSAGES["replaced"]
    assert profile.get_profile(db, world.client_a1)["pending_email"] == "alice.two@client.example"
    assert profile.confirm_email_change(db, newer) == "alice.two@client.example"


def test_email_change_older_link_refused_after_the_newer_one_was_confirmed(db, world):
    older = _change_link(db, world.client_a1, "alice.one@client.example")
    newer = _change_link(db, world.client_a1, "alice.two@client.example")
    profile.confirm_email_change(db, newer)
    with pytest.raises(Invalid, match="no longer works"):
        profile.confirm_email_change(db, older)
    contact = db.get(Contact, world.contact_a1.id)
    assert contact.email == "alice.two@client.example"


def test_confirming_ends_a_raced_second_link(db, world):
    older = _change_link(db, world.client_a1, "alice.one@client.example")
    newer = _change_link(db, world.client_a1, "alice.two@client.example")
    first = db.exec(select(EmailChange).order_by(EmailChange.id)).first()
    first.revoked_at = None  # two requests that raced
    db.add(first)
    db.flush()
    profile.confirm_email_change(db, newer)
    with pytest.raises(Invalid, match="no longer works"):
        profile.confirm_email_change(db, older)
    assert db.get(Contact, world.contact_a1.id).email == "alice.two@client.example"
    assert profile.get_profile(db, world.client_a1)["pending_email"] == ""

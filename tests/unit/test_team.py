"""Staff team management: services/accounts/team.py (invite, accept, list, roles, disable, revoke)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import select

from portal_app.access import Anonymous, Staff
from portal_app.errors import Forbidden, Invalid, NotFound, NotSignedIn
from portal_app.models import AuditEvent, StaffInvitation, StaffUser, utcnow
from portal_app.services.accounts import auth, team
from portal_app.services.security import hash_password
from tests.support.outbox import last_link, outbox_payloads, token_of

NEW = "a brand new password"


def _invite(db, actor, email="nina@alpha.example", role="member", name="Nina New") -> str:
    team.invite_staff(db, actor, email=email, name=name, role=role)
    db.flush()
    return token_of(last_link(db, "/staff/join"))


def _colleague(db, world, role="admin", email="adam@alpha.example", ws=None) -> tuple[StaffUser, Staff]:
    ws = ws or world.ws_a
    user = StaffUser(workspace_id=ws.id, email=email, name=email.split("@")[0].title(), role=role,
                     password_hash=hash_password(world.password))
    db.add(user)
    db.flush()
    return user, Staff(ws.id, user.id, role, user.email, user.name)


def _member_user(db, world) -> StaffUser:
    return db.get(StaffUser, world.member_a.user_id)


def _second_owner_and_stale_first(db, world) -> tuple[StaffUser, Staff]:
    """Olga becomes an owner, and Ava's row is demoted behind her (still 'owner') actor's back,
    so Olga is the only active owner while world.staff_a still acts as an owner."""
    olga, olga_actor = _colleague(db, world, role="owner", email="olga@alpha.example")
    world.owner_user.role = "admin"
    db.add(world.owner_user)
    db.flush()
    return olga, olga_actor


# --- invite_staff --------------------------------------------------------------------------

def test_owner_invite_queues_a_link_from_the_base_url_and_stores_the_token_hashed(db, world):
    token = _invite(db, world.staff_a, email="Nina@Alpha.example", role="admin")
    assert last_link(db, "/staff/join") == f"https://alpha.example.test/staff/join?token={token}"
    assert outbox_payloads(db, world.ws_a.id)[-1]["to"] == "nina@alpha.example"
    inv = db.exec(select(StaffInvitation)).one()
    assert (inv.workspace_id, inv.email, inv.role) == (world.ws_a.id, "nina@alpha.example", "admin")
    assert inv.token_hash != token and token not in inv.token_hash
    assert inv.created_by_id == world.owner_user.id and inv.used_at is None and inv.revoked_at is None


def test_admins_may_invite_but_not_owners_and_others_may_not_invite(db, world):
    _, admin = _colleague(db, world)
    for actor, role, error in [(admin, "owner", Forbidden), (world.member_a, "member", Forbidden),
                               (world.client_a1, "member", Forbidden), (world.anon, "member", NotSignedIn)]:
        with pytest.raises(error):
            team.invite_staff(db, actor, email="x@alpha.example", name="X", role=role)
    assert db.exec(select(StaffInvitation)).all() == []
    _invite(db, admin, role="admin")
    assert db.exec(select(StaffInvitation)).one().created_by_id == admin.user_id


@pytest.mark.parametrize("email,name,role,field", [
    ("x@alpha.example", "X", "superuser", "role"), ("x@alpha.example", "X", "", "role"),
    ("not an email", "X", "member", "email"), ("", "X", "member", "email"),
    ("x@alpha.example", "   ", "member", "name"),
    ("owner@alpha.example", "Again", "member", "email"),   # already on the team
    ("MEMBER@alpha.example", "Again", "member", "email"),  # the same address in other case
])
def test_bad_invite_input_is_invalid_with_the_field(db, world, email, name, role, field):
    with pytest.raises(Invalid) as err:
        team.invite_staff(db, world.staff_a, email=email, name=name, role=role)
    assert err.value.field == field
    assert db.exec(select(StaffInvitation)).all() == []


def test_a_resend_revokes_the_earlier_link(db, world):
    first, second = _invite(db, world.staff_a), _invite(db, world.staff_a)
    assert first != second and len(outbox_payloads(db, world.ws_a.id)) == 2
    assert [team.check_staff_invite(db, t)[0] for t in (first, second)] == ["replaced", "valid"]
    with pytest.raises(Invalid, match="replaced by a newer one"):
        team.accept_staff_invite(db, first, NEW, NEW, workspace_id=world.ws_a.id)


# --- list_team -----------------------------------------------------------------------------

def test_list_team_shows_active_disabled_and_pending_of_own_workspace_only(db, world):
    _member_user(db, world).disabled = True
    _colleague(db, world, email="other@beta.example", ws=world.ws_b)
    _invite(db, world.staff_a, email="nina@alpha.example")
    _invite(db, world.staff_b, email="bea@beta.example")
    old = _invite(db, world.staff_a, email="gone@alpha.example")
    team.revoke_staff_invite(db, world.staff_a, f"inv_{team.check_staff_invite(db, old)[1].id}")
    rows = {r.email: r for r in team.list_team(db, world.staff_a)}
    assert set(rows) == {"owner@alpha.example", "member@alpha.example", "nina@alpha.example"}
    assert rows["owner@alpha.example"].status == "active" and rows["owner@alpha.example"].is_me
    assert rows["member@alpha.example"].status == "disabled" and not rows["member@alpha.example"].is_me
    assert (rows["nina@alpha.example"].status, rows["nina@alpha.example"].public_id[:4]) == ("invited", "inv_")
    assert [r.email for r in team.list_team(db, world.member_a) if r.is_me] == ["member@alpha.example"]
    for actor, error in [(world.client_a1, Forbidden), (world.anon, NotSignedIn)]:
        with pytest.raises(error):
            team.list_team(db, actor)


# --- check / accept ------------------------------------------------------------------------

def test_accept_creates_the_user_with_the_invited_role_and_signs_them_in(db, world):
    token = _invite(db, world.staff_a, role="admin")
    assert team.check_staff_invite(db, token)[0] == team.check_staff_invite(db, token)[0] == "valid"
    assert db.exec(select(StaffInvitation)).one().used_at is None
    session = team.accept_staff_invite(db, token, NEW, NEW, workspace_id=world.ws_a.id)
    actor = auth.resolve_actor(db, session, world.ws_a.id)
    assert isinstance(actor, Staff) and actor.workspace_id == world.ws_a.id
    assert (actor.email, actor.role, actor.name) == ("nina@alpha.example", "admin", "Nina New")
    assert auth.sign_in(db, world.ws_a.id, "staff", "nina@alpha.example", NEW)
    assert team.check_staff_invite(db, token)[0] == "used"
    with pytest.raises(Invalid, match="already been used"):
        team.accept_staff_invite(db, token, NEW, NEW, workspace_id=world.ws_a.id)


def test_expired_revoked_forged_and_other_workspace_links_are_refused(db, world):
    token = _invite(db, world.staff_a)
    with pytest.raises(Invalid, match="not valid"):  # a link of A opened on B's host
        team.accept_staff_invite(db, token, NEW, NEW, workspace_id=world.ws_b.id)
    for forged in ("forged-token", "", "x" * 500):
        assert team.check_staff_invite(db, forged) == ("invalid", None)
        with pytest.raises(Invalid, match="not valid"):
            team.accept_staff_invite(db, forged, NEW, NEW, workspace_id=world.ws_a.id)
    inv = db.exec(select(StaffInvitation)).one()
    for column, message in [("expires_at", "expired"), ("revoked_at", "withdrawn")]:
        setattr(inv, column, utcnow() - timedelta(seconds=1))
        db.add(inv)
        db.flush()
        with pytest.raises(Invalid, match=message):
            team.accept_staff_invite(db, token, NEW, NEW, workspace_id=world.ws_a.id)
    assert db.exec(select(StaffUser).where(StaffUser.email == "nina@alpha.example")).first() is None


def test_bad_password_leaves_the_invitation_unused(db, world):
    token = _invite(db, world.staff_a)
    for password, confirm, field in [("short", "short", "password"), (NEW, NEW + "x", "confirm")]:
        with pytest.raises(Invalid) as err:
            team.accept_staff_invite(db, token, password, confirm, workspace_id=world.ws_a.id)
        assert err.value.field == field
    assert team.check_staff_invite(db, token)[0] == "valid"
    assert db.exec(select(StaffUser).where(StaffUser.email == "nina@alpha.example")).first() is None


# --- set_role ------------------------------------------------------------------------------

def test_owner_changes_a_role_and_it_is_audited(db, world):
    team.set_role(db, world.staff_a, _member_user(db, world).public_id, "admin")
    db.flush()
    session = auth.start_staff_session(db, _member_user(db, world))
    assert auth.resolve_actor(db, session, world.ws_a.id).role == "admin"  # read fresh per request
    ev = db.exec(select(AuditEvent).where(AuditEvent.action == "team.role_changed")).one()
    assert ev.workspace_id == world.ws_a.id and ev.actor_label == "owner@alpha.example"
    assert json.loads(ev.detail) == {"email": "member@alpha.example", "role": ["member", "admin"]}


def test_only_owners_change_others_roles(db, world):
    _, admin = _colleague(db, world)
    target = _member_user(db, world).public_id
    for actor, error in [(admin, Forbidden), (world.member_a, Forbidden), (world.client_a1, Forbidden),
                         (world.anon, NotSignedIn)]:
        with pytest.raises(error):
            team.set_role(db, actor, target, "admin")
    for actor, other in [(world.staff_b, target), (world.staff_a, "usr_nope")]:  # B's owner vs A
        with pytest.raises(NotFound):
            team.set_role(db, actor, other, "admin")
    with pytest.raises(Invalid) as err:
        team.set_role(db, world.staff_a, target, "boss")
    assert err.value.field == "role" and _member_user(db, world).role == "member"
    with pytest.raises(Invalid, match="own role"):
        team.set_role(db, world.staff_a, world.owner_user.public_id, "member")
    assert db.get(StaffUser, world.owner_user.id).role == "owner"


def test_the_last_active_owner_can_be_neither_demoted_nor_disabled(db, world):
    olga, olga_actor = _second_owner_and_stale_first(db, world)
    with pytest.raises(Invalid, match="at least one owner"):
        team.set_role(db, world.staff_a, olga.public_id, "admin")
    with pytest.raises(Invalid, match="at least one owner"):
        team.set_disabled(db, world.staff_a, olga.public_id, True)
    assert (olga.role, olga.disabled) == ("owner", False)
    team.set_role(db, olga_actor, world.owner_user.public_id, "owner")  # two active owners again
    team.set_role(db, world.staff_a, olga.public_id, "admin")
    team.set_disabled(db, world.staff_a, olga.public_id, True)
    assert (olga.role, olga.disabled) == ("admin", True)


# --- set_disabled --------------------------------------------------------------------------

@pytest.mark.parametrize("as_admin", [False, True])
def test_disabling_a_member_ends_their_sessions_and_enable_restores(db, world, as_admin):
    actor = _colleague(db, world)[1] if as_admin else world.staff_a
    member = _member_user(db, world)
    session = auth.start_staff_session(db, member)
    assert isinstance(auth.resolve_actor(db, session, world.ws_a.id), Staff)
    team.set_disabled(db, actor, member.public_id, True)
    db.flush()
    assert isinstance(auth.resolve_actor(db, session, world.ws_a.id), Anonymous)
    with pytest.raises(Invalid):
        auth.sign_in(db, world.ws_a.id, "staff", member.email, world.password)
    team.set_disabled(db, actor, member.public_id, False)
    db.flush()
    assert auth.sign_in(db, world.ws_a.id, "staff", member.email, world.password)
    actions = [e.action for e in db.exec(select(AuditEvent).order_by(AuditEvent.seq)).all()]
    assert [a for a in actions if a.startswith("team.")] == ["team.disabled", "team.enabled"]


def test_disable_guards(db, world):
    admin_user, admin = _colleague(db, world)
    owner_id, member_id = world.owner_user.public_id, _member_user(db, world).public_id
    for actor, target, error in [
        (world.staff_a, owner_id, Invalid), (admin, admin_user.public_id, Invalid),  # not yourself
        (admin, owner_id, Forbidden),                                               # admin vs owner
        (world.member_a, admin_user.public_id, Forbidden), (world.client_a1, member_id, Forbidden),
        (world.anon, member_id, NotSignedIn),
        (world.staff_b, member_id, NotFound), (world.staff_b, owner_id, NotFound),  # B's owner vs A
        (world.staff_a, "usr_nope", NotFound),
    ]:
        with pytest.raises(error):
            team.set_disabled(db, actor, target, True)
    assert not any(u.disabled for u in db.exec(select(StaffUser)).all())


# --- revoke_staff_invite -------------------------------------------------------------------

def test_revoke_invite(db, world):
    _, admin = _colleague(db, world)
    token = _invite(db, world.staff_a)
    row = next(r for r in team.list_team(db, admin) if r.status == "invited")
    for actor, error in [(world.member_a, Forbidden), (world.client_a1, Forbidden),
                         (world.anon, NotSignedIn), (world.staff_b, NotFound)]:
        with pytest.raises(error):
            team.revoke_staff_invite(db, actor, row.public_id)
    for bad in ("inv_abc", "inv_", "abc", "inv_999999"):
        with pytest.raises(NotFound):
            team.revoke_staff_invite(db, admin, bad)
    team.revoke_staff_invite(db, admin, row.public_id)
    db.flush()
    assert team.check_staff_invite(db, token)[0] == "revoked"
    assert [r for r in team.list_team(db, admin) if r.status == "invited"] == []
    with pytest.raises(NotFound):
        team.revoke_staff_invite(db, admin, row.public_id)  # already revoked
    b_token = _invite(db, world.staff_b, email="bea@beta.example")
    with pytest.raises(NotFound):  # another workspace's invitation
        team.revoke_staff_invite(db, world.staff_a, f"inv_{team.check_staff_invite(db, b_token)[1].id}")
    assert team.check_staff_invite(db, b_token)[0] == "valid"


def test_huge_invitation_ids_are_not_found(db, world):
    for row_id in ("inv_99999999999999999999", "inv_0", "inv_-5"):
        with pytest.raises(NotFound):
            team.revoke_staff_invite(db, world.staff_a, row_id)


def test_a_disabled_owner_can_be_demoted_and_disabling_again_is_quiet(db, world):
    team.invite_staff(db, world.staff_a, email="second@alpha.example", name="Second Owner", role="owner")
    db.flush()
    token = token_of(last_link(db, "/staff/join"))
    team.accept_staff_invite(db, token, "second owner password", "second owner password",
                             workspace_id=world.ws_a.id)
    second = db.exec(select(StaffUser).where(StaffUser.email == "second@alpha.example")).one()
    team.set_disabled(db, world.staff_a, second.public_id, True)
    team.set_disabled(db, world.staff_a, second.public_id, True)  # already disabled: nothing to do
    team.set_role(db, world.staff_a, second.public_id, "member")  # a disabled owner is no active owner
    db.refresh(second)
    assert (second.role, second.disabled) == ("member", True)

"""The workspace's staff: invite colleagues, change roles, disable accounts.

Owners and admins invite and disable; only owners change roles or invite owners. A
workspace always keeps at least one active owner, and nobody disables or demotes
themselves. Those rules are access/staff.py's (require_manage_team, require_grant_role,
require_change_role, require_set_disabled); this module asks them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from portal_app import limits
from portal_app.access import (
    Actor,
    Staff,
    require_change_role,
    require_change_roles,
    require_grant_role,
    require_manage_team,
    require_set_disabled,
    require_staff,
    roles_at_least,
)
from portal_app.errors import Invalid, NotFound
from portal_app.models import StaffInvitation, StaffUser, Workspace, utcnow
from portal_app.services import audit, emails
from portal_app.services.accounts.auth import revoke_staff_sessions, start_staff_session
from portal_app.services.accounts.links import check_new_password, use_once
from portal_app.services.security import hash_password, hash_token, new_token
from portal_app.services.validation import clean_email, clean_text
from portal_app.settings import get_settings

STAFF_INVITE_MESSAGES = {
    "expired": "This invitation link has expired. Ask the person who invited you for a new one.",
    "used": "This invitation link has already been used. Sign in instead.",
    "replaced": "This invitation link was replaced by a newer one. Use the link in the newest "
                "invitation email, or sign in if you have already joined.",
    "revoked": "This invitation was withdrawn.",
    "invalid": "This invitation link is not valid. Check that you copied the whole link.",
}


@dataclass
class TeamRow:
    public_id: str
    name: str
    email: str
    role: str
    status: str  # active | disabled | invited
    is_me: bool


def list_team(db: Session, actor: Actor) -> list[TeamRow]:
    staff = require_staff(actor)
    users = db.exec(select(StaffUser).where(StaffUser.workspace_id == staff.workspace_id)
                    .order_by(col(StaffUser.name), col(StaffUser.id)).limit(500)).all()
    rows = [TeamRow(u.public_id, u.name, u.email, u.role, "disabled" if u.disabled else "active",
                    u.id == staff.user_id) for u in users]
    now = utcnow()
    pending = db.exec(select(StaffInvitation).where(
        StaffInvitation.workspace_id == staff.workspace_id, col(StaffInvitation.used_at).is_(None),
        col(StaffInvitation.revoked_at).is_(None), col(StaffInvitation.expires_at) > now)
        .order_by(col(StaffInvitation.id)).limit(200)).all()
    rows += [TeamRow(f"inv_{i.id}", i.name, i.email, i.role, "invited", False) for i in pending]
    return rows


def invite_staff(db: Session, actor: Actor, *, email: str, name: str, role: str) -> None:
    staff = require_manage_team(actor)
    email = clean_email(email)
    name = clean_text(name, "name", "Name", limits.STAFF_NAME, required=True)
    role = require_grant_role(staff, role)
    if db.exec(select(StaffUser.id).where(StaffUser.workspace_id == staff.workspace_id,
                                          StaffUser.email == email)).first() is not None:
        raise Invalid("This person is already on your team.", "email")
    now = utcnow()
    for old in db.exec(select(StaffInvitation).where(
            StaffInvitation.workspace_id == staff.workspace_id, StaffInvitation.email == email,
            col(StaffInvitation.used_at).is_(None), col(StaffInvitation.revoked_at).is_(None))):
        old.revoked_at = now  # a resend replaces the earlier link
        db.add(old)
    token = new_token()
    days = get_settings().invite_days
    db.add(StaffInvitation(workspace_id=staff.workspace_id, email=email, name=name, role=role,
                           token_hash=hash_token(token), created_by_id=staff.user_id, created_at=now,
                           expires_at=now + timedelta(days=days)))
    ws = db.get_one(Workspace, staff.workspace_id)
    emails.queue_branded_email(
        db, ws, to=email, subject=f"{staff.name} invited you to the {ws.name} team",
        heading=f"Hello {name},",
        paragraphs=[f"{staff.name} invited you to work with clients in the {ws.name} portal as {role}.",
                    f"Open the link below to choose your password. It works once and expires in {days} days."],
        button_label="Join the team", button_url=f"{ws.base_url}/staff/join?token={token}",
        footer="If you did not expect this, you can ignore it.", for_client=False)
    audit.record(db, staff.workspace_id, staff, "team.invited", "workspace", ws.public_id,
                 {"email": email, "role": role})


def revoke_staff_invite(db: Session, actor: Actor, row_id: str) -> None:
    staff = require_manage_team(actor)
    try:
        inv_id = int(str(row_id).removeprefix("inv_"))
    except ValueError:
        raise NotFound() from None
    if not 0 < inv_id < 2**31:  # the browser sent it: out of the column's range is "not found"
        raise NotFound()
    inv = db.get(StaffInvitation, inv_id)
    if inv is None or inv.workspace_id != staff.workspace_id or inv.used_at or inv.revoked_at:
        raise NotFound("This invitation no longer exists.")
    inv.revoked_at = utcnow()
    db.add(inv)
    ws = db.get_one(Workspace, staff.workspace_id)
    audit.record(db, staff.workspace_id, staff, "team.invite_revoked", "workspace", ws.public_id,
                 {"email": inv.email})


def _find_invite(db: Session, token: str) -> StaffInvitation | None:
    if not token or len(token) > 200:
        return None
    return db.exec(select(StaffInvitation).where(StaffInvitation.token_hash == hash_token(token))).first()


def check_staff_invite(db: Session, token: str) -> tuple[str, StaffInvitation | None]:
    """(status, invitation) without consuming anything."""
    inv = _find_invite(db, token)
    if inv is None:
        return "invalid", None
    if inv.used_at is not None:
        return "used", inv
    if inv.revoked_at is not None:
        # ended by a resend or by joining with another link (a newer one exists), or withdrawn
        newer = db.exec(select(StaffInvitation.id).where(
            StaffInvitation.workspace_id == inv.workspace_id, StaffInvitation.email == inv.email,
            StaffInvitation.id > inv.id).limit(1)).first()
        return ("replaced" if newer is not None else "revoked"), inv
    if utcnow() >= inv.expires_at:
        return "expired", inv
    return "valid", inv


def accept_staff_invite(db: Session, token: str, password: str, confirm: str, *, workspace_id: int | None,
                        ip: str = "", user_agent: str = "", host: str = "") -> str:
    status, inv = check_staff_invite(db, token)
    if status != "valid" or inv is None or inv.workspace_id != workspace_id:
        raise Invalid(STAFF_INVITE_MESSAGES.get(status if status != "valid" else "invalid"), "token")
    check_new_password(password, confirm)
    now = utcnow()
    if not use_once(db, StaffInvitation, inv.id, now):
        raise Invalid(STAFF_INVITE_MESSAGES["used"], "token")
    # Any other link for this address (e.g. two invitations that raced) dies with this one.
    db.exec(sa.update(StaffInvitation).where(
        col(StaffInvitation.workspace_id) == inv.workspace_id, col(StaffInvitation.email) == inv.email,
        col(StaffInvitation.id) != inv.id, col(StaffInvitation.used_at).is_(None),
        col(StaffInvitation.revoked_at).is_(None)).values(revoked_at=now))
    if db.exec(select(StaffUser.id).where(StaffUser.workspace_id == inv.workspace_id,
                                          StaffUser.email == inv.email)).first() is not None:
        raise Invalid(STAFF_INVITE_MESSAGES["used"], "token")
    user = StaffUser(workspace_id=inv.workspace_id, email=inv.email, name=inv.name, role=inv.role,
                     password_hash=hash_password(password))
    db.add(user)
    db.flush()
    ws = db.get_one(Workspace, inv.workspace_id)
    audit.record(db, ws.id, None, "team.joined", "workspace", ws.public_id, {"email": inv.email, "role": inv.role})
    return start_staff_session(db, user, ip=ip, user_agent=user_agent, host=host)


def _member(db: Session, staff: Staff, public_id: str) -> StaffUser:
    user = db.exec(select(StaffUser).where(StaffUser.public_id == str(public_id)[:40],
                                           StaffUser.workspace_id == staff.workspace_id)).first()
    if user is None:
        raise NotFound("This team member does not exist.")
    return user


def _active_owners(db: Session, workspace_id: int) -> int:
    return db.exec(select(sa.func.count()).select_from(StaffUser).where(
        StaffUser.workspace_id == workspace_id, col(StaffUser.role).in_(roles_at_least("owner")),
        col(StaffUser.disabled).is_(False))).one()


def set_role(db: Session, actor: Actor, public_id: str, role: str) -> None:
    staff = require_change_roles(actor)
    role = require_grant_role(staff, role)
    user = _member(db, staff, public_id)
    require_change_role(staff, user, role, lambda: _active_owners(db, staff.workspace_id))
    if user.role != role:
        old, user.role = user.role, role
        db.add(user)
        ws = db.get_one(Workspace, staff.workspace_id)
        audit.record(db, staff.workspace_id, staff, "team.role_changed", "workspace", ws.public_id,
                     {"email": user.email, "role": [old, role]})


def set_disabled(db: Session, actor: Actor, public_id: str, disabled: bool) -> None:
    """Disabling ends the person's sessions at once."""
    staff = require_manage_team(actor)
    user = _member(db, staff, public_id)
    require_set_disabled(staff, user, disabled, lambda: _active_owners(db, staff.workspace_id))
    if user.disabled == disabled:
        return
    user.disabled = disabled
    db.add(user)
    if disabled:
        revoke_staff_sessions(db, user.id)
    ws = db.get_one(Workspace, staff.workspace_id)
    audit.record(db, staff.workspace_id, staff, "team.disabled" if disabled else "team.enabled", "workspace",
                 ws.public_id, {"email": user.email})

"""Portal invitations: send, resend, revoke, accept; and client portal access."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from portal_app.access import Actor, require_manage_contacts, roles_at_least
from portal_app.errors import Invalid, NotFound
from portal_app.models import AuditEvent, ClientAccount, ClientStatus, Contact, Invitation, StaffUser, Workspace, utcnow
from portal_app.services import audit, emails, events
from portal_app.services.accounts.auth import client_link_only, revoke_client_sessions, start_client_session
from portal_app.services.accounts.contacts import get_contact
from portal_app.services.accounts.links import check_new_password, use_once
from portal_app.services.accounts.sign_in_links import end_links_of
from portal_app.services.security import hash_password, hash_token, new_token
from portal_app.settings import get_settings


@dataclass
class InviteCheck:
    """What the invitation page may show about a token (nothing if forged)."""

    status: str  # valid | expired | used | replaced | revoked | invalid
    workspace_id: int | None = None
    business_name: str = ""
    contact_name: str = ""
    email: str = ""


INVITE_MESSAGES = {
    "expired": "This invitation link has expired.",
    "used": "This invitation link has already been used.",
    "replaced": "This invitation link was replaced by a newer one. Use the link in the newest "
                "invitation email, or sign in if you have already chosen a password.",
    "revoked": "This invitation was withdrawn.",
    "invalid": "This invitation link is not valid. Check that you copied the whole link.",
}


def _pending(db: Session, contact_id: int) -> list[Invitation]:
    now = utcnow()
    return list(db.exec(select(Invitation).where(
        Invitation.contact_id == contact_id, col(Invitation.used_at).is_(None),
        col(Invitation.revoked_at).is_(None), Invitation.expires_at > now)))


def send_invite(db: Session, actor: Actor, contact_public_id: str) -> Invitation:
    """Send (or resend) a portal invitation; any earlier pending link stops working."""
    staff = require_manage_contacts(actor)
    contact = get_contact(db, staff, contact_public_id)
    if not contact.email:
        raise Invalid("Add an email address to this contact before inviting them.", "email")
    account = db.exec(select(ClientAccount).where(ClientAccount.contact_id == contact.id)).first()
    if account and account.status == ClientStatus.active.value:
        raise Invalid("This client already has portal access.")
    if account and account.status == ClientStatus.disabled.value:
        raise Invalid("Portal access is disabled for this client. Enable it first.")
    now = utcnow()
    for old in _pending(db, contact.id):
        old.revoked_at = now
        db.add(old)
    if account is None:
        db.add(ClientAccount(workspace_id=staff.workspace_id, contact_id=contact.id,
                             status=ClientStatus.invited.value))
    days = get_settings().invite_days
    token = new_token()
    inv = Invitation(workspace_id=staff.workspace_id, contact_id=contact.id, token_hash=hash_token(token),
                     email=contact.email, created_by_id=staff.user_id, created_at=now,
                     expires_at=now + timedelta(days=days))
    db.add(inv)
    ws = db.get_one(Workspace, staff.workspace_id)
    link = f"{ws.base_url}/invite?token={token}"  # the configured base URL, never a Host header
    emails.invitation_email(db, ws, to=contact.email, contact_name=contact.display_name,
                            link=link, days=days)
    audit.record(db, staff.workspace_id, staff, "invite.sent", "contact", contact.public_id,
                 {"email": contact.email, "expires": inv.expires_at.strftime("%Y-%m-%d %H:%M UTC")})
    return inv


def revoke_invite(db: Session, actor: Actor, contact_public_id: str) -> int:
    staff = require_manage_contacts(actor)
    contact = get_contact(db, staff, contact_public_id)
    pending = _pending(db, contact.id)
    if not pending:
        raise Invalid("There is no pending invitation to revoke.")
    now = utcnow()
    for inv in pending:
        inv.revoked_at = now
        db.add(inv)
    account = db.exec(select(ClientAccount).where(ClientAccount.contact_id == contact.id)).first()
    if account and account.status == ClientStatus.invited.value and account.password_hash is None:
        db.delete(account)
    audit.record(db, staff.workspace_id, staff, "invite.revoked", "contact", contact.public_id, {})
    return len(pending)


def _find(db: Session, token: str) -> Invitation | None:
    if not token or len(token) > 200:
        return None
    return db.exec(select(Invitation).where(Invitation.token_hash == hash_token(token))).first()


def _status(db: Session, inv: Invitation | None) -> str:
    if inv is None:
        return "invalid"
    if inv.used_at is not None:
        return "used"
    if inv.revoked_at is not None:
        # ended by a resend or by accepting another link (a newer one exists), or withdrawn
        newer = db.exec(select(Invitation.id).where(Invitation.contact_id == inv.contact_id,
                                                    Invitation.id > inv.id).limit(1)).first()
        return "replaced" if newer is not None else "revoked"
    return "expired" if utcnow() >= inv.expires_at else "valid"


def check_invite(db: Session, token: str) -> InviteCheck:
    """Read-only: opening the link (a mail scanner's GET) consumes nothing."""
    inv = _find(db, token)
    if inv is None:
        return InviteCheck("invalid")
    ws = db.get_one(Workspace, inv.workspace_id)
    contact = db.get(Contact, inv.contact_id)
    return InviteCheck(_status(db, inv), ws.id, ws.name, contact.display_name if contact else "", inv.email)


SIGN_IN_METHODS = ("password", "link")
LINK_ONLY_INVITE = ("This portal signs clients in by email link only: choose “Sign in with an email link "
                    "each time”.")


def accept_invite(db: Session, token: str, password: str, confirm: str, *, workspace_id: int | None,
                  ip: str = "", user_agent: str = "", host: str = "", method: str = "password") -> str:
    """Consume the invitation, activate the account and sign in; returns a session token.
    `method` is how the client will sign in from now on: "password" (set from `password`,
    `confirm`) or "link" (no password: an emailed link each time, services/accounts/sign_in_links.py)."""
    inv = _find(db, token)
    status = _status(db, inv)
    if inv is None or status != "valid" or (workspace_id is not None and inv.workspace_id != workspace_id):
        raise Invalid(INVITE_MESSAGES.get(status, INVITE_MESSAGES["invalid"]), "token")
    if method not in SIGN_IN_METHODS:
        raise Invalid("Choose how you want to sign in.", "method")
    if method == "password":
        if client_link_only(db, inv.workspace_id):
            raise Invalid(LINK_ONLY_INVITE, "link_only")
        check_new_password(password, confirm)
    now = utcnow()
    if not use_once(db, Invitation, inv.id, now):
        raise Invalid(INVITE_MESSAGES["used"], "token")
    # Any other link of this contact (e.g. two sends that raced) dies with this acceptance.
    db.execute(sa.update(Invitation).where(col(Invitation.contact_id) == inv.contact_id, col(Invitation.id) != inv.id,
                                           col(Invitation.used_at).is_(None), col(Invitation.revoked_at).is_(None))
               .values(revoked_at=now))
    account = db.exec(select(ClientAccount).where(ClientAccount.contact_id == inv.contact_id)).first()
    if account is None:
        account = ClientAccount(workspace_id=inv.workspace_id, contact_id=inv.contact_id)
    if account.status == ClientStatus.disabled.value:
        raise Invalid("Portal access is disabled for this account. Contact the business.", "token")
    account.password_hash = hash_password(password) if method == "password" else None
    account.status = ClientStatus.active.value
    account.activated_at = account.activated_at or now
    account.last_login_at = now
    db.add(account)
    db.flush()
    contact = db.get_one(Contact, inv.contact_id)
    from portal_app.services.accounts.auth import _client_actor

    audit.record(db, inv.workspace_id, _client_actor(account, contact), "invite.accepted", "contact",
                 contact.public_id, {"ip": ip, "sign_in": method})
    events.raise_event(db, events.InviteAccepted(workspace_id=inv.workspace_id, contact=contact.public_id))
    return start_client_session(db, account, ip=ip, user_agent=user_agent, host=host)


def request_new_invite(db: Session, token: str) -> bool:
    """From a link that no longer works: tell the business's owners and admins, at most
    once a day per contact. Forged, used and still-valid links send nothing. The page shows
    the same answer whatever happened here."""
    inv = _find(db, token)
    if inv is None or _status(db, inv) in ("invalid", "used", "valid"):
        return False
    contact = db.get_one(Contact, inv.contact_id)
    ws = db.get_one(Workspace, inv.workspace_id)
    since = utcnow() - timedelta(hours=24)
    recent = db.exec(select(AuditEvent.id).where(
        AuditEvent.workspace_id == ws.id, AuditEvent.subject_type == "contact",
        AuditEvent.subject_id == contact.public_id, AuditEvent.action == "invite.new_requested",
        AuditEvent.at >= since).limit(1)).first()
    if recent is not None:
        return False
    staff = db.exec(select(StaffUser).where(
        StaffUser.workspace_id == ws.id, col(StaffUser.disabled).is_(False),
        col(StaffUser.role).in_(roles_at_least("admin")))).all()
    for user in staff:
        emails.staff_notice_email(
            db, ws, to=user.email, subject=f"{contact.display_name} asks for a new portal invitation",
            text=f"{contact.display_name} ({contact.email}) opened an invitation link that no longer "
                 f"works and asked for a new one.",
            link=f"{ws.base_url}/staff/contacts/{contact.public_id}")
    audit.record(db, ws.id, None, "invite.new_requested", "contact", contact.public_id, {})
    return True


def set_portal_access(db: Session, actor: Actor, contact_public_id: str, enabled: bool) -> str:
    """Disable (ending every session at once) or re-enable a client's portal access."""
    staff = require_manage_contacts(actor)
    contact = get_contact(db, staff, contact_public_id)
    account = db.exec(select(ClientAccount).where(ClientAccount.contact_id == contact.id)).first()
    if account is None:
        raise NotFound("This contact has no portal account yet.")
    if enabled:
        if account.status != ClientStatus.disabled.value:
            raise Invalid("Portal access is not disabled.")
        account.status = ClientStatus.active.value if account.password_hash else ClientStatus.invited.value
        db.add(account)
        audit.record(db, staff.workspace_id, staff, "client.access_enabled", "contact", contact.public_id, {})
    else:
        if account.status == ClientStatus.disabled.value:
            raise Invalid("Portal access is already disabled.")
        account.status = ClientStatus.disabled.value
        db.add(account)
        ended = revoke_client_sessions(db, account.id)
        end_links_of(db, account.id)  # an emailed sign-in link dies with the access
        now = utcnow()
        for inv in _pending(db, contact.id):
            inv.revoked_at = now
            db.add(inv)
        audit.record(db, staff.workspace_id, staff, "client.access_disabled", "contact",
                     contact.public_id, {"sessions_ended": ended})
    return account.status

"""Forgotten passwords: a single-use, one-hour link by email, for staff and clients.

Asking never reveals whether an address has an account (the same answer every time, and
at most RESETS_PER_HOUR emails per account). Only the newest link of an account works: a new
request ends the earlier ones, and choosing the new password ends every other link and every
other session of that account, then signs this browser in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from portal_app.errors import Invalid
from portal_app.models import ClientAccount, ClientStatus, Contact, PasswordReset, StaffUser, Workspace, utcnow
from portal_app.services import audit, emails, events
from portal_app.services.accounts.auth import (
    revoke_client_sessions,
    revoke_staff_sessions,
    start_client_session,
    start_staff_session,
)
from portal_app.services.accounts.links import check_new_password, use_once
from portal_app.services.security import hash_password, hash_token, new_token
from portal_app.services.validation import clean_email

RESET_MINUTES = 60
RESETS_PER_HOUR = 3

RESET_MESSAGES = {
    "expired": "This password link has expired. Ask for a new one.",
    "used": "This password link has already been used. Ask for a new one if you need it.",
    "replaced": "This password link no longer works: a newer link was sent, or the password was "
                "changed since. Use the newest email, or ask for a new link.",
    "invalid": "This password link is not valid. Check that you copied the whole link.",
}


@dataclass
class ResetCheck:
    status: str  # valid | expired | used | replaced | invalid
    kind: str = ""  # staff | client
    workspace_id: int | None = None


def _account(db: Session, workspace_id: int, kind: str, email: str):
    if kind == "staff":
        user = db.exec(select(StaffUser).where(StaffUser.workspace_id == workspace_id,
                                               StaffUser.email == email)).first()
        return user if user and not user.disabled else None
    row = db.exec(select(ClientAccount).join(Contact, col(Contact.id) == ClientAccount.contact_id).where(
        ClientAccount.workspace_id == workspace_id, Contact.email == email)).first()
    return row if row and row.status == ClientStatus.active.value else None


def request_reset(db: Session, workspace_id: int, kind: str, email: str) -> None:
    """Queues the email if an active account has this address; otherwise does nothing.
    Raises Invalid only for an address that cannot be one (the same for everybody)."""
    if kind not in ("staff", "client"):
        raise Invalid("Unknown account kind.")
    email = clean_email(email)
    account = _account(db, workspace_id, kind, email)
    if account is None:
        return
    column = col(PasswordReset.staff_user_id) if kind == "staff" else col(PasswordReset.client_account_id)
    now = utcnow()
    recent = db.exec(select(sa.func.count()).select_from(PasswordReset).where(
        column == account.id, PasswordReset.created_at >= now - timedelta(hours=1))).one()
    if recent >= RESETS_PER_HOUR:
        return  # no new link: the earlier ones keep working
    _end_links(db, column == account.id, now)  # only the link sent now will work
    token = new_token()
    db.add(PasswordReset(
        workspace_id=workspace_id, token_hash=hash_token(token), created_at=now,
        expires_at=now + timedelta(minutes=RESET_MINUTES),
        staff_user_id=account.id if kind == "staff" else None,
        client_account_id=account.id if kind == "client" else None))
    ws = db.get_one(Workspace, workspace_id)
    emails.queue_branded_email(
        db, ws, to=email, subject=f"Choose a new password for {ws.name}",
        heading="Choose a new password",
        paragraphs=[f"Someone (hopefully you) asked to reset the password of your {ws.name} "
                    f"{'staff' if kind == 'staff' else 'client portal'} account.",
                    f"The link works once and expires in {RESET_MINUTES} minutes. If you did not ask, "
                    "ignore this email: your password stays as it is."],
        button_label="Choose a new password", button_url=f"{ws.base_url}/reset-password?token={token}",
        footer=f"Sent by the {ws.name} client portal.", for_client=kind == "client")


def _end_links(db: Session, whose, now, *, keep: int | None = None) -> None:
    """Ends every still-open link of one account (`whose`: a clause on its id column)."""
    clause = sa.and_(whose, col(PasswordReset.used_at).is_(None), col(PasswordReset.revoked_at).is_(None))
    if keep is not None:
        clause = sa.and_(clause, col(PasswordReset.id) != keep)
    db.execute(sa.update(PasswordReset).where(clause).values(revoked_at=now))


def _find(db: Session, token: str) -> PasswordReset | None:
    if not token or len(token) > 200:
        return None
    return db.exec(select(PasswordReset).where(PasswordReset.token_hash == hash_token(token))).first()


def check_reset(db: Session, token: str) -> ResetCheck:
    """Read-only: opening the link consumes nothing."""
    return _check(_find(db, token))


def _check(row: PasswordReset | None) -> ResetCheck:
    if row is None:
        return ResetCheck("invalid")
    kind = "staff" if row.staff_user_id is not None else "client"
    if row.used_at is not None:
        return ResetCheck("used", kind, row.workspace_id)
    if row.revoked_at is not None:
        return ResetCheck("replaced", kind, row.workspace_id)
    if utcnow() >= row.expires_at:
        return ResetCheck("expired", kind, row.workspace_id)
    return ResetCheck("valid", kind, row.workspace_id)


def reset_password(db: Session, token: str, password: str, confirm: str, *, workspace_id: int | None,
                   ip: str = "", user_agent: str = "", host: str = "") -> tuple[str, str]:
    """Sets the new password; returns (kind, new session token)."""
    row = _find(db, token)
    check = _check(row)
    if row is None or check.status != "valid" or check.workspace_id != workspace_id:
        raise Invalid(RESET_MESSAGES.get(check.status, RESET_MESSAGES["invalid"]), "token")
    check_new_password(password, confirm)
    now = utcnow()
    if not use_once(db, PasswordReset, row.id, now):
        raise Invalid(RESET_MESSAGES["used"], "token")
    column = col(PasswordReset.staff_user_id) if check.kind == "staff" else col(PasswordReset.client_account_id)
    account_id = row.staff_user_id if check.kind == "staff" else row.client_account_id
    _end_links(db, column == account_id, now, keep=row.id)  # every other link of the account dies
    if check.kind == "staff":
        user = db.get(StaffUser, row.staff_user_id)
        if user is None or user.disabled:
            raise Invalid(RESET_MESSAGES["invalid"], "token")
        user.password_hash = hash_password(password)
        db.add(user)
        revoke_staff_sessions(db, user.id)
        audit.record(db, user.workspace_id, None, "staff.password_reset", "staff_user", user.public_id, {"ip": ip})
        events.raise_event(db, events.PasswordChanged(workspace_id=user.workspace_id, account_kind="staff",
                                                      account=user.public_id, how="reset", at=now.isoformat()))
        return "staff", start_staff_session(db, user, ip=ip, user_agent=user_agent, host=host)
    account = db.get(ClientAccount, row.client_account_id)
    if account is None or account.status != ClientStatus.active.value:
        raise Invalid("Portal access for this account is disabled. Contact the business.", "token")
    account.password_hash = hash_password(password)
    db.add(account)
    revoke_client_sessions(db, account.id)
    contact = db.get_one(Contact, account.contact_id)
    audit.record(db, account.workspace_id, None, "client.password_reset", "contact", contact.public_id, {"ip": ip})
    events.raise_event(db, events.PasswordChanged(workspace_id=account.workspace_id, account_kind="client",
                                                  account=contact.public_id, how="reset", at=now.isoformat()))
    return "client", start_client_session(db, account, ip=ip, user_agent=user_agent, host=host)

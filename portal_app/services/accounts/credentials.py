"""Proving it is still you: the current password, asked again before a change to how this
account signs in or is reached (a new password: `change_password`; a new email address:
profile.request_email_change). A session left open on a shared computer is then not enough to
take the account over.

Wrong current passwords are throttled like sign-ins (the same window and limit, per account):
the failing call's transaction rolls back, so the caller records the failure in a transaction
of its own with `record_wrong_password(db, exc.throttle_key)`.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from portal_app.access import Actor, Client, Staff, own_account, require_own_account
from portal_app.errors import Invalid, NotFound, Throttled
from portal_app.models import ClientAccount, Contact, LoginAttempt, StaffUser
from portal_app.services import audit, events
from portal_app.services.accounts import auth, my_sessions
from portal_app.services.accounts.links import check_new_password
from portal_app.services.security import hash_password, hash_token, verify_password
from portal_app.settings import get_settings

WRONG_PASSWORD = "That is not your current password."
NO_PASSWORD = ("Your account has no password yet. Sign out and use “Forgot your password?” on the sign-in "
               "page to choose one.")


class WrongPassword(Invalid):
    """The current password did not match; `throttle_key` is what to record as a failure."""

    def __init__(self, throttle_key: str):
        super().__init__(WRONG_PASSWORD, "current_password")
        self.throttle_key = throttle_key


def _throttle_key(me: Staff | Client) -> str:
    kind, account_id = own_account(me)
    return hash_token(f"reauth:{me.workspace_id}:{kind}:{account_id}")


def record_wrong_password(db: Session, throttle_key: str) -> None:
    """Called in its own transaction after a WrongPassword (the failed one rolled back)."""
    db.add(LoginAttempt(key_hash=throttle_key[:64], attempted_at=auth.clock()))


def _account(db: Session, me: Staff | Client) -> StaffUser | ClientAccount:
    kind, account_id = own_account(me)
    row: StaffUser | ClientAccount | None = (db.get(StaffUser, account_id) if kind == "staff"
                                             else db.get(ClientAccount, account_id))
    if row is None or row.workspace_id != me.workspace_id:
        raise NotFound()
    return row


def require_current_password(db: Session, me: Staff | Client, password: object) -> StaffUser | ClientAccount:
    """The account, once `password` is its current one; Throttled after too many wrong tries
    (counted per account), WrongPassword otherwise."""
    key = _throttle_key(me)
    s = get_settings()
    since = auth.clock() - timedelta(minutes=s.login_window_minutes)
    failures = db.exec(select(sa.func.count()).select_from(LoginAttempt).where(
        LoginAttempt.key_hash == key, col(LoginAttempt.attempted_at) >= since)).one()
    if failures >= s.login_max_failures:
        raise Throttled()
    account = _account(db, me)
    typed = str(password or "")[:400]
    if not typed:
        raise Invalid("Enter your current password.", "current_password")
    if account.password_hash is None:
        raise Invalid(NO_PASSWORD, "current_password")
    if not verify_password(account.password_hash, typed):
        raise WrongPassword(key)
    return account


def account_public_id(db: Session, me: Staff | Client) -> str:
    """The public id events and audit records name this account by (staff user; client: contact)."""
    kind, account_id = own_account(me)
    if kind == "staff":
        return db.get_one(StaffUser, account_id).public_id
    return db.get_one(Contact, db.get_one(ClientAccount, account_id).contact_id).public_id


def change_password(db: Session, actor: Actor, current: object, new: object, confirm: object) -> int:
    """Set a new password after the current one; ends every other session of the account (this
    device stays signed in) and emails its owner. Returns how many other sessions ended."""
    me = require_own_account(actor)
    new_text, confirm_text = str(new or ""), str(confirm or "")
    account = require_current_password(db, me, current)
    check_new_password(new_text, confirm_text)
    if verify_password(account.password_hash, new_text):
        raise Invalid("Choose a password different from your current one.", "password")
    account.password_hash = hash_password(new_text)
    db.add(account)
    ended = my_sessions.end_other_sessions(db, me)
    kind, _ = own_account(me)
    public_id = account_public_id(db, me)
    audit.record(db, me.workspace_id, me, f"{kind}.password_changed",
                 "staff_user" if kind == "staff" else "contact", public_id, {"other_sessions_ended": ended})
    events.raise_event(db, events.PasswordChanged(workspace_id=me.workspace_id, account_kind=kind, account=public_id,
                                                  how="changed", at=auth.clock().isoformat()))
    return ended

"""Sign-in, server-side sessions and resolving the actor from a session token."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

import sqlalchemy as sa
from sqlmodel import Session, col, select

from portal_app.access import Actor, Anonymous, Client, Staff, StaffEnrolling, is_signed_in
from portal_app.errors import Invalid, ServiceError, Throttled
from portal_app.models import (
    AuthSession,
    ClientAccount,
    ClientStatus,
    Contact,
    LoginAttempt,
    PendingSignIn,
    PortalSettings,
    StaffUser,
    utcnow,
)
from portal_app.services import audit, events
from portal_app.services.accounts import devices, two_factor
from portal_app.services.portal.workspaces import hostname_of
from portal_app.services.security import hash_token, new_token, verify_password
from portal_app.services.validation import clean_email
from portal_app.settings import get_settings

clock = utcnow  # what "now" is for sessions (idle, absolute expiry) and the sign-in throttle window (tests set it)

BAD_LOGIN = "That email and password do not match an account here."
LINK_ONLY = ("This portal signs clients in by email link only, not by password. "
             "Use “Email me a sign-in link” below.")


class LinkOnly(Invalid):
    """A client password sign-in on a workspace where clients sign in by email link only."""

    message = LINK_ONLY


def client_link_only(db: Session, workspace_id: int) -> bool:
    """Whether the workspace's clients sign in by email link only (an owner's setting)."""
    row = db.get(PortalSettings, workspace_id)
    return bool(row and row.client_link_only)


PENDING_MINUTES = 5  # how long the second step of a sign-in waits for its code


class TwoFactorNeeded(Exception):
    """The password was right and the account has two-factor on: no session yet. The caller
    commits (the pending sign-in is written), gives the browser `pending_token` (an HttpOnly
    cookie: api/auth_routes.py) and asks for a code (`complete_two_factor`)."""

    def __init__(self, pending_token: str, staff: bool):
        super().__init__("a second factor is needed")
        self.pending_token, self.staff = pending_token, staff


class SignInExpired(ServiceError):
    message = "Your sign-in took too long. Please enter your email and password again."


def _throttle_email(email: str) -> str:
    """The address as sign-in will look it up, so spelling variants that reach the same
    account (case, full-width letters in the domain) share one throttle key."""
    raw = (email or "").strip().lower()[:254]
    try:
        return clean_email(raw)
    except Invalid:
        return raw


def _throttle_keys(workspace_id: int, email: str, ip: str) -> tuple[str, str]:
    return (hash_token(f"email:{workspace_id}:{_throttle_email(email)}"), hash_token(f"ip:{ip}"))


def _check_throttle(db: Session, keys: tuple[str, str]) -> None:
    s = get_settings()
    since = clock() - timedelta(minutes=s.login_window_minutes)
    email_key, ip_key = keys
    counts = dict(db.exec(
        select(LoginAttempt.key_hash, sa.func.count()).where(
            col(LoginAttempt.key_hash).in_(keys), LoginAttempt.attempted_at >= since
        ).group_by(LoginAttempt.key_hash)
    ).all())
    if counts.get(email_key, 0) >= s.login_max_failures or \
            counts.get(ip_key, 0) >= s.login_max_failures * 4:
        raise Throttled()


def record_failed_sign_in(db: Session, workspace_id: int, email: str, ip: str) -> None:
    """Called in its own transaction after a failed sign-in (the failed one rolls back)."""
    for key in _throttle_keys(workspace_id, email, ip):
        db.add(LoginAttempt(key_hash=key, attempted_at=clock()))


def _start_session(db: Session, workspace_id: int, *, staff_user_id: int | None = None,
                   client_account_id: int | None = None, ip: str = "", user_agent: str = "",
                   host: str = "") -> str:
    """A new session, bound to the hostname it was signed in on (`host`: the request's Host,
    services/portal/workspaces.request_host): it works on that host only. No host (a test, a
    script) makes a session valid on any host of the workspace, like one from before."""
    s = get_settings()
    token = new_token()  # a fresh token at every sign-in
    now = clock()
    db.add(AuthSession(token_hash=hash_token(token), workspace_id=workspace_id,
                       staff_user_id=staff_user_id, client_account_id=client_account_id,
                       created_at=now, last_seen_at=now,
                       expires_at=now + timedelta(hours=s.session_max_hours),
                       ip=ip[:64], user_agent=user_agent[:300], host=hostname_of(host)[:253] or None))
    _note_device(db, workspace_id, staff_user_id, client_account_id, ip[:64], user_agent[:300], now)
    return token


def _note_device(db: Session, workspace_id: int, staff_user_id: int | None, client_account_id: int | None,
                 ip: str, user_agent: str, now: datetime) -> None:
    """A sign-in from a device this account has not used before raises NewDeviceSignIn (its
    owner is emailed: services/accounts/security_mail.py)."""
    kind: Literal["staff", "client"]
    if staff_user_id is not None:
        kind, account_id = "staff", staff_user_id
    elif client_account_id is not None:
        kind, account_id = "client", client_account_id
    else:
        return
    label = devices.note_device(db, workspace_id, kind, account_id, user_agent)
    if label is None:
        return
    if kind == "staff":
        public_id = db.get_one(StaffUser, account_id).public_id
    else:
        public_id = db.get_one(Contact, db.get_one(ClientAccount, account_id).contact_id).public_id
    events.raise_event(db, events.NewDeviceSignIn(workspace_id=workspace_id, account_kind=kind, account=public_id,
                                                  device=label, ip=ip, at=now.isoformat()))


def sign_in(db: Session, workspace_id: int, kind: str, email: str, password: str, *,
            ip: str = "", user_agent: str = "", host: str = "") -> str:
    """Returns a new session token, or raises Invalid/Throttled with one message for
    every failure so that nobody learns whether an address has an account. A client password
    where clients sign in by link only raises LinkOnly before any account is looked at (the
    same for every address)."""
    _check_throttle(db, _throttle_keys(workspace_id, email, ip))
    try:
        email = clean_email(email)
    except Invalid:
        raise Invalid(BAD_LOGIN) from None
    password = password[:400]
    if kind == "staff":
        user = db.exec(select(StaffUser).where(StaffUser.workspace_id == workspace_id,
                                                StaffUser.email == email)).first()
        ok = verify_password(user.password_hash if user else None, password)
        if ok and user and not user.disabled:
            return signed_in(db, workspace_id, staff_user=user, ip=ip, user_agent=user_agent, host=host)
    else:
        if client_link_only(db, workspace_id):
            raise LinkOnly()
        row = db.exec(
            select(ClientAccount, Contact).join(Contact, col(Contact.id) == ClientAccount.contact_id)
            .where(ClientAccount.workspace_id == workspace_id, Contact.email == email)
        ).first()
        account, contact = row if row else (None, None)
        ok = verify_password(account.password_hash if account else None, password)
        if ok and account and contact and account.status == ClientStatus.active.value:
            return client_signed_in(db, account, contact, method="password", ip=ip, user_agent=user_agent,
                                    host=host)
    raise Invalid(BAD_LOGIN)


def client_signed_in(db: Session, account: ClientAccount, contact: Contact, *, method: str, ip: str = "",
                     user_agent: str = "", host: str = "") -> str:
    """Where every client's first factor ends once the client is known (`method`: password |
    link): `signed_in`, which asks for the second factor when the client has one."""
    return signed_in(db, account.workspace_id, client_account=account, ip=ip, user_agent=user_agent, host=host,
                     method=method)


def signed_in(db: Session, workspace_id: int, *, staff_user: StaffUser | None = None,
              client_account: ClientAccount | None = None, ip: str = "", user_agent: str = "",
              host: str = "", method: str = "password") -> str:
    """The one way a first factor (a password; an emailed link) ends: a new session token, or
    -- when the person has two-factor on -- a pending sign-in and TwoFactorNeeded. Records the
    sign-in (audit) when the session starts."""
    factor = two_factor.enabled_for(db, staff_user_id=staff_user.id if staff_user else None,
                                    client_account_id=client_account.id if client_account else None)
    if factor is not None:
        pending = new_token()
        now = clock()
        db.add(PendingSignIn(token_hash=hash_token(pending), workspace_id=workspace_id,
                             staff_user_id=staff_user.id if staff_user else None,
                             client_account_id=client_account.id if client_account else None,
                             ip=ip[:64], user_agent=user_agent[:300], host=hostname_of(host)[:253],
                             created_at=now, expires_at=now + timedelta(minutes=PENDING_MINUTES)))
        raise TwoFactorNeeded(pending, staff=staff_user is not None)
    return _open_session(db, workspace_id, staff_user=staff_user, client_account=client_account, ip=ip,
                         user_agent=user_agent, host=host, method=method)


def _open_session(db: Session, workspace_id: int, *, staff_user: StaffUser | None, client_account: ClientAccount | None,
                  ip: str, user_agent: str, host: str, via: str = "password", method: str | None = "password") -> str:
    """The session starts; the audit record says from where, for a client by which first factor
    (`method`, None once a second step finishes: the pending sign-in does not keep it), and
    `via` the second factor used, if any."""
    detail = {"ip": ip} if via == "password" else {"ip": ip, "second_factor": via}
    if staff_user is not None:
        token = _start_session(db, workspace_id, staff_user_id=staff_user.id, ip=ip, user_agent=user_agent, host=host)
        audit.record(db, workspace_id, Staff(workspace_id, staff_user.id, staff_user.role, staff_user.email,
                                             staff_user.name), "staff.signed_in", "staff_user", staff_user.public_id,
                     detail)
        return token
    assert client_account is not None
    contact = db.get(Contact, client_account.contact_id)
    client_account.last_login_at = clock()
    db.add(client_account)
    token = _start_session(db, workspace_id, client_account_id=client_account.id, ip=ip, user_agent=user_agent,
                           host=host)
    if contact is not None:
        audit.record(db, workspace_id, _client_actor(client_account, contact), "client.signed_in", "contact",
                     contact.public_id, {**detail, "method": method} if method else detail)
    return token


def _pending(db: Session, workspace_id: int, pending_token: str | None, host: str) -> PendingSignIn:
    """The live pending sign-in behind this token on this workspace and host, else SignInExpired."""
    if not pending_token or len(pending_token) > 200:
        raise SignInExpired()
    row = db.exec(select(PendingSignIn).where(PendingSignIn.token_hash == hash_token(pending_token))).first()
    if (row is None or row.workspace_id != workspace_id or row.used_at is not None or clock() >= row.expires_at
            or row.host != hostname_of(host)[:253]):
        raise SignInExpired()
    return row


def _second_step_keys(row: PendingSignIn, ip: str) -> tuple[str, str]:
    who = f"staff:{row.staff_user_id}" if row.staff_user_id is not None else f"client:{row.client_account_id}"
    return (hash_token(f"2fa:{row.workspace_id}:{who}"), hash_token(f"ip:{ip}"))


def pending_for_staff(db: Session, workspace_id: int, pending_token: str | None, host: str) -> bool | None:
    """For a live pending sign-in, whether it is a staff member's (True) or a client's (False);
    None without one (the code page and its route ask)."""
    try:
        row = _pending(db, workspace_id, pending_token, host)
    except SignInExpired:
        return None
    return row.staff_user_id is not None


def complete_two_factor(db: Session, workspace_id: int, pending_token: str | None, code: str, *,
                        ip: str = "", host: str = "") -> str:
    """The second step: a current authenticator code (accepted once) or an unused recovery code
    (once) turns the pending sign-in into a session; returns its token. Throttled like
    passwords, per person and per address (the failure is recorded by
    `record_failed_second_step`, in a transaction of its own)."""
    row = _pending(db, workspace_id, pending_token, host)
    _check_throttle(db, _second_step_keys(row, ip))
    staff_user = db.get(StaffUser, row.staff_user_id) if row.staff_user_id is not None else None
    account = db.get(ClientAccount, row.client_account_id) if row.client_account_id is not None else None
    if (staff_user is None or staff_user.disabled) and (account is None or account.status != ClientStatus.active.value):
        raise SignInExpired()
    factor = two_factor.enabled_for(db, staff_user_id=row.staff_user_id, client_account_id=row.client_account_id)
    if factor is None:
        raise SignInExpired()
    used = two_factor.check(db, factor, code, clock())
    if used is None:
        raise Invalid(two_factor.BAD_CODE, field="code")
    row.used_at = clock()
    db.add(row)
    return _open_session(db, workspace_id, staff_user=staff_user, client_account=account, ip=ip,
                         user_agent=row.user_agent, host=host, via=used, method=None)


def record_failed_second_step(db: Session, workspace_id: int, pending_token: str | None, ip: str,
                              host: str = "") -> None:
    """Called in its own transaction after a wrong code (that attempt rolled back)."""
    try:
        row = _pending(db, workspace_id, pending_token, host)
    except SignInExpired:
        return
    for key in _second_step_keys(row, ip):
        db.add(LoginAttempt(key_hash=key, attempted_at=clock()))


def start_staff_session(db: Session, user: StaffUser, ip: str = "", user_agent: str = "", host: str = "") -> str:
    return _start_session(db, user.workspace_id, staff_user_id=user.id, ip=ip, user_agent=user_agent, host=host)


def start_client_session(db: Session, account: ClientAccount, ip: str = "", user_agent: str = "",
                         host: str = "") -> str:
    return _start_session(db, account.workspace_id, client_account_id=account.id, ip=ip,
                          user_agent=user_agent, host=host)


def _client_actor(account: ClientAccount, contact: Contact, session_id: int | None = None) -> Client:
    return Client(workspace_id=account.workspace_id, contact_id=contact.id, account_id=account.id,
                  email=contact.email, name=contact.display_name, session_id=session_id)


def resolve_actor(db: Session, token: str | None, workspace_id: int | None, host: str = "") -> Actor:
    """The actor behind a session token, on the workspace the request's host reaches.

    Expired (idle or absolute), revoked, other-workspace, other-host (`host`: the request's
    Host; a session signed in on another hostname) or disabled-account sessions resolve to
    Anonymous. Touches last_seen_at at most once a minute.
    """
    return resolve_session(db, token, workspace_id, host)[0]


def resolve_session(db: Session, token: str | None, workspace_id: int | None,
                    host: str = "") -> tuple[Actor, datetime | None]:
    """(resolve_actor's actor, the moment this answer stops holding by time alone: the
    session's absolute expiry or its idle limit, whichever comes first; None for Anonymous).
    What a cache of the answer may keep it until (state/base.py), changes aside."""
    anon = Anonymous(workspace_id)
    if not token or workspace_id is None or len(token) > 200:
        return anon, None
    sess = db.exec(select(AuthSession).where(AuthSession.token_hash == hash_token(token))).first()
    if sess is None or sess.revoked_at is not None or sess.workspace_id != workspace_id:
        return anon, None
    if sess.host is not None and sess.host != hostname_of(host):
        return anon, None  # signed in on another domain: the cookie is worthless here
    now = clock()
    idle = timedelta(minutes=get_settings().session_idle_minutes)
    if now >= sess.expires_at or now - sess.last_seen_at > idle:
        return anon, None
    actor: Actor = anon
    if sess.staff_user_id is not None:
        user = db.get(StaffUser, sess.staff_user_id)
        if user and not user.disabled and user.workspace_id == workspace_id:
            if two_factor.must_enrol(db, workspace_id, user.id):
                actor = StaffEnrolling(workspace_id, user.id, user.role, user.email, user.name, sess.id)
            else:
                actor = Staff(workspace_id, user.id, user.role, user.email, user.name, sess.id)
    elif sess.client_account_id is not None:
        account = db.get(ClientAccount, sess.client_account_id)
        if account and account.status == ClientStatus.active.value and account.workspace_id == workspace_id:
            contact = db.get(Contact, account.contact_id)
            if contact:
                actor = _client_actor(account, contact, sess.id)
    if not is_signed_in(actor):
        return actor, None
    if now - sess.last_seen_at > timedelta(minutes=1):
        sess.last_seen_at = now
        db.add(sess)
    return actor, min(sess.expires_at, sess.last_seen_at + idle)


def sign_out(db: Session, token: str | None) -> None:
    if not token:
        return
    sess = db.exec(select(AuthSession).where(AuthSession.token_hash == hash_token(token))).first()
    if sess and sess.revoked_at is None:
        sess.revoked_at = clock()
        db.add(sess)


def revoke_staff_sessions(db: Session, user_id: int) -> int:
    result = db.exec(
        sa.update(AuthSession).where(col(AuthSession.staff_user_id) == user_id,
                                     col(AuthSession.revoked_at).is_(None)).values(revoked_at=clock())
    )
    return result.rowcount or 0


def revoke_client_sessions(db: Session, account_id: int) -> int:
    now = clock()
    result = db.exec(
        sa.update(AuthSession).where(col(AuthSession.client_account_id) == account_id,
                                     col(AuthSession.revoked_at).is_(None)).values(revoked_at=now)
    )
    return result.rowcount or 0


def end_sessions_on_host(db: Session, workspace_id: int, hostname: str) -> int:
    """Ends every open session of the workspace signed in on `hostname` (a custom domain
    removed: services/portal/domains.remove_domain); returns how many. Open tabs on that host
    drop to signed out at their next event: ending a session bumps the context version
    (models/context_version.py: a bulk update of auth_session bumps every workspace)."""
    name = hostname_of(hostname)
    if not name:
        return 0
    result = db.exec(
        sa.update(AuthSession).where(col(AuthSession.workspace_id) == workspace_id, col(AuthSession.host) == name,
                                     col(AuthSession.revoked_at).is_(None)).values(revoked_at=clock())
    )
    return result.rowcount or 0

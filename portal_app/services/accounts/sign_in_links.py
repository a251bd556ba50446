"""Clients sign in by an emailed link: request_link → (the email) → open_link.

- Asking (request_link) answers the same whether or not the address has an account: the
  caller shows one sentence either way, and only an active client account gets an email.
  Asking is throttled per address and per IP, counting every request (known address or
  not), so being throttled reveals nothing either.
- The link holds a random single-use token (stored hashed), works for LINK_MINUTES, and only
  the newest link of an account works: a new request ends the earlier ones.
- It is bound to the browser that asked: asking stores the hash of a random nonce that the
  api/ route puts in that browser's HttpOnly cookie. Opened elsewhere it signs nobody in and
  stays usable in the browser that asked ("other_browser": the page offers to send a new
  link from where it was opened). A mail scanner opening the link consumes nothing.
- A disabled (or never activated) account never gets a working link: asking sends nothing,
  and opening checks the account again.
- Opening ends through auth.client_signed_in, the same place the password sign-in ends.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlmodel import Session, col, select

from portal_app.errors import Invalid, Throttled
from portal_app.models import ClientAccount, ClientStatus, Contact, LoginAttempt, SignInLink, Workspace
from portal_app.services import emails
from portal_app.services.accounts import auth
from portal_app.services.accounts.links import end_open_links, use_once
from portal_app.services.portal import workspaces
from portal_app.services.security import hash_token, new_token
from portal_app.services.validation import clean_email
from portal_app.settings import get_settings

LINK_MINUTES = 15
LINKS_PER_ADDRESS = 3  # requests per address per sign-in throttle window (PORTAL_LOGIN_WINDOW_MINUTES)
LINKS_PER_IP = 20  # requests per IP per window

SENT = ("If this address has portal access, a sign-in link is on its way; it works for "
        f"{LINK_MINUTES} minutes in this browser.")
THROTTLED = ("Too many sign-in links were asked for from here or for this address. Wait "
             f"{LINK_MINUTES} minutes, then ask again, or use the newest link you received.")
BAD_EMAIL = "Enter a valid email address (name@example.com)."

LINK_MESSAGES = {
    "other_browser": "This sign-in link was asked for in another browser, so it does not sign you in "
                     "here. Open it in the browser where you asked for it, or send a new link from "
                     "this browser.",
    "expired": f"This sign-in link has expired: links work for {LINK_MINUTES} minutes. Send a new one.",
    "used": "This sign-in link has already been used. Each link works once: send a new one.",
    "replaced": "A newer sign-in link was sent since this one, so this one no longer works. Use the "
                "newest email, or send a new link.",
    "invalid": "This sign-in link is not valid. Check that you copied the whole link, or send a new one.",
}


@dataclass
class LinkResult:
    """What opening a link came to: `status` is "ok" (then `session` is the new session
    token) or one of LINK_MESSAGES' keys."""

    status: str
    session: str = ""


def _throttle_keys(workspace_id: int, email: str, ip: str) -> tuple[str, str]:
    address = (email or "").strip().lower()[:254]
    try:
        address = clean_email(address)
    except Invalid:
        pass
    return hash_token(f"link-email:{workspace_id}:{address}"), hash_token(f"link-ip:{ip}")


def _check_and_count(db: Session, workspace_id: int, email: str, ip: str) -> None:
    """Refuse past the limits, else count this request (every request counts: the throttle
    knows nothing about accounts)."""
    email_key, ip_key = _throttle_keys(workspace_id, email, ip)
    now = auth.clock()
    since = now - timedelta(minutes=get_settings().login_window_minutes)
    counts = dict(db.exec(
        select(LoginAttempt.key_hash, sa.func.count()).where(
            col(LoginAttempt.key_hash).in_((email_key, ip_key)), LoginAttempt.attempted_at >= since
        ).group_by(LoginAttempt.key_hash)
    ).all())
    if counts.get(email_key, 0) >= LINKS_PER_ADDRESS or counts.get(ip_key, 0) >= LINKS_PER_IP:
        raise Throttled(THROTTLED)
    for key in (email_key, ip_key):
        db.add(LoginAttempt(key_hash=key, attempted_at=now))


def _end_links(db: Session, account_id: int, now, *, keep: int | None = None) -> None:
    end_open_links(db, SignInLink, SignInLink.client_account_id, account_id, now, keep=keep)


def end_links_of(db: Session, account_id: int) -> None:
    """Every open link of the account stops working (its portal access was disabled)."""
    _end_links(db, account_id, auth.clock())


def link_base(db: Session, ws: Workspace, host: str) -> str:
    """Where the emailed link points: the host the client asked on when it serves this
    workspace (the base host or a verified custom domain: the nonce cookie lives there, so a
    link to another host would read as "another browser"), else the workspace's base URL. The
    host is rebuilt from its parsed name and port, never pasted."""
    try:
        parts = urlsplit(f"//{host}")
        name, port = (parts.hostname or ""), parts.port
    except ValueError:
        return ws.base_url
    if not name or parts.username is not None or parts.path or parts.query or parts.fragment:
        return ws.base_url
    served = workspaces.workspace_for_host(db, host)
    if served is None or served.id != ws.id:
        return ws.base_url
    return f"{urlsplit(ws.base_url).scheme or 'https'}://{name}{f':{port}' if port else ''}"


def request_link(db: Session, workspace_id: int, email: str, nonce: str, *, ip: str = "", host: str = "") -> None:
    """Email a sign-in link if an active client account has this address; otherwise do
    nothing. `nonce`: the random value the asking browser keeps in its HttpOnly cookie;
    `host`: the Host it asked on (`link_base`). Raises Throttled (past the limits) or Invalid
    (not an address at all), the same for everybody."""
    _check_and_count(db, workspace_id, email, ip)
    try:
        address = clean_email((email or "")[:300])
    except Invalid:
        raise Invalid(BAD_EMAIL, "email") from None
    if not nonce or len(nonce) > 200:
        raise Invalid(BAD_EMAIL, "email")  # only a hand-made request has no nonce: nothing is sent
    row = db.exec(
        select(ClientAccount, Contact).join(Contact, col(Contact.id) == ClientAccount.contact_id)
        .where(ClientAccount.workspace_id == workspace_id, Contact.email == address)
    ).first()
    if row is None or row[0].status != ClientStatus.active.value:
        return
    account, contact = row
    now = auth.clock()
    _end_links(db, account.id, now)  # only the link sent now will work
    token = new_token()
    db.add(SignInLink(workspace_id=workspace_id, client_account_id=account.id, token_hash=hash_token(token),
                      nonce_hash=hash_token(nonce), created_at=now,
                      expires_at=now + timedelta(minutes=LINK_MINUTES)))
    ws = db.get_one(Workspace, workspace_id)
    emails.queue_branded_email(
        db, ws, to=contact.email, subject=f"Your sign-in link for {ws.name}",
        heading="Sign in to your portal",
        paragraphs=[f"Someone (hopefully you) asked to sign in to the {ws.name} client portal with "
                    "this email address.",
                    f"The button signs you in. It works once, for {LINK_MINUTES} minutes, and only in the "
                    "browser where you asked for it. If you did not ask, ignore this email: nobody can "
                    "use the link from another browser."],
        button_label="Sign in", button_url=f"{link_base(db, ws, host)}/api/auth/link?token={token}",
        footer=f"Sent by the {ws.name} client portal.", for_client=True)


def _find(db: Session, token: str) -> SignInLink | None:
    if not token or len(token) > 200:
        return None
    return db.exec(select(SignInLink).where(SignInLink.token_hash == hash_token(token))).first()


def check_link(db: Session, token: str, workspace_id: int | None) -> str:
    """Read-only: the link's status as its holder may learn it (valid, or a LINK_MESSAGES
    key), not counting the browser binding."""
    row = _find(db, token)
    return _status(row, workspace_id)


def _status(row: SignInLink | None, workspace_id: int | None) -> str:
    if row is None or workspace_id is None or row.workspace_id != workspace_id:
        return "invalid"
    if row.used_at is not None:
        return "used"
    if row.revoked_at is not None:
        return "replaced"
    if auth.clock() >= row.expires_at:
        return "expired"
    return "valid"


def open_link(db: Session, token: str, nonce: str | None, *, workspace_id: int | None, ip: str = "",
              user_agent: str = "", host: str = "") -> LinkResult:
    """Sign in with the link from the browser that asked for it (its cookie's `nonce`).
    From any other browser nothing is consumed and nobody is signed in."""
    row = _find(db, token)
    status = _status(row, workspace_id)
    if row is None or status != "valid":
        return LinkResult(status)
    if not nonce or len(nonce) > 200 or not hmac.compare_digest(hash_token(nonce), row.nonce_hash):
        return LinkResult("other_browser")
    account = db.get(ClientAccount, row.client_account_id)
    contact = db.get(Contact, account.contact_id) if account else None
    if account is None or contact is None or account.status != ClientStatus.active.value:
        return LinkResult("invalid")  # access disabled since: this link never works
    now = auth.clock()
    if not use_once(db, SignInLink, row.id, now):
        return LinkResult("used")  # a double click: the other request won
    _end_links(db, account.id, now, keep=row.id)
    return LinkResult("ok", auth.client_signed_in(db, account, contact, method="link", ip=ip,
                                                  user_agent=user_agent, host=host))

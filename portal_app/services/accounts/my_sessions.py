"""A person's own sessions (the Security page, staff and clients alike): which are open, on
which device, from where and when last used; ending one, or every one but this device's.

Ending a session sets its revoked_at through the ORM, which bumps the workspace's
context_version (models/context_version.py): the very next event of every page still open
under that session resolves to Anonymous and lands on the sign-in page, and the page load
there resets the tab's state (state/session_guard.py) -- nothing of the person stays for the
next one at that computer.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TypedDict

import sqlalchemy as sa
from sqlmodel import Session, col, select

from portal_app.access import Actor, own_sessions_clause, owns_session, require_own_account
from portal_app.errors import Invalid, NotFound
from portal_app.models import AuthSession
from portal_app.services import audit
from portal_app.services.accounts import auth
from portal_app.services.accounts.devices import parse_user_agent
from portal_app.settings import get_settings

SHOWN = 50  # at most this many sessions listed (newest use first); "Sign out everywhere else" ends all
SESSION_GONE = "That session has already ended."
THIS_DEVICE = "This is the device you are using. Use “Sign out” at the top of the page to end it."


class SessionView(TypedDict):
    id: str          # the row's id, as text (the Sign out button sends it back; checked against the owner)
    device: str      # "Firefox on Windows"
    phone: bool
    ip: str
    last_active: str  # "Active now", "5 minutes ago", "3 days ago"
    last_active_at: str  # ISO (UTC), for a <time> element
    signed_in: str   # "Signed in 8 Dec 2026"
    current: bool


def _active(model, now: datetime):
    idle = timedelta(minutes=get_settings().session_idle_minutes)
    return sa.and_(col(model.revoked_at).is_(None), model.expires_at > now, model.last_seen_at >= now - idle)


def ago(then: datetime, now: datetime) -> str:
    """How long ago, in words a person reads at a glance."""
    seconds = max(0, int((now - then).total_seconds()))
    if seconds < 120:
        return "Active now"
    for size, unit in ((86_400, "day"), (3_600, "hour"), (60, "minute")):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'' if n == 1 else 's'} ago"
    return "Active now"  # (unreachable: under two minutes is "now")


def list_sessions(db: Session, actor: Actor) -> tuple[list[SessionView], int]:
    """(this person's open sessions, this device's first then newest use first, at most SHOWN;
    how many are open in all)."""
    me = require_own_account(actor)
    now = auth.clock()
    where = sa.and_(own_sessions_clause(AuthSession, me), _active(AuthSession, now))
    total = db.exec(select(sa.func.count()).select_from(AuthSession).where(where)).one()
    current_first = sa.case((col(AuthSession.id) == (me.session_id or -1), 0), else_=1)
    rows = db.exec(select(AuthSession).where(where)
                   .order_by(current_first, sa.desc(col(AuthSession.last_seen_at)), sa.desc(col(AuthSession.id)))
                   .limit(SHOWN)).all()
    views: list[SessionView] = []
    for row in rows:
        device = parse_user_agent(row.user_agent)
        views.append(SessionView(
            id=str(row.id), device=device.label, phone=device.phone, ip=row.ip or "unknown",
            last_active=ago(row.last_seen_at, now), last_active_at=row.last_seen_at.isoformat(),
            signed_in=f"Signed in {row.created_at.day} {row.created_at:%b %Y}", current=row.id == me.session_id))
    return views, total


def _session_id(raw: object) -> int:
    text = str(raw or "").strip()
    if not text.isdigit() or len(text) > 18:
        raise NotFound(SESSION_GONE)
    return int(text)


def end_session(db: Session, actor: Actor, session_id: object) -> None:
    """End one of this person's other sessions. Someone else's, an unknown or a malformed id:
    not found (nobody learns whose it is); this device's own: refused (Sign out does that)."""
    me = require_own_account(actor)
    row = db.get(AuthSession, _session_id(session_id))
    if row is None or not owns_session(me, row):
        raise NotFound(SESSION_GONE)
    if row.id == me.session_id:
        raise Invalid(THIS_DEVICE)
    if row.revoked_at is not None:
        return  # ended meanwhile (another tab, "everywhere else"): what was asked is done
    row.revoked_at = auth.clock()
    db.add(row)
    audit.record(db, me.workspace_id, me, "session.ended", "session", str(row.id),
                 {"device": parse_user_agent(row.user_agent).label})


def end_other_sessions(db: Session, actor: Actor) -> int:
    """End every session of this person but this device's; returns how many ended."""
    me = require_own_account(actor)
    now = auth.clock()
    rows = db.exec(select(AuthSession).where(own_sessions_clause(AuthSession, me), col(AuthSession.revoked_at).is_(None),
                                             col(AuthSession.id) != (me.session_id or -1))).all()
    for row in rows:
        row.revoked_at = now
        db.add(row)
    if rows:
        audit.record(db, me.workspace_id, me, "session.ended_others", "session", str(me.session_id or ""),
                     {"count": len(rows)})
    return len(rows)

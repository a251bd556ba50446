"""Private calendar feeds: a secret URL that subscribes a calendar app to one person's appointments.

A client (while the Appointments section is on) or a staff member makes their own feed token
(`reset_feed`): the token is shown once, in the URL; only its SHA-256 hash is stored. Resetting
revokes every earlier token of that person at once. The api/ route resolves a token
(`resolve_feed`) to its owner — a revoked or unknown token, a disabled account, a client whose
section is off: not found — and lists that owner's appointments (`feed_appointments`): a client
their own contact's, a staff member the ones they are with. `feed_calendar` is the route's whole
work (resolve, list, write the .ics); `feed_url` the (https, webcal) URLs the pages show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlmodel import Session, col, select

from portal_app.access import Actor, is_client, is_staff, require_client_appointments, require_own_feed, require_staff
from portal_app.errors import NotFound
from portal_app.models import Appointment, CalendarFeedToken, ClientAccount, ClientStatus, StaffUser, Workspace, utcnow
from portal_app.services.appointments import ics, invitations, views
from portal_app.services.portal.portal_settings import portal_settings_for
from portal_app.services.security import hash_token, new_token

FEED_PAST = timedelta(days=180)   # how far back a feed reaches
FEED_LIMIT = 1000                 # appointments in one feed


@dataclass(frozen=True)
class FeedOwner:
    workspace_id: int
    owner: str                 # client | staff
    contact_id: int | None
    staff_id: int | None


def reset_feed(db: Session, actor: Actor) -> str:
    """A new feed token for the signed-in person (earlier ones stop working now); returns the
    token itself, which is stored nowhere: the caller builds the URL from it once."""
    require_own_feed(actor)
    now = utcnow()
    if is_client(actor):
        client = require_client_appointments(actor, portal_settings_for(db, actor.workspace_id))
        row = CalendarFeedToken(workspace_id=client.workspace_id, owner="client", contact_id=client.contact_id,
                                token_hash="", created_at=now)
        mine = col(CalendarFeedToken.contact_id) == client.contact_id
    else:
        staff = require_staff(actor)
        row = CalendarFeedToken(workspace_id=staff.workspace_id, owner="staff", staff_id=staff.user_id,
                                token_hash="", created_at=now)
        mine = col(CalendarFeedToken.staff_id) == staff.user_id
    db.connection().execute(sa.update(CalendarFeedToken).where(
        col(CalendarFeedToken.workspace_id) == row.workspace_id, mine, col(CalendarFeedToken.revoked_at).is_(None))
        .values(revoked_at=now))
    token = new_token()
    row.token_hash = hash_token(token)
    db.add(row)
    db.flush()
    return token


def revoke_feed(db: Session, actor: Actor) -> int:
    """Stops the signed-in person's feed without a new one; how many tokens stopped."""
    require_own_feed(actor)
    if is_staff(actor):
        mine = col(CalendarFeedToken.staff_id) == actor.user_id
    elif is_client(actor):
        mine = col(CalendarFeedToken.contact_id) == actor.contact_id
    else:  # pragma: no cover - require_own_feed refused
        raise NotFound()
    result = db.connection().execute(sa.update(CalendarFeedToken).where(
        col(CalendarFeedToken.workspace_id) == actor.workspace_id, mine, col(CalendarFeedToken.revoked_at).is_(None))
        .values(revoked_at=utcnow()))
    return int(result.rowcount)


def has_feed(db: Session, actor: Actor) -> bool:
    """Whether the signed-in person has a live feed (signed out: NotSignedIn)."""
    require_own_feed(actor)
    if is_staff(actor):
        mine = col(CalendarFeedToken.staff_id) == actor.user_id
    elif is_client(actor):
        mine = col(CalendarFeedToken.contact_id) == actor.contact_id
    else:  # pragma: no cover - require_own_feed refused
        return False
    return db.exec(select(CalendarFeedToken.id).where(CalendarFeedToken.workspace_id == actor.workspace_id, mine,
                                                      col(CalendarFeedToken.revoked_at).is_(None))).first() is not None


def resolve_feed(db: Session, token: object) -> FeedOwner:
    """Whose feed a token opens; NotFound for anything else (a wrong, revoked or stale token)."""
    text = str(token or "")
    if not 20 <= len(text) <= 100:
        raise NotFound("This calendar link does not exist.")
    row = db.exec(select(CalendarFeedToken).where(CalendarFeedToken.token_hash == hash_token(text),
                                                  col(CalendarFeedToken.revoked_at).is_(None))).first()
    if row is None:
        raise NotFound("This calendar link does not exist.")
    if row.contact_id is not None:
        account = db.exec(select(ClientAccount).where(ClientAccount.contact_id == row.contact_id)).first()
        section_on = portal_settings_for(db, row.workspace_id).section_enabled("appointments")
        if account is None or account.status != ClientStatus.active.value or not section_on:
            raise NotFound("This calendar link does not exist.")
    else:
        member = db.get(StaffUser, row.staff_id)
        if member is None or member.disabled or member.workspace_id != row.workspace_id:
            raise NotFound("This calendar link does not exist.")
    return FeedOwner(row.workspace_id, row.owner, row.contact_id, row.staff_id)


def feed_appointments(db: Session, owner: FeedOwner) -> list[Appointment]:
    """The owner's appointments from FEED_PAST ago on (cancelled ones too: the calendar app
    removes them), soonest first, at most FEED_LIMIT."""
    q = select(Appointment).where(Appointment.workspace_id == owner.workspace_id,
                                  col(Appointment.ends_at) >= utcnow() - FEED_PAST)
    if owner.contact_id is not None:
        q = q.where(Appointment.contact_id == owner.contact_id)
    else:
        q = q.where(Appointment.staff_id == owner.staff_id)
    return list(db.exec(q.order_by(col(Appointment.starts_at), col(Appointment.id)).limit(FEED_LIMIT)).all())


FEED_PATH = "/api/calendar/feed/{token}.ics"


def feed_url(workspace: Workspace, token: str) -> tuple[str, str]:
    """(https_url, webcal_url) of a feed token, on the workspace's configured base URL (its
    scheme for the first, as a browser opens it; webcal:// with its host and port for the second,
    which calendar apps subscribe to)."""
    base = workspace.base_url.rstrip("/")
    path = FEED_PATH.format(token=token)
    parts = urlsplit(base)
    return f"{base}{path}", f"webcal://{parts.netloc}{parts.path.rstrip('/')}{path}"


@dataclass(frozen=True)
class FeedLinks:
    https: str
    webcal: str


def new_feed_links(db: Session, actor: Actor) -> FeedLinks:
    """A new private feed for the signed-in person, client or staff member (their earlier links
    stop at once): its two addresses, shown this once."""
    token = reset_feed(db, actor)
    https, webcal = feed_url(db.get_one(Workspace, actor.workspace_id), token)
    return FeedLinks(https=https, webcal=webcal)


def feed_calendar(db: Session, token: object) -> bytes:
    """The feed a token opens, as .ics bytes (NotFound for any token that opens nothing). Each
    event's summary is the title (staff's: with the contact's name); descriptions are the notes
    for the client; internal notes are never in a feed."""
    owner = resolve_feed(db, token)
    ws = db.get_one(Workspace, owner.workspace_id)
    rows = feed_appointments(db, owner)
    staff_feed = owner.contact_id is None
    people = views.contacts(db, rows) if staff_feed else {}
    now = utcnow()
    events = [invitations.ics_event(ws, a, stamp=now, for_staff=staff_feed, contact=people.get(a.contact_id))
              for a in rows]
    return ics.feed(events, name=f"{ws.name} appointments", stamp=now, business=ws.name)

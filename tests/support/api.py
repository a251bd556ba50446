"""Helpers for the api/ route tests (fixtures are in conftest.py): posting forms as the
browser would, reading the session cookie and redirects, and checking security headers."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlsplit

from sqlmodel import Session, func, select

from portal_app.services.sessions import SESSION_COOKIE

PW = "correct horse battery"
HOST = "portal.test"
ORIGIN = f"http://{HOST}"


class Portal:
    def __init__(self, ws, owner):
        self.ws, self.owner = ws, owner


def _db():
    from portal_app.db import get_engine

    return Session(get_engine(), expire_on_commit=False)


def post(client, path, data, *, origin: str | None = ORIGIN, **headers):
    if origin is not None:
        headers["origin"] = origin
    return client.post(path, data=data, headers=headers)


def login(client, email="owner@portal.example", password=PW, kind="staff", origin: str | None = ORIGIN,
          **extra):
    return post(client, f"/api/auth/{kind}/login", {"email": email, "password": password, **extra},
                origin=origin)


def session_token(resp) -> str:
    match = re.search(rf"{SESSION_COOKIE}=([^;]+)", resp.headers.get("set-cookie", ""))
    assert match, f"no session cookie in {resp.headers.get('set-cookie')!r}"
    return match.group(1).strip('"')


def actor_for(token: str, ws_id: int, host: str = HOST):
    """Who the token is on `host` (sessions are per host: the one the test client posts to)."""
    from portal_app.services.accounts import auth

    with _db() as db:
        return auth.resolve_actor(db, token, ws_id, host)


def session_count() -> int:
    from portal_app.models import AuthSession

    with _db() as db:
        return db.exec(select(func.count()).select_from(AuthSession)).one()


def invite_token(portal: Portal, email: str) -> str:
    """Invite a new contact through the services; the token is only in the queued email."""
    from portal_app.models import OutboxMessage
    from portal_app.services.accounts.contacts import create_contact
    from portal_app.services.accounts.invites import send_invite
    from portal_app.services.portal.workspaces import owner_actor

    with _db() as db:
        staff = owner_actor(portal.owner)
        contact = create_contact(db, staff, {"first_name": "Cleo", "last_name": "Client", "email": email})
        send_invite(db, staff, contact.public_id)
        db.commit()
        payloads = [json.loads(m.payload) for m in db.exec(select(OutboxMessage)).all()]
    [text] = [p["text"] for p in payloads if p.get("to") == email]
    return re.search(r"/invite\?token=([A-Za-z0-9_\-]+)", text).group(1)


def query(resp) -> dict:
    return parse_qs(urlsplit(resp.headers["location"]).query)


def no_cookie(resp) -> bool:
    return SESSION_COOKIE not in resp.headers.get("set-cookie", "")


def assert_security_headers(resp) -> None:
    h = resp.headers
    assert "frame-ancestors 'none'" in h["content-security-policy"]
    assert h["x-content-type-options"] == "nosniff"
    assert h["referrer-policy"] == "strict-origin-when-cross-origin"
    assert h["x-frame-options"] == "DENY"

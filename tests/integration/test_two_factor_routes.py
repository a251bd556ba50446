"""POST /api/auth/two-factor and the sign-in routes with two-factor on, over Starlette's TestClient
on SQLite and PostgreSQL: the password alone starts no session (a pending sign-in cookie instead),
a right code does (once), a wrong one, a forged or missing pending cookie and a cross-site post do
not. The clock is injected (the codes are computed for it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from portal_app.access import Staff
from portal_app.services.accounts import auth, two_factor
from portal_app.services.portal.workspaces import owner_actor
from portal_app.services.sessions import PENDING_COOKIE, SESSION_COOKIE
from tests.support.api import _db, actor_for, login, no_cookie, post, query, session_count, session_token
from tests.support.clock import Clock

T0 = datetime(2026, 12, 8, 12, 0, 5, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    c = Clock(T0)
    monkeypatch.setattr(auth, "clock", c)
    monkeypatch.setattr(two_factor, "clock", c)
    return c


@pytest.fixture
def secret(portal, clock) -> str:
    """The owner's two-factor, on (set up through the services at T0)."""
    with _db() as db:
        staff = owner_actor(portal.owner)
        key = two_factor.begin(db, staff).secret.replace(" ", "")
        two_factor.confirm(db, staff, pyotp.TOTP(key).at(T0))
        db.commit()
    return key


def _pending(resp) -> str:
    cookie = resp.headers.get("set-cookie", "")
    assert f"{PENDING_COOKIE}=" in cookie and "HttpOnly" in cookie, cookie
    return cookie.split(f"{PENDING_COOKIE}=", 1)[1].split(";", 1)[0].strip('"')


def test_password_then_code_signs_in_and_the_code_works_once(portal, client, secret, clock):
    first = login(client, next="/staff/contacts")
    assert first.status_code == 303 and first.headers["location"].startswith("/staff/login/two-factor")
    assert query(first)["next"] == ["/staff/contacts"]
    assert no_cookie(first) and session_count() == 0  # the password alone starts no session
    pending = _pending(first)
    clock.advance(seconds=30)
    code = pyotp.TOTP(secret).at(clock())
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    refused = post(client, "/api/auth/two-factor", {"code": wrong, "next": "/staff/contacts"},
                   cookie=f"{PENDING_COOKIE}={pending}")
    assert refused.headers["location"].startswith("/staff/login/two-factor") and query(refused)["error"] == ["code"]
    assert no_cookie(refused) and session_count() == 0
    ok = post(client, "/api/auth/two-factor", {"code": code, "next": "/staff/contacts"},
              cookie=f"{PENDING_COOKIE}={pending}")
    assert ok.status_code == 303 and ok.headers["location"] == "/staff/contacts"
    assert isinstance(actor_for(session_token(ok), portal.ws.id), Staff)
    assert f'{PENDING_COOKIE}=""' in ok.headers["set-cookie"]  # the pending cookie is cleared
    # the same pending sign-in again, and the same code on a new one: refused
    again = post(client, "/api/auth/two-factor", {"code": code}, cookie=f"{PENDING_COOKIE}={pending}")
    assert again.headers["location"] == "/login?error=expired" and no_cookie(again)
    second = _pending(login(client))
    replay = post(client, "/api/auth/two-factor", {"code": code}, cookie=f"{PENDING_COOKIE}={second}")
    assert query(replay)["error"] == ["code"] and no_cookie(replay) and session_count() == 1


@pytest.mark.parametrize("cookie", [None, "forged", "x" * 300])
def test_no_live_pending_sign_in_gets_no_session(portal, client, secret, clock, cookie):
    resp = post(client, "/api/auth/two-factor", {"code": pyotp.TOTP(secret).at(clock() + timedelta(seconds=30))},
                **({"cookie": f"{PENDING_COOKIE}={cookie}"} if cookie else {}))
    assert resp.status_code == 303 and resp.headers["location"] == "/login?error=expired"
    assert no_cookie(resp) and session_count() == 0


def test_an_expired_pending_sign_in_and_a_cross_site_post_get_no_session(portal, client, secret, clock):
    pending = _pending(login(client))
    code = pyotp.TOTP(secret).at(clock() + timedelta(seconds=30))
    cross = post(client, "/api/auth/two-factor", {"code": code}, origin="http://evil.example",
                 cookie=f"{PENDING_COOKIE}={pending}")
    assert query(cross)["error"] == ["origin"] and no_cookie(cross)
    clock.advance(minutes=auth.PENDING_MINUTES, seconds=1)
    late = post(client, "/api/auth/two-factor", {"code": pyotp.TOTP(secret).at(clock())},
                cookie=f"{PENDING_COOKIE}={pending}")
    assert late.headers["location"] == "/login?error=expired" and no_cookie(late) and session_count() == 0


def test_without_two_factor_the_password_signs_in_as_before(portal, client, clock):
    resp = login(client)
    assert resp.headers["location"] == "/staff" and session_token(resp)
    assert PENDING_COOKIE not in resp.headers.get("set-cookie", "").replace(f'{PENDING_COOKIE}=""', "")
    assert SESSION_COOKIE in resp.headers["set-cookie"]

"""The client's emailed sign-in link over the api/ routes (POST /api/auth/client/link, GET
/api/auth/link), on SQLite and PostgreSQL: the nonce cookie that binds a link to the asking
browser, one answer for every address, the deny paths (another browser, used, forged, cross-site
form, throttled), the "link only" setting on the password route, and an invitation accepted
with links. Fixtures: conftest.py; helpers: tests/support/api.py."""

from __future__ import annotations

import json
import re
import warnings

import pytest
from sqlmodel import select

from portal_app.api.auth_routes import LINK_NONCE_COOKIE
from portal_app.models import OutboxMessage
from tests.support.api import ORIGIN, PW, _db, actor_for, invite_token, login, no_cookie, post, query, session_token

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

CLEO = "cleo@client.example"


@pytest.fixture
def cleo(portal, client):
    """A client with portal access (accepted an invitation with a password), signed out."""
    token = invite_token(portal, CLEO)
    resp = post(client, "/api/invite/accept", {"token": token, "password": PW, "confirm": PW})
    assert resp.status_code == 303 and resp.headers["location"] == "/?welcome=1"
    client.cookies.clear()
    return portal


def _other_browser():
    from portal_app.api.routes import build_api
    from portal_app.api.security_headers import SecurityHeaders

    return TestClient(SecurityHeaders(build_api()), base_url=ORIGIN, follow_redirects=False)


def _ask(client, email=CLEO, origin: str | None = ORIGIN, **extra):
    return post(client, "/api/auth/client/link", {"email": email, **extra}, origin=origin)


def _link_sent(email=CLEO) -> str | None:
    with _db() as db:
        texts = [json.loads(m.payload) for m in db.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()]  # type: ignore[arg-type]
    found = [re.search(r"/api/auth/link\?token=([A-Za-z0-9_\-]+)", p["text"]) for p in texts if p.get("to") == email]
    found = [f for f in found if f]
    return found[-1].group(1) if found else None


def _open(client, token):
    return client.get(f"/api/auth/link?token={token}")


def test_asking_answers_the_same_and_sets_a_bound_httponly_nonce(cleo, client):
    answers = []
    for email in (CLEO, "nobody@client.example"):
        resp = _ask(client, email)
        cookie = resp.headers["set-cookie"].lower()
        answers.append((resp.status_code, resp.headers["location"]))
        assert LINK_NONCE_COOKIE in cookie and "httponly" in cookie and "samesite=lax" in cookie
        assert "path=/api/auth/link" in cookie and "max-age=900" in cookie
        assert no_cookie(resp)  # nobody is signed in by asking
    assert answers == [(303, "/login?link=sent")] * 2
    assert _link_sent(CLEO) is not None and _link_sent("nobody@client.example") is None


def test_the_link_signs_in_the_asking_browser_once(cleo, client):
    _ask(client)
    token = _link_sent()
    resp = _open(client, token)
    assert resp.status_code == 303 and resp.headers["location"] == "/"
    actor = actor_for(session_token(resp), cleo.ws.id)
    assert actor.kind == "client" and actor.email == CLEO
    assert f'{LINK_NONCE_COOKIE}=""' in resp.headers["set-cookie"]  # the nonce is cleared
    client.cookies.clear()
    again = _open(client, token)
    assert again.headers["location"] == "/login/link?reason=used" and no_cookie(again)


def test_another_browser_is_told_so_and_not_signed_in(cleo, client):
    _ask(client)
    token = _link_sent()
    with _other_browser() as other:
        resp = _open(other, token)
        assert resp.headers["location"] == "/login/link?reason=other_browser" and no_cookie(resp)
        # a nonce of its own (it asked for another address) does not match either
        _ask(other, "nobody@client.example")
        resp = _open(other, token)
        assert resp.headers["location"] == "/login/link?reason=other_browser" and no_cookie(resp)
    resp = _open(client, token)  # the asking browser still can
    assert resp.headers["location"] == "/"


@pytest.mark.parametrize("token", ["forged", "", "x" * 300])
def test_a_forged_link_is_refused(cleo, client, token):
    resp = _open(client, token)
    assert resp.headers["location"] == "/login/link?reason=invalid" and no_cookie(resp)


def test_a_cross_site_ask_sends_nothing(cleo, client):
    resp = _ask(client, origin="https://evil.example")
    assert resp.headers["location"] == "/login?error=origin"
    assert LINK_NONCE_COOKIE not in resp.headers.get("set-cookie", "") and _link_sent() is None
    resp = _ask(client, origin=None)
    assert resp.headers["location"] == "/login?error=origin" and _link_sent() is None


def test_a_bad_address_and_throttling_say_nothing_about_accounts(cleo, client):
    resp = _ask(client, "not an address")
    assert resp.headers["location"] == "/login?error=link_email"
    for email in (CLEO, "nobody@client.example"):
        for _ in range(3):
            assert _ask(client, email).headers["location"] == "/login?link=sent"
        resp = _ask(client, email)
        assert resp.headers["location"] == "/login?error=link_throttled"
        assert LINK_NONCE_COOKIE not in resp.headers.get("set-cookie", "")
    # asked from the link page: the answer shows there
    assert query(_ask(client, CLEO, **{"from": "link"})) == {"error": ["link_throttled"]}
    assert _ask(client, CLEO, **{"from": "link"}).headers["location"].startswith("/login/link?")


def test_link_only_refuses_client_passwords_with_a_clear_code(cleo, client):
    from portal_app.services.portal.portal_settings import set_client_link_only
    from portal_app.services.portal.workspaces import owner_actor

    assert session_token(login(client, email=CLEO, kind="client"))  # a password works before
    client.cookies.clear()
    with _db() as db:
        set_client_link_only(db, owner_actor(cleo.owner), True)
        db.commit()
    resp = login(client, email=CLEO, kind="client")
    assert resp.headers["location"] == "/login?error=link_only" and no_cookie(resp)
    resp = login(client, email="nobody@client.example", password="guess", kind="client")
    assert resp.headers["location"] == "/login?error=link_only"
    assert session_token(login(client))  # staff passwords still work
    client.cookies.clear()
    _ask(client)
    assert _open(client, _link_sent()).headers["location"] == "/"


def test_an_invitation_accepted_with_links_signs_in_without_a_password(portal, client):
    token = invite_token(portal, "dora@client.example")
    resp = post(client, "/api/invite/accept", {"token": token, "method": "link"})
    assert resp.status_code == 303 and resp.headers["location"] == "/?welcome=1"
    assert actor_for(session_token(resp), portal.ws.id).kind == "client"
    client.cookies.clear()
    resp = login(client, email="dora@client.example", password="", kind="client")
    assert resp.headers["location"] == "/login?error=invalid"
    bad = post(client, "/api/invite/accept", {"token": invite_token(portal, "eve@client.example"), "method": "sso"})
    assert query(bad)["reason"] == ["other"] and no_cookie(bad)
    from portal_app.services.portal.portal_settings import set_client_link_only
    from portal_app.services.portal.workspaces import owner_actor

    with _db() as db:
        set_client_link_only(db, owner_actor(portal.owner), True)
        db.commit()
    refused = post(client, "/api/invite/accept", {"token": invite_token(portal, "fay@client.example"),
                                                  "password": PW, "confirm": PW})
    assert query(refused)["reason"] == ["link_only_invite"] and no_cookie(refused)

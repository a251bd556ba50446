"""The Starlette api/ routes wrapped in SecurityHeaders, over Starlette's TestClient, on
SQLite and PostgreSQL. Data is built through the services; the workspace is reached by the
Host header (portal.test), as in production. Fixtures: conftest.py; helpers: tests/support/api.py."""

from __future__ import annotations

import io
import json
import re
from urllib.parse import urlsplit

import pytest
from sqlmodel import select

from portal_app.models import OutboxMessage
from portal_app.services.sessions import SESSION_COOKIE
from portal_app.settings import reset_settings_cache
from tests.support.api import (
    HOST,
    ORIGIN,
    PW,
    _db,
    actor_for,
    assert_security_headers,
    invite_token,
    login,
    no_cookie,
    post,
    query,
    session_count,
    session_token,
)

# --- health and headers --------------------------------------------------------------------

def test_health(db_url, client):
    resp = client.get("/api/health")
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "application/json"
    assert resp.json() == {"status": "ok", "database": "ok"}
    assert_security_headers(resp)


def test_health_reports_an_unreachable_database(monkeypatch, client):
    monkeypatch.setenv("PORTAL_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    reset_settings_cache()
    resp = client.get("/api/health")
    assert resp.status_code == 503 and resp.json()["status"] == "error"


def test_security_headers_on_every_response(portal, client):
    responses = [client.get("/api/health"), login(client, password="wrong password!"),
                 client.get("/api/logo/ws_nothing"), client.get("/api/nowhere"),
                 client.get("/api/auth/staff/login")]
    assert [r.status_code for r in responses] == [200, 303, 404, 404, 405]
    for resp in responses:
        assert_security_headers(resp)
        assert "'unsafe-inline'" not in resp.headers["content-security-policy"].split("script-src")[1].split(";")[0]


# --- staff sign-in -------------------------------------------------------------------------

def test_staff_login_sets_a_safe_cookie_and_redirects(portal, client):
    resp = login(client)
    assert resp.status_code == 303 and resp.headers["location"] == "/staff"
    cookie = resp.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
    assert "secure" not in cookie.replace("samesite", "")  # http base URL: not Secure
    actor = actor_for(session_token(resp), portal.ws.id)
    assert actor.kind == "staff" and actor.user_id == portal.owner.id


def test_cookie_is_secure_when_the_base_url_is_https(portal, client, base_url):
    base_url("https://portal.test")
    resp = login(client, origin="https://portal.test")
    assert resp.status_code == 303
    assert "; secure" in resp.headers["set-cookie"].lower()
    # an https deployment takes no form posted from a plain-http page of the same host
    resp = login(client, origin="http://portal.test")
    assert resp.headers["location"] == "/staff/login?error=origin" and no_cookie(resp)


def test_wrong_password_and_unknown_email_look_the_same(portal, client):
    before = session_count()
    wrong = login(client, password="not the password")
    unknown = login(client, email="nobody@portal.example")
    garbage = login(client, email="not an email")
    for resp in (wrong, unknown, garbage):
        assert resp.status_code == 303
        assert resp.headers["location"] == "/staff/login?error=invalid"
        assert no_cookie(resp)
    assert session_count() == before


def test_throttling_after_repeated_failures(portal, client, monkeypatch):
    monkeypatch.setenv("PORTAL_LOGIN_MAX_FAILURES", "3")
    reset_settings_cache()
    for _ in range(3):
        assert login(client, password="nope nope nope").headers["location"].endswith("error=invalid")
    blocked = login(client)  # even the right password now waits
    assert blocked.headers["location"] == "/staff/login?error=throttled"
    assert no_cookie(blocked)
    # Another address from the same machine is not locked out by these.
    assert login(client, email="other@portal.example").headers["location"].endswith("error=invalid")


def test_behind_a_trusted_proxy_throttling_keys_on_the_forwarded_address(portal, client, monkeypatch):
    monkeypatch.setenv("PORTAL_LOGIN_MAX_FAILURES", "1")  # per IP: 4 failures
    monkeypatch.setenv("PORTAL_TRUSTED_PROXY_HOPS", "1")
    reset_settings_cache()

    def attempt(ip: str, n: int, forged_prefix: str = ""):
        xff = f"{forged_prefix}{ip}" if forged_prefix else ip
        return client.post("/api/auth/staff/login", data={"email": f"x{n}@portal.example", "password": "nope"},
                           headers={"origin": ORIGIN, "x-forwarded-for": xff})

    for n in range(4):  # a client cannot dodge the key by prepending its own entries
        assert attempt("203.0.113.7", n, forged_prefix=f"10.0.0.{n}, ").headers["location"].endswith("error=invalid")
    assert attempt("203.0.113.7", 9).headers["location"].endswith("error=throttled")
    assert attempt("198.51.100.2", 10).headers["location"].endswith("error=invalid")  # another client


@pytest.mark.parametrize("headers", [
    {"origin": None}, {"origin": "http://evil.example"}, {"origin": "null"},
    {"origin": None, "referer": "http://evil.example/portal.test/"},
    {"origin": "http://portal.test.evil.example"},
])
def test_cross_origin_posts_are_refused_without_a_session(portal, client, headers):
    before = session_count()
    headers = dict(headers)  # the parameter dict is shared between runs
    origin = headers.pop("origin")
    for kind in ("staff", "client"):
        resp = post(client, f"/api/auth/{kind}/login", {"email": "owner@portal.example", "password": PW},
                    origin=origin, **headers)
        assert resp.status_code == 303
        assert query(resp) == {"error": ["origin"]}
        assert no_cookie(resp)
    assert session_count() == before


def test_same_site_referer_is_accepted(portal, client):
    resp = post(client, "/api/auth/staff/login", {"email": "owner@portal.example", "password": PW},
                origin=None, referer=f"{ORIGIN}/staff/login")
    assert resp.headers["location"] == "/staff"


def test_each_login_gets_a_new_token(portal, client):
    tokens = {session_token(login(client)) for _ in range(3)}
    assert len(tokens) == 3
    assert all(actor_for(t, portal.ws.id).kind == "staff" for t in tokens)


def test_logout_revokes_the_session_and_clears_the_cookie(portal, client):
    token = session_token(login(client))
    other = session_token(login(client))
    resp = post(client, "/api/auth/logout", {}, cookie=f"{SESSION_COOKIE}={token}")
    assert resp.status_code == 303 and resp.headers["location"] == "/staff/login?signed_out=1"
    cleared = resp.headers["set-cookie"]
    assert cleared.startswith(f"{SESSION_COOKIE}=") and "max-age=0" in cleared.lower()
    assert actor_for(token, portal.ws.id).kind == "anonymous"
    assert actor_for(other, portal.ws.id).kind == "staff"  # only that session ended


@pytest.mark.parametrize("origin", ["http://evil.example", None])
def test_cross_site_logout_touches_neither_the_session_nor_the_cookie(portal, client, origin):
    token = session_token(login(client))
    resp = post(client, "/api/auth/logout", {}, origin=origin, cookie=f"{SESSION_COOKIE}={token}")
    assert resp.status_code == 303 and query(resp)["error"] == ["origin"]
    assert no_cookie(resp)  # the browser keeps its cookie (main deleted it anyway)
    assert actor_for(token, portal.ws.id).kind == "staff"


@pytest.mark.parametrize("nxt, expected", [
    ("//evil.example", "/staff"), ("https://evil.example/x", "/staff"), ("/\\evil.example", "/staff"),
    ("javascript:alert(1)", "/staff"), ("/staff/contacts?page=2", "/staff/contacts?page=2"),
])
def test_next_is_only_ever_a_local_path(portal, client, nxt, expected):
    resp = login(client, next=nxt)
    assert resp.status_code == 303 and resp.headers["location"] == expected


def test_unknown_host_has_no_portal(portal, client):
    # an unknown host's own page is no origin of ours (services/portal/origins.py)...
    own = client.post("/api/auth/staff/login", data={"email": "owner@portal.example", "password": PW},
                      headers={"host": "elsewhere.test", "origin": "http://elsewhere.test"})
    assert own.headers["location"] == "/staff/login?error=origin" and no_cookie(own)
    # ...and from a configured origin the host still reaches no portal
    resp = client.post("/api/auth/staff/login", data={"email": "owner@portal.example", "password": PW},
                       headers={"host": "elsewhere.test", "origin": ORIGIN})
    assert resp.headers["location"] == "/staff/login?error=noportal"
    assert no_cookie(resp)


# --- first-run setup -----------------------------------------------------------------------

SETUP = {"workspace_name": "Fresh Co", "name": "Sam Setup", "email": "sam@fresh.example",
         "password": PW, "confirm": PW}


def test_setup_works_once(db_url, base_url, client):
    refused = post(client, "/api/setup", SETUP, origin=None)
    assert refused.headers["location"] == "/setup?error=origin" and session_count() == 0
    mismatch = post(client, "/api/setup", {**SETUP, "confirm": "something else"})
    assert mismatch.headers["location"] == "/setup?error=mismatch"
    weak = post(client, "/api/setup", {**SETUP, "password": "short", "confirm": "short"})
    assert query(weak)["error"] == ["password"]

    first = post(client, "/api/setup", SETUP)
    assert first.status_code == 303 and first.headers["location"] == "/staff"
    from portal_app.services.portal.workspaces import workspace_for_host

    with _db() as db:
        ws = workspace_for_host(db, HOST)  # the configured base URL's host now reaches it
        assert ws is not None and ws.name == "Fresh Co"
    assert actor_for(session_token(first), ws.id).email == "sam@fresh.example"

    again = post(client, "/api/setup", {**SETUP, "email": "mallory@evil.example"})
    assert again.headers["location"].startswith("/setup?") and query(again)["msg_code"] == ["forbidden"]
    assert no_cookie(again)
    assert login(client, email="mallory@evil.example").headers["location"].endswith("error=invalid")


# --- invitations ---------------------------------------------------------------------------

def accept(client, token, password=PW, confirm=PW, **kw):
    return post(client, "/api/invite/accept", {"token": token, "password": password, "confirm": confirm}, **kw)


def test_accept_invite_then_reuse_and_forgery(portal, client):
    token = invite_token(portal, "cleo@client.example")
    weak = accept(client, token, "short", "short")
    assert query(weak)["reason"] == ["weak"]
    cross = accept(client, token, origin="http://evil.example")
    assert query(cross)["reason"] == ["origin"]
    nowhere = client.post("/api/invite/accept", data={"token": token, "password": PW, "confirm": PW},
                          headers={"host": "elsewhere.test", "origin": ORIGIN})
    assert query(nowhere)["reason"] == ["noportal"]
    assert no_cookie(nowhere)

    ok = accept(client, token)  # the failed tries above did not spend the link
    assert ok.status_code == 303 and ok.headers["location"] == "/?welcome=1"
    actor = actor_for(session_token(ok), portal.ws.id)
    assert actor.kind == "client" and actor.email == "cleo@client.example"
    assert "httponly" in ok.headers["set-cookie"].lower()

    for bad, reason in ((token, "used"), ("forged-" + token[7:], "invalid"), ("", "invalid")):
        resp = accept(client, bad)
        assert resp.status_code == 303 and no_cookie(resp)
        assert urlsplit(resp.headers["location"]).path == "/invite"
        assert query(resp)["reason"] == [reason]

    # The new client signs in with the password they chose.
    signed_in = login(client, email="cleo@client.example", kind="client")
    assert signed_in.headers["location"] == "/"


def test_invite_of_one_workspace_is_refused_on_another_host(portal, db, client):
    from portal_app.services.portal.workspaces import create_workspace

    create_workspace(db, name="Other Co", base_url="http://other.test", owner_email="owner@other.example",
                     owner_name="Otto Other", owner_password=PW, is_default=False)
    db.commit()
    token = invite_token(portal, "dora@client.example")
    resp = client.post("/api/invite/accept", data={"token": token, "password": PW, "confirm": PW},
                       headers={"host": "other.test", "origin": "http://other.test"})
    assert query(resp)["reason"] == ["invalid"]
    assert accept(client, token).headers["location"] == "/?welcome=1"  # still good at home


# --- logo ----------------------------------------------------------------------------------

def _png(color=(200, 30, 30), size=(40, 20)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


def test_logo(portal, client):
    from PIL import Image

    from portal_app.services.portal.brand_images import set_logo
    from portal_app.services.portal.workspaces import owner_actor

    assert client.get("/api/logo/ws_unknown").status_code == 404
    assert client.get(f"/api/logo/{portal.ws.public_id}").status_code == 404  # none uploaded yet
    with _db() as db:
        set_logo(db, owner_actor(portal.owner), _png(), "logo.png")
        db.commit()
    resp = client.get(f"/api/logo/{portal.ws.public_id}")
    assert resp.status_code == 200 and resp.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(resp.content)).size == (40, 20)
    csp = resp.headers["content-security-policy"]
    assert "sandbox" in csp and "default-src 'none'" in csp  # the route's own strict policy
    assert_security_headers(resp)


DEFAULT_ICON = (__import__("pathlib").Path(__file__).resolve().parents[2] / "assets" / "favicon.ico").read_bytes()


def test_favicon_follows_the_hosts_workspace(portal, client):
    """/favicon.ico: the default (never a 404) for an unknown host and for a workspace without a
    logo; derived from the logo for its own host only, not for another workspace's host."""
    from PIL import Image

    from portal_app.services.portal.brand_images import set_logo
    from portal_app.services.portal.workspaces import create_workspace, owner_actor

    with _db() as db:
        create_workspace(db, name="Other Co", base_url="http://other.test", owner_email="owner@other.example",
                         owner_name="Otto Other", owner_password=PW, is_default=False)
        db.commit()
    unknown = client.get("/favicon.ico", headers={"host": "nowhere.test"})
    assert unknown.status_code == 200 and unknown.content == DEFAULT_ICON
    assert unknown.headers["content-type"] == "image/x-icon"
    assert client.get("/favicon.ico").content == DEFAULT_ICON  # no logo yet
    touch = client.get("/apple-touch-icon.png", headers={"host": "nowhere.test"})
    assert touch.status_code == 200 and Image.open(io.BytesIO(touch.content)).size == (180, 180)
    with _db() as db:
        set_logo(db, owner_actor(portal.owner), _png(size=(400, 40)), "logo.png")
        db.commit()
    own = client.get("/favicon.ico")
    assert own.status_code == 200 and own.content != DEFAULT_ICON
    icon = Image.open(io.BytesIO(own.content))
    assert icon.format == "ICO" and {(16, 16), (32, 32)} <= set(icon.info["sizes"])
    assert "sandbox" in own.headers["content-security-policy"]
    assert_security_headers(own)
    assert Image.open(io.BytesIO(client.get("/apple-touch-icon.png").content)).size == (180, 180)
    # the other workspace's host: still the default, never this workspace's icon
    assert client.get("/favicon.ico", headers={"host": "other.test"}).content == DEFAULT_ICON


def test_a_chunked_form_past_the_limit_is_refused(portal, client):
    from portal_app.api.forms import MAX_FORM_BYTES

    def body():
        yield b"email=owner%40portal.example&password="
        for _ in range(MAX_FORM_BYTES // 1000 + 2):
            yield b"x" * 1000

    before = session_count()
    resp = client.post("/api/auth/staff/login", content=body(), headers={
        "origin": ORIGIN, "content-type": "application/x-www-form-urlencoded"})
    assert resp.status_code == 303 and "error=" in resp.headers["location"]
    assert no_cookie(resp) and session_count() == before


# --- password reset ------------------------------------------------------------------------

def _reset_token(portal) -> str:
    from portal_app.services.accounts import passwords

    with _db() as s:
        passwords.request_reset(s, portal.ws.id, "staff", "owner@portal.example")
        s.commit()
        payload = [json.loads(m.payload) for m in s.exec(select(OutboxMessage)).all()][-1]
    return re.search(r"reset-password\?token=([A-Za-z0-9_\-]+)", payload["text"]).group(1)


def test_reset_password_signs_in_and_is_single_use(portal, client):
    token = _reset_token(portal)
    new = "a fresh staff password"
    bad = post(client, "/api/auth/reset", {"token": token, "password": new, "confirm": new + "x"})
    assert query(bad)["reason"] == ["mismatch"] and no_cookie(bad)
    foreign = post(client, "/api/auth/reset", {"token": token, "password": new, "confirm": new},
                   origin="http://evil.example")
    assert query(foreign)["reason"] == ["origin"] and no_cookie(foreign)
    ok = post(client, "/api/auth/reset", {"token": token, "password": new, "confirm": new})
    assert ok.status_code == 303 and ok.headers["location"] == "/staff?password_changed=1"
    assert "httponly" in ok.headers["set-cookie"].lower()
    again = post(client, "/api/auth/reset", {"token": token, "password": new, "confirm": new})
    assert query(again)["reason"] == ["used"] and no_cookie(again)
    assert login(client, password=new).headers["location"] == "/staff"
    assert login(client).headers["location"] == "/staff/login?error=invalid"  # the old one is gone


# --- joining the staff -----------------------------------------------------------------------

def test_staff_join_creates_the_account_once(portal, client):
    from portal_app.services.accounts import team
    from portal_app.services.portal.workspaces import owner_actor

    with _db() as s:
        team.invite_staff(s, owner_actor(portal.owner), email="newbie@portal.example", name="New Bie",
                          role="member")
        s.commit()
        payload = [json.loads(m.payload) for m in s.exec(select(OutboxMessage)).all()][-1]
    token = re.search(r"/staff/join\?token=([A-Za-z0-9_\-]+)", payload["text"]).group(1)
    pw = "newbie's long password"
    weak = post(client, "/api/staff/join", {"token": token, "password": "short", "confirm": "short"})
    assert query(weak)["reason"] == ["weak"] and no_cookie(weak)
    foreign = post(client, "/api/staff/join", {"token": token, "password": pw, "confirm": pw},
                   origin="http://evil.example")
    assert query(foreign)["reason"] == ["origin"] and no_cookie(foreign)
    ok = post(client, "/api/staff/join", {"token": token, "password": pw, "confirm": pw})
    assert ok.status_code == 303 and ok.headers["location"] == "/staff/contacts"
    actor = actor_for(session_token(ok), portal.ws.id)
    assert actor.kind == "staff" and actor.role == "member" and actor.email == "newbie@portal.example"
    again = post(client, "/api/staff/join", {"token": token, "password": pw, "confirm": pw})
    assert query(again)["reason"] == ["used"] and no_cookie(again)
    forged = post(client, "/api/staff/join", {"token": "forged", "password": pw, "confirm": pw})
    assert query(forged)["reason"] == ["invalid"]

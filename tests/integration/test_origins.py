"""Origins follow domains (issue 17): the real app over a real socket (granian) accepts the
configured origin and a verified domain's, and refuses an unverified, removed or unknown
domain's, at all three doors -- the websocket upgrade (a raw engine.io handshake with an
Origin header), a CORS preflight, and a form post's CSRF check -- and sign-in cookies are per
host over HTTP too.

Domain rows are written directly: the custom-domain service (helper A's) does not exist yet.
"""

from __future__ import annotations

import base64
import secrets
import socket
import warnings

import httpx
import pytest

from portal_app.models import Domain
from portal_app.services.portal import origins
from tests.support.api import no_cookie, query, session_token
from tests.support.real_app import Served, build_real_app
from tests.support.world import HOST_A, HOST_B

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

BASE = "https://portal.example.test"  # tests/conftest.py's PORTAL_BASE_URL
PENDING, ALT_A = "pending.example.test", "portal.alpha-studio.test"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    with Served(build_real_app(tmp_path_factory.mktemp("real-app"))) as s:
        yield s
        s.call(_end_ping_loops())


async def _end_ping_loops() -> None:
    """engine.io keeps a closed socket's ping loop asleep for its ping interval (25 s): end
    the ones the handshakes above left, before the server's loop closes."""
    import asyncio

    for task in asyncio.all_tasks():
        if "_send_ping" in repr(task.get_coro()):
            task.cancel()


@pytest.fixture
def domains(db, world):
    """Workspace A: its base domain, a verified custom one and one not verified yet."""
    db.add(Domain(hostname=ALT_A, workspace_id=world.ws_a.id, status="verified", assigned=True))
    db.add(Domain(hostname=PENDING, workspace_id=world.ws_a.id, status="pending"))
    db.commit()
    origins.SERVED.forget()
    return world


def _remove(db, hostname: str) -> None:
    from sqlmodel import select

    db.delete(db.exec(select(Domain).where(Domain.hostname == hostname)).one())
    db.commit()
    origins.SERVED.forget()  # (the process would read the table again within ORIGIN_TTL seconds)


def upgrade_status(url: str, host: str, origin: str | None) -> int:
    """A browser's websocket upgrade to Reflex's socket.io endpoint (engine.io 4 handshake)
    with this Host and Origin; the HTTP status the server answers (101: the socket opens)."""
    address, port = url.removeprefix("http://").split(":")
    key = base64.b64encode(secrets.token_bytes(16)).decode()
    lines = ["GET /_event/?EIO=4&transport=websocket HTTP/1.1", f"Host: {host}", "Upgrade: websocket",
             "Connection: Upgrade", f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
    if origin is not None:
        lines.append(f"Origin: {origin}")
    with socket.create_connection((address, int(port)), timeout=15) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = b""
        while b"\r\n" not in head:
            chunk = sock.recv(1024)
            if not chunk:
                break
            head += chunk
        status = int(head.split(b" ", 2)[1])
        if status == 101:  # close it as a browser would, so the server lets the socket go
            sock.sendall(b"\x88\x82" + b"\x00\x00\x00\x00" + (1000).to_bytes(2, "big"))
            sock.settimeout(5)
            seen = b""
            try:  # until the server's close frame answers ours
                while b"\x88" not in seen and (chunk := sock.recv(4096)):
                    seen += chunk
            except OSError:
                pass
    return status


def preflight(url: str, host: str, origin: str) -> httpx.Response:
    return httpx.options(f"{url}/api/auth/client/login", headers={
        "host": host, "origin": origin, "access-control-request-method": "POST",
        "access-control-request-headers": "content-type"})


def test_websocket_upgrade_follows_domains(served, db, domains):
    assert upgrade_status(served.url, HOST_A, BASE) == 101  # the configured base URL
    assert upgrade_status(served.url, HOST_A, f"https://{HOST_A}") == 101  # verified (base) domain
    assert upgrade_status(served.url, ALT_A, f"https://{ALT_A}") == 101  # verified custom domain
    assert upgrade_status(served.url, HOST_B, f"https://{HOST_B}") == 101
    for refused in (f"https://{PENDING}", "https://unknown.example.test", f"http://{HOST_A}",
                    f"https://{HOST_A}.evil.example", "null"):
        assert upgrade_status(served.url, HOST_A, refused) == 403, refused
    _remove(db, ALT_A)
    assert upgrade_status(served.url, ALT_A, f"https://{ALT_A}") == 403  # removed: nothing


def test_cors_preflight_follows_domains(served, db, domains):
    for origin in (BASE, f"https://{HOST_A}", f"https://{ALT_A}"):
        resp = preflight(served.url, HOST_A, origin)
        assert resp.status_code == 200 and resp.headers["access-control-allow-origin"] == origin
        assert resp.headers["access-control-allow-credentials"] == "true"
    for origin in (f"https://{PENDING}", "https://unknown.example.test", f"http://{ALT_A}", "*"):
        resp = preflight(served.url, HOST_A, origin)
        assert resp.status_code == 400 and "access-control-allow-origin" not in resp.headers, origin
    # a simple (non-preflighted) request: the origin is echoed only when allowed
    ok = httpx.get(f"{served.url}/api/health", headers={"host": HOST_A, "origin": f"https://{ALT_A}"})
    assert ok.headers.get("access-control-allow-origin") == f"https://{ALT_A}"
    other = httpx.get(f"{served.url}/api/health", headers={"host": HOST_A, "origin": f"https://{PENDING}"})
    assert "access-control-allow-origin" not in other.headers
    _remove(db, ALT_A)
    assert preflight(served.url, HOST_A, f"https://{ALT_A}").status_code == 400


# --- the CSRF check of form posts, and sign-in cookies per host ----------------------------------

@pytest.fixture
def http():
    from portal_app.api.routes import build_api
    from portal_app.api.security_headers import SecurityHeaders

    with TestClient(SecurityHeaders(build_api()), base_url=f"http://{HOST_A}", follow_redirects=False) as c:
        yield c


def sign_in(http, host: str, origin: str | None, email: str = "alice@client.example", pw: str = "",
            extra_headers: list[tuple[str, str]] | None = None):
    headers = [("host", host)] if extra_headers is None else extra_headers
    if origin is not None:
        headers.append(("origin", origin))
    headers.append(("content-type", "application/x-www-form-urlencoded"))
    return http.post("/api/auth/client/login", content=f"email={email}&password={pw.replace(' ', '+')}",
                     headers=headers)


def test_form_posts_follow_domains(http, db, domains):
    pw = domains.password
    assert session_token(sign_in(http, HOST_A, f"https://{HOST_A}", pw=pw))
    assert session_token(sign_in(http, ALT_A, f"https://{ALT_A}", pw=pw))  # a verified custom domain
    assert session_token(sign_in(http, HOST_A, BASE, pw=pw))  # the configured origin
    refused = [
        (PENDING, f"https://{PENDING}"),  # unverified: its own page is no origin of ours
        (HOST_A, f"https://{PENDING}"),
        (HOST_A, "https://unknown.example.test"),
        (HOST_A, f"http://{HOST_A}"),  # plain http on an https deployment
        (HOST_A, f"https://{ALT_A}"),  # one domain's page posts nothing to another
        (HOST_B, f"https://{HOST_A}"),  # nor to another workspace's
        (HOST_A, None),
    ]
    for host, origin in refused:
        resp = sign_in(http, host, origin, pw=pw)
        assert query(resp) == {"error": ["origin"]} and no_cookie(resp), (host, origin)
    _remove(db, ALT_A)
    resp = sign_in(http, ALT_A, f"https://{ALT_A}", pw=pw)
    assert query(resp) == {"error": ["origin"]} and no_cookie(resp)


def test_duplicate_host_headers_and_forwarded_host_over_http(http, db, domains, monkeypatch):
    from portal_app.settings import reset_settings_cache

    pw = domains.password
    two = sign_in(http, "", BASE, pw=pw, extra_headers=[("host", HOST_A), ("host", HOST_B)])
    assert query(two) == {"error": ["noportal"]} and no_cookie(two)
    forwarded = [("host", "app.internal:8000"), ("x-forwarded-host", HOST_A)]
    ignored = sign_in(http, "", BASE, pw=pw, extra_headers=list(forwarded))
    assert query(ignored) == {"error": ["noportal"]}  # no trusted proxy: X-Forwarded-Host is anyone's
    monkeypatch.setenv("PORTAL_TRUSTED_PROXY_HOPS", "1")
    reset_settings_cache()
    via_proxy = sign_in(http, "", f"https://{HOST_A}", pw=pw, extra_headers=list(forwarded))
    token = session_token(via_proxy)
    from portal_app.db import unit_of_work
    from portal_app.services import sessions

    with unit_of_work() as s:
        assert sessions.context_for(s, HOST_A, token)[1].kind == "client"  # bound to the forwarded host
        assert sessions.context_for(s, ALT_A, token)[1].kind == "anonymous"


def test_a_cookie_from_one_host_is_worthless_on_another_over_http(http, db, domains):
    """Sign-out says where the person it signed out goes next: the staff sign-in page for
    staff, the client one for anyone else -- so it shows who the cookie was on that host."""
    pw = domains.password

    def staff_token() -> str:
        resp = http.post("/api/auth/staff/login", headers={"host": ALT_A, "origin": f"https://{ALT_A}"},
                         data={"email": "owner@alpha.example", "password": pw})
        return session_token(resp)

    def logout(host: str, token: str) -> str:
        return http.post("/api/auth/logout", headers={"host": host, "origin": f"https://{host}",
                                                      "cookie": f"portal_session={token}"}).headers["location"]

    assert logout(HOST_A, staff_token()) == "/login?signed_out=1"  # same workspace, other domain: nobody
    assert logout(HOST_B, staff_token()) == "/login?signed_out=1"  # another workspace's domain: nobody
    assert logout(ALT_A, staff_token()) == "/staff/login?signed_out=1"  # its own host: the owner

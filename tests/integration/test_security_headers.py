"""SecurityHeaders, the ASGI middleware around every HTTP response, driven with tiny inner
ASGI apps over Starlette's TestClient (no lifespan: plain HTTP apps)."""

from __future__ import annotations

import re
import warnings

with warnings.catch_warnings():  # Starlette 1.x nudges toward httpx2; httpx is what is installed
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from portal_app.api.security_headers import SecurityHeaders
from tests.support.api import ORIGIN, assert_security_headers


def _app(content_type: bytes, body_chunks: list[bytes], seen: list, extra_headers=()):
    async def app(scope, receive, send):
        seen.append(scope)
        await send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-type", content_type),
            (b"content-length", str(sum(map(len, body_chunks))).encode()), *extra_headers]})
        for i, chunk in enumerate(body_chunks):
            await send({"type": "http.response.body", "body": chunk, "more_body": i < len(body_chunks) - 1})
    return app


def _nonce(resp) -> str:
    return re.search(r"'nonce-([^']+)'", resp.headers["content-security-policy"]).group(1)


PAGE = [b'<!doctype html><html><head><script>window.a=1</script><script src="/assets/app.js" type="module">',
        b'</script></head><body><p>no <scripts> here, <scriptx> neither</p><script\n>b()</script></body></html>']


def test_html_gets_a_nonce_on_every_script_and_a_matching_csp():
    seen: list = []
    weak = [(b"content-security-policy", b"script-src * 'unsafe-inline'")]
    c = TestClient(SecurityHeaders(_app(b"text/html; charset=utf-8", PAGE, seen, weak)), base_url=ORIGIN)
    first = c.get("/", headers={"accept-encoding": "gzip, br"})
    second = c.get("/")
    nonce = _nonce(first)
    csp = first.headers["content-security-policy"]
    assert first.headers.get_list("content-security-policy") == [csp]  # exactly one policy
    # the weak policy is gone: our scripts by nonce, plus Stripe.js (Pay Now) from its configured host
    assert csp.split("script-src ")[1].split(";")[0] == f"'self' 'nonce-{nonce}' https://js.stripe.com"
    body = first.text
    tags = re.findall(r"<script(?=[\s>])[^>]*>", body)
    assert len(tags) == 3 and all(f'nonce="{nonce}"' in t for t in tags)
    assert "<scripts>" in body and "<scriptx>" in body  # look-alikes untouched
    assert "window.a=1" in body and "b()" in body
    assert int(first.headers["content-length"]) == len(first.content)
    assert first.headers["cache-control"] == "no-store"
    assert_security_headers(first)
    assert b"accept-encoding" not in dict(seen[0]["headers"])  # pages are asked for uncompressed
    assert _nonce(second) != nonce and len(nonce) >= 16


def test_non_html_keeps_its_body_and_gets_a_nonce_free_csp():
    seen: list = []
    app = _app(b"application/javascript", [b"<script>not html</script>"], seen)
    resp = TestClient(SecurityHeaders(app), base_url=ORIGIN).get("/assets/x.js", headers={"accept-encoding": "gzip"})
    assert resp.text == "<script>not html</script>"
    csp = resp.headers["content-security-policy"]
    assert "nonce" not in csp and "script-src 'self' https://js.stripe.com;" in csp
    assert "'unsafe-inline'" not in csp.split("style-src")[0]
    assert_security_headers(resp)
    assert dict(seen[0]["headers"])[b"accept-encoding"] == b"gzip"  # assets may stay compressed


def test_the_builds_hashed_bundles_are_cached_for_a_year_and_nothing_else_is():
    js = b"application/javascript"
    client = TestClient(SecurityHeaders(_app(js, [b"x"], [])), base_url=ORIGIN)
    for path in ("/assets/entry.client-DMqNtF3h.js", "/assets/__reflex_global_styles-BTGT1nLB.css",
                 "/assets/_staff_._files_._index-BeTfGkV0.js"):
        assert client.get(path).headers["cache-control"] == "public, max-age=31536000, immutable", path
    # a name without the build's content hash, a page, a route of the app: the browser asks again
    for path in ("/assets/app.js", "/assets/x-DMqNtF3h.js/../secret", "/fonts.css", "/api/x", "/_upload"):
        assert "cache-control" not in client.get(path).headers, path
    page = TestClient(SecurityHeaders(_app(b"text/html", PAGE, [])), base_url=ORIGIN)
    assert page.get("/assets/missing-DMqNtF3h.js").headers["cache-control"] == "no-store"  # the 404 page
    own = [(b"cache-control", b"no-cache")]
    mine = TestClient(SecurityHeaders(_app(js, [b"x"], [], own)), base_url=ORIGIN)
    assert mine.get("/assets/entry.client-DMqNtF3h.js").headers.get_list("cache-control") == ["no-cache"]


def test_a_routes_own_policy_stands_but_is_never_framable():
    own = [(b"content-security-policy", b"default-src 'none'; sandbox")]
    resp = TestClient(SecurityHeaders(_app(b"image/png", [b"\x89PNG"], [], own)), base_url=ORIGIN).get("/api/x")
    assert resp.headers.get_list("content-security-policy") == ["default-src 'none'; sandbox; frame-ancestors 'none'"]
    assert_security_headers(resp)


def test_websocket_scopes_pass_through_untouched():
    seen: list = []

    async def app(scope, receive, send):
        seen.append(scope["type"])
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "text": "hello"})
        await send({"type": "websocket.close"})

    with TestClient(SecurityHeaders(app), base_url=ORIGIN).websocket_connect("/_event") as ws:
        assert ws.receive_text() == "hello"
    assert seen == ["websocket"]


def test_stripe_js_sources_follow_the_configured_url():
    from portal_app.api.security_headers import csp, stripe_sources

    real = csp("n", "https://js.stripe.com/v3/").decode()
    assert "script-src 'self' 'nonce-n' https://js.stripe.com;" in real
    assert "connect-src 'self' ws: wss: https://api.stripe.com;" in real
    assert "frame-src 'self' https://js.stripe.com https://hooks.stripe.com;" in real
    stand_in = csp(None, "http://127.0.0.1:8420/js.stripe.com/v3/").decode()
    assert "script-src 'self' http://127.0.0.1:8420;" in stand_in
    assert "connect-src 'self' ws: wss: http://127.0.0.1:8420;" in stand_in
    # nothing usable configured: no extra source at all (never a wildcard)
    assert stripe_sources("javascript:alert(1)") == {"script": "", "connect": "", "frame": ""}
    assert "*" not in csp("n", "").decode().replace("frame-ancestors 'none'", "")

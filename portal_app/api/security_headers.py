"""ASGI middleware: security headers on every HTTP response.

HTML pages get a per-response CSP nonce, added to each inline <script> of Reflex's
prerendered pages, so script-src needs neither 'unsafe-inline' nor 'unsafe-eval'.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from urllib.parse import urlsplit

from portal_app.adapters import local_stripe
from portal_app.settings import get_settings

_SCRIPT_TAG = re.compile(rb"<script(?=[\s>])")

BASE_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


def _origin(url: str) -> str:
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else ""


def stripe_sources(js_url: str) -> dict[str, str]:
    """What Pay Now's Stripe.js needs beyond 'self': its script, the API it calls and its
    frames. Real Stripe serves them from three hosts; a stand-in (localstripe) serves the
    script and the API from its own origin."""
    js = _origin(js_url)
    if not js:
        return {"script": "", "connect": "", "frame": ""}
    if js == "https://js.stripe.com":
        return {"script": js, "connect": "https://api.stripe.com", "frame": f"{js} https://hooks.stripe.com"}
    return {"script": js, "connect": js, "frame": js}


def csp(nonce: str | None, js_url: str | None = None) -> bytes:
    stripe = stripe_sources(get_settings().stripe_js_url if js_url is None else js_url)
    test_mode = local_stripe.active()  # the demo's test payments: its stand-in's Stripe.js too
    if test_mode is not None and js_url is None:
        local = stripe_sources(test_mode.js_url)
        stripe = {k: f"{v} {local[k]}".strip() for k, v in stripe.items()}
    extra = {k: f" {v}" if v else "" for k, v in stripe.items()}
    script = f"'self' 'nonce-{nonce}'" if nonce else "'self'"
    return ("default-src 'self'; "
            f"script-src {script}{extra['script']}; "
            "style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data: blob:; "
            "font-src 'self' data:; "
            f"connect-src 'self' ws: wss:{extra['connect']}; "
            f"frame-src 'self'{extra['frame']}; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; "
            "frame-ancestors 'none'").encode()


# The frontend build's bundles under /assets/ carry a hash of their content in their name
# (`entry.client-DMqNtF3h.js`): a browser may keep them for a year without asking again. Without
# this, each page load revalidated its ~50 modules (304s, six at a time through the app's event
# loop: 180 -> 600 ms of the client home's load in bench/page_load.py). Production's granian
# static route sends the same (portal_app/serve.py, ASSET_MAX_AGE).
_HASHED_BUNDLE = re.compile(r"^/assets/[^/]+-[A-Za-z0-9_-]{8}\.(?:js|css|woff2?|ttf|svg|png|jpg|webp|ico|map)$")
IMMUTABLE = b"public, max-age=31536000, immutable"


def _read(path: str) -> bytes:
    with open(path, "rb") as fh:
        return fh.read()


class SecurityHeaders:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # zero-copy sends are never used (no server we run offers them; a held HTML start
        # could not be completed by one)
        if "http.response.zerocopysend" in (scope.get("extensions") or {}):
            scope = dict(scope, extensions={k: v for k, v in scope["extensions"].items()
                                            if k != "http.response.zerocopysend"})
        if not scope.get("path", "").startswith(("/assets/", "/_")):
            # Pages are rewritten below (nonces), so ask for them uncompressed.
            # ...and as body messages, not as a file path the server sends by itself.
            extensions = {k: v for k, v in (scope.get("extensions") or {}).items()
                          if k not in ("http.response.pathsend", "http.response.zerocopysend")}
            scope = dict(scope, extensions=extensions,
                         headers=[(k, v) for k, v in scope.get("headers", [])
                                  if k.lower() != b"accept-encoding"])
        state: dict = {"start": None, "html": False, "chunks": []}

        async def wrapped(message):
            if message["type"] == "http.response.start":
                own_csp = [v for k, v in message.get("headers", []) if k.lower() == b"content-security-policy"]
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.lower() not in (b"content-security-policy",)]
                ctype = {k.lower(): v for k, v in headers}.get(b"content-type", b"")
                # (a compressed page, e.g. a precompressed 404.html asked for under /_… or
                # /assets/, cannot be rewritten: it keeps the nonce-free policy below)
                encoded = any(k.lower() == b"content-encoding" for k, _ in headers)
                state["html"] = ctype.startswith(b"text/html") and not encoded
                # a route may relax framing for itself (file previews: same origin only)
                own = {k.lower() for k, _ in headers}
                message = dict(message, headers=headers + [(k, v) for k, v in BASE_HEADERS if k not in own])
                if state["html"]:
                    state["start"] = message  # held until the body is complete
                    return
                # A route's own policy (e.g. the logo's "default-src 'none'; sandbox") stands,
                # never framable; pages always get the nonce policy below.
                policy = own_csp[0] if own_csp else csp(None)
                if b"frame-ancestors" not in policy:
                    policy += b"; frame-ancestors 'none'"
                message["headers"].append((b"content-security-policy", policy))
                if (message.get("status") in (200, 304) and b"cache-control" not in own
                        and _HASHED_BUNDLE.match(scope.get("path", ""))):
                    message["headers"].append((b"cache-control", IMMUTABLE))
                await send(message)
                return
            if message["type"] == "http.response.pathsend" and state["html"]:
                # An HTML file (e.g. the frontend's 404.html for an unknown /_… or /assets/
                # path) the app hands to the server by path: its start is held above, so read
                # the file here and rewrite it like any page (the server never saw a start).
                message = {"type": "http.response.body", "body": await asyncio.to_thread(_read, message["path"])}
            if message["type"] == "http.response.body" and state["html"]:
                state["chunks"].append(message.get("body", b""))
                if message.get("more_body"):
                    return
                nonce = secrets.token_urlsafe(16)
                body = _SCRIPT_TAG.sub(f'<script nonce="{nonce}"'.encode(), b"".join(state["chunks"]))
                start = state["start"]
                headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
                if scope.get("method") != "HEAD":  # (a HEAD answer cannot know the GET's length)
                    headers.append((b"content-length", str(len(body)).encode()))
                headers += [(b"content-security-policy", csp(nonce)),
                            (b"cache-control", b"no-store")]
                await send(dict(start, headers=headers))
                await send({"type": "http.response.body", "body": body, "more_body": False})
                return
            await send(message)

        await self.app(scope, receive, wrapped)

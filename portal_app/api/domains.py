"""GET /api/domains/allowed?domain=<host>: Caddy's on-demand TLS `ask` endpoint
(deploy/Caddyfile). Before issuing a certificate for a host it has never seen, Caddy asks
here; 200 only for a verified custom domain assigned to a workspace's Client Portal (or a
workspace's own non-loopback base host), 404 for anything else, 400 for a missing or
malformed `domain`. No session, no cookie, nothing cached; one indexed look-up
(services/portal/domains.py `allowed`), in a thread (never SQL on the event loop).
"""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import Response

from portal_app.db import get_engine
from portal_app.services.portal import domains, hostnames

HEADERS = {"cache-control": "no-store"}


def _allowed(name: str) -> bool:
    # a plain connection: one read, no ORM session, nothing to commit
    with get_engine().connect() as conn:
        return domains.allowed(conn, name)


def _answer(status: int, text: str) -> Response:
    return Response(text, status_code=status, media_type="text/plain", headers=HEADERS)


async def allowed(request: Request) -> Response:
    values = request.query_params.getlist("domain")
    if len(values) != 1:
        return _answer(400, "one domain parameter is required")
    raw = values[0].strip().lower()
    name = raw[:-1] if raw.endswith(".") else raw
    if not name.isascii() or hostnames.syntax_problem(name):
        return _answer(400, "malformed domain")
    if await asyncio.to_thread(_allowed, name):
        return _answer(200, "ok")
    return _answer(404, "not allowed")

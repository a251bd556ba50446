"""POST /api/stripe/webhook/{workspace}: Stripe's server calls it; the signature on the raw
body (with that workspace's secret) is the only credential."""

from __future__ import annotations

import logging

import sqlalchemy.exc
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from portal_app.db import unit_of_work
from portal_app.errors import Forbidden, Invalid, NotFound
from portal_app.services.billing import stripe_webhooks

log = logging.getLogger("portal.api.payments")
MAX_BODY = 512 * 1024


def _apply(workspace: str, body: bytes, signature: str | None) -> str:
    for attempt in range(5):  # concurrent deliveries may collide on SQLite's writer lock
        try:
            with unit_of_work() as db:
                return stripe_webhooks.handle_webhook(db, workspace, body, signature)
        except (sqlalchemy.exc.OperationalError, sqlalchemy.exc.IntegrityError):
            if attempt == 4:
                raise
    raise RuntimeError("unreachable")  # pragma: no cover


async def stripe_webhook(request: Request) -> Response:
    if int(request.headers.get("content-length") or 0) > MAX_BODY:
        return JSONResponse({"error": "too large"}, status_code=413)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            return JSONResponse({"error": "too large"}, status_code=413)
    try:
        outcome = await run_in_threadpool(_apply, request.path_params["workspace"], bytes(body),
                                          request.headers.get("stripe-signature"))
    except NotFound:
        return JSONResponse({"error": "unknown workspace"}, status_code=404)
    except (Invalid, Forbidden) as exc:
        log.warning("stripe webhook refused for %s: %s", request.path_params["workspace"], exc.message)
        return JSONResponse({"error": exc.message}, status_code=400)
    return JSONResponse({"received": True, "outcome": outcome})

"""GET /api/calendar/feed/{token}.ics: a private iCal feed (services/appointments/feeds.py).

Authorized by the token in the URL alone: calendar apps fetch it without our cookie, and the
Host plays no part (the token names its workspace). A wrong, revoked (reset) or stale token, a
disabled account, a client whose Appointments section is off: the same plain 404, at once (no
cache on a 404). The feed lists only its owner's appointments. Reading the database and writing
hundreds of events (~200 ms for 500) runs in a thread, never on the event loop.
"""

from __future__ import annotations

import asyncio
import re

from starlette.requests import Request
from starlette.responses import Response

from portal_app.api._common import not_found
from portal_app.db import unit_of_work
from portal_app.errors import ServiceError
from portal_app.services.appointments import feeds

# what security.new_token makes (URL-safe base64); anything else never reaches the database
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,100}")
CACHE = "private, max-age=300"


def _calendar(token: str) -> bytes:
    with unit_of_work() as db:
        return feeds.feed_calendar(db, token)


async def feed(request: Request) -> Response:
    token = request.path_params["token"]
    if not _TOKEN.fullmatch(token):
        return not_found()
    try:
        data = await asyncio.to_thread(_calendar, token)
    except ServiceError:
        return not_found()
    return Response(data, media_type="text/calendar; charset=utf-8", headers={
        "cache-control": CACHE,
        "content-disposition": 'inline; filename="appointments.ics"',
        "x-content-type-options": "nosniff",
    })

"""GET /api/appointments/{appointment}.ics: the client's own appointment as a calendar file
("Add to calendar" on /appointments).

The actor comes from the session cookie and the workspace from the Host, as everywhere. Signed
out → 303 to sign in; anyone else's appointment, staff, the section off, a guessed id → the same
plain 404. The file is an attachment (text/calendar), never cached by shared caches.
"""

from __future__ import annotations

import re

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from portal_app.adapters.storage import content_disposition
from portal_app.api._common import NO_STORE, request_context
from portal_app.api._common import not_found as _not_found
from portal_app.db import unit_of_work
from portal_app.errors import NotSignedIn, ServiceError
from portal_app.services.appointments import client_side

# what new_public_id("ap") makes; anything else never reaches the database
_APPOINTMENT_ID = re.compile(r"ap_[A-Za-z0-9_-]{1,37}")


def _file(request: Request) -> client_side.IcsFile:
    public_id = request.path_params["appointment"]
    if not _APPOINTMENT_ID.fullmatch(public_id):
        public_id = ""  # no appointment has it: signed out → sign in, anyone else → not found
    with unit_of_work() as db:
        _ws, actor = request_context(db, request)
        return client_side.appointment_ics(db, actor, public_id)


async def ics_download(request: Request) -> Response:
    try:
        found = await run_in_threadpool(_file, request)
    except NotSignedIn:
        return RedirectResponse("/login?next=/appointments", status_code=303)
    except ServiceError:
        return _not_found()
    return Response(found.data, media_type="text/calendar; charset=utf-8", headers={
        "content-disposition": content_disposition(found.filename),
        "cache-control": NO_STORE,
        "x-content-type-options": "nosniff",
    })

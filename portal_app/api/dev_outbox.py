"""GET /api/dev-outbox/attachments/{attachment}: a file on a dev outbox mail (a calendar
invitation's .ics), for the workspace's owner while PORTAL_MAIL=outbox — the rule of the
/staff/outbox page itself (access.require_read_dev_outbox).

The actor comes from the session cookie and the workspace from the Host, as everywhere
(api/_common.py). Anyone else — signed out, a client, a member, another workspace's staff, a
guessed id, and everyone once mail goes by SMTP — gets the same plain 404. Always a download
(attachment, nosniff, a sandboxing CSP), never rendered in our origin.
"""

from __future__ import annotations

import re

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from portal_app.adapters.storage import content_disposition
from portal_app.api._common import NO_STORE, not_found, request_context
from portal_app.db import unit_of_work
from portal_app.errors import ServiceError
from portal_app.services.portal import staff_views

# what new_public_id("dma") makes; anything else never reaches the database
_ATTACHMENT_ID = re.compile(r"dma_[A-Za-z0-9_-]{1,36}")
# served with their own type (a calendar app opens them); anything else as bytes
_OWN_TYPE = ("text/calendar", "application/ics", "application/pdf")


def _file(request: Request) -> staff_views.DevMailFile:
    attachment_id = request.path_params["attachment"]
    if not _ATTACHMENT_ID.fullmatch(attachment_id):
        attachment_id = ""  # no attachment has it: the rule still answers first
    with unit_of_work() as db:
        _ws, actor = request_context(db, request)
        return staff_views.dev_mail_attachment(db, actor, attachment_id)


async def attachment(request: Request) -> Response:
    try:
        found = await run_in_threadpool(_file, request)
    except ServiceError:
        return not_found()
    media_type = found.content_type if found.content_type in _OWN_TYPE else "application/octet-stream"
    return Response(found.data, media_type=media_type, headers={
        "content-disposition": content_disposition(found.filename),
        "cache-control": NO_STORE,
        "content-security-policy": "default-src 'none'; sandbox",
        "x-content-type-options": "nosniff",
    })

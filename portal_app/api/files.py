"""Authorized file downloads and previews.

The actor comes from the session cookie and the workspace from the Host, as everywhere.
Local storage is streamed by the app; S3 answers with a presigned URL that expires within
minutes and forces `attachment`. Nothing is ever served as HTML or SVG in our origin:
downloads are `application/octet-stream` + `attachment`, previews only for PDFs and raster
images (type judged from the content at upload), under a sandboxing CSP.
"""

from __future__ import annotations

import re

import sqlalchemy.exc
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from portal_app.adapters.storage import S3Storage, content_disposition, get_storage
from portal_app.api import ranges
from portal_app.api._common import NO_STORE, PREVIEW_CSP, request_context, stream_blob
from portal_app.api._common import not_found as _not_found
from portal_app.db import unit_of_work
from portal_app.errors import NotSignedIn, ServiceError
from portal_app.services.files import file_transfer
from portal_app.settings import get_settings

# what new_public_id("fi") makes; anything else (a NUL byte, 10 kB of junk) never reaches
# the database (PostgreSQL refuses NUL in text: a 500 instead of a 404)
_FILE_ID = re.compile(r"fi_[A-Za-z0-9_-]{1,37}")


def _open(request: Request, preview: bool):
    file_id = request.path_params["file"]
    if not _FILE_ID.fullmatch(file_id):
        file_id = ""  # no file has it: still signed-out → sign in, anyone else → not found
    for attempt in range(3):  # two clients' first downloads may race for the audit sequence
        try:
            with unit_of_work() as db:
                _ws, actor = request_context(db, request)
                # a HEAD, or the rest of a download already begun, is not another download
                count = request.method != "HEAD" and not ranges.resumes(request.headers.get("range"))
                return actor, file_transfer.open_file(db, actor, file_id, preview=preview, count=count)
        except (sqlalchemy.exc.IntegrityError, sqlalchemy.exc.OperationalError):
            if attempt == 2:
                raise
    raise RuntimeError("unreachable")  # pragma: no cover


def _signin(actor_kind_path: str) -> Response:
    return RedirectResponse(f"/login?next={actor_kind_path}", status_code=303)


async def download(request: Request) -> Response:
    try:
        # database and storage calls block: never on the event loop the whole server shares
        _actor, dl = await run_in_threadpool(_open, request, False)
    except NotSignedIn:
        return _signin("/files")
    except ServiceError:
        return _not_found()
    storage = get_storage()
    if isinstance(storage, S3Storage):
        url = storage.presigned_url(dl.key, expires=get_settings().download_link_seconds, filename=dl.name)
        return RedirectResponse(url, status_code=302, headers={"cache-control": NO_STORE})
    return await stream_blob(request, storage, dl, "application/octet-stream", {
        "content-disposition": content_disposition(dl.name),
        "content-security-policy": "default-src 'none'; sandbox",
    })


async def preview(request: Request) -> Response:
    try:
        _actor, dl = await run_in_threadpool(_open, request, True)
    except NotSignedIn:
        return _signin("/files")
    except ServiceError:
        return _not_found()
    policy = PREVIEW_CSP.get(dl.content_type) or PREVIEW_CSP["image"]
    return await stream_blob(request, get_storage(), dl, dl.content_type, {
        "content-disposition": content_disposition(dl.name, "inline"),
        "content-security-policy": policy,
        "x-frame-options": "SAMEORIGIN",
    })

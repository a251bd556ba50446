"""Authorized file downloads and previews.

The actor comes from the session cookie and the workspace from the Host, as everywhere.
Local storage is streamed by the app; S3 answers with a presigned URL that expires within
minutes and forces `attachment`. Nothing is ever served as HTML or SVG in our origin:
downloads are `application/octet-stream` + `attachment`, previews only for PDFs and raster
images (type judged from the content at upload), under a sandboxing CSP.
"""

from __future__ import annotations

import logging
import re

import sqlalchemy.exc
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse

from portal_app.adapters.storage import S3Storage, StorageError, content_disposition, get_storage
from portal_app.api import ranges
from portal_app.api._common import NO_STORE, request_context
from portal_app.api._common import not_found as _not_found
from portal_app.db import unit_of_work
from portal_app.errors import NotSignedIn, ServiceError
from portal_app.services.files import file_transfer
from portal_app.settings import get_settings

log = logging.getLogger("portal.api.files")

PREVIEW_CSP = {
    "application/pdf": "default-src 'none'; frame-ancestors 'self'",
    "image": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox; frame-ancestors 'self'",
}


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
    return await _stream(request, storage, dl, "application/octet-stream", {
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
    return await _stream(request, get_storage(), dl, dl.content_type, {
        "content-disposition": content_disposition(dl.name, "inline"),
        "content-security-policy": policy,
        "x-frame-options": "SAMEORIGIN",
    })


async def _stream(request: Request, storage, dl: file_transfer.Download, media_type: str,
                  headers: dict[str, str]) -> Response:
    """The file, or the one byte range asked for (206; 416 past the end), streamed."""
    etag = f'"{dl.sha256}"' if dl.sha256 else ""
    headers = {**headers, "cache-control": NO_STORE, "accept-ranges": "bytes"}
    if etag:
        headers["etag"] = etag
    try:
        wanted = ranges.requested_range(request.headers.get("range"), dl.size,
                                        if_range=request.headers.get("if-range"), etag=etag)
    except ranges.Unsatisfiable:
        return Response(status_code=416, headers={**headers, "content-range": f"bytes */{dl.size}"})
    first, last = wanted or (0, dl.size - 1)
    try:
        chunks = await run_in_threadpool(storage.iter_chunks, dl.key, first, last if wanted else None)
    except StorageError:
        log.error("file %s is listed but its blob is missing", request.path_params["file"])
        return _not_found()
    headers["content-length"] = str(last - first + 1)
    if wanted:
        headers["content-range"] = f"bytes {first}-{last}/{dl.size}"
    return StreamingResponse(iterate_in_threadpool(chunks), status_code=206 if wanted else 200,
                             media_type=media_type, headers=headers)

"""Chat attachments over HTTP: sending a message with a file, and reading a message's file.

POST /api/conversations/messages — one request uploads AND sends (no token to carry between
two requests, nothing stored that no message refers to). A multipart form:

    body          the message text (may be empty when a file is attached)
    file          optional: one image (PNG, JPEG, GIF, WebP) or PDF, at most 10 MB, judged by
                  its bytes (the browser's type and the extension are not trusted)
    conversation  staff only: the conversation's public id
    internal      staff only: "1"/"true"/"on" makes it a note the client never sees

Cookie-authenticated like every api/ route (the session cookie, the workspace from the Host),
with the form posts' CSRF rule (Origin or Referer must be this host: api/forms.same_origin).
The body is bounded before it is parsed (ATTACHMENT_MAX_BYTES + multipart framing; the
BodyLimits guard in front of the app has the same limit for this path). Answers JSON:
`{"ok": true, "message": MessageView}` (200), or `{"error": "<a sentence for the user>",
"field": "body" | "file" | ""}` with 400 (refused input, a rate limit), 401 (signed out),
403 (another site), 404 (chat off, not your conversation), 413 (too large). The services
publish the live hints, so the sender's and the other side's open pages refresh as for any
message. A refused send leaves no blob (services/conversations/attachments.py).

GET /api/conversations/attachments/<message public id> — the file, only to the client of that
conversation (never a staff note's file) or staff of its workspace; a plain 404 otherwise.
Images and PDFs are shown inline under the file previews' CSP (sandboxed images, PDFs only
framed by us) with nosniff (SecurityHeaders); anything else would be `attachment` +
`application/octet-stream`. Byte ranges as the file routes. Streamed by the app from local
storage and S3 alike (an inline image cannot follow a presigned URL's forced attachment).

How the browser sends an attachment: the Reflex pages (chat widget, staff inbox) use
Reflex's own upload, as every other upload in the app (logo, documents, files), and not a
fetch to this route — no custom script, the refusal lands in the page's state, UploadGuard
ties the upload to the tab's session. The handler is a buffered upload handler
(`files: list[rx.UploadFile]`) that reads at most ATTACHMENT_MAX_BYTES + 1 bytes and calls the
same use case this route calls, `services.conversations.attachments.send_with_file`, inside
`self._run(work, on_error=...)`; its name goes in portal_app._upload_handlers with the "chat"
limit. This route is that use case for anything that is not a Reflex page (a script, a
native form, tests) and is what the authorization matrix checks over HTTP.
"""

from __future__ import annotations

import re

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from portal_app.adapters.storage import content_disposition, get_storage
from portal_app.api._common import NO_STORE, PREVIEW_CSP, request_context, stream_blob
from portal_app.api._common import not_found as _not_found
from portal_app.api.body_limits import MULTIPART_SLACK
from portal_app.api.forms import same_origin
from portal_app.db import unit_of_work
from portal_app.errors import Forbidden, NotFound, NotSignedIn, ServiceError
from portal_app.services.conversations import attachments, messages

_MESSAGE_ID = re.compile(r"msg_[A-Za-z0-9_-]{1,36}")
_ID_FIELD = 40
_TRUE = {"1", "true", "on", "yes"}


def max_body() -> int:
    """The most bytes the send route reads: one attachment, the text and the multipart framing."""
    return messages.ATTACHMENT_MAX_BYTES + MULTIPART_SLACK


def _json_error(message: str, status: int, field: str = "") -> JSONResponse:
    return JSONResponse({"error": message, "field": field}, status_code=status, headers={"cache-control": NO_STORE})


class _TooLarge(Exception):
    pass


async def _read_body(request: Request) -> None:
    """The body into memory, refused past max_body() however it is sent (chunked too)."""
    limit = max_body()
    try:
        declared = int(request.headers.get("content-length") or 0)
    except ValueError:
        raise ServiceError("The message could not be read.") from None
    if declared > limit:
        raise _TooLarge()
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise _TooLarge()
    request._body = bytes(body)  # Starlette parses the form from the cached body


def _status(exc: ServiceError) -> int:
    if isinstance(exc, NotSignedIn):
        return 401
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, Forbidden):
        return 403
    return 400


async def send_message(request: Request) -> Response:
    if not same_origin(request):
        return _json_error("This message did not come from the portal's own page. Reload the page and try again.",
                           403)
    if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        return _json_error("Send the message as a form (multipart/form-data).", 400)
    try:
        await _read_body(request)
        form = await request.form(max_files=1, max_fields=8)
    except _TooLarge:
        return _json_error(attachments.too_large_message(), 413, "file")
    except ClientDisconnect:
        return _json_error("The message did not arrive whole. Try again.", 400)
    except ServiceError as exc:
        return _json_error(exc.message, 400)
    except Exception:  # a malformed multipart body (Starlette's MultiPartException and kin)
        return _json_error("The message could not be read. Try again.", 400)
    try:
        body = form.get("body")
        upload = form.get("file")
        name, data = None, b""
        if isinstance(upload, UploadFile) and (upload.filename or upload.size):
            data = await upload.read(messages.ATTACHMENT_MAX_BYTES + 1)
            name = upload.filename or "file"
        conversation = form.get("conversation")
        internal = str(form.get("internal") or "").strip().lower() in _TRUE

        def send():
            with unit_of_work() as db:
                _ws, actor = request_context(db, request)
                return attachments.send_with_file(
                    db, actor, body if isinstance(body, str) else "", name, data,
                    conversation=conversation[:_ID_FIELD] if isinstance(conversation, str) else None,
                    internal=internal)

        view = await run_in_threadpool(send)
    except ServiceError as exc:
        status = _status(exc)
        if status == 401:
            return _json_error("Sign in to send a message.", 401)
        if status == 404:
            return _json_error(exc.message or "This conversation does not exist.", 404)
        return _json_error(exc.message, status, exc.field or "")
    finally:
        await form.close()
    return JSONResponse({"ok": True, "message": view}, headers={"cache-control": NO_STORE})


def _open(request: Request) -> attachments.AttachmentFile:
    message_id = request.path_params["message"]
    if not _MESSAGE_ID.fullmatch(message_id):
        message_id = ""  # no message has it: a 404 without a query on junk
    with unit_of_work() as db:
        _ws, actor = request_context(db, request)
        return attachments.open_attachment(db, actor, message_id)


async def attachment(request: Request) -> Response:
    try:
        found = await run_in_threadpool(_open, request)
    except ServiceError:
        return _not_found()  # signed out included: an <img> or a link, never a page to sign in on
    if found.inline:
        policy = PREVIEW_CSP.get(found.content_type) or PREVIEW_CSP["image"]
        return await stream_blob(request, get_storage(), found, found.content_type, {
            "content-disposition": content_disposition(found.name, "inline"),
            "content-security-policy": policy,
            "x-frame-options": "SAMEORIGIN",
        })
    return await stream_blob(request, get_storage(), found, "application/octet-stream", {
        "content-disposition": content_disposition(found.name),
        "content-security-policy": "default-src 'none'; sandbox",
    })

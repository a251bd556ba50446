"""Document files: page images for the editor and the signing page, the original and the
sealed PDF. The actor comes from the session cookie and the workspace from the Host, as
everywhere; a document that is not the actor's to see answers the same plain 404 as one
that does not exist. PDFs are attachments under a sandboxing CSP, never rendered here.
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
from portal_app.services.documents import document_views

_DOC_ID = re.compile(r"doc_[A-Za-z0-9_-]{1,37}")


def _with_actor(request: Request, work):
    doc_id = request.path_params["document"]
    doc_id = doc_id if _DOC_ID.fullmatch(doc_id) else ""
    with unit_of_work() as db:
        _ws, actor = request_context(db, request)
        return work(db, actor, doc_id)


async def _answer(request: Request, work, make) -> Response:
    try:
        result = await run_in_threadpool(_with_actor, request, work)
    except NotSignedIn:
        return RedirectResponse("/login?next=/documents", status_code=303)
    except ServiceError:
        return _not_found()
    return make(result)


async def page(request: Request) -> Response:
    try:
        number = int(request.path_params["page"])
    except ValueError:
        return _not_found()
    return await _answer(
        request, lambda db, actor, doc: document_views.page_image(db, actor, doc, number),
        lambda png: Response(png, media_type="image/png", headers={
            "cache-control": NO_STORE, "content-security-policy": "default-src 'none'; sandbox",
            "x-content-type-options": "nosniff"}))


def _download(which: str):
    async def route(request: Request) -> Response:
        return await _answer(
            request, lambda db, actor, doc: document_views.document_file(db, actor, doc, which),
            lambda got: Response(got[0], media_type="application/pdf", headers={
                "content-disposition": content_disposition(got[1]), "cache-control": NO_STORE,
                "content-security-policy": "default-src 'none'; sandbox", "x-content-type-options": "nosniff"}))
    return route


original = _download("original")
completed = _download("completed")

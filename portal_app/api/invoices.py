"""GET /api/invoices/{invoice}/pdf: an invoice's PDF, as an attachment.

The actor comes from the session cookie and the workspace from the Host, as everywhere
(see api/files.py). Signed out → 303 to sign in; any invoice that is not the actor's to
see (another client's, another workspace's, a draft for a client, a guessed id) → the same
plain 404. The PDF is never rendered in our origin: attachment, nosniff, a sandboxing CSP.
"""

from __future__ import annotations

import logging
import re

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from portal_app.adapters.storage import content_disposition
from portal_app.api._common import NO_STORE, request_context
from portal_app.api._common import not_found as _not_found
from portal_app.db import unit_of_work
from portal_app.errors import NotSignedIn, ServiceError
from portal_app.services.billing import invoice_pdf

log = logging.getLogger("portal.api.invoices")

# what new_public_id("in") makes; anything else never reaches the database
_INVOICE_ID = re.compile(r"in_[A-Za-z0-9_-]{1,37}")


def _pdf(request: Request) -> invoice_pdf.InvoicePdfFile:
    invoice_id = request.path_params["invoice"]
    if not _INVOICE_ID.fullmatch(invoice_id):
        invoice_id = ""  # no invoice has it: still signed-out → sign in, anyone else → not found
    with unit_of_work() as db:
        _ws, actor = request_context(db, request)
        return invoice_pdf.invoice_pdf(db, actor, invoice_id)


async def download_pdf(request: Request) -> Response:
    try:
        # database, storage and rendering block: never on the event loop
        pdf = await run_in_threadpool(_pdf, request)
    except NotSignedIn:
        return RedirectResponse("/login?next=/invoices", status_code=303)
    except ServiceError:
        return _not_found()
    return Response(pdf.data, media_type="application/pdf", headers={
        "content-disposition": content_disposition(pdf.filename),
        "cache-control": NO_STORE,
        "content-security-policy": "default-src 'none'; sandbox",
        "x-content-type-options": "nosniff",
    })

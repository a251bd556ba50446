"""What the document pages show: lists (paginated, a fixed number of queries), one
document for staff (signers, fields, audit trail) and the signing view for a signer."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TypedDict

import sqlalchemy as sa
from sqlmodel import Session, col, select

from portal_app.access import (
    Actor,
    bound_client,
    client_may_see_invoice,
    is_client,
    is_own_signer,
    is_staff,
    own_signer_clause,
    require_client,
    require_client_documents,
    require_manage_documents,
)
from portal_app.db import AnyRow, Paged, paged, prebuilt, run_page
from portal_app.errors import Invalid
from portal_app.models import DOCUMENT_STATUSES, Contact, Document, DocumentSigner, Invoice
from portal_app.models.status import status_label
from portal_app.services import audit
from portal_app.services.billing import invoice_views
from portal_app.services.billing.invoice_views import paginate
from portal_app.services.billing.money import format_amount
from portal_app.services.documents.documents import (
    KIND_LABELS,
    current_signer,
    expire_if_due,
    fields_of,
    get_document,
    signers_of,
)
from portal_app.services.documents.signing import CLOSED, CONSENT_TEXT, CONSENT_VERSION, signer_for
from portal_app.services.portal.portal_settings import section_settings

SIGNER_COLORS = ("#2563eb", "#c2410c", "#047857", "#7c3aed")


class DocumentRow(TypedDict, total=False):
    """One document in a list (and the head of the detail and signing views). Not total:
    the one-document vars built on it (DocumentInfo, SigningInfo) are {} until loaded."""
    id: str
    title: str
    kind: str
    status: str
    status_label: str
    contact: str
    sent: str
    updated: str
    completed: str


class DocumentList(TypedDict):
    rows: list[DocumentRow]
    total: int
    page: int
    pages: int


class PageImage(TypedDict):
    url: str
    width: float       # points: the aspect ratio
    height: float


class SignerView(TypedDict):
    id: str
    name: str
    email: str
    role: str
    status: str
    color: str
    viewed: str
    signed: str
    turn: bool


class FieldView(TypedDict):
    """A signing field: position as fractions of its page (0-based page)."""
    id: str
    page: int
    x: float
    y: float
    w: float
    h: float
    kind: str
    signer: str
    signer_name: str
    label: str          # as staff wrote it ("" for none): the field editor edits it
    hint: str           # help text under the field, for the signer
    shown_label: str    # what the signer reads: the label, else kind and page
    required: bool
    value: str


class TrailEntry(TypedDict):
    at: str
    actor: str
    action: str


class DocumentInfo(DocumentRow, total=False):
    """The staff view of one document without its lists (StaffDocumentState.doc)."""
    message: str
    file_name: str
    page_count: int
    decline_reason: str
    expires: str
    original_sha256: str
    completed_sha256: str
    estimate_total: str
    my_turn: bool
    seal_error: str
    invoice_number: str   # the invoice an accepted estimate became ("" for none)
    invoice_href: str


class DocumentDetail(DocumentInfo):
    pages: list[PageImage]
    signers: list[SignerView]
    fields: list[FieldView]
    trail: list[TrailEntry]


class SigningInfo(DocumentRow, total=False):
    """What a signer sees of the document, without its lists (SigningState.doc)."""
    message: str
    my_signer: str
    my_name: str
    can_sign: bool
    reason: str
    consent_text: str
    consent_version: str
    download: str
    estimate_total: str
    invoice_number: str   # the accepted estimate's invoice, once the client may see it
    invoice_href: str


class SigningView(SigningInfo):
    pages: list[PageImage]
    signers: list[SignerView]
    fields: list[FieldView]


def _when(value) -> str:
    return value.strftime("%d %b %Y, %H:%M UTC") if value else ""


def _row(doc: Document | AnyRow, contact_name: str) -> DocumentRow:
    return {"id": doc.public_id, "title": doc.title, "kind": KIND_LABELS.get(doc.kind, doc.kind),
            "status": doc.status, "status_label": status_label("document", doc.status), "contact": contact_name,
            "sent": _when(doc.sent_at), "updated": _when(doc.updated_at), "completed": _when(doc.completed_at)}


def staff_documents(db: Session, actor: Actor, *, status: str = "", page: int = 1) -> DocumentList:
    staff = require_manage_documents(actor)
    if status and status not in DOCUMENT_STATUSES:
        raise Invalid("Unknown status.")
    stmt = (select(Document, Contact.first_name, Contact.last_name, Contact.email)
            .join(Contact, col(Contact.id) == Document.contact_id).where(Document.workspace_id == staff.workspace_id))
    if status:
        stmt = stmt.where(Document.status == status)
    stmt = stmt.order_by(col(Document.updated_at).desc(), col(Document.id).desc())
    rows, total, page, pages = paginate(db, stmt, page)
    return {"rows": [_row(d, " ".join(p for p in (f, ln) if p) or e) for d, f, ln, e in rows],
            "total": total, "page": page, "pages": pages}


def client_documents(db: Session, actor: Actor, *, page: int = 1,
                     sections: Mapping[str, object] | None = None) -> DocumentList:
    """The client's documents, those awaiting their signature first, while the Documents
    section is on (`sections`: when the caller has them): one statement built once, the page
    with its total."""
    client = require_client(actor)
    require_client_documents(client, section_settings(db, client.workspace_id, sections))
    rows, total, page, pages = run_page(db, _client_documents(), int(page or 1), invoice_views.PER_PAGE,
                                        ws=client.workspace_id, contact=client.contact_id)
    return {"rows": [_row(d, "") for d in rows], "total": total, "page": page, "pages": pages}


@prebuilt
def _client_documents() -> Paged:
    client = bound_client()
    awaiting = sa.case((sa.and_(Document.open_clause(), col(DocumentSigner.status) == "pending"), 0), else_=1)
    d = Document
    return paged(sa.select(col(d.public_id), col(d.title), col(d.kind), col(d.status), col(d.sent_at),
                           col(d.updated_at), col(d.completed_at))
                 .join(DocumentSigner, sa.and_(col(DocumentSigner.document_id) == Document.id,
                                               own_signer_clause(DocumentSigner, client)))
                 .where(col(d.workspace_id) == client.workspace_id, col(d.contact_id) == client.contact_id,
                        Document.issued_clause())
                 .order_by(awaiting, col(d.updated_at).desc(), col(d.id).desc()))


def _pages(doc: Document) -> list[PageImage]:
    version = "sealed" if doc.status == "completed" else "original"  # a new URL once the sealed pages show
    return [{"url": f"/api/documents/{doc.public_id}/pages/{i + 1}?v={version}", "width": p["width"],
             "height": p["height"]}
            for i, p in enumerate(json.loads(doc.pages_json or "[]"))]


def _signers(signers: list[DocumentSigner]) -> list[SignerView]:
    turn = current_signer(signers)
    return [{"id": s.public_id, "name": s.name, "email": s.email, "role": s.role, "status": s.status,
             "color": SIGNER_COLORS[i % len(SIGNER_COLORS)], "viewed": _when(s.viewed_at), "signed": _when(s.signed_at),
             "turn": bool(turn is not None and turn.id == s.id and s.status == "pending")}
            for i, s in enumerate(signers)]


def _fields(fields, by_id: dict[int, DocumentSigner], *, with_values: bool) -> list[FieldView]:
    out: list[FieldView] = []
    for f in fields:
        signer = by_id.get(f.signer_id)
        value = f.value if with_values else ""
        if value.startswith("png:"):
            value = "Signed"  # the drawing itself shows on the sealed pages once everyone has signed
        elif value.startswith("typed:"):
            value = value[6:]
        out.append({"id": f.public_id, "page": f.page, "x": f.x, "y": f.y, "w": f.w, "h": f.h, "kind": f.kind,
                    "signer": signer.public_id if signer else "", "signer_name": signer.name if signer else "",
                    "label": f.label, "hint": f.hint, "shown_label": f.shown_label, "required": f.required,
                    "value": value})
    return out


def _trail_text(action: str, d: dict) -> str:
    """One audit event as a sentence for the trail."""
    pages = d.get("pages")
    ip = f", IP {d['ip']}" if d.get("ip") else ""
    return {
        "document.created": f"Uploaded ({pages} page{'s' if pages != 1 else ''})",
        "document.sent": f"Sent to {d.get('to', '')}" + (f", expires {d['expires'][:10]}" if d.get("expires") else ""),
        "document.viewed": f"Viewed by {d.get('signer', '')}",
        "document.signed": f"Signed by {d.get('signer', '')} ({d.get('kind', '')} signature{ip})",
        "document.reminded": f"Reminder sent to {d.get('to', '')}",
        "document.declined": f"Declined by {d.get('signer', '')}: {d.get('reason', '')}",
        "document.voided": "Voided" + (f": {d['reason']}" if d.get("reason") else ""),
        "document.expired": "Expired unsigned",
        "document.completed": f"Sealed and completed ({pages} pages with the certificate)",
        "document.seal_retried": "Sealing retried",
    }.get(action, action.replace("document.", "").replace("_", " "))


def _invoice_link(db: Session, actor: Actor, doc: Document) -> dict[str, str]:
    """The invoice an accepted estimate became: staff's page for staff; for a client, their
    own page once it is sent to them (a draft is the business's)."""
    inv = db.get(Invoice, doc.invoice_id) if doc.invoice_id is not None else None
    if inv is None or inv.workspace_id != doc.workspace_id:
        return {"invoice_number": "", "invoice_href": ""}
    if is_staff(actor):
        return {"invoice_number": inv.number, "invoice_href": f"/staff/invoices/{inv.public_id}"}
    if is_client(actor) and client_may_see_invoice(actor, inv):
        return {"invoice_number": inv.number, "invoice_href": f"/invoices/{inv.public_id}"}
    return {"invoice_number": "", "invoice_href": ""}


def document_detail(db: Session, actor: Actor, public_id: str) -> DocumentDetail:
    """One document for staff: everything, including the audit trail."""
    staff = require_manage_documents(actor)
    doc = get_document(db, staff.workspace_id, public_id)
    if expire_if_due(db, doc):
        db.flush()
    signers = signers_of(db, doc)
    by_id = {s.id: s for s in signers}
    contact = db.get(Contact, doc.contact_id)
    trail: list[TrailEntry] = [{"at": _when(e.at), "actor": e.actor, "action": _trail_text(e.action, e.detail)}
             for e in audit.events_for(db, doc.workspace_id, "document", doc.public_id, limit=100)]
    mine = next((s for s in signers if is_own_signer(staff, s)), None)
    turn = current_signer(signers)
    return {
        **_row(doc, contact.display_name if contact else ""), "message": doc.message, "file_name": doc.file_name,
        "pages": _pages(doc), "page_count": doc.page_count, "signers": _signers(signers),
        "fields": [] if doc.status == "completed" else _fields(fields_of(db, doc), by_id, with_values=True),
        "trail": trail,
        "decline_reason": doc.decline_reason, "expires": doc.expires_at.strftime("%d %b %Y") if doc.expires_at else "",
        "original_sha256": doc.original_sha256, "completed_sha256": doc.completed_sha256,
        "estimate_total": format_amount(doc.estimate_total_minor, doc.currency) if doc.kind == "estimate" else "",
        "my_turn": bool(mine is not None and turn is not None and turn.id == mine.id and doc.is_open),
        "seal_error": doc.seal_error, **_invoice_link(db, staff, doc),  # type: ignore[typeddict-item]
    }


def signing_view(db: Session, actor: Actor, public_id: str) -> SigningView:
    """What a signer sees: the pages, every field (theirs editable), whether they may sign
    now, and if not, why."""
    doc, signers, mine = signer_for(db, actor, public_id)
    if expire_if_due(db, doc):
        db.flush()
    by_id = {s.id: s for s in signers}
    turn = current_signer(signers)
    reason = ""
    if not doc.is_open:
        reason = CLOSED.get(doc.status, "This document cannot be signed.")
    elif mine is None:
        reason = "You are not a signer of this document."
    elif mine.status == "signed":
        reason = "You have signed this document. You will get an email when everyone has signed."
    elif turn is not None and turn.id != mine.id:
        reason = f"{turn.name} signs first. We will email you when it is your turn."
    fields = [] if doc.status == "completed" else _fields(fields_of(db, doc), by_id, with_values=doc.status != "draft")
    return {
        **_row(doc, ""), "message": doc.message, "pages": _pages(doc), "signers": _signers(signers),
        "fields": fields, "my_signer": mine.public_id if mine else "", "my_name": mine.name if mine else "",
        "can_sign": reason == "", "reason": reason, "consent_text": CONSENT_TEXT, "consent_version": CONSENT_VERSION,
        "download": f"/api/documents/{doc.public_id}/completed" if doc.status == "completed" else "",
        "estimate_total": format_amount(doc.estimate_total_minor, doc.currency) if doc.kind == "estimate" else "",
        **_invoice_link(db, actor, doc),  # type: ignore[typeddict-item]
    }


# --- files: page images and downloads (the api/ routes call these) -------------------------

def _readable(db: Session, actor: Actor, public_id: str):
    """Staff of the workspace, or the document's client signer (never a draft)."""
    if is_staff(actor):
        staff = require_manage_documents(actor)
        return get_document(db, staff.workspace_id, public_id), True
    doc, _signers, _mine = signer_for(db, actor, public_id)
    return doc, False


def page_image(db: Session, actor: Actor, public_id: str, page: int) -> bytes:
    """A PNG of one page (1-based), rendered once in a limited child process and kept."""
    from portal_app.adapters import pdf_guard
    from portal_app.adapters.storage import get_storage

    doc, _staff = _readable(db, actor, public_id)
    if not 1 <= page <= doc.page_count:
        raise Invalid("This page does not exist.")
    storage = get_storage()
    # once sealed, the pages shown are the sealed ones: what was signed, as it was stamped
    source = doc.completed_key if doc.status == "completed" and doc.completed_key else doc.original_key
    key = f"{source}.page-{page}.png"
    if storage.exists(key):
        return storage.get(key)
    try:
        png = pdf_guard.render_page(storage.get(source), page - 1, width_px=PREVIEW_WIDTH)
    except pdf_guard.PdfRejected as exc:
        raise Invalid(exc.message) from None
    storage.put(key, png, "image/png")
    return png


PREVIEW_WIDTH = 1100


def document_file(db: Session, actor: Actor, public_id: str, which: str) -> tuple[bytes, str]:
    """(bytes, download name): the original (staff), or the completed PDF (staff, or the
    client once everyone has signed)."""
    from portal_app.adapters.storage import get_storage

    doc, is_staff = _readable(db, actor, public_id)
    stem = doc.file_name[:-4] if doc.file_name.lower().endswith(".pdf") else doc.file_name
    if which == "original" and is_staff:
        return get_storage().get(doc.original_key), f"{stem}.pdf"
    if which == "completed" and doc.status == "completed" and doc.completed_key:
        return get_storage().get(doc.completed_key), f"{stem} (signed).pdf"
    raise Invalid("This file is not available.")

"""Documents & Contracts, staff side: upload a PDF for signature, choose its signers and
place their fields, send it, remind, void. One use case per function, each taking the
actor first; every query is scoped to the actor's workspace.

Events (sent, viewed, signed, declined, completed, expired, voided) go to the audit log
and the outbox in the same transaction; "document.completed" is what later automations
follow.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session, col, select

from portal_app import limits
from portal_app.access import Actor, require_manage_documents
from portal_app.adapters import pdf_guard
from portal_app.adapters.storage import get_storage
from portal_app.db import begin_write
from portal_app.errors import Invalid, NotFound
from portal_app.models import (
    DOCUMENT_KINDS,
    FIELD_HINT_MAX,
    FIELD_KIND_NAMES,
    FIELD_KINDS,
    FIELD_LABEL_MAX,
    Contact,
    Document,
    DocumentField,
    DocumentSigner,
    StaffUser,
    Workspace,
    utcnow,
)
from portal_app.services import audit, emails, events
from portal_app.services.billing.invoices import parse_lines
from portal_app.services.billing.money import CURRENCIES, compute, parse_amount
from portal_app.services.validation import clean_text
from portal_app.settings import get_settings

MAX_FIELDS = 300
MIN_SIZE = 0.01
KIND_LABELS = {"contract": "Contract", "proposal": "Proposal", "estimate": "Estimate"}
REMIND_EVERY = timedelta(hours=1)


def get_document(db: Session, workspace_id: int, public_id: str, *, lock: bool = False) -> Document:
    q = select(Document).where(Document.workspace_id == workspace_id, Document.public_id == str(public_id or "")[:40])
    if lock:  # one change at a time per document: FOR UPDATE on PostgreSQL, the writer lock on SQLite
        begin_write(db)
        q = q.execution_options(populate_existing=True)  # re-read, never a copy loaded earlier
        if db.get_bind().dialect.name == "postgresql":
            q = q.with_for_update()
    doc = db.exec(q).first()
    if doc is None:
        raise NotFound("This document does not exist.")
    return doc


def signers_of(db: Session, doc: Document) -> list[DocumentSigner]:
    return list(db.exec(select(DocumentSigner).where(DocumentSigner.document_id == doc.id)
                        .order_by(col(DocumentSigner.position))).all())


def fields_of(db: Session, doc: Document) -> list[DocumentField]:
    return list(db.exec(select(DocumentField).where(DocumentField.document_id == doc.id)
                        .order_by(col(DocumentField.page), col(DocumentField.y), col(DocumentField.x),
                                  col(DocumentField.id))).all())


def _estimate_lines(raw: Sequence[Mapping[str, object]] | None, currency: str) -> tuple[str, int]:
    """Estimate lines as invoice lines are written (checked by the same rules), and their
    exact total; blank lines are skipped."""
    lines = []
    for i, ln in enumerate(raw or [], 1):
        if not isinstance(ln, dict) or not (str(ln.get("description", "")).strip()
                                            or str(ln.get("unit_price", "")).strip()):
            continue
        lines.append({"description": ln.get("description", ""), "quantity": str(ln.get("quantity") or "1").strip(),
                      "unit_minor": parse_amount(ln.get("unit_price", ""), currency, f"Line {i} price", "estimate"),
                      "tax_rate": str(ln.get("tax_rate") or "0").strip()})
    if not lines:
        return "[]", 0
    try:
        parsed = parse_lines(lines)
    except Invalid as exc:
        raise Invalid(exc.message, "estimate") from None
    return json.dumps(lines), compute([line for _desc, line in parsed]).total


def upload_document(db: Session, actor: Actor, *, data: bytes, file_name: str, kind: str, title: str,
                    contact_public_id: str, message: str = "", countersign: bool = False,
                    estimate_lines: Sequence[Mapping[str, object]] | None = None, currency: str = "USD") -> Document:
    """Check the PDF (in a limited child process), store it under a generated key, and
    make a draft with its signers: the client first, then (optionally) the uploader."""
    staff = require_manage_documents(actor)
    if kind not in DOCUMENT_KINDS:
        raise Invalid("Choose contract, proposal or estimate.", "kind")
    title = clean_text(title, "title", "Title", limits.DOCUMENT_TITLE, required=True)
    message = clean_text(message, "message", "Message", limits.DOCUMENT_MESSAGE, multiline=True)
    contact = db.exec(select(Contact).where(Contact.workspace_id == staff.workspace_id,
                                            Contact.public_id == str(contact_public_id or "")[:40])).first()
    if contact is None:
        raise Invalid("Choose the client who signs.", "contact")
    if not contact.email:
        raise Invalid("This contact has no email address; add one first.", "contact")
    currency = str(currency or "USD").upper()
    if currency not in CURRENCIES:
        raise Invalid("Choose a currency from the list.", "currency")
    lines_json, total = _estimate_lines(estimate_lines if kind == "estimate" else [], currency)
    settings = get_settings()
    try:
        info = pdf_guard.inspect_pdf(data, max_bytes=settings.document_max_bytes,
                                     max_pages=settings.document_max_pages)
    except pdf_guard.PdfRejected as exc:
        raise Invalid(exc.message, "file") from None
    ws = db.get_one(Workspace, staff.workspace_id)
    key = f"{ws.public_id}/documents/{secrets.token_urlsafe(18)}.pdf"
    get_storage().put(key, data, "application/pdf")
    doc = Document(workspace_id=staff.workspace_id, contact_id=contact.id, kind=kind, title=title, message=message,
                   file_name=clean_text(file_name, "file", "File name", limits.DOCUMENT_FILE_NAME) or "document.pdf",
                   original_key=key,
                   original_sha256=hashlib.sha256(data).hexdigest(), original_size=len(data),
                   page_count=len(info.pages), pages_json=json.dumps([
                       {"width": p.width, "height": p.height, "rotation": p.rotation} for p in info.pages]),
                   currency=currency, estimate_lines_json=lines_json, estimate_total_minor=total,
                   created_by_user_id=staff.user_id)
    db.add(doc)
    db.flush()
    db.add(DocumentSigner(workspace_id=doc.workspace_id, document_id=doc.id, role="client", contact_id=contact.id,
                          name=contact.display_name, email=contact.email, position=1))
    if countersign:
        user = db.get_one(StaffUser, staff.user_id)
        db.add(DocumentSigner(workspace_id=doc.workspace_id, document_id=doc.id, role="staff", user_id=user.id,
                              name=user.name, email=user.email, position=2))
    db.flush()
    audit.record(db, staff.workspace_id, staff, "document.created", "document", doc.public_id,
                 {"title": title, "kind": kind, "pages": doc.page_count, "sha256": doc.original_sha256})
    return doc


def _fraction(value: object, label: str) -> float:
    try:
        if not isinstance(value, (str, int, float)):  # None, a list, …: what float() refuses too
            raise TypeError(value)
        number = float(value)
    except (TypeError, ValueError):
        raise Invalid(f"A field's {label} must be a number.", "fields") from None
    if number != number or not 0.0 <= number <= 1.0:  # NaN, or off the page
        raise Invalid("A field must lie on its page.", "fields")
    return number


def _label_and_hint(f: dict, kind: str, page: int) -> tuple[str, str]:
    """A field's name for the signer and its help text, each one line and bounded; the
    messages say which field (a document may have many)."""
    where = f"the {FIELD_KIND_NAMES[kind].lower()} field on page {page + 1}"
    label = clean_text(f.get("label", ""), "fields", f"The label of {where}", FIELD_LABEL_MAX)
    hint = clean_text(f.get("hint", ""), "fields", f"The hint of {where}", FIELD_HINT_MAX)
    return label, hint


def save_fields(db: Session, actor: Actor, public_id: str, fields: list[dict]) -> list[DocumentField]:
    """Replace a draft's fields with `fields` (what the editor shows)."""
    staff = require_manage_documents(actor)
    doc = get_document(db, staff.workspace_id, public_id, lock=True)
    if doc.status != "draft":
        raise Invalid("Fields can only be changed while the document is a draft.")
    if not isinstance(fields, list) or len(fields) > MAX_FIELDS:
        raise Invalid(f"A document can have at most {MAX_FIELDS} fields.", "fields")
    signers = {s.public_id: s for s in signers_of(db, doc)}
    rows = []
    for f in fields:
        if not isinstance(f, dict):
            raise Invalid("A field could not be read.", "fields")
        kind, signer = str(f.get("kind", "")), signers.get(str(f.get("signer", "")))
        if kind not in FIELD_KINDS:
            raise Invalid("Unknown field type.", "fields")
        if signer is None:
            raise Invalid("Each field must belong to one of this document's signers.", "fields")
        try:
            page = int(f.get("page", -1))
        except (TypeError, ValueError):
            page = -1
        if not 0 <= page < doc.page_count:
            raise Invalid("A field is on a page this document does not have.", "fields")
        x, y, w, h = (_fraction(f.get(k), k) for k in ("x", "y", "w", "h"))
        if w < MIN_SIZE or h < MIN_SIZE or x + w > 1.0001 or y + h > 1.0001:
            raise Invalid("A field must lie on its page.", "fields")
        label, hint = _label_and_hint(f, kind, page)
        rows.append(DocumentField(document_id=doc.id, signer_id=signer.id, kind=kind, page=page, x=x, y=y, w=w, h=h,
                                  required=bool(f.get("required", True)), label=label, hint=hint))
    for old in fields_of(db, doc):
        db.delete(old)
    db.flush()
    for row in rows:
        db.add(row)
    doc.updated_at = utcnow()
    db.add(doc)
    db.flush()
    return rows


def _link(ws: Workspace, doc: Document, role: str) -> str:
    return f"{ws.base_url}/documents/{doc.public_id}" if role == "client" else \
        f"{ws.base_url}/staff/documents/{doc.public_id}/sign"


def email_signer(db: Session, ws: Workspace, doc: Document, signer: DocumentSigner, *, reminder: bool) -> None:
    kind = KIND_LABELS.get(doc.kind, "Document").lower()
    subject = (f"Reminder: {doc.title} is waiting for your signature" if reminder
               else f"{ws.name} sent you a {kind} to sign: {doc.title}")
    paragraphs = [f"Hello {signer.name},",
                  f"{ws.name} asks you to review and sign “{doc.title}”."]
    if doc.message:
        paragraphs.append(doc.message)
    if doc.expires_at:
        paragraphs.append(f"Please sign before {doc.expires_at.strftime('%d %b %Y')}.")
    emails.queue_branded_email(db, ws, to=signer.email, subject=subject, heading=f"Please sign: {doc.title}",
                               paragraphs=paragraphs, button_label="Review and sign",
                               button_url=_link(ws, doc, signer.role),
                               footer=f"You received this because {ws.name} works with you.",
                               for_client=signer.role == "client")


def current_signer(signers: list[DocumentSigner]) -> DocumentSigner | None:
    """Whose turn it is: the first one (in order) who has not signed."""
    return next((s for s in signers if s.status != "signed"), None)


def send_document(db: Session, actor: Actor, public_id: str, *, expires_on: date | None = None) -> Document:
    staff = require_manage_documents(actor)
    doc = get_document(db, staff.workspace_id, public_id, lock=True)
    if doc.status != "draft":
        raise Invalid("This document was already sent.")
    signers, fields = signers_of(db, doc), fields_of(db, doc)
    for signer in signers:
        mine = [f for f in fields if f.signer_id == signer.id]
        if not any(f.kind == "signature" for f in mine):
            raise Invalid(f"Place a signature field for {signer.name} first.", "fields")
    if expires_on is not None:
        if expires_on <= utcnow().date():
            raise Invalid("The expiry date must be in the future.", "expires_on")
        doc.expires_at = datetime.combine(expires_on, time(23, 59, 59), tzinfo=UTC)
    doc.status, doc.sent_at, doc.updated_at = "sent", utcnow(), utcnow()
    db.add(doc)
    ws = db.get_one(Workspace, staff.workspace_id)
    email_signer(db, ws, doc, signers[0], reminder=False)
    audit.record(db, staff.workspace_id, staff, "document.sent", "document", doc.public_id,
                 {"title": doc.title, "to": signers[0].email,
                  "expires": doc.expires_at.isoformat() if doc.expires_at else ""})
    events.raise_event(db, events.DocumentSent(workspace_id=staff.workspace_id, document=doc.public_id))
    return doc


def remind(db: Session, actor: Actor, public_id: str) -> DocumentSigner:
    staff = require_manage_documents(actor)
    doc = get_document(db, staff.workspace_id, public_id, lock=True)
    expire_if_due(db, doc)
    if not doc.is_open:
        raise Invalid("Only a document waiting for signatures can be reminded.")
    if doc.last_reminded_at and utcnow() - doc.last_reminded_at < REMIND_EVERY:
        raise Invalid("A reminder was sent less than an hour ago.")
    signer = current_signer(signers_of(db, doc))
    if signer is None or signer.role != "client":
        raise Invalid("The client has signed; it is your turn to countersign.")
    doc.last_reminded_at = utcnow()
    db.add(doc)
    email_signer(db, db.get_one(Workspace, doc.workspace_id), doc, signer, reminder=True)
    audit.record(db, staff.workspace_id, staff, "document.reminded", "document", doc.public_id, {"to": signer.email})
    return signer


def void_document(db: Session, actor: Actor, public_id: str, reason: str = "") -> Document:
    staff = require_manage_documents(actor)
    reason = clean_text(reason, "reason", "Reason", limits.VOID_REASON)  # before anything changes
    doc = get_document(db, staff.workspace_id, public_id, lock=True)
    if not doc.is_voidable:
        raise Invalid("Only a draft or a document waiting for signatures can be voided.")
    doc.status, doc.voided_at, doc.updated_at = "voided", utcnow(), utcnow()
    db.add(doc)
    audit.record(db, staff.workspace_id, staff, "document.voided", "document", doc.public_id, {"reason": reason})
    events.raise_event(db, events.DocumentVoided(workspace_id=staff.workspace_id, document=doc.public_id))
    return doc


def expire_if_due(db: Session, doc: Document) -> bool:
    """An open document past its expiry date becomes expired (on any touch, and by the worker)."""
    if doc.is_open and doc.expires_at and doc.expires_at < utcnow():
        doc.status, doc.updated_at = "expired", utcnow()
        db.add(doc)
        audit.record(db, doc.workspace_id, None, "document.expired", "document", doc.public_id, {})
        events.raise_event(db, events.DocumentExpired(workspace_id=doc.workspace_id, document=doc.public_id))
        return True
    return False


def expire_due(db: Session) -> int:
    """The worker's sweep: every open document past its expiry date."""
    due = db.exec(select(Document).where(Document.open_clause(), col(Document.expires_at).is_not(None),
                                         col(Document.expires_at) < utcnow()).limit(200)).all()
    return sum(expire_if_due(db, doc) for doc in due)

"""Completing and sealing documents, and the workspace's sealing certificate.

`complete(db, document_public_id)` is the worker job that follows the last signature:
it stamps the fields and signatures onto the original, flattens it, appends the
certificate pages and applies one PAdES signature with the workspace's certificate
(adapters/pdf_complete.py), stores the result and only then marks the document completed.
A failure raises (the outbox retries the job) and the document stays "sealing".
"""

from __future__ import annotations

import base64
import json
import logging
from datetime import timedelta
from typing import TypedDict

from cryptography.hazmat.primitives.serialization import Encoding
from sqlmodel import Session, col, select

from portal_app import limits
from portal_app.access import Actor, Staff, require_configure_sealing, require_manage_documents, roles_at_least
from portal_app.adapters import pdf_complete
from portal_app.adapters import sealing as seal_adapter
from portal_app.adapters.pdf_records import CertificateInfo, EventInfo, FieldValue, SignerInfo
from portal_app.adapters.storage import get_storage
from portal_app.errors import Invalid
from portal_app.models import (
    Contact,
    Document,
    OutboxMessage,
    SealingIdentity,
    StaffUser,
    Workspace,
    WorkspacePayments,
    utcnow,
)
from portal_app.services import audit, emails, events, outbox
from portal_app.services.documents.documents import fields_of, get_document, signers_of
from portal_app.services.documents.signing import CONSENT_TEXT
from portal_app.services.secret_box import seal, unseal
from portal_app.services.validation import check_length

log = logging.getLogger("portal.sealing")
DEFAULT_TERMS_DAYS = 14  # WorkspacePayments.default_terms_days before a workspace saves its own
EVENT_LABELS = {"document.created": "Uploaded", "document.sent": "Sent for signature", "document.viewed": "Viewed",
                "document.signed": "Signed", "document.reminded": "Reminder sent", "document.declined": "Declined"}


def _store(db: Session, workspace_id: int, identity: seal_adapter.SealingIdentity, source: str) -> SealingIdentity:
    for old in db.exec(select(SealingIdentity).where(SealingIdentity.workspace_id == workspace_id,
                                                     col(SealingIdentity.active).is_(True))).all():
        old.active = False  # kept: documents sealed with it still verify
        db.add(old)
    row = SealingIdentity(workspace_id=workspace_id, source=source,
                          pkcs12_sealed=seal(base64.b64encode(identity.pkcs12).decode("ascii")),
                          passphrase_sealed=seal(identity.password),
                          certificate_pem=identity.certificate.public_bytes(Encoding.PEM).decode("ascii"),
                          fingerprint=identity.fingerprint, subject=identity.subject, not_after=identity.not_after)
    db.add(row)
    db.flush()
    return row


def ensure_identity(db: Session, ws: Workspace) -> SealingIdentity:
    """The workspace's active certificate, made (self-signed) on first need."""
    row = db.exec(select(SealingIdentity).where(SealingIdentity.workspace_id == ws.id,
                                                col(SealingIdentity.active).is_(True))).first()
    if row is not None:
        return row
    identity = seal_adapter.new_sealing_identity(f"{ws.name} document sealing", ws.name)
    row = _store(db, ws.id, identity, "generated")
    audit.record(db, ws.id, None, "sealing.certificate_created", "workspace", ws.public_id,
                 {"fingerprint": row.fingerprint})
    return row


PKCS12_MAX_BYTES = 200_000  # a PKCS#12 with its chain is a few KB


def _identity(row: SealingIdentity) -> seal_adapter.SealingIdentity:
    return seal_adapter.SealingIdentity(pkcs12=base64.b64decode(unseal(row.pkcs12_sealed)),
                                        password=unseal(row.passphrase_sealed))


def upload_pkcs12(db: Session, actor: Actor, data: bytes, password: str) -> SealingIdentity:
    """Staff replace the generated certificate with their own (PKCS#12 with its key)."""
    staff = require_configure_sealing(actor)
    if not data or len(data) > PKCS12_MAX_BYTES:
        raise Invalid("Choose a PKCS#12 file (.p12 or .pfx) under 200 KB.", "file")
    check_length("Password of the file", password or "", limits.CERTIFICATE_PASSWORD, "password")
    try:
        identity = seal_adapter.load_pkcs12(data, password or "")
    except seal_adapter.SealingIdentityError as exc:
        raise Invalid(exc.message, "file") from None
    row = _store(db, staff.workspace_id, identity, "uploaded")
    audit.record(db, staff.workspace_id, staff, "sealing.certificate_uploaded", "workspace",
                 str(staff.workspace_id), {"fingerprint": row.fingerprint, "subject": row.subject})
    return row


def trusted_fingerprints(db: Session) -> set[str]:
    """Every certificate this deployment ever sealed with (a document sealed before a
    certificate change still proves itself)."""
    return set(db.exec(select(SealingIdentity.fingerprint)).all())


def _field_value(field) -> str | bool | bytes:
    if field.kind in ("signature", "initials"):
        if field.value.startswith("png:"):
            return get_storage().get(field.value[4:])
        return field.value[6:] if field.value.startswith("typed:") else field.value
    if field.kind == "checkbox":
        return field.value == "true"
    return field.value


def _certificate(db: Session, doc: Document, ws: Workspace, signers, fields) -> CertificateInfo:
    events = []
    for ev in reversed(audit.events_for(db, doc.workspace_id, "document", doc.public_id, limit=200)):
        if ev.action in EVENT_LABELS:
            # by whom, as the staff trail says: the signer for their own steps, else who did it
            # (staff send and remind; "to" is the recipient, named in the event itself)
            who = ev.detail.get("signer") or ev.actor
            action = EVENT_LABELS[ev.action] + (f" to {ev.detail['to']}" if ev.detail.get("to") else "")
            events.append(EventInfo(at=ev.at, action=action, actor=str(who), ip=str(ev.detail.get("ip", ""))))
    info = [SignerInfo(name=s.name, email=s.email, role="Client" if s.role == "client" else "Countersigner",
                       ip=s.ip, user_agent=s.user_agent, consent_text=CONSENT_TEXT, consent_version=s.consent_version,
                       sent_at=doc.sent_at, viewed_at=s.viewed_at, signed_at=s.signed_at) for s in signers]
    return CertificateInfo(title=doc.title, document_id=doc.public_id, original_sha256=doc.original_sha256,
                           signers=info, events=events, workspace_name=ws.name)


def complete(db: Session, document_public_id: str) -> Document | None:
    """The worker job. Idempotent: a completed document is left alone."""
    doc = db.exec(select(Document).where(Document.public_id == str(document_public_id))).first()
    if doc is None or doc.status != "sealing":
        return doc
    ws = db.get_one(Workspace, doc.workspace_id)
    signers, fields = signers_of(db, doc), fields_of(db, doc)
    email_of = {s.id: s.email for s in signers}
    values = [FieldValue(page=f.page, x=f.x, y=f.y, w=f.w, h=f.h, kind=f.kind, value=_field_value(f),
                         signer_email=email_of.get(f.signer_id, "")) for f in fields if f.value]
    identity = _identity(ensure_identity(db, ws))
    original = get_storage().get(doc.original_key)
    try:
        done = pdf_complete.complete_document(original, values, _certificate(db, doc, ws, signers, fields), identity)
    except Exception as exc:
        doc.seal_error = str(getattr(exc, "message", "") or type(exc).__name__)[:500]
        db.add(doc)
        db.commit()
        raise
    # a second job for the same document (staff retried while this one ran) finds it completed
    doc = get_document(db, doc.workspace_id, doc.public_id, lock=True)
    if doc.status != "sealing":
        return doc
    key = doc.original_key.replace("/documents/", "/documents/completed-")
    get_storage().put(key, done.data, "application/pdf")
    doc.status, doc.completed_key, doc.completed_sha256 = "completed", key, done.sha256
    doc.completed_at, doc.updated_at, doc.seal_error = utcnow(), utcnow(), ""
    db.add(doc)
    audit.record(db, doc.workspace_id, None, "document.completed", "document", doc.public_id,
                 {"sha256": done.sha256, "pages": done.pages})
    events.raise_event(db, events.DocumentCompleted(workspace_id=doc.workspace_id, document=doc.public_id,
                                                    document_kind=doc.kind))
    for s in signers:
        link = (f"{ws.base_url}/documents/{doc.public_id}" if s.role == "client"
                else f"{ws.base_url}/staff/documents/{doc.public_id}")
        emails.queue_branded_email(db, ws, to=s.email, subject=f"Signed by everyone: {doc.title}",
                                   heading=f"“{doc.title}” is signed", paragraphs=[
                                       f"Hello {s.name},", "Everyone has signed. The sealed PDF is ready to download."],
                                   button_label="Download the signed copy", button_url=link,
                                   footer=f"Sent by the {ws.name} client portal.", for_client=s.role == "client")
    if doc.kind == "estimate":
        _invoice_from_estimate(db, doc)
    return doc


def retry_sealing(db: Session, actor: Actor, public_id: str) -> Document:
    """Staff's "Retry sealing now": a fresh job for a document stuck in "sealing" (the
    worker gives up on a job after its last attempt; the cause, e.g. a certificate, may be
    fixed since). Pending jobs for it are superseded, so one job runs, now."""
    staff = require_manage_documents(actor)
    doc = get_document(db, staff.workspace_id, public_id, lock=True)
    if doc.status != "sealing":
        raise Invalid("Only a document waiting to be sealed can be retried.")
    pending = db.exec(select(OutboxMessage).where(OutboxMessage.workspace_id == doc.workspace_id,
                                                  OutboxMessage.kind == "document.seal",
                                                  col(OutboxMessage.done_at).is_(None))).all()
    for msg in pending:
        if json.loads(msg.payload).get("document") == doc.public_id:
            msg.done_at, msg.last_error = utcnow(), (msg.last_error + " (superseded by a retry)")[-500:]
            db.add(msg)
    doc.seal_error = ""  # until this job says otherwise
    db.add(doc)
    outbox.enqueue(db, doc.workspace_id, "document.seal", {"document": doc.public_id})
    audit.record(db, doc.workspace_id, staff, "document.seal_retried", "document", doc.public_id, {})
    return doc


def _invoice_from_estimate(db: Session, doc: Document) -> None:
    """An accepted estimate becomes an invoice from its lines (draft, or sent if the
    workspace says so), made as the document's sender."""
    from portal_app.services.billing import invoices

    lines = json.loads(doc.estimate_lines_json or "[]")
    if not lines or doc.invoice_id is not None:
        return
    user = db.get(StaffUser, doc.created_by_user_id) if doc.created_by_user_id else None
    if user is None or user.disabled:
        user = db.exec(select(StaffUser).where(StaffUser.workspace_id == doc.workspace_id,
                                               col(StaffUser.role).in_(roles_at_least("owner")),
                                               col(StaffUser.disabled).is_(False))).first()
    if user is None:
        return
    sender = Staff(workspace_id=doc.workspace_id, user_id=user.id, role=user.role, email=user.email, name=user.name)
    contact = db.get_one(Contact, doc.contact_id)
    settings = db.get(WorkspacePayments, doc.workspace_id)
    issue = utcnow().date()
    due = issue + timedelta(days=settings.default_terms_days if settings is not None else DEFAULT_TERMS_DAYS)
    inv = invoices.create_invoice(db, sender, contact_public_id=contact.public_id, lines=lines, currency=doc.currency,
                                  issue_date=issue, due_date=due, notes=f"From the accepted estimate “{doc.title}”.")
    doc.invoice_id = inv.id
    db.add(doc)
    if settings is not None and settings.estimate_invoice == "sent":
        invoices.send_invoice(db, sender, inv.public_id)


class CertificateView(TypedDict, total=False):  # not total: the page's var is {} until loaded
    subject: str
    fingerprint: str
    valid_until: str
    source: str
    older: str          # how many replaced certificates, as text


def certificate_view(db: Session, actor: Actor) -> CertificateView:
    """Settings › Document sealing: the active certificate (made now if there is none)."""
    staff = require_configure_sealing(actor)
    row = ensure_identity(db, db.get_one(Workspace, staff.workspace_id))
    older = len(db.exec(select(SealingIdentity.id).where(SealingIdentity.workspace_id == staff.workspace_id,
                                                         col(SealingIdentity.active).is_(False))).all())
    return {"subject": row.subject, "fingerprint": seal_adapter.display_fingerprint(row.fingerprint),
            "valid_until": row.not_after.strftime("%d %b %Y") if row.not_after else "",
            "source": "Uploaded by your team" if row.source == "uploaded" else "Generated by the portal (self-signed)",
            "older": str(older)}

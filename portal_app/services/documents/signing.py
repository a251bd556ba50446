"""Signing a document: the signer opens it (viewed), agrees to sign electronically (the
consent text is versioned and recorded), fills their own fields and signs by drawing or
typing; or declines with a reason.

Safe under concurrency: the document row is locked (PostgreSQL; SQLite has one writer)
and re-read before anything is checked, so a double submit signs once and a signature
after void, expiry or completion is refused. A signer acts only on their own fields and
only in turn. When the last signer signs, the document becomes "sealing" and a worker job
completes it (services/documents/sealing.py); it is never marked completed unsealed.
"""

from __future__ import annotations

import base64
import binascii
import io
import secrets

from PIL import Image, UnidentifiedImageError
from sqlmodel import Session

from portal_app import limits
from portal_app.access import Actor, is_client, is_own_signer, require_client_documents, require_signer, require_staff
from portal_app.adapters.storage import get_storage
from portal_app.errors import Invalid, NotFound
from portal_app.models import Document, DocumentSigner, StaffUser, Workspace, utcnow
from portal_app.services import audit, emails, events, outbox
from portal_app.services.documents.documents import (
    current_signer,
    email_signer,
    expire_if_due,
    fields_of,
    get_document,
    signers_of,
)
from portal_app.services.portal.portal_settings import portal_settings_for
from portal_app.services.validation import clean_text

CONSENT_VERSION = "2026-12"
CONSENT_TEXT = ("I agree to sign this document electronically. My electronic signature has the same effect as my "
                "handwritten signature, and I agree to receive this document and its records electronically.")
MAX_SIGNATURE_BYTES = 300_000
CLOSED = {"voided": "This document was voided by the sender; it can no longer be signed.",
          "expired": "This document expired before it was signed. Ask the sender for a new one.",
          "declined": "This document was declined; it can no longer be signed.",
          "sealing": "Everyone has signed this document. The signed copy is being prepared.",
          "completed": "Everyone has signed this document.",
          "draft": "This document does not exist."}


def _document(db: Session, actor: Actor, public_id: str, *, lock: bool = False) -> Document:
    if is_client(actor):
        require_client_documents(actor, portal_settings_for(db, actor.workspace_id))
        doc = get_document(db, actor.workspace_id, public_id, lock=lock)
        if not doc.is_issued:
            raise NotFound("This document does not exist.")
        return doc
    staff = require_staff(actor)
    return get_document(db, staff.workspace_id, public_id, lock=lock)


def my_signer(actor: Actor, doc: Document, signers: list[DocumentSigner]) -> DocumentSigner | None:
    return next((s for s in signers if is_own_signer(actor, s)), None)


def signer_for(db: Session, actor: Actor, public_id: str, *, lock: bool = False):
    """(document, signers, the actor's own signer row). A client who is not a signer of it
    gets "does not exist"."""
    doc = _document(db, actor, public_id, lock=lock)
    signers = signers_of(db, doc)
    mine = my_signer(actor, doc, signers)
    if mine is None and is_client(actor):
        raise NotFound("This document does not exist.")
    return doc, signers, mine


def mark_viewed(db: Session, actor: Actor, public_id: str, *, ip: str = "", user_agent: str = "") -> None:
    """The signer opened the document: the first time is remembered for the certificate."""
    doc, _signers, mine = signer_for(db, actor, public_id, lock=True)
    if mine is None or mine.viewed_at is not None or not doc.is_open:
        return
    mine.viewed_at, mine.ip, mine.user_agent = utcnow(), ip[:64], user_agent[:400]
    db.add(mine)
    if doc.status == "sent":
        doc.status, doc.first_viewed_at, doc.updated_at = "viewed", utcnow(), utcnow()
        db.add(doc)
    audit.record(db, doc.workspace_id, actor, "document.viewed", "document", doc.public_id, {"signer": mine.email})
    events.raise_event(db, events.DocumentViewed(workspace_id=doc.workspace_id, document=doc.public_id,
                                                 signer=mine.public_id))


def _check_open(db: Session, doc: Document) -> None:
    if expire_if_due(db, doc):
        raise Invalid(CLOSED["expired"])
    if not doc.is_open:
        raise Invalid(CLOSED.get(doc.status, "This document cannot be signed."))


def _drawn_png(data_url: object) -> bytes:
    text = str(data_url or "")
    if not text.startswith("data:image/png;base64,"):
        raise Invalid("Draw your signature, or type your name instead.", "signature")
    try:
        raw = base64.b64decode(text.split(",", 1)[1], validate=True)
    except (binascii.Error, ValueError):
        raise Invalid("Your drawing could not be read. Please draw it again.", "signature") from None
    if len(raw) > MAX_SIGNATURE_BYTES:
        raise Invalid("That drawing is too large. Please draw it again.", "signature")
    try:
        with Image.open(io.BytesIO(raw)) as img:
            if img.format != "PNG" or img.width > 2400 or img.height > 1200 or img.width < 8 or img.height < 4:
                raise Invalid("Your drawing could not be read. Please draw it again.", "signature")
            img.verify()
    except (UnidentifiedImageError, OSError, SyntaxError):
        raise Invalid("Your drawing could not be read. Please draw it again.", "signature") from None
    return raw


def _field_value(field, raw: object) -> str:
    if field.kind == "checkbox":
        return "true" if raw in (True, "true", "on", "1", 1) else ""
    return clean_text(raw, "fields", field.shown_label, limits.FIELD_VALUE)


def sign_document(db: Session, actor: Actor, public_id: str, *, consent: bool, values: dict | None,
                  signature: dict | None, ip: str = "", user_agent: str = "") -> Document:
    """Sign as the actor's own signer. `values` maps the signer's field ids to answers
    (text, checkbox); date fields take the signing date; signature and initials fields take
    `signature`: {"kind": "drawn", "png": data URL} or {"kind": "typed", "name": "…"}."""
    doc, signers, mine = signer_for(db, actor, public_id, lock=True)
    require_signer(actor, doc, mine)
    _check_open(db, doc)
    if mine.status == "signed":
        raise Invalid("You have already signed this document.")
    turn = current_signer(signers)
    if turn is None or turn.id != mine.id:
        raise Invalid(f"It is not your turn to sign yet: {turn.name if turn else 'someone'} signs first.")
    if consent is not True:
        raise Invalid("Please agree to sign electronically first.", "consent")
    values = values if isinstance(values, dict) else {}
    fields = fields_of(db, doc)
    mine_by_id = {f.public_id: f for f in fields if f.signer_id == mine.id}
    if any(str(k) not in mine_by_id for k in values):
        raise Invalid("Only your own fields can be filled in.", "fields")
    now = utcnow()
    answers = {fid: _field_value(f, values.get(fid, "")) for fid, f in mine_by_id.items()
               if f.kind in ("text", "checkbox")}
    missing = sum(1 for fid, a in answers.items() if mine_by_id[fid].required and not a)
    if missing:
        raise Invalid(f"Fill in every required field first ({missing} left).", "fields")
    stamp, kind = _mark(db, doc, mine, signature, needs=any(f.kind in ("signature", "initials")
                                                             for f in mine_by_id.values()))
    for fid, field in mine_by_id.items():
        if field.kind == "signature":
            field.value = stamp
        elif field.kind == "initials":
            field.value = "typed:" + initials(stamp[6:] if kind == "typed" else mine.name)
        elif field.kind == "date":
            field.value = now.strftime("%d %b %Y")
        else:
            field.value = answers[fid]
        field.filled_at = now
        db.add(field)
    mine.status, mine.signed_at, mine.signature_kind = "signed", now, kind
    mine.consented_at, mine.consent_version = now, CONSENT_VERSION
    mine.ip, mine.user_agent = (ip or mine.ip)[:64], (user_agent or mine.user_agent)[:400]
    db.add(mine)
    last = all(s.status == "signed" or s.id == mine.id for s in signers)
    doc.status, doc.updated_at = ("sealing" if last else "partially_signed"), now
    db.add(doc)
    audit.record(db, doc.workspace_id, actor, "document.signed", "document", doc.public_id,
                 {"signer": mine.email, "kind": kind, "consent": CONSENT_VERSION, "ip": mine.ip})
    events.raise_event(db, events.DocumentSigned(workspace_id=doc.workspace_id, document=doc.public_id,
                                                 signer=mine.public_id))
    if last:
        outbox.enqueue(db, doc.workspace_id, "document.seal", {"document": doc.public_id})
    else:
        nxt = current_signer([s for s in signers if s.id != mine.id and s.status != "signed"])
        if nxt is not None:
            email_signer(db, db.get_one(Workspace, doc.workspace_id), doc, nxt, reminder=False)
    return doc


def _mark(db: Session, doc: Document, mine: DocumentSigner, signature: object, *, needs: bool) -> tuple[str, str]:
    """(what signature fields hold, drawn | typed): a drawn PNG goes to storage (checked
    first), a typed name is kept as text and drawn in a handwriting font when sealing."""
    if not needs:
        return "", ""
    sig = signature if isinstance(signature, dict) else {}
    if sig.get("kind") == "drawn":
        png = _drawn_png(sig.get("png"))
        key = f"{db.get_one(Workspace, doc.workspace_id).public_id}/signatures/{secrets.token_urlsafe(18)}.png"
        get_storage().put(key, png, "image/png")
        return f"png:{key}", "drawn"
    if sig.get("kind") == "typed":
        name = clean_text(sig.get("name"), "signature", "Your name", limits.TYPED_SIGNATURE)
        if len(name) < 2:
            raise Invalid("Type your full name to sign.", "signature")
        return f"typed:{name}", "typed"
    raise Invalid("Draw your signature, or type your name instead.", "signature")


def initials(name: str) -> str:
    parts = [p for p in str(name).replace("-", " ").split() if p[:1].isalpha()]
    return "".join(p[0].upper() for p in parts[:3]) or str(name)[:2].upper()


def decline_document(db: Session, actor: Actor, public_id: str, reason: object) -> Document:
    doc, signers, mine = signer_for(db, actor, public_id, lock=True)
    require_signer(actor, doc, mine)
    _check_open(db, doc)
    if mine.status == "signed":
        raise Invalid("You have already signed this document.")
    text = clean_text(reason, "reason", "Reason", limits.DECLINE_REASON, multiline=True)
    if len(text) < 3:
        raise Invalid("Please say why you decline, so the sender can follow up.", "reason")
    now = utcnow()
    mine.status = "declined"
    db.add(mine)
    doc.status, doc.declined_at, doc.decline_reason, doc.updated_at = "declined", now, text, now
    db.add(doc)
    audit.record(db, doc.workspace_id, actor, "document.declined", "document", doc.public_id,
                 {"signer": mine.email, "reason": text})
    events.raise_event(db, events.DocumentDeclined(workspace_id=doc.workspace_id, document=doc.public_id,
                                                   signer=mine.public_id))
    ws = db.get_one(Workspace, doc.workspace_id)
    creator = db.get(StaffUser, doc.created_by_user_id) if doc.created_by_user_id else None
    if creator is not None and creator.email:
        emails.staff_notice_email(db, ws, to=creator.email, subject=f"{mine.name} declined “{doc.title}”",
                                  text=f"Their reason: {text}", link=f"{ws.base_url}/staff/documents/{doc.public_id}")
    return doc

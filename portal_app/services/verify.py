"""The public /verify page: did this deployment seal this PDF, is it intact since, who
signed it and when. Anyone may ask; the answer names only what the sealed file itself
carries (its certificate pages say as much to whoever holds it)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime

from sqlmodel import Session, select

from ..adapters import pdf_verify
from ..models import Document, Workspace
from .errors import Invalid
from .sealing import trusted_fingerprints

MAX_BYTES = 50 * 1024 * 1024


@dataclass
class VerifyResult:
    verdict: str                 # pdf_verify's status: sealed_here | modified | tampered | signed_elsewhere | …
    headline: str
    detail: str
    title: str = ""
    document_id: str = ""
    business: str = ""
    sealed_at: str = ""
    signers: list[dict] = field(default_factory=list)   # name, email, signed

    def as_dict(self) -> dict:
        return asdict(self)


HEADLINES = {"sealed_here": "Sealed here and unchanged", "modified": "Changed after sealing",
             "tampered": "Changed after sealing", "signed_elsewhere": "Not sealed by this portal",
             "not_signed": "Not sealed by this portal", "unreadable": "Not a PDF we can read"}


def _when(iso: str | None) -> str:
    if not iso:
        return ""
    try:
        return datetime.fromisoformat(str(iso).replace("Z", "+00:00")).strftime("%d %b %Y, %H:%M UTC")
    except ValueError:
        return ""


def verify_upload(db: Session, data: bytes) -> VerifyResult:
    if not data:
        raise Invalid("Choose a PDF to check.", "file")
    if len(data) > MAX_BYTES:
        raise Invalid("That file is larger than any document we seal (50 MB at most).", "file")
    found = pdf_verify.verify_pdf(data, trusted_fingerprints(db))
    if found.status != "sealed_here":
        return VerifyResult(found.status, HEADLINES.get(found.status, "Not sealed by this portal"), found.message)
    doc = db.exec(select(Document).where(Document.completed_sha256 == found.sha256)).first()
    ws = db.get(Workspace, doc.workspace_id) if doc is not None else None
    return VerifyResult(
        "sealed_here", HEADLINES["sealed_here"], found.message, title=found.title, document_id=found.document_id,
        business=ws.name if ws else "",
        sealed_at=found.signing_time.strftime("%d %b %Y, %H:%M UTC") if found.signing_time else "",
        signers=[{"name": s.name, "email": s.email, "signed": _when(s.signed_at)} for s in found.signers])

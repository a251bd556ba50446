"""The public /verify page: did this deployment seal this PDF, is it intact since, who
signed it and when. Anyone may ask; the answer names only what the sealed file itself
carries (its certificate pages say as much to whoever holds it).

    verify_upload(db, data, *, client_ip, limiter=VERIFY_LIMITER) -> VerifyResult   or raises Invalid/Throttled

Blocking (one limited child process, pdf_guard): the page calls it from a thread.

What we vouch for. A valid seal by one of our certificates is not enough: an owner may
upload their own PKCS#12 key (Settings › Document sealing), and whoever holds that key can
seal any PDF outside this portal. So "Sealed here and unchanged" is said only when a
*completed document with exactly these bytes* (SHA-256) exists in the database, sealed
with a key of that document's workspace; the workspace is named. A file sealed with a
workspace's key that no completed document matches gets its own verdict ("signed with a
key of <workspace>, but no completed document here has this content") and none of the
details it carries (title, signers): those are the sealer's claims, not ours.

Refused before any parsing, each with a sentence: an empty upload; a file over
`max_bytes()`; more than VERIFY_RATE checks per client IP in VERIFY_WINDOW seconds (only
files that would reach the child count: a refused non-PDF costs nothing).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TypedDict, cast

from sqlmodel import Session, select

from portal_app.adapters import pdf_verify
from portal_app.adapters.sealing import normalise_fingerprint
from portal_app.errors import Invalid, Throttled
from portal_app.models import Document, SealingIdentity, Workspace
from portal_app.services.rate_limit import RateLimiter
from portal_app.settings import get_settings

# Sealing adds to the (normalised) original: one stamp per filled field (measured: 1,000
# initials on 500 pages added 1.1 MB), the certificate pages and the manifest (tens of
# KB), the signature (~30 KB). 8 MiB on top of the largest original we accept covers
# that with room; nothing larger can be a document we sealed.
SEAL_OVERHEAD_BYTES = 8 * 1024 * 1024
VERIFY_RATE, VERIFY_WINDOW = 30, 600.0
VERIFY_LIMITER = RateLimiter(VERIFY_RATE, VERIFY_WINDOW)

HEADLINES = {"sealed_here": "Sealed here and unchanged", "not_issued_here": "Not a document issued here",
             "modified": "Changed after sealing", "tampered": "Changed after sealing",
             "signed_elsewhere": "Not sealed by this portal", "not_signed": "Not sealed by this portal",
             "unreadable": "Not a PDF we can read"}


def max_bytes() -> int:
    """The largest file /verify reads: the largest original we accept for signature plus
    what sealing adds (PORTAL_DOCUMENT_MAX_BYTES + 8 MiB; 33 MiB by default)."""
    return get_settings().document_max_bytes + SEAL_OVERHEAD_BYTES


class VerifySigner(TypedDict):
    name: str
    email: str
    signed: str


class VerifyResultView(TypedDict, total=False):
    """VerifyResult as the /verify page shows it (VerifyResult.as_dict()); not total: the
    page's var is {} until a file is checked."""
    verdict: str
    headline: str
    detail: str
    title: str
    document_id: str
    business: str
    sealed_at: str
    signers: list[VerifySigner]


@dataclass
class VerifyResult:
    verdict: str                 # sealed_here | not_issued_here | modified | tampered | signed_elsewhere | …
    headline: str
    detail: str
    title: str = ""
    document_id: str = ""
    business: str = ""
    sealed_at: str = ""
    signers: list[VerifySigner] = field(default_factory=list)

    def as_dict(self) -> VerifyResultView:
        return cast(VerifyResultView, asdict(self))


def _when(iso: str | None) -> str:
    if not iso:
        return ""
    try:
        return datetime.fromisoformat(str(iso).replace("Z", "+00:00")).strftime("%d %b %Y, %H:%M UTC")
    except ValueError:
        return ""


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB"


def _sealing_keys(db: Session) -> dict[str, int]:
    """fingerprint → workspace id, for every certificate any workspace ever sealed with
    (generated or uploaded, current or replaced)."""
    return {normalise_fingerprint(fp): ws_id for fp, ws_id in
            db.exec(select(SealingIdentity.fingerprint, SealingIdentity.workspace_id)).all()}


def verify_upload(db: Session, data: bytes, *, client_ip: str = "",
                  limiter: RateLimiter | None = None) -> VerifyResult:
    if not data:
        raise Invalid("Choose a PDF to check.", "file")
    cap = max_bytes()
    if len(data) > cap:
        raise Invalid(f"That file is larger than any document we seal ({_mb(cap)} at most), so it is not one "
                      "of ours.", "file")
    if b"%PDF-" not in data[:1024]:
        found = pdf_verify.verify_pdf(data, set(), max_bytes=cap)  # answers "unreadable" without a child
        return VerifyResult(found.status, HEADLINES["unreadable"], found.message)
    wait = (limiter or VERIFY_LIMITER).hit(str(client_ip or "unknown"))
    if wait is not None:
        raise Throttled(f"You have checked {VERIFY_RATE} files in the last {int(VERIFY_WINDOW // 60)} minutes. "
                        f"Please try again in {max(1, round(wait / 60))} minute(s).")
    keys = _sealing_keys(db)
    db.commit()  # end the read: no connection is held while the child works (seconds at worst)
    found = pdf_verify.verify_pdf(data, set(keys), max_bytes=cap)
    if found.status == "too_complex":
        raise Invalid(found.message, "file")
    if found.status != "sealed_here":
        return VerifyResult(found.status, HEADLINES.get(found.status, "Not sealed by this portal"), found.message)
    key_ws = keys.get(normalise_fingerprint(found.certificate_sha256))
    doc = db.exec(select(Document).where(Document.completed_sha256 == found.sha256,
                                         Document.status == "completed",
                                         Document.workspace_id == key_ws)).first()
    ws = db.get(Workspace, key_ws) if key_ws is not None else None
    business = ws.name if ws else ""
    if doc is None:
        return VerifyResult(
            "not_issued_here", HEADLINES["not_issued_here"],
            f"This file is signed with a key of {business or 'a workspace here'}, and unchanged since, but no "
            "completed document here has this content: it was not issued through this portal, so we cannot vouch "
            "for what it says.", business=business)
    return VerifyResult(
        "sealed_here", HEADLINES["sealed_here"], found.message, title=found.title, document_id=doc.public_id,
        business=business,
        sealed_at=found.signing_time.strftime("%d %b %Y, %H:%M UTC") if found.signing_time else "",
        signers=[{"name": s.name, "email": s.email, "signed": _when(s.signed_at)} for s in found.signers])

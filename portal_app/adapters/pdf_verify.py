"""Verifying a PDF someone uploads to the public /verify page: did this deployment seal it,
is it intact since sealing, who signed it and when.

    verify_pdf(data, trusted_fingerprints) -> Verification

`trusted_fingerprints` are the SHA-256 fingerprints of every sealing certificate this
deployment has used (all workspaces, current and past certificates). Never raises: garbage,
an encrypted file or a damaged one gives a result that says so.

Trust model. Our sealing certificates are self-signed (or issued by a CA we know nothing
about), so they chain to no root a validator knows. We *pin* them instead: the signature's
certificate counts as ours only if its SHA-256 fingerprint is in the set, and then exactly
that certificate is the trust root of a pyHanko ValidationContext (no fetching, no
revocation checks: a self-signed seal has no CRL/OCSP, and nothing outside is reachable).
The validation moment is the seal's own signing time — we made the seal, so its reported
time is ours; this keeps documents verifiable after the certificate expires or is replaced.
A signature from a certificate not in the set is still checked for integrity (against no
trust root), so we can say "signed by someone else, and intact" without vouching for them.

Status, from pyHanko's `validate_pdf_signature`:
* sealed_here — our certificate, signature intact and valid, covering the entire file
  (no byte appended after the seal: coverage ENTIRE_FILE);
* modified — ours and intact, but content was added after sealing (incremental update);
* tampered — ours (or anyone's) but the signed bytes changed, or the signature is broken;
* signed_elsewhere — a signature by a certificate we did not issue;
* not_signed — a readable PDF with no signature;
* unreadable — not a PDF, encrypted, or damaged beyond reading (a truncated sealed file
  lands here or in tampered: either way it is not what we sealed).

The manifest (title, id, signers and when they signed) is read only from a file that is
sealed_here: inside the sealed byte range, so it cannot have been edited.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime

from .pdf_complete import run_sync
from .pdf_records import MANIFEST_FORMAT, MANIFEST_NAME
from .sealing import normalise_fingerprint

log = logging.getLogger("portal.pdf")
MAX_BYTES = 100_000_000

MESSAGES = {
    "sealed_here": "This document was sealed by us and has not been changed since it was sealed.",
    "modified": "This document was sealed by us, but content was added to the file after it was sealed.",
    "tampered": "This document has been changed since it was signed: its seal no longer matches its content.",
    "signed_elsewhere": "This document is signed, but not by us: we cannot vouch for who signed it.",
    "not_signed": "This document was not sealed by us: it carries no digital signature.",
    "unreadable": "This file is not a PDF we can read (it may be damaged, incomplete or password-protected).",
}


@dataclass(frozen=True)
class SignedBy:
    name: str
    email: str
    role: str
    signed_at: str | None          # ISO 8601, UTC


@dataclass(frozen=True)
class Verification:
    status: str                    # one of MESSAGES
    message: str                   # a sentence for the page
    sha256: str = ""               # of the uploaded bytes (look the file up by it)
    signed: bool = False
    sealed_here: bool = False      # our certificate (fingerprint pinned)
    intact: bool = False           # the signed bytes are unchanged and the signature is valid
    covers_whole_file: bool = False
    signing_time: datetime | None = None   # as reported by the seal (no timestamp authority)
    signer_subject: str = ""       # of the certificate that signed
    certificate_sha256: str = ""
    signatures: int = 0
    title: str = ""
    document_id: str = ""
    original_sha256: str = ""
    completed_at: str | None = None
    signers: list[SignedBy] = field(default_factory=list)


def _result(status: str, **kwargs) -> Verification:
    return Verification(status=status, message=MESSAGES[status], **kwargs)


def _manifest(data: bytes) -> dict | None:
    from pypdf import PdfReader

    try:
        found = PdfReader(io.BytesIO(data), strict=False).attachments.get(MANIFEST_NAME) or []
        body = json.loads(found[0]) if found else None
    except Exception:  # noqa: BLE001
        return None
    return body if isinstance(body, dict) and body.get("format") == MANIFEST_FORMAT else None


def _validate(data: bytes, trusted: set[str]):
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation import async_validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    reader = PdfFileReader(io.BytesIO(data), strict=False)
    if reader.encrypted:
        return "unreadable", {}
    signatures = reader.embedded_signatures
    if not signatures:
        return "not_signed", {}
    sig = signatures[-1]
    cert = sig.signer_cert
    fp = hashlib.sha256(cert.dump()).hexdigest()
    ours = fp in trusted
    moment = sig.self_reported_timestamp
    context = ValidationContext(trust_roots=[cert] if ours else [], allow_fetching=False,
                                revocation_mode="soft-fail", moment=moment, best_signature_time=moment)
    status = run_sync(lambda: async_validate_pdf_signature(sig, signer_validation_context=context))
    intact = bool(status.intact and status.valid)
    whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE and status.modification_level in (
        None, ModificationLevel.NONE)
    facts = {"signed": True, "sealed_here": ours and intact and whole and bool(status.trusted), "intact": intact,
             "covers_whole_file": whole, "signing_time": status.signer_reported_dt,
             "signer_subject": cert.subject.human_friendly, "certificate_sha256": fp, "signatures": len(signatures)}
    if not intact:
        return "tampered", facts
    if not ours:
        return "signed_elsewhere", facts
    if not status.trusted:     # ours, intact, but the certificate was not valid at the seal's time
        return "tampered", facts
    if not whole:
        return "modified", facts
    return "sealed_here", facts


def verify_pdf(data: bytes, trusted_fingerprints: set[str]) -> Verification:
    if not isinstance(data, (bytes, bytearray)) or not data:
        return _result("unreadable")
    data = bytes(data[:MAX_BYTES + 1])
    digest = hashlib.sha256(data).hexdigest()
    if len(data) > MAX_BYTES or b"%PDF-" not in data[:1024]:
        return _result("unreadable", sha256=digest)
    trusted = {normalise_fingerprint(f) for f in trusted_fingerprints or ()}
    try:
        status, facts = _validate(data, trusted)
    except Exception:  # noqa: BLE001 — a damaged file: pyHanko is strict, and that is the answer
        log.info("verify: a PDF could not be validated", exc_info=True)
        if b"/ByteRange" in data:
            return _result("tampered", sha256=digest, signed=True)
        return _result("unreadable", sha256=digest)
    if status != "sealed_here":
        return _result(status, sha256=digest, **facts)
    manifest = _manifest(data) or {}
    signers = [SignedBy(name=str(s.get("name", "")), email=str(s.get("email", "")), role=str(s.get("role", "")),
                        signed_at=s.get("signed_at")) for s in manifest.get("signers", []) if isinstance(s, dict)]
    return _result(status, sha256=digest, **facts, title=str(manifest.get("title", "")),
                   document_id=str(manifest.get("document_id", "")),
                   original_sha256=str(manifest.get("original_sha256", "")),
                   completed_at=manifest.get("completed_at"), signers=signers)

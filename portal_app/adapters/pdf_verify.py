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
  lands here or in tampered: either way it is not what we sealed);
* too_complex — the check ran out of the child's CPU, memory or time limits.

Where it runs: pyHanko parses the upload in the PDF guard's limited child process
(pdf_guard.verify_signature → pdf_guard_worker.op_verify: CPU, memory, wall-clock limits,
no environment), never in the server process. A crafted file (one incremental update with
60,000 tiny objects) cost pyHanko seconds of CPU in the server's event loop before; now it
costs one child, and the diff analysis it targeted is skipped (see op_verify).

"sealed_here" here means only "our certificate, intact, whole file". Whether this
deployment *completed a document* with these bytes is the database's answer
(services/documents/verify.py): a seal made offline with a workspace's key is not one of ours.

The manifest (title, id, signers and when they signed) is read only from a file that is
sealed_here: inside the sealed byte range, so it cannot have been edited.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime

from portal_app.adapters import pdf_guard
from portal_app.adapters.pdf_records import MANIFEST_FORMAT, MANIFEST_NAME
from portal_app.adapters.sealing import normalise_fingerprint

log = logging.getLogger("portal.pdf")
MAX_BYTES = 100_000_000

MESSAGES = {
    "sealed_here": "This document was sealed by us and has not been changed since it was sealed.",
    "modified": "This document was sealed by us, but content was added to the file after it was sealed.",
    "tampered": "This document has been changed since it was signed: its seal no longer matches its content.",
    "signed_elsewhere": "This document is signed, but not by us: we cannot vouch for who signed it.",
    "not_signed": "This document was not sealed by us: it carries no digital signature.",
    "unreadable": "This file is not a PDF we can read (it may be damaged, incomplete or password-protected).",
    "too_complex": "We could not check this file: it needs far more time or memory than any document we seal, "
                   "so it is not one we can vouch for.",
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


def verify_pdf(data: bytes, trusted_fingerprints: set[str], *, max_bytes: int = MAX_BYTES,
               limits: pdf_guard.Limits | None = None) -> Verification:
    """Blocks for one limited child's lifetime (pdf_guard): call it from a thread, never on
    the event loop."""
    if not isinstance(data, (bytes, bytearray)) or not data:
        return _result("unreadable")
    data = bytes(data[:max_bytes + 1])
    digest = hashlib.sha256(data).hexdigest()
    if len(data) > max_bytes or b"%PDF-" not in data[:1024]:
        return _result("unreadable", sha256=digest)
    trusted = {normalise_fingerprint(f) for f in trusted_fingerprints or ()}
    try:
        facts = pdf_guard.verify_signature(data, trusted, max_bytes=max_bytes,
                                           manifest=(MANIFEST_NAME, MANIFEST_FORMAT),
                                           limits=limits or pdf_guard.VERIFY_LIMITS)
    except pdf_guard.PdfRejected as refused:
        log.info("verify: refused by the PDF guard (%s)", refused.code)
        return _result("too_complex" if refused.code == "too_complex" else "unreadable", sha256=digest)
    status = facts.get("status")
    if status not in MESSAGES or facts.get("sha256") != digest:
        return _result("unreadable", sha256=digest)
    when = facts.get("signing_time")
    common = dict(sha256=digest, signed=bool(facts.get("signed")), intact=bool(facts.get("intact")),
                  covers_whole_file=bool(facts.get("covers_whole_file")),
                  signing_time=datetime.fromisoformat(when) if when else None,
                  signer_subject=str(facts.get("signer_subject", "")),
                  certificate_sha256=str(facts.get("certificate_sha256", "")),
                  signatures=int(facts.get("signatures", 0)),
                  sealed_here=status == "sealed_here")
    if status != "sealed_here":
        return _result(status, **common)
    manifest = facts.get("manifest") or {}
    signers = [SignedBy(name=str(s.get("name", "")), email=str(s.get("email", "")), role=str(s.get("role", "")),
                        signed_at=s.get("signed_at")) for s in manifest.get("signers", []) if isinstance(s, dict)]
    return _result(status, **common, title=str(manifest.get("title", "")),
                   document_id=str(manifest.get("document_id", "")),
                   original_sha256=str(manifest.get("original_sha256", "")),
                   completed_at=manifest.get("completed_at"), signers=signers)

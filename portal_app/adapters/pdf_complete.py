"""Completing a signed document: the original with its field values stamped, its form
flattened, certificate pages appended, a manifest embedded, and one PAdES seal.

    complete_document(original, fields, cert, identity) -> CompletedPdf

The worker job calls this when the last signer has signed (plain Python: no Reflex, no
database). Steps, in order:

1. **Normalise** with pypdf (strict=False): an encrypted file is refused (pyHanko would
   refuse it too, and a guard upstream should have already); the original's SHA-256 must
   match the one recorded at upload; the document is re-written whole by pypdf, so the
   file pyHanko sees has one clean cross-reference table and no earlier revisions.
   Existing signatures and DocMDP permissions go with the form (they could not survive the
   stamping anyway).
2. **Flatten** the form (pdf_flatten): appearances drawn into the pages, widgets and
   /AcroForm removed.
3. **Stamp** the field values (pdf_stamp): one fpdf2 overlay per stamped page, merged with
   a matrix that maps "displayed" fractions to user space for any /Rotate and boxes that do
   not start at 0,0.
4. **Certificate pages** (pdf_certificate), A4 or Letter after the first page's size.
5. **Manifest**: `client-portal-seal.json`, an embedded file (it shows in a PDF reader's
   attachments panel) with the title, id, original SHA-256, page counts, completion time,
   each signer's name, email, role and signing time, and the sealing certificate's
   fingerprint. It is inside the sealed byte range, so verify may trust it exactly when the
   seal is intact and covers the whole file. The document info dictionary carries the title
   and id too.
6. **Seal** with pyHanko: one invisible signature field "Seal", PAdES subfilter
   (ETSI.CAdES.detached), SHA-256, the identity's certificate and chain embedded, reason
   "Completed and sealed". No timestamp authority (none reachable): the signing time is
   the signer-reported one, which verify shows as such.

Deterministic up to the seal: the same inputs give the same pre-seal bytes; the seal adds
the signing time, so the final bytes differ from run to run (store `sha256`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import io
import json
import logging

from portal_app.adapters.pdf_certificate import render_certificate
from portal_app.adapters.pdf_flatten import flatten_forms
from portal_app.adapters.pdf_records import (
    MANIFEST_FORMAT,
    MANIFEST_NAME,
    CertificateInfo,
    CompletedPdf,
    DocumentError,
    EventInfo,
    FieldValue,
    SignerInfo,
    completed_at,
    iso,
)
from portal_app.adapters.pdf_stamp import PageBox, stamp
from portal_app.adapters.sealing import SealingIdentity, check_certificate

__all__ = ["CertificateInfo", "CompletedPdf", "DocumentError", "EventInfo", "FieldValue", "SignerInfo",
           "complete_document", "run_sync"]

log = logging.getLogger("portal.pdf")
SEAL_FIELD = "Seal"
LETTER = (612.0, 792.0)


def run_sync(coro_factory):
    """Run a coroutine to completion from sync code, also when an event loop is already
    running in this thread (a Reflex handler): then it runs in a short-lived thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro_factory())
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(coro_factory())).result()


def _normalise(original: bytes):
    from pypdf import PdfReader, PdfWriter
    from pypdf.errors import PyPdfError

    if not isinstance(original, (bytes, bytearray)) or not bytes(original[:1024]).lstrip().startswith(b"%PDF"):
        raise DocumentError("The original is not a PDF file.")
    try:
        reader = PdfReader(io.BytesIO(bytes(original)), strict=False)
        if reader.is_encrypted:
            raise DocumentError("The original PDF is password-protected; upload an unprotected copy.")
        if len(reader.pages) == 0:
            raise DocumentError("The original PDF has no pages.")
        writer = PdfWriter(clone_from=reader)
    except DocumentError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        raise DocumentError("The original PDF is damaged and cannot be completed.") from None
    root = writer._root_object
    for key in ("/OpenAction", "/AA", "/DSS"):     # nothing runs, nothing stale is carried into the seal
        if key in root:
            del root[key]
    return writer


def _paper(writer) -> str:
    w, h = PageBox.of(writer.pages[0]).displayed
    return "Letter" if abs(min(w, h) - LETTER[0]) < 8 and abs(max(w, h) - LETTER[1]) < 8 else "A4"


def _manifest(cert: CertificateInfo, *, original_pages: int, certificate_pages: int, fingerprint: str) -> bytes:
    body = {
        "format": MANIFEST_FORMAT,
        "title": cert.title,
        "document_id": cert.document_id,
        "original_sha256": cert.original_sha256.lower(),
        "original_pages": original_pages,
        "certificate_pages": certificate_pages,
        "completed_at": iso(completed_at(cert)),
        "signers": [{"name": s.name, "email": s.email, "role": s.role, "signed_at": iso(s.signed_at)}
                    for s in cert.signers],
        "seal_certificate_sha256": fingerprint,
    }
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _seal(data: bytes, identity: SealingIdentity, cert: CertificateInfo) -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    signer = identity.signer()
    meta = signers.PdfSignatureMetadata(
        field_name=SEAL_FIELD, md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES,
        reason="Completed and sealed", name=(cert.workspace_name or identity.subject)[:200])

    async def sign():
        writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
        pdf_signer = signers.PdfSigner(meta, signer=signer,
                                       new_field_spec=fields.SigFieldSpec(SEAL_FIELD, on_page=0))
        out = await pdf_signer.async_sign_pdf(writer, output=io.BytesIO())
        return out.getvalue()

    return run_sync(sign)


def complete_document(original: bytes, fields: list[FieldValue], cert: CertificateInfo,
                      identity: SealingIdentity) -> CompletedPdf:
    """The completed, sealed PDF. Raises DocumentError (or SealingIdentityError for an
    identity that cannot be opened) with a message for staff; never anything else for bad
    input."""
    from pypdf import PdfReader
    from pypdf.generic import NameObject, TextStringObject

    digest = hashlib.sha256(bytes(original)).hexdigest() if isinstance(original, (bytes, bytearray)) else ""
    if cert.original_sha256 and digest != cert.original_sha256.strip().lower():
        raise DocumentError("The stored original does not match the SHA-256 recorded when it was uploaded.")
    fingerprint = identity.fingerprint          # SealingIdentityError if it cannot be opened
    check_certificate(identity.certificate)      # … or if it has expired since it was stored
    writer = _normalise(original)
    original_pages = len(writer.pages)
    try:
        flatten_forms(writer)
        stamp(writer, list(fields))
        certificate = PdfReader(io.BytesIO(render_certificate(
            cert, original_pages=original_pages, fingerprint=fingerprint, fields=list(fields),
            paper=_paper(writer))))
        for page in certificate.pages:
            writer.add_page(page)
        certificate_pages = len(certificate.pages)
        writer.add_attachment(MANIFEST_NAME, _manifest(cert, original_pages=original_pages,
                                                       certificate_pages=certificate_pages,
                                                       fingerprint=fingerprint))
        info = {"/Title": cert.title[:300], "/Producer": "Client Portal (pypdf, pyHanko)",
                "/ClientPortalDocumentId": cert.document_id[:80]}
        writer.add_metadata({NameObject(k): TextStringObject(v) for k, v in info.items()})
        out = io.BytesIO()
        writer.write(out)
    except DocumentError:
        raise
    except Exception:
        log.exception("completing document %s failed before sealing", cert.document_id)
        raise DocumentError("The document could not be completed: its PDF structure is not supported.") from None
    try:
        sealed = _seal(out.getvalue(), identity, cert)
    except Exception:
        log.exception("sealing document %s failed", cert.document_id)
        raise DocumentError("The document could not be sealed. Check the workspace's sealing certificate.") from None
    return CompletedPdf(data=sealed, sha256=hashlib.sha256(sealed).hexdigest(),
                        pages=original_pages + certificate_pages, certificate_pages=certificate_pages)

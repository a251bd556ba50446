"""Untrusted PDFs in, safe answers out: inspect an upload, rewrite it clean, render previews.

    inspect_pdf(data, *, max_bytes, max_pages) -> PdfInfo          or raises PdfRejected
    accept_pdf(data, *, max_bytes, max_pages) -> AcceptedPdf       inspect + normalized copy
    normalized_pdf(data, *, max_bytes, max_pages) -> bytes         the normalized copy only
    render_page(data, page_index, *, width_px=1200) -> bytes       a PNG
    render_pages(data, page_indexes, *, width_px=1200) -> list[bytes]
    verify_signature(data, trusted, *, max_bytes, manifest) -> dict  pyHanko's facts (pdf_verify.py)
    keep_warm(True)                                                pre-start one spare child

`PdfRejected.message` is a sentence for the person who uploaded the file; `.code` is for
code and logs. No stack trace, no library wording ever reaches the message.

Checked here, before any parsing: the size cap, then the magic bytes (`%PDF-` within the
first 1,024 bytes, where viewers look for it). Everything else happens in a child process
(pdf_guard_worker.py) under limits: RLIMIT_AS (address space), RLIMIT_CPU, no file writes,
no core dumps, set by the child itself before it reads the PDF, plus a wall-clock timeout
after which this side kills it. A child that dies, is killed, or answers anything but
its JSON is reported as "too complex": a hostile file costs one child, never the server.

Why `subprocess` running the worker file (`python -I …/pdf_guard_worker.py`) and not
multiprocessing: a spawn child re-imports the parent's `__main__` (in production, the
Reflex/granian server) and unpickles through it, which is slower and drags the app's code
and configuration into the process that parses hostile bytes; fork copies the whole
server, threads and secrets included. Our child is a fresh interpreter in isolated mode
(no cwd, no PYTHONPATH, no user site) with an empty environment (no database URL, no
Stripe key) and imports only pypdf or pypdfium2 + Pillow. Measured on the 2-core build
machine: bare interpreter ~14 ms (a multiprocessing spawn round trip from a
one-line script: ~62 ms, before any app import), with pypdf ~130 ms, with pypdfium2 +
Pillow ~80 ms.
`keep_warm()` keeps one spare child started and imported, waiting on stdin, so a request
pays only its own work; each child still serves exactly one file, so no file can leave
anything behind for the next one. bench/pdf_preview.py measures both.

Refused (each with its own message, see MESSAGES): encryption of any kind (pyHanko refuses
it and we would have to strip the author's protection); damage (pypdf strict mode: we
do not let pypdf's recovery guess at a broken xref or a truncated file — a document that
is signed must have one reading, the one the signer saw; the fix, "save as PDF again",
is easy); JavaScript anywhere (/JS, /S /JavaScript, a /JavaScript name tree); an
/OpenAction that is an action (a plain destination such as fpdf2's and LibreOffice's
`[page /FitH null]` is accepted: it only says where to open, and normalization removes
it); /AA additional actions anywhere; /Launch; actions that reach outside the document
(SubmitForm, ImportData, GoToR, GoToE, media); embedded files and file attachments (the
signer would sign content they cannot see in the page images); XFA forms; more pages
than the cap; decompression bombs (pypdf's decoders stop at 75 MB per stream; we add
200 MB across the file and a 100:1 ratio for any stream over 16 MB; image codecs are not
decoded during inspection, the render child's limits bound them); object graphs over 2M
nodes and images over 250 Mpx. Accepted: links (URI), forms (reported in PdfInfo), page
labels, outlines, existing signatures (reported: normalization invalidates them).

These calls block for a child's lifetime (tens to hundreds of ms): call them from a
worker job or a background task, not inside a state handler's lock. At most one child per
CPU runs at a time; further calls wait their turn.
"""

from __future__ import annotations

import atexit
import base64
import json
import logging
import os
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

WORKER = Path(__file__).resolve().with_name("pdf_guard_worker.py")
MAGIC = b"%PDF-"
MAGIC_WINDOW = 1024
MAX_WIDTH_PX = 4000

MESSAGES = {
    "too_big": "This file is {size} MB; the limit is {limit} MB. Make the PDF smaller or split it, "
               "and upload it again.",
    "not_pdf": "This file is not a PDF, even if its name ends in .pdf. Save or export the document as a PDF "
               "and upload that.",
    "encrypted": "This file is password-protected. Remove the password and upload it again.",
    "damaged": "This PDF is damaged or incomplete, so we cannot read it reliably. Open it in the program that "
               "made it, save or export it as a new PDF, and upload that.",
    "no_pages": "This PDF has no pages. Check that you chose the right file.",
    "too_many_pages": "This PDF has {pages} pages; the limit is {limit}. Split it into smaller documents and "
                      "upload them separately.",
    "javascript": "This PDF contains JavaScript, which we do not accept in documents. Print it to a new PDF "
                  "(or export it without scripts) and upload that.",
    "launch": "This PDF tries to open other programs or files on the reader's computer (a Launch action), "
              "which we do not accept. Print it to a new PDF and upload that.",
    "open_action": "This PDF runs an action as soon as it is opened (an OpenAction), which we do not accept. "
                   "Print it to a new PDF and upload that.",
    "auto_action": "This PDF runs actions by itself when a page is opened or a field is used, which we do not "
                   "accept. Print it to a new PDF and upload that.",
    "outside_action": "This PDF contains actions that send data, open other files or play media, which we do "
                      "not accept. Print it to a new PDF and upload that.",
    "embedded_files": "This PDF has files attached inside it, which we do not accept: the person signing "
                      "would not see them. Upload the PDF without attachments and share the files separately.",
    "xfa": "This PDF is an XFA form (made with Adobe LiveCycle or AEM Forms), which browsers cannot show. "
           "Save it as a standard PDF and upload that.",
    "bomb": "This PDF contains compressed data that expands to an unreasonable size, which we do not accept. "
            "Save it again from the program that made it and upload that.",
    "too_complex": "This PDF is too complex to process safely: it needs more time or memory than we allow. "
                   "Print it to a new, simpler PDF and upload that.",
    "no_such_page": "This document has {pages} pages; there is no page {number}.",
}


class PdfRejected(Exception):
    """A PDF we will not take or cannot show. `message` is for a person; `code` for code."""

    def __init__(self, code: str, **detail):
        self.code = code
        self.message = MESSAGES[code].format(**detail)
        super().__init__(self.message)


@dataclass(frozen=True)
class Limits:
    memory_bytes: int  # RLIMIT_AS of the child: its whole address space, interpreter included
    cpu_seconds: int  # RLIMIT_CPU for the work (import time is not counted against it)
    wall_seconds: float  # this side kills the child after this long, whatever it is doing


INSPECT_LIMITS = Limits(memory_bytes=768 * 2**20, cpu_seconds=20, wall_seconds=30.0)
RENDER_LIMITS = Limits(memory_bytes=1024 * 2**20, cpu_seconds=10, wall_seconds=20.0)
# /verify is anonymous. A document we sealed checks in ~20 ms of work (measured: a 500-page,
# 1.4 MB sealed file; no revision follows our seal) on top of ~0.45 s to start the child and
# import pyHanko; 3 s of CPU is ample, and 6 s of wall clock keeps one check (plus its turn
# for a slot) near Reflex's 10 s state lock. A million-row xref (20 MB) needs ~2.8 s.
VERIFY_LIMITS = Limits(memory_bytes=768 * 2**20, cpu_seconds=3, wall_seconds=6.0)


@dataclass(frozen=True)
class PageInfo:
    width: float  # points (1/72 in), as shown: the crop box with /Rotate applied
    height: float
    rotation: int  # /Rotate, normalized to 0, 90, 180 or 270


@dataclass(frozen=True)
class PdfInfo:
    page_count: int
    pages: tuple[PageInfo, ...]
    sha256: str  # of the bytes uploaded
    has_form_fields: bool  # an AcroForm with at least one field
    has_signatures: bool  # a signed signature field (a normalized copy no longer verifies it)


@dataclass(frozen=True)
class AcceptedPdf:
    info: PdfInfo  # about the original
    data: bytes  # the normalized copy: what stamping, sealing and previews should use
    sha256: str  # of `data`


def inspect_pdf(data: bytes, *, max_bytes: int, max_pages: int, limits: Limits = INSPECT_LIMITS) -> PdfInfo:
    _precheck(data, max_bytes)
    return _info(_run("inspect", data, {"max_pages": max_pages}, limits))


def accept_pdf(data: bytes, *, max_bytes: int, max_pages: int, limits: Limits = INSPECT_LIMITS) -> AcceptedPdf:
    """Inspect and rewrite with pypdf in one child: one xref, no incremental updates or
    unreachable objects, no OpenAction. Read back strictly with the same page geometry."""
    _precheck(data, max_bytes)
    result = _run("normalize", data, {"max_pages": max_pages}, limits)
    return AcceptedPdf(info=_info(result), data=base64.b64decode(result["normalized"]),
                       sha256=result["normalized_sha256"])


def normalized_pdf(data: bytes, *, max_bytes: int, max_pages: int, limits: Limits = INSPECT_LIMITS) -> bytes:
    return accept_pdf(data, max_bytes=max_bytes, max_pages=max_pages, limits=limits).data


def render_page(data: bytes, page_index: int, *, width_px: int = 1200, limits: Limits = RENDER_LIMITS) -> bytes:
    """A PNG of one page (0-based), `width_px` wide as displayed (/Rotate honoured), height
    to scale; a very tall page is scaled down to stay under 30 Mpx."""
    return render_pages(data, [page_index], width_px=width_px, limits=limits)[0]


def render_pages(data: bytes, page_indexes: list[int], *, width_px: int = 1200,
                 limits: Limits = RENDER_LIMITS) -> list[bytes]:
    if not 16 <= width_px <= MAX_WIDTH_PX:
        raise ValueError(f"width_px must be between 16 and {MAX_WIDTH_PX}")
    if not page_indexes or not all(isinstance(i, int) for i in page_indexes):
        raise ValueError("page_indexes must be a non-empty list of ints")
    _precheck(data, None)
    result = _run("render", data, {"page_indexes": list(page_indexes), "width_px": width_px}, limits)
    return [base64.b64decode(png) for png in result["pngs"]]


def verify_signature(data: bytes, trusted: set[str], *, max_bytes: int, manifest: tuple[str, str],
                     limits: Limits = VERIFY_LIMITS) -> dict:
    """pyHanko's facts about the last signature (worker op_verify): status, intact, the
    certificate's SHA-256, …; `trusted` are pinned certificate fingerprints (lowercase hex),
    `manifest` the (attachment name, format) of the sealed manifest. Raises PdfRejected
    (too_big, not_pdf, too_complex) like the other calls."""
    _precheck(data, max_bytes)
    return _run("verify", data, {"trusted": sorted(trusted), "manifest_name": manifest[0],
                                 "manifest_format": manifest[1]}, limits)


def keep_warm(enabled: bool = True) -> None:
    """Keep one spare child started (interpreter + libraries loaded, no limits spent yet)."""
    _spare.enabled = enabled
    if not enabled:
        _spare.discard()


# ---------------------------------------------------------------------------- internals

def _precheck(data: bytes, max_bytes: int | None) -> None:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError("data must be bytes")
    if max_bytes is not None and len(data) > max_bytes:
        raise PdfRejected("too_big", size=_mb(len(data)), limit=_mb(max_bytes))
    if MAGIC not in bytes(data[:MAGIC_WINDOW]):
        raise PdfRejected("not_pdf")


def _mb(size: int) -> str:
    """1,300,000 → "1.3"; 50,000,000 → "50"; never "0" for a small file (0.02)."""
    mb = size / 1_000_000
    text = f"{mb:.1f}" if mb >= 0.1 else f"{mb:.2g}"
    return text[:-2] if text.endswith(".0") else text


def _info(result: dict) -> PdfInfo:
    return PdfInfo(page_count=result["page_count"], pages=tuple(PageInfo(**p) for p in result["pages"]),
                   sha256=result["sha256"], has_form_fields=result["has_form_fields"],
                   has_signatures=result["has_signatures"])


def _spawn(preload: bool) -> subprocess.Popen:
    command = [sys.executable, "-I", str(WORKER)] + (["--preload"] if preload else [])
    return subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={"PATH": os.defpath, "LC_ALL": "C.UTF-8"}, close_fds=True,
                            start_new_session=True)


class _Spare:
    def __init__(self) -> None:
        self.enabled = False
        self.process: subprocess.Popen | None = None
        self.lock = threading.Lock()

    def take(self) -> subprocess.Popen:
        with self.lock:
            process, self.process = self.process, None
            if self.enabled:
                self.process = _spawn(preload=True)  # the next one warms up while this one works
        if process is not None and process.poll() is None:
            return process
        if process is not None:
            process.kill()
            process.communicate()
        return _spawn(preload=False)

    def discard(self) -> None:
        with self.lock:
            process, self.process = self.process, None
        if process is not None:
            process.kill()
            process.communicate()


_spare = _Spare()
atexit.register(_spare.discard)
_slots = threading.BoundedSemaphore(max(1, os.cpu_count() or 1))


def _run(op: str, data: bytes, args: dict, limits: Limits) -> dict:
    header = json.dumps({"op": op, "args": args, "length": len(data),
                         "limits": {"memory_bytes": limits.memory_bytes, "cpu_seconds": limits.cpu_seconds}})
    with _slots:
        process = _spare.take()
        try:
            out, err = process.communicate(header.encode() + b"\n" + bytes(data), timeout=limits.wall_seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            log.warning("pdf_guard %s: child killed after %.1f s (wall-clock limit)", op, limits.wall_seconds)
            raise PdfRejected("too_complex") from None
    if err:
        log.info("pdf_guard %s: child stderr: %s", op, err[-2000:].decode(errors="replace"))
    try:
        answer = json.loads(out) if process.returncode == 0 else None
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        log.warning("pdf_guard %s: child ended with %s and no answer", op, process.returncode)
        raise PdfRejected("too_complex")
    if not answer.get("ok"):
        code = answer.get("code")
        if code not in MESSAGES:
            raise PdfRejected("too_complex")
        detail = answer.get("detail") or {}
        if code == "no_such_page":
            bad = next(i for i in args["page_indexes"] if not 0 <= i < detail["pages"])
            raise PdfRejected(code, pages=detail["pages"], number=bad + 1)
        if code == "too_many_pages":
            raise PdfRejected(code, pages=detail["pages"], limit=detail["limit"])
        log.info("pdf_guard %s: refused (%s) %s", op, code, detail)
        raise PdfRejected(code)
    return answer["result"]

"""The child side of the PDF guard (see pdf_guard.py): parses one untrusted PDF under
resource limits and answers JSON. Never imported by the app; run as its own process:

    python -I portal_app/adapters/pdf_guard_worker.py [--preload]
    python -m portal_app.adapters.pdf_guard_worker      (same thing, for a person)

Protocol: stdin is one JSON header line {"op", "args", "limits": {"memory_bytes",
"cpu_seconds"}, "length"} followed by exactly `length` bytes of PDF. The limits are applied
(setrlimit) *after* the imports and *before* a single byte of the PDF is read, so nothing
the file contains runs without them. stdout is one JSON object: {"ok": true, "result": …}
or {"ok": false, "code": "...", "detail": {...}}. Codes, not sentences: the parent owns the
human messages. Anything else (a signal, a crash, no JSON) means "too complex" to the parent.

Self-contained on purpose: stdlib, pypdf, pypdfium2, Pillow and (for "verify") pyHanko
only, no `portal_app` import, so it runs with `python -I` (no cwd, no PYTHONPATH, no user
site on sys.path).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import resource
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pypdf is imported where it is used: the worker's start-up stays small
    from pypdf import PdfReader

TOTAL_DECODED_MAX = 200_000_000  # bytes of decompressed stream data across the whole file
RATIO_FLOOR = 16_000_000  # a stream decoding to less than this is never a bomb by ratio
RATIO_MAX = 100  # above the floor: decoded / encoded bytes
MAX_NODES = 2_000_000  # PDF objects visited (direct and indirect) during the scan
MAX_IMAGE_PIXELS = 250_000_000  # an image XObject's declared Width × Height
MAX_RENDER_PIXELS = 30_000_000  # preview bitmap area; the scale shrinks to stay under it
IMAGE_FILTERS = {"/DCTDecode", "/JPXDecode", "/JBIG2Decode", "/CCITTFaxDecode", "/DCT", "/CCF"}
# Actions that reach outside the document (programs, files, servers, media players).
OUTSIDE_ACTIONS = {"/SubmitForm", "/ImportData", "/GoToE", "/GoToR", "/Rendition", "/RichMediaExecute",
                   "/Movie", "/Sound"}
# Several findings in one file: the one reported is the first in this order.
PRIORITY = ["javascript", "launch", "open_action", "auto_action", "outside_action", "embedded_files", "xfa"]


class Refusal(Exception):
    def __init__(self, code: str, **detail):
        super().__init__(code)
        self.code, self.detail = code, detail


def apply_limits(memory_bytes: int, cpu_seconds: int) -> None:
    """RLIMIT_AS: malloc fails (MemoryError, or pdfium aborts) past it. RLIMIT_CPU: SIGXCPU at
    the soft limit, SIGKILL one second later. The CPU already spent on imports is added, so the
    budget is for the work. No files may be written, no core dumps."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    spent = int(used.ru_utime + used.ru_stime) + 1
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (spent + cpu_seconds, spent + cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


# ---------------------------------------------------------------------------- inspection

def open_strict(data: bytes) -> PdfReader:
    """pypdf in strict mode: a broken xref, a missing %%EOF, an object not where the xref says
    it is are refused rather than repaired (see pdf_guard.py for why)."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data), strict=True)
    if reader.is_encrypted or "/Encrypt" in reader.trailer:
        raise Refusal("encrypted")
    return reader


def _resolve(value):
    from pypdf.generic import IndirectObject

    return value.get_object() if isinstance(value, IndirectObject) else value


def _action_type(value) -> str | None:
    from pypdf.generic import DictionaryObject

    value = _resolve(value)
    return str(value.get("/S")) if isinstance(value, DictionaryObject) and "/S" in value else None


def scan(reader) -> dict:
    """Visit every object reachable from the trailer once (an explicit stack, no recursion),
    note what we refuse, and decode every non-image stream with pypdf's bounded decoders to
    catch decompression bombs. Returns counters; raises Refusal."""
    from pypdf.errors import LimitReachedError
    from pypdf.filters import decode_stream_data
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject

    findings: set[str] = set()
    catalog = _resolve(reader.trailer["/Root"])
    if not isinstance(catalog, DictionaryObject):
        raise Refusal("damaged")
    if "/OpenAction" in catalog:
        # A destination ([page /Fit], what fpdf2 and LibreOffice write) only says where to
        # open; an action dictionary does something. A GoTo action is a destination again.
        if _action_type(catalog["/OpenAction"]) not in (None, "/GoTo"):
            findings.add("open_action")
    seen: set[tuple[int, int]] = set()
    stack = [reader.trailer]
    nodes = decoded_total = 0
    while stack:
        item = stack.pop()
        nodes += 1
        if nodes > MAX_NODES:
            raise Refusal("too_complex")
        if isinstance(item, IndirectObject):
            key = (item.idnum, item.generation)
            if key in seen:
                continue
            seen.add(key)
            stack.append(item.get_object())
            continue
        if isinstance(item, ArrayObject):
            stack.extend(item)
            continue
        if not isinstance(item, DictionaryObject):
            continue
        action = str(item.get("/S", ""))
        if "/JS" in item or action == "/JavaScript" or "/JavaScript" in item:
            findings.add("javascript")
        if action == "/Launch":
            findings.add("launch")
        if action in OUTSIDE_ACTIONS or item.get("/Subtype") in ("/RichMedia", "/Movie", "/Sound", "/Screen"):
            findings.add("outside_action")
        if "/AA" in item:
            findings.add("auto_action")
        if ("/EmbeddedFiles" in item or "/EF" in item or item.get("/Type") == "/EmbeddedFile"
                or item.get("/Subtype") == "/FileAttachment"):
            findings.add("embedded_files")
        if "/XFA" in item:
            findings.add("xfa")
        stack.extend(item.values())  # raw values: references stay references until popped
        if isinstance(item, StreamObject):
            if item.get("/Subtype") == "/Image":
                width, height = _resolve(item.get("/Width", 0)), _resolve(item.get("/Height", 0))
                if isinstance(width, int) and isinstance(height, int) and width * height > MAX_IMAGE_PIXELS:
                    raise Refusal("too_complex")
            decoded_total += _decoded_size(item, decode_stream_data, LimitReachedError)
            if decoded_total > TOTAL_DECODED_MAX:
                raise Refusal("bomb")
    for code in PRIORITY:
        if code in findings:
            raise Refusal(code)
    return {"objects": len(seen)}


def _decoded_size(stream, decode_stream_data, LimitReachedError) -> int:
    filters = _resolve(stream.get("/Filter"))
    names = [str(_resolve(f)) for f in filters] if isinstance(filters, list) else ([str(filters)] if filters else [])
    raw = len(stream._data or b"")
    if not names or any(name in IMAGE_FILTERS for name in names):
        return raw  # image codecs are not decoded here; the preview child bounds them
    if "/Crypt" in names:
        raise Refusal("encrypted")
    try:
        size = len(decode_stream_data(stream))  # pypdf's decoders stop at 75 MB per stream
    except LimitReachedError:
        raise Refusal("bomb") from None
    if size > RATIO_FLOOR and size > RATIO_MAX * max(raw, 1):
        raise Refusal("bomb")
    return size


def page_geometry(reader) -> list[dict]:
    pages = []
    for page in reader.pages:
        rotation = page.rotation
        if not isinstance(rotation, int) or rotation % 90:
            raise Refusal("damaged")
        rotation %= 360
        box = page.cropbox
        width, height = float(box.width), float(box.height)
        if not (0 < abs(width) < 1e6 and 0 < abs(height) < 1e6):
            raise Refusal("damaged")
        width, height = abs(width), abs(height)
        if rotation in (90, 270):
            width, height = height, width
        pages.append({"width": round(width, 3), "height": round(height, 3), "rotation": rotation})
    return pages


def inspect(data: bytes, max_pages: int) -> tuple[PdfReader, dict]:
    reader = open_strict(data)
    count = len(reader.pages)
    if count == 0:
        raise Refusal("no_pages")
    if count > max_pages:
        raise Refusal("too_many_pages", pages=count, limit=max_pages)
    scanned = scan(reader)
    root = _resolve(reader.trailer["/Root"])
    form = _resolve(root.get("/AcroForm")) or {}
    fields = _resolve(form.get("/Fields")) or []
    signed = any(_resolve(_resolve(f).get("/FT")) == "/Sig" and "/V" in _resolve(f) for f in fields)
    info = {"page_count": count, "pages": page_geometry(reader), "sha256": hashlib.sha256(data).hexdigest(),
            "has_form_fields": len(fields) > 0, "has_signatures": signed, "objects": scanned["objects"]}
    return reader, info


def op_inspect(data: bytes, args: dict) -> dict:
    return inspect(data, args["max_pages"])[1]


def op_normalize(data: bytes, args: dict) -> dict:
    """Inspect, then write the file again with pypdf: one clean xref, no incremental updates,
    no unreachable objects, no OpenAction (it was a destination; viewers open on page 1).
    The result is read back strictly and must have the same pages."""
    from pypdf import PdfWriter
    from pypdf.generic import NameObject

    reader, info = inspect(data, args["max_pages"])
    writer = PdfWriter(clone_from=reader)
    writer._root_object.pop(NameObject("/OpenAction"), None)
    out = io.BytesIO()
    writer.write(out)
    clean = out.getvalue()
    if page_geometry(open_strict(clean)) != info["pages"]:
        raise Refusal("damaged")
    info["normalized_sha256"] = hashlib.sha256(clean).hexdigest()
    info["normalized"] = base64.b64encode(clean).decode("ascii")
    return info


def op_render(data: bytes, args: dict) -> dict:
    """Pages through pdfium (pypdfium2's bundled build has no JavaScript engine and no XFA).
    /Rotate is applied by pdfium; form field appearances are drawn. One PNG per page asked."""
    import pypdfium2 as pdfium

    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as error:
        raise Refusal("encrypted" if "password" in str(error).lower() else "damaged") from None
    count = len(doc)
    indexes = args["page_indexes"]
    if any(not 0 <= i < count for i in indexes):
        raise Refusal("no_such_page", pages=count)
    pngs = []
    try:
        doc.init_forms()
        for index in indexes:
            page = doc[index]
            width_pt, height_pt = page.get_size()  # already turned by /Rotate
            scale = args["width_px"] / width_pt
            if width_pt * height_pt * scale * scale > MAX_RENDER_PIXELS:
                scale = (MAX_RENDER_PIXELS / (width_pt * height_pt)) ** 0.5
            image = page.render(scale=scale, may_draw_forms=True).to_pil()
            out = io.BytesIO()
            image.save(out, "PNG", compress_level=3)
            pngs.append(base64.b64encode(out.getvalue()).decode("ascii"))
            page.close()
    except pdfium.PdfiumError:
        # the document opened; a page failing now is pdfium out of memory or at a limit
        raise Refusal("too_complex") from None
    doc.close()
    return {"page_count": count, "pngs": pngs}


# ---------------------------------------------------------------------------- verification

def op_verify(data: bytes, args: dict) -> dict:
    """The public /verify page's question (see adapters/pdf_verify.py for the trust model):
    validate the last signature with pyHanko, the signer's certificate pinned when its
    SHA-256 is in args["trusted"]. Answers facts, never a verdict about this deployment's
    database (the parent owns that). pyHanko is lenient-read (strict=False): a sealed file
    must be checked as it is, not refused for a quirk. The diff analysis of revisions added
    after the seal is skipped (skip_diff): our verdict only needs "the seal covers the whole
    file", and that analysis is what a crafted update of tens of thousands of objects makes
    slow. A file pyHanko cannot read is "unreadable" ("tampered" if it claims a signature)."""
    try:
        facts = _verify_signature(data, set(args["trusted"]))
    except (MemoryError, RecursionError):
        raise
    except Exception as error:
        sys.stderr.write(f"verify: {type(error).__name__}: {error}\n"[:2000])
        facts = {"status": "tampered" if b"/ByteRange" in data else "unreadable", "signed": b"/ByteRange" in data}
    facts["sha256"] = hashlib.sha256(data).hexdigest()
    if facts["status"] == "sealed_here":
        facts["manifest"] = _manifest(data, args["manifest_name"], args["manifest_format"])
    return facts


def _verify_signature(data: bytes, trusted: set[str]) -> dict:
    import asyncio
    import logging

    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import async_validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    logging.disable(logging.CRITICAL)  # pyHanko logs whole object lists; stderr stays short
    reader = PdfFileReader(io.BytesIO(data), strict=False)
    if reader.encrypted:
        return {"status": "unreadable"}
    signatures = reader.embedded_signatures
    if not signatures:
        return {"status": "not_signed"}
    sig = signatures[-1]
    cert = sig.signer_cert
    fingerprint = hashlib.sha256(cert.dump()).hexdigest()
    ours = fingerprint in trusted
    moment = sig.self_reported_timestamp
    context = ValidationContext(trust_roots=[cert] if ours else [], allow_fetching=False,
                                revocation_mode="soft-fail", moment=moment, best_signature_time=moment)
    status = asyncio.run(async_validate_pdf_signature(sig, signer_validation_context=context, skip_diff=True))
    intact = bool(status.intact and status.valid)
    whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    when = status.signer_reported_dt
    facts = {"signed": True, "ours": ours, "intact": intact, "covers_whole_file": whole,
             "trusted": bool(status.trusted), "signing_time": when.isoformat() if when else None,
             "signer_subject": cert.subject.human_friendly, "certificate_sha256": fingerprint,
             "signatures": len(signatures)}
    if not intact:
        verdict = "tampered"
    elif not ours:
        verdict = "signed_elsewhere"
    elif not status.trusted:  # ours, intact, but the certificate was not valid at the seal's time
        verdict = "tampered"
    elif not whole:
        verdict = "modified"
    else:
        verdict = "sealed_here"
    return {"status": verdict, **facts}


def _manifest(data: bytes, name: str, fmt: str) -> dict | None:
    """The manifest the seal embeds (title, id, signers): read only from a file that is
    sealed_here, so it lies inside the signed bytes and cannot have been edited."""
    from pypdf import PdfReader

    try:
        found = PdfReader(io.BytesIO(data), strict=False).attachments.get(name) or []
        body = json.loads(found[0]) if found else None
    except (MemoryError, RecursionError):
        raise
    except Exception:
        return None
    return body if isinstance(body, dict) and body.get("format") == fmt else None


OPS = {"inspect": op_inspect, "normalize": op_normalize, "render": op_render, "verify": op_verify}


def preload() -> None:
    import PIL.Image
    import PIL.PngImagePlugin  # noqa: F401
    import pypdf
    import pypdf.filters  # noqa: F401
    import pypdfium2  # noqa: F401


def answer(payload: dict) -> None:
    sys.stdout.write(json.dumps(payload))
    sys.stdout.flush()


def main() -> int:
    if "--preload" in sys.argv:
        preload()  # a warm spare: pay the imports now, wait for work on stdin
    line = sys.stdin.buffer.readline(65536)
    if not line.strip():
        return 0  # a spare told to go away (stdin closed)
    header = json.loads(line)
    op = OPS[header["op"]]
    if header["op"] != "render":
        import pypdf  # noqa: F401  (imports before the limits: their memory is not the file's)
    if header["op"] == "verify":
        import pyhanko.pdf_utils.reader
        import pyhanko.sign.validation  # noqa: F401
        import pyhanko_certvalidator  # noqa: F401
    if header["op"] == "render":
        import PIL.Image  # noqa: F401
        import pypdfium2  # noqa: F401
    apply_limits(header["limits"]["memory_bytes"], header["limits"]["cpu_seconds"])
    data = sys.stdin.buffer.read(header["length"])
    if len(data) != header["length"]:
        answer({"ok": False, "code": "damaged", "detail": {}})
        return 0
    try:
        answer({"ok": True, "result": op(data, header["args"])})
    except Refusal as refusal:
        answer({"ok": False, "code": refusal.code, "detail": refusal.detail})
    except MemoryError:
        answer({"ok": False, "code": "too_complex", "detail": {"cause": "memory"}})
    except RecursionError:
        answer({"ok": False, "code": "too_complex", "detail": {"cause": "recursion"}})
    except Exception as error:
        # pypdf's own limits (page tree, array sizes, object streams) say "too much"
        limit = sys.modules.get("pypdf.errors")
        code = "too_complex" if limit and isinstance(error, limit.LimitReachedError) else "damaged"
        answer({"ok": False, "code": code, "detail": {"error": type(error).__name__}})
        sys.stderr.write(f"{type(error).__name__}: {error}\n"[:2000])
    return 0


if __name__ == "__main__":
    sys.exit(main())

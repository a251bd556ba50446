"""Hostile PDFs cannot hurt the server (adapters/pdf_guard.py): each bad file is refused
with its own message by a child process under memory, CPU and time limits, and the app
(this process) carries on; good PDFs come back with their page geometry and previews.
The PDFs are made here, with fpdf2 and pypdf, or written by hand where a tool would
refuse to write them."""

from __future__ import annotations

import io
import zlib

import pytest
from fpdf import FPDF
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject, TextStringObject

from portal_app.adapters import pdf_guard
from portal_app.adapters.pdf_guard import Limits, PdfRejected, inspect_pdf, render_page

CAP = 5 * 1024 * 1024


def good(pages: int = 2, rotate: int = 0) -> bytes:
    pdf = FPDF(unit="pt", format="letter")
    for n in range(pages):
        pdf.add_page()
        pdf.set_font("helvetica", size=14)
        pdf.text(72, 72, f"Page {n + 1}")
    data = bytes(pdf.output())
    if not rotate:
        return data
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    for page in writer.pages:
        page.rotate(rotate)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def with_root(extra: dict, page_extra: dict | None = None) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(good(1))))
    for key, value in extra.items():
        writer._root_object[NameObject(key)] = value
    for key, value in (page_extra or {}).items():
        writer.pages[0][NameObject(key)] = value
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def js_action() -> DictionaryObject:
    return DictionaryObject({NameObject("/S"): NameObject("/JavaScript"),
                             NameObject("/JS"): TextStringObject("app.alert('hi')")})


def refused(data: bytes, **kw) -> str:
    with pytest.raises(PdfRejected) as caught:
        inspect_pdf(data, max_bytes=kw.get("max_bytes", CAP), max_pages=kw.get("max_pages", 300))
    return caught.value.code


def bomb() -> bytes:
    """A one-page PDF whose content stream inflates to 2 GB from a few MB."""
    stream = zlib.compressobj(9)
    chunk, body = b"\0" * (1 << 20), b""
    for _ in range(2048):
        body += stream.compress(chunk)
    body += stream.flush()
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(body) + body + b"\nendstream"]
    out, offsets = bytearray(b"%PDF-1.7\n"), []
    for i, obj in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def test_a_good_pdf_comes_back_with_its_pages_as_displayed():
    info = inspect_pdf(good(3), max_bytes=CAP, max_pages=300)
    assert info.page_count == 3 and len(info.sha256) == 64
    assert (info.pages[0].width, info.pages[0].height, info.pages[0].rotation) == (612, 792, 0)
    turned = inspect_pdf(good(1, rotate=90), max_bytes=CAP, max_pages=300).pages[0]
    assert (turned.width, turned.height, turned.rotation) == (792, 612, 90)


def test_three_hundred_pages_are_accepted_and_301_are_not():
    assert inspect_pdf(good(300), max_bytes=CAP, max_pages=300).page_count == 300
    assert refused(good(301)) == "too_many_pages"


@pytest.mark.parametrize("make, code", [
    (lambda: b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "not_pdf"),
    (lambda: b"<html><script>alert(1)</script></html>", "not_pdf"),
    (lambda: good(2)[:-200], "damaged"),
    (lambda: good(2).replace(b"xref", b"xruf"), "damaged"),
    (lambda: with_root({"/OpenAction": DictionaryObject({NameObject("/S"): NameObject("/URI"),
                                                         NameObject("/URI"): TextStringObject("https://x.test")})}),
     "open_action"),
    (lambda: with_root({"/OpenAction": js_action()}), "javascript"),
    (lambda: with_root({}, {"/AA": DictionaryObject({NameObject("/O"): js_action()})}), "javascript"),
    (lambda: with_root({"/Names": DictionaryObject({NameObject("/JavaScript"): DictionaryObject(
        {NameObject("/Names"): ArrayObject([TextStringObject("x"), js_action()])})})}), "javascript"),
    (lambda: with_root({"/OpenAction": DictionaryObject({NameObject("/S"): NameObject("/Launch"),
                                                         NameObject("/F"): TextStringObject("calc.exe")})}),
     "launch"),
])
def test_hostile_pdfs_are_refused_with_their_own_message(make, code):
    got = refused(make())
    assert got == code or (code == "javascript" and got in ("javascript", "auto_action"))
    assert pdf_guard.MESSAGES[got]  # a sentence for a person, never a stack trace


def test_an_encrypted_pdf_is_refused():
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(good(1))))
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    assert refused(out.getvalue()) == "encrypted"


def test_an_oversized_file_is_refused_before_it_is_parsed():
    assert refused(good(1), max_bytes=100) == "too_big"
    assert "the limit is" in PdfRejected("too_big", size="1.0", limit="0.1").message


def test_a_flate_bomb_is_refused_quickly_and_this_process_stays_up():
    import time

    started = time.monotonic()
    assert refused(bomb(), max_bytes=50 * 1024 * 1024) in ("bomb", "too_complex")
    assert time.monotonic() - started < 60
    assert inspect_pdf(good(1), max_bytes=CAP, max_pages=300).page_count == 1  # still working


@pytest.mark.parametrize("limits", [
    Limits(memory_bytes=2 * 2**20, cpu_seconds=20, wall_seconds=30.0),   # no room to work in
    Limits(memory_bytes=768 * 2**20, cpu_seconds=20, wall_seconds=0.01),  # out of time at once
])
def test_a_child_over_its_limits_is_killed_and_reported_as_too_complex(limits):
    with pytest.raises(PdfRejected) as caught:
        inspect_pdf(good(300), max_bytes=CAP, max_pages=300, limits=limits)
    assert caught.value.code == "too_complex"
    assert inspect_pdf(good(1), max_bytes=CAP, max_pages=300).page_count == 1  # the parent is fine


def test_previews_are_pngs_of_the_page_as_displayed():
    png = render_page(good(1, rotate=90), 0, width_px=800)
    assert png.startswith(b"\x89PNG")
    with Image.open(io.BytesIO(png)) as img:
        assert img.width == 800 and abs(img.height - 800 * 612 / 792) <= 2  # landscape once turned
    with pytest.raises(PdfRejected) as caught:
        render_page(good(1), 5, width_px=800)
    assert caught.value.code == "no_such_page"
    assert NumberObject(1)  # (pypdf's generic objects import cleanly in the app process)

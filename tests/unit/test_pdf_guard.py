"""adapters/pdf_guard.py: hostile PDFs are refused with their message, good ones are measured
right, previews honour /Rotate, and the child's limits kill a runaway without hurting us.

Every PDF is made here: fpdf2 for ordinary documents, pypdf to rotate/encrypt/attach, and
raw bytes (with a correct xref) where a hostile structure must be written by hand.
"""

from __future__ import annotations

import io
import logging
import resource
import zlib

import pypdf
import pytest
from fpdf import FPDF
from PIL import Image

from portal_app.adapters import pdf_guard
from portal_app.adapters.pdf_guard import (
    INSPECT_LIMITS,
    Limits,
    PageInfo,
    PdfRejected,
    accept_pdf,
    inspect_pdf,
    render_page,
    render_pages,
)

MB = 1_000_000
CAPS = {"max_bytes": 20 * MB, "max_pages": 300}


# ---------------------------------------------------------------------------- makers

def fpdf_doc(pages: int = 1, size=(612, 792), text: str = "Page") -> bytes:
    pdf = FPDF(unit="pt", format=size)
    pdf.set_font("helvetica", size=14)
    for number in range(pages):
        pdf.add_page()
        pdf.set_xy(72, 72)
        pdf.cell(text=f"{text} {number + 1}")
    return bytes(pdf.output())


def with_pypdf(data: bytes, change) -> bytes:
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(data)))
    change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def raw_pdf(objects: list[bytes], trailer: bytes = b"") -> bytes:
    """Objects 1..n (1 is the catalog) with an exact xref table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, trailer, xref)
    return bytes(out)


def one_page(catalog_extra: bytes = b"", page_extra: bytes = b"", content: bytes = b"BT ET",
             more: list[bytes] = (), filters: bytes = b"") -> bytes:
    stream = b"<< /Length %d %s>>\nstream\n%s\nendstream" % (len(content), filters, content)
    return raw_pdf([b"<< /Type /Catalog /Pages 2 0 R %s>>" % catalog_extra,
                    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R %s>>" % page_extra,
                    stream, *more])


def zeros_zlib(total: int, chunk: int = 16 * 2**20) -> bytes:
    """A valid zlib stream of `total` zero bytes, built without ever holding them: identical
    full-flushed deflate blocks repeated, then the Adler-32 of n zeros, (1, n mod 65521)."""
    assert total % chunk == 0
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = deflate.compress(bytes(chunk)) + deflate.flush(zlib.Z_FULL_FLUSH)
    tail = deflate.flush(zlib.Z_FINISH)
    adler = ((total % 65521) << 16) | 1
    return b"\x78\xda" + block * (total // chunk) + tail + adler.to_bytes(4, "big")


def refusal(data: bytes, **caps) -> str:
    with pytest.raises(PdfRejected) as caught:
        inspect_pdf(data, **{**CAPS, **caps})
    return caught.value.message


# ---------------------------------------------------------------------------- good files

def test_pages_sizes_and_rotations_are_reported_as_displayed():
    pdf = FPDF(unit="pt")
    for size in [(612, 792), (842, 595), (612, 792), (612, 792), (300, 500)]:
        pdf.add_page(format=size)
    data = with_pypdf(bytes(pdf.output()), lambda w: [w.pages[i].rotate(r) for i, r in [(2, 90), (3, 180), (4, 270)]])

    info = inspect_pdf(data, **CAPS)

    assert info.page_count == 5
    assert info.pages == (PageInfo(612, 792, 0), PageInfo(842, 595, 0), PageInfo(792, 612, 90),
                          PageInfo(612, 792, 180), PageInfo(500, 300, 270))
    assert len(info.sha256) == 64 and info.has_form_fields is False and info.has_signatures is False


def test_form_fields_are_reported_and_a_destination_open_action_is_accepted():
    plain = fpdf_doc()
    assert b"/OpenAction" in plain  # fpdf2 writes [page /FitH null]: where to open, not an action
    assert inspect_pdf(plain, **CAPS).has_form_fields is False

    form = b"/AcroForm << /Fields [5 0 R] >>"
    field = b"<< /FT /Tx /T (name) /Rect [72 600 300 620] /Subtype /Widget /P 3 0 R >>"
    info = inspect_pdf(one_page(catalog_extra=form, page_extra=b"/Annots [5 0 R]", more=[field]), **CAPS)
    assert info.has_form_fields is True


def test_a_300_page_pdf_is_accepted_at_a_cap_of_300():
    info = inspect_pdf(fpdf_doc(300), **CAPS)
    assert info.page_count == 300


def test_normalized_copy_is_clean_and_keeps_the_pages():
    original = fpdf_doc(3)
    accepted = accept_pdf(original + b"\r\nbytes a mail gateway appended\n", **CAPS)
    reader = pypdf.PdfReader(io.BytesIO(accepted.data), strict=True)
    assert len(reader.pages) == 3 and "/OpenAction" not in reader.trailer["/Root"]
    assert accepted.info.page_count == 3 and accepted.sha256 != accepted.info.sha256
    assert inspect_pdf(accepted.data, **CAPS).pages == accepted.info.pages


# ---------------------------------------------------------------------------- bad files

def test_non_pdfs_named_pdf_are_refused():
    png = io.BytesIO()
    Image.new("RGB", (8, 8)).save(png, "PNG")
    message = ("This file is not a PDF, even if its name ends in .pdf. Save or export the document as a PDF "
               "and upload that.")
    assert refusal(png.getvalue()) == message
    assert refusal(b"<!doctype html><html><body>invoice.pdf</body></html>") == message
    assert refusal(b"") == message


def test_over_the_byte_cap_is_refused_before_parsing():
    data = b"%PDF-1.7\n" + b"0" * (1_300_000 - 9)  # not even a valid PDF: never parsed
    assert refusal(data, max_bytes=1 * MB) == ("This file is 1.3 MB; the limit is 1 MB. Make the PDF smaller or "
                                               "split it, and upload it again.")


def test_over_the_page_cap_is_refused():
    assert refusal(fpdf_doc(301)) == ("This PDF has 301 pages; the limit is 300. Split it into smaller "
                                      "documents and upload them separately.")


def test_encrypted_is_refused():
    data = with_pypdf(fpdf_doc(), lambda w: w.encrypt("secret", algorithm="AES-128"))
    assert refusal(data) == "This file is password-protected. Remove the password and upload it again."
    owner_only = with_pypdf(fpdf_doc(), lambda w: w.encrypt("", "owner"))  # opens without a password
    assert refusal(owner_only) == "This file is password-protected. Remove the password and upload it again."


DAMAGED = ("This PDF is damaged or incomplete, so we cannot read it reliably. Open it in the program that made it, "
           "save or export it as a new PDF, and upload that.")


def test_truncated_and_corrupt_xref_are_refused():
    good = fpdf_doc(3)
    assert refusal(good[: len(good) // 2]) == DAMAGED
    assert refusal(good[:-12]) == DAMAGED  # only the end cut: no %%EOF
    shifted = good[:15] + b"% eighteen bytes!\n" + good[15:]  # every xref offset now wrong
    assert refusal(shifted) == DAMAGED
    start = good.rindex(b"startxref")
    assert refusal(good[:start] + b"startxref\n99\n%%EOF\n") == DAMAGED


JAVASCRIPT = ("This PDF contains JavaScript, which we do not accept in documents. Print it to a new PDF (or export "
              "it without scripts) and upload that.")


def test_javascript_in_the_names_tree_is_refused():
    data = one_page(catalog_extra=b"/Names << /JavaScript << /Names [(init) 5 0 R] >> >>",
                    more=[b"<< /S /JavaScript /JS (app.alert\\(1\\);) >>"])
    assert refusal(data) == JAVASCRIPT


def test_javascript_in_a_page_additional_action_is_refused():
    data = one_page(page_extra=b"/AA << /O << /S /JavaScript /JS (app.alert\\(1\\)) >> >>")
    assert refusal(data) == JAVASCRIPT


def test_a_page_additional_action_without_javascript_is_refused():
    data = one_page(page_extra=b"/AA << /O << /S /URI /URI (https://tracker.example/open) >> >>")
    assert refusal(data) == ("This PDF runs actions by itself when a page is opened or a field is used, which we "
                             "do not accept. Print it to a new PDF and upload that.")


def test_an_open_action_that_acts_is_refused():
    data = one_page(catalog_extra=b"/OpenAction << /S /URI /URI (https://tracker.example/opened) >>")
    assert refusal(data) == ("This PDF runs an action as soon as it is opened (an OpenAction), which we do not "
                             "accept. Print it to a new PDF and upload that.")


def test_a_launch_action_is_refused():
    link = b"<< /Type /Annot /Subtype /Link /Rect [0 0 100 100] /A << /S /Launch /F (calc.exe) >> >>"
    data = one_page(page_extra=b"/Annots [5 0 R]", more=[link])
    assert refusal(data) == ("This PDF tries to open other programs or files on the reader's computer (a Launch "
                             "action), which we do not accept. Print it to a new PDF and upload that.")


def test_submit_form_is_refused():
    link = b"<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A << /S /SubmitForm /F (https://x.example) >> >>"
    assert refusal(one_page(page_extra=b"/Annots [5 0 R]", more=[link])) == (
        "This PDF contains actions that send data, open other files or play media, which we do not accept. "
        "Print it to a new PDF and upload that.")


def test_embedded_files_are_refused():
    data = with_pypdf(fpdf_doc(), lambda w: w.add_attachment("payload.exe", b"MZ\x90\x00"))
    assert refusal(data) == ("This PDF has files attached inside it, which we do not accept: the person signing "
                             "would not see them. Upload the PDF without attachments and share the files "
                             "separately.")


def test_xfa_is_refused():
    data = one_page(catalog_extra=b"/AcroForm << /Fields [] /XFA 5 0 R >>",
                    more=[b"<< /Length 9 >>\nstream\n<xdp:xdp>\nendstream"])
    assert refusal(data) == ("This PDF is an XFA form (made with Adobe LiveCycle or AEM Forms), which browsers "
                             "cannot show. Save it as a standard PDF and upload that.")


BOMB = ("This PDF contains compressed data that expands to an unreasonable size, which we do not accept. Save it "
        "again from the program that made it and upload that.")


def test_flate_bombs_are_refused_quickly():
    four_gb = zeros_zlib(4 * 2**30)  # ~4 MB that inflate to 4 GiB
    nested = zlib.compress(four_gb, 9)  # and that, flated again: ~10 KB in the file
    assert len(nested) < 64_000
    # "quickly" in CPU seconds, not wall-clock ones (a loaded machine stretches those): with
    # 2 s of CPU, inflating would end as "too complex"; the bomb answer means it stopped early
    quick = Limits(memory_bytes=INSPECT_LIMITS.memory_bytes, cpu_seconds=2, wall_seconds=INSPECT_LIMITS.wall_seconds)
    for content, filters in [(four_gb, b"/Filter /FlateDecode"),
                             (nested, b"/Filter [/FlateDecode /FlateDecode]")]:
        with pytest.raises(PdfRejected) as caught:
            inspect_pdf(one_page(content=content, filters=filters), **CAPS, limits=quick)
        assert caught.value.message == BOMB


def test_many_moderate_streams_over_the_total_budget_are_refused():
    chunk = zeros_zlib(15 * 2**20, chunk=2**20)  # 15 MiB each: under the ratio floor, 14 of them over 200 MB
    stream = b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(chunk), chunk)
    refs = b" ".join(b"%d 0 R" % n for n in range(5, 19))
    assert refusal(one_page(page_extra=b"/PieceInfo [%s]" % refs, more=[stream] * 14)) == BOMB


# ---------------------------------------------------------------------------- limits

TOO_COMPLEX = ("This PDF is too complex to process safely: it needs more time or memory than we allow. Print it "
               "to a new, simpler PDF and upload that.")


def strokes_pdf(count: int) -> bytes:
    """A 1-page PDF of `count` full-page strokes: a few KB that take pdfium seconds of CPU."""
    content = zlib.compress(b"0.1 w 0 0 m 612 792 l 612 0 l 0 792 l S\n" * count)
    return one_page(content=content, filters=b"/Filter /FlateDecode")


def test_a_child_over_its_cpu_limit_is_killed_and_refused(caplog):
    parent_limits = resource.getrlimit(resource.RLIMIT_CPU), resource.getrlimit(resource.RLIMIT_AS)
    caplog.set_level(logging.WARNING, logger="portal_app.adapters.pdf_guard")
    with pytest.raises(PdfRejected) as caught:
        render_page(strokes_pdf(40_000), 0, limits=Limits(memory_bytes=2**31, cpu_seconds=1, wall_seconds=30))
    assert caught.value.message == TOO_COMPLEX
    assert "wall-clock limit" not in caplog.text  # the CPU limit ended it, however slow the machine
    assert "child ended with -24" in caplog.text or "child ended with -9" in caplog.text  # SIGXCPU / SIGKILL
    assert (resource.getrlimit(resource.RLIMIT_CPU), resource.getrlimit(resource.RLIMIT_AS)) == parent_limits
    assert inspect_pdf(fpdf_doc(), **CAPS).page_count == 1  # and we carry on


def test_a_child_over_its_memory_limit_is_refused(caplog):
    caplog.set_level(logging.INFO, logger="portal_app.adapters.pdf_guard")
    big = zeros_zlib(64 * 2**20, chunk=2**20)  # 64 MiB of content to inflate
    data = one_page(content=big, filters=b"/Filter /FlateDecode")
    with pytest.raises(PdfRejected) as caught:
        inspect_pdf(data, **CAPS, limits=Limits(memory_bytes=160 * 2**20, cpu_seconds=10, wall_seconds=30))
    assert caught.value.message == TOO_COMPLEX
    assert "'cause': 'memory'" in caplog.text  # with the default limits this file is refused as a bomb
    with pytest.raises(PdfRejected) as caught:  # pdfium: a 30 Mpx bitmap cannot fit in 150 MB
        render_page(fpdf_doc(), 0, width_px=4000, limits=Limits(memory_bytes=150 * 2**20, cpu_seconds=10,
                                                                wall_seconds=30))
    assert caught.value.message == TOO_COMPLEX
    assert inspect_pdf(fpdf_doc(), **CAPS).page_count == 1


def test_a_child_past_the_wall_clock_is_killed_and_refused(caplog):
    caplog.set_level(logging.WARNING, logger="portal_app.adapters.pdf_guard")
    with pytest.raises(PdfRejected) as caught:
        inspect_pdf(fpdf_doc(), **CAPS, limits=Limits(memory_bytes=2**30, cpu_seconds=10, wall_seconds=0.01))
    assert caught.value.message == TOO_COMPLEX
    assert "wall-clock limit" in caplog.text
    assert inspect_pdf(fpdf_doc(), **CAPS).page_count == 1


# ---------------------------------------------------------------------------- previews

def test_preview_is_a_png_of_the_page_as_displayed():
    pdf = FPDF(unit="pt", format=(612, 792))
    pdf.add_page()
    pdf.rect(0, 0, 120, 60, style="F")  # a black mark at the top left of the unrotated page
    data = with_pypdf(bytes(pdf.output()), lambda w: w.pages[0].rotate(90))

    png = render_page(data, 0, width_px=1200)

    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png)).convert("L")
    assert image.width == 1200 and abs(image.height - 1200 * 612 / 792) <= 1
    assert image.getpixel((image.width - 10, 10)) < 50  # turned clockwise: the mark is top right
    assert image.getpixel((10, 10)) > 200


def test_several_pages_and_a_missing_page():
    data = fpdf_doc(3)
    pngs = render_pages(data, [0, 2], width_px=300)
    sizes = [Image.open(io.BytesIO(p)).size for p in pngs]
    assert [w for w, _ in sizes] == [300, 300] and all(abs(h - 300 * 792 / 612) <= 1 for _, h in sizes)
    with pytest.raises(PdfRejected) as caught:
        render_page(data, 3)
    assert caught.value.message == "This document has 3 pages; there is no page 4."


def test_warm_spare_gives_the_same_answers():
    pdf_guard.keep_warm(True)
    try:
        first = render_page(fpdf_doc(), 0, width_px=200)
        second = render_page(fpdf_doc(), 0, width_px=200)
        assert first == second
        assert refusal(one_page(page_extra=b"/AA << /C << /JS (x) >> >>")) == JAVASCRIPT
    finally:
        pdf_guard.keep_warm(False)

"""Completing a signed document (adapters/pdf_complete.py): field values land where the
field editor put them on rotated and offset pages, forms are flattened, signatures typed
and drawn are stamped, certificate pages carry the hashes and events, and the result is
one PAdES seal that pyHanko validates as intact and covering the whole file.

Every PDF is generated here (tests/support/pdf_samples.py)."""

from __future__ import annotations

import io
import math

import pypdf
import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from portal_app.adapters.pdf_complete import DocumentError, FieldValue, complete_document
from portal_app.adapters.pdf_records import MANIFEST_NAME
from portal_app.adapters.pdf_stamp import PageBox
from portal_app.adapters.sealing import new_sealing_identity
from tests.support.pdf_samples import certificate, drawn_png, form_pdf, plain_pdf, rotated_pdf, sha


@pytest.fixture(scope="module")
def identity():
    return new_sealing_identity("Northwind Studio document sealing", "Northwind Studio")


@pytest.fixture(scope="module")
def big(identity):
    """300 pages, fields on the first, a middle and the last page: completed once."""
    original = plain_pdf(300)
    fields = [FieldValue(p, 0.1, 0.8, 0.35, 0.06, "signature", "Zoë Łukasiewicz", "zoe@cafe.example")
              for p in (0, 150, 299)]
    return original, complete_document(original, fields, certificate(original), identity)


def texts_with_positions(page):
    """[(text, x, y)] in the page's user space, from pypdf's text visitor (tm × cm)."""
    found = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            dx, dy = tm[0] * cm[0] + tm[1] * cm[2], tm[0] * cm[1] + tm[1] * cm[3]
            found.append((text.strip(), x, y, (dx, dy)))

    page.extract_text(visitor_text=visit)
    return found


def displayed_fraction(page, x, y):
    """User-space point → (fx, fy) of the page as displayed, top-left origin, computed by
    rotating the visible box's corners clockwise (independently of PageBox.matrix)."""
    crop = page.cropbox
    angle = math.radians(-(int(page.get("/Rotate", 0)) % 360))   # clockwise
    rot = lambda px, py: (px * math.cos(angle) - py * math.sin(angle),  # noqa: E731
                          px * math.sin(angle) + py * math.cos(angle))
    corners = [rot(cx, cy) for cx in (float(crop.left), float(crop.right))
               for cy in (float(crop.bottom), float(crop.top))]
    minx, maxx = min(c[0] for c in corners), max(c[0] for c in corners)
    miny, maxy = min(c[1] for c in corners), max(c[1] for c in corners)
    u, v = rot(x, y)
    return (u - minx) / (maxx - minx), (maxy - v) / (maxy - miny)


def pyhanko_status(data: bytes, identity):
    from asn1crypto import x509

    reader = PdfFileReader(io.BytesIO(data))
    assert len(reader.embedded_signatures) == 1
    root = x509.Certificate.load(identity.certificate.public_bytes(__import__(
        "cryptography.hazmat.primitives.serialization", fromlist=["Encoding"]).Encoding.DER))
    context = ValidationContext(trust_roots=[root], allow_fetching=False, revocation_mode="soft-fail")
    return validate_pdf_signature(reader.embedded_signatures[0], context)


# ------------------------------------------------------------------ geometry


@pytest.mark.parametrize("rotation,expected", [
    (0, (1, 0, 0, 1, 10, 20)), (90, (0, 1, -1, 0, 110, 20)),
    (180, (-1, 0, 0, -1, 110, 220)), (270, (0, -1, 1, 0, 10, 220))])
def test_page_box_matrix_maps_displayed_corners_onto_the_visible_box(rotation, expected):
    box = PageBox(10, 20, 100, 200, rotation)
    assert box.matrix == expected
    a, b, c, d, e, f = box.matrix
    w, h = box.displayed
    # the displayed top-left corner (0, h) is the visible box corner a viewer shows top-left
    top_left = (a * 0 + c * h + e, b * 0 + d * h + f)
    assert top_left == {0: (10, 220), 90: (10, 20), 180: (110, 20), 270: (110, 220)}[rotation]


def test_fields_land_where_placed_on_rotated_and_offset_pages(identity):
    original = rotated_pdf()
    fields = [FieldValue(n, 0.25, 0.10, 0.30, 0.05, "text", f"MARK{n}") for n in range(4)]
    fields += [FieldValue(n, 0.60, 0.70, 0.20, 0.05, "date", f"DATE{n}") for n in range(4)]
    done = complete_document(original, fields, certificate(original), identity)
    reader = pypdf.PdfReader(io.BytesIO(done.data))
    for n in range(4):
        page = reader.pages[n]
        assert int(page.get("/Rotate", 0)) % 360 == (0, 90, 180, 270)[n]   # the page itself is untouched
        seen = {t: (x, y, d) for t, x, y, d in texts_with_positions(page)}
        for label, (x0, y0, w, h) in ((f"MARK{n}", (0.25, 0.10, 0.30, 0.05)), (f"DATE{n}", (0.60, 0.70, 0.20, 0.05))):
            x, y, direction = seen[label]
            fx, fy = displayed_fraction(page, x, y)
            assert x0 <= fx <= x0 + w, (n, label, fx)
            assert y0 <= fy <= y0 + h, (n, label, fy)
            # upright as displayed: the baseline runs left to right on screen
            end = displayed_fraction(page, x + direction[0], y + direction[1])
            assert end[0] > fx and abs(end[1] - fy) < 1e-6, (n, label)


def test_page_box_uses_the_crop_box_inside_the_media_box():
    page = pypdf.PdfReader(io.BytesIO(rotated_pdf())).pages[1]
    box = PageBox.of(page)
    assert (box.llx, box.lly, box.width, box.height, box.rotation) == (80, 140, 500, 700, 90)
    assert box.displayed == (700, 500)


# ------------------------------------------------------------------ forms


def test_existing_form_is_flattened_values_kept_widgets_removed(identity):
    original = form_pdf()
    assert "/AcroForm" in pypdf.PdfReader(io.BytesIO(original)).trailer["/Root"]
    done = complete_document(original, [], certificate(original), identity)
    reader = pypdf.PdfReader(io.BytesIO(done.data))
    text = reader.pages[0].extract_text()
    assert "Acme Corp" in text and "BOX-ON" in text
    assert "BOX-OFF" not in text and "HIDDEN-FIELD" not in text
    # the only field left is the seal's own signature field (pyHanko adds it last)
    form = reader.trailer["/Root"]["/AcroForm"]
    assert [(f.get_object()["/FT"], f.get_object()["/T"]) for f in form["/Fields"]] == [("/Sig", "Seal")]
    assert "/NeedAppearances" not in form and "/XFA" not in form
    for page in reader.pages:
        for annot in page.get("/Annots", []) or []:
            annot = annot.get_object()
            if annot["/Subtype"] == "/Widget":
                assert annot.get("/FT") == "/Sig" and annot.get("/T") == "Seal"
    assert pyhanko_status(done.data, identity).intact


# ------------------------------------------------------------------ signatures


def test_typed_and_drawn_signatures_are_stamped(identity):
    original = plain_pdf(2)
    fields = [FieldValue(0, 0.1, 0.7, 0.4, 0.08, "signature", "Zoë Łukasiewicz", "zoe@cafe.example"),
              FieldValue(0, 0.6, 0.7, 0.1, 0.05, "initials", "ZŁ", "zoe@cafe.example"),
              FieldValue(1, 0.1, 0.7, 0.4, 0.1, "signature", drawn_png(), "sam@northwind.example"),
              FieldValue(1, 0.6, 0.7, 0.04, 0.03, "checkbox", True),
              FieldValue(1, 0.7, 0.7, 0.04, 0.03, "checkbox", False)]
    done = complete_document(original, fields, certificate(original), identity)
    reader = pypdf.PdfReader(io.BytesIO(done.data))
    first = reader.pages[0]
    assert "Zoë Łukasiewicz" in first.extract_text() and "ZŁ" in first.extract_text()

    def fonts(resources, acc):
        for font in (resources.get("/Font") or {}).values():
            acc.add(str(font.get_object()["/BaseFont"]))
        for xo in (resources.get("/XObject") or {}).values():
            xo = xo.get_object()
            if "/Resources" in xo:
                fonts(xo["/Resources"].get_object(), acc)
        return acc

    used = fonts(first["/Resources"], set())
    assert any("Kristi" in f for f in used) and any("DejaVu" in f for f in used)   # Ł from the fallback

    def images(resources, acc):
        for xo in (resources.get("/XObject") or {}).values():
            xo = xo.get_object()
            if xo.get("/Subtype") == "/Image":
                acc.append(xo)
            elif "/Resources" in xo:
                images(xo["/Resources"].get_object(), acc)
        return acc

    assert images(reader.pages[1]["/Resources"], [])           # the drawn PNG
    assert not images(first["/Resources"], [])
    # the signatures also appear, by signer, on the certificate pages
    assert images(reader.pages[2]["/Resources"], [])


def test_bad_input_gives_human_errors(identity):
    original = plain_pdf(1)
    cases = [
        (b"not a pdf at all", [], "not a PDF"),
        (original, [FieldValue(3, 0, 0, 0.1, 0.1, "text", "x")], "page 4"),
        (original, [FieldValue(0, 0, 0, 0.1, 0.1, "signature", b"\x89PNG\r\n\x1a\nbroken" + b"0" * 40)], "PNG"),
    ]
    for data, fields, words in cases:
        cert = certificate(original if data is original else data)
        with pytest.raises(DocumentError) as err:
            complete_document(data, fields, cert, identity)
        assert words in err.value.message
    other = certificate(plain_pdf(2))
    with pytest.raises(DocumentError, match="SHA-256"):
        complete_document(original, [], other, identity)
    with pytest.raises(DocumentError):
        FieldValue(0, 0, 0, 1, 1, "stamp", "x")


def test_encrypted_original_is_refused(identity):
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(plain_pdf(1))))
    writer.encrypt("secret", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(DocumentError, match="password-protected"):
        complete_document(out.getvalue(), [], certificate(out.getvalue()), identity)


# ------------------------------------------------------------------ the seal and the certificate


def test_300_pages_seal_validates_intact_covering_the_whole_file(big, identity):
    original, done = big
    assert done.pages == 300 + done.certificate_pages and done.certificate_pages >= 1
    assert done.sha256 == sha(done.data)
    status = pyhanko_status(done.data, identity)
    assert status.intact and status.valid and status.trusted
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert status.md_algorithm == "sha256"
    reader = PdfFileReader(io.BytesIO(done.data))
    sig = reader.embedded_signatures[0]
    assert sig.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    text = pypdf.PdfReader(io.BytesIO(done.data)).pages[150].extract_text()
    assert "Zoë Łukasiewicz" in text


def test_certificate_pages_carry_hashes_signers_and_events(identity):
    original = plain_pdf(3)
    cert = certificate(original, events=220)
    done = complete_document(original, [], cert, identity)
    reader = pypdf.PdfReader(io.BytesIO(done.data))
    assert done.certificate_pages >= 2                       # 220 events wrap onto more pages
    text = "\n".join(p.extract_text() for p in reader.pages[3:])
    for needle in (sha(original), "doc_7Hq2xK9p", "Services agreement", "zoe@cafe.example", "sam@northwind.example",
                   "203.0.113.7", "2001:db8::1", "2026-03-02 14:05:09 UTC", "2026-03-02 14:12:09 UTC",
                   "2026-03-02 14:15:39 UTC", "Chrome/131.0", "electronic records and signatures", "2026-01",
                   "Event number 0:", "Event number 219:", identity.fingerprint):
        assert needle in text, needle
    assert pypdf.PdfReader(io.BytesIO(done.data)).metadata.title == "Services agreement"


def test_manifest_is_embedded_inside_the_sealed_range(identity):
    import json

    original = plain_pdf(1)
    done = complete_document(original, [], certificate(original), identity)
    manifest = json.loads(pypdf.PdfReader(io.BytesIO(done.data)).attachments[MANIFEST_NAME][0])
    assert manifest["original_sha256"] == sha(original)
    assert manifest["document_id"] == "doc_7Hq2xK9p" and manifest["original_pages"] == 1
    assert [s["email"] for s in manifest["signers"]] == ["zoe@cafe.example", "sam@northwind.example"]
    assert manifest["signers"][1]["signed_at"] == "2026-03-02T14:15:39Z"
    assert manifest["seal_certificate_sha256"] == identity.fingerprint
    sig = PdfFileReader(io.BytesIO(done.data)).embedded_signatures[0]
    start, length = sig.byte_range[2], sig.byte_range[3]
    assert start + length == len(done.data)   # the signed range runs to the end: the manifest is in it

"""PDFs, signing records and sealing certificates the sealing tests build for themselves
(fpdf2 + pypdf, cryptography)."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime, timedelta

import pypdf
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from fpdf import FPDF
from PIL import Image, ImageDraw
from pypdf.generic import (
    ArrayObject,
    BooleanObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    NumberObject,
    StreamObject,
    TextStringObject,
)

from portal_app.adapters.pdf_records import CertificateInfo, EventInfo, SignerInfo

T0 = datetime(2026, 3, 2, 14, 5, 9, tzinfo=UTC)


def plain_pdf(pages: int = 1, paper: str = "A4") -> bytes:
    pdf = FPDF(unit="pt", format=paper)
    pdf.set_compression(True)
    pdf.set_creation_date(T0)
    pdf.set_font("helvetica", size=11)
    for n in range(pages):
        pdf.add_page()
        pdf.text(40, 60, f"Agreement page {n + 1} of {pages}")
        pdf.text(40, 80, "The parties agree to the terms set out in this document.")
    return bytes(pdf.output())


def rotated_pdf() -> bytes:
    """Four pages: /Rotate 0, 90, 180, 270; page 2 (90) also has a MediaBox and a smaller
    CropBox that do not start at 0,0."""
    reader = pypdf.PdfReader(io.BytesIO(plain_pdf(4)))
    writer = pypdf.PdfWriter(clone_from=reader)
    for page, angle in zip(writer.pages, (0, 90, 180, 270), strict=True):
        if angle:
            page[NameObject("/Rotate")] = NumberObject(angle)
    p = writer.pages[1]
    p.mediabox = pypdf.generic.RectangleObject([50, 100, 50 + 595.28, 100 + 841.89])
    p.cropbox = pypdf.generic.RectangleObject([80, 140, 80 + 500, 140 + 700])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _stream(writer, content: bytes, bbox, resources=None, matrix=None):
    s = StreamObject()
    s.set_data(content)
    s[NameObject("/Type")] = NameObject("/XObject")
    s[NameObject("/Subtype")] = NameObject("/Form")
    s[NameObject("/BBox")] = ArrayObject(FloatObject(v) for v in bbox)
    if matrix:
        s[NameObject("/Matrix")] = ArrayObject(FloatObject(v) for v in matrix)
    if resources is not None:
        s[NameObject("/Resources")] = resources
    return writer._add_object(s)


def form_pdf() -> bytes:
    """One page with an AcroForm: a text field with a value but no appearance
    (NeedAppearances), a ticked checkbox whose two states draw "BOX-ON" / "BOX-OFF", and a
    hidden text field whose appearance draws "HIDDEN-FIELD"."""
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(plain_pdf(1))))
    page = writer.pages[0]
    helv = writer._add_object(DictionaryObject({NameObject("/Type"): NameObject("/Font"),
                                                NameObject("/Subtype"): NameObject("/Type1"),
                                                NameObject("/BaseFont"): NameObject("/Helvetica")}))
    font_res = DictionaryObject({NameObject("/Font"): DictionaryObject({NameObject("/Helv"): helv})})

    def text_appearance(label: str):
        return _stream(writer, f"BT /Helv 10 Tf 2 4 Td ({label}) Tj ET".encode(), (0, 0, 120, 20), font_res)

    company = DictionaryObject({
        NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Widget"),
        NameObject("/FT"): NameObject("/Tx"), NameObject("/T"): TextStringObject("company"),
        NameObject("/V"): TextStringObject("Acme Corp"), NameObject("/DA"): TextStringObject("/Helv 12 Tf 0 g"),
        NameObject("/Rect"): ArrayObject(FloatObject(v) for v in (72, 600, 300, 624)),
        NameObject("/F"): NumberObject(4), NameObject("/P"): page.indirect_reference})
    checkbox = DictionaryObject({
        NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Widget"),
        NameObject("/FT"): NameObject("/Btn"), NameObject("/T"): TextStringObject("agree"),
        NameObject("/V"): NameObject("/Yes"), NameObject("/AS"): NameObject("/Yes"),
        NameObject("/Rect"): ArrayObject(FloatObject(v) for v in (72, 560, 192, 580)),
        NameObject("/AP"): DictionaryObject({NameObject("/N"): DictionaryObject({
            NameObject("/Yes"): text_appearance("BOX-ON"), NameObject("/Off"): text_appearance("BOX-OFF")})}),
        NameObject("/F"): NumberObject(4), NameObject("/P"): page.indirect_reference})
    hidden = DictionaryObject({
        NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Widget"),
        NameObject("/FT"): NameObject("/Tx"), NameObject("/T"): TextStringObject("secret"),
        NameObject("/V"): TextStringObject("x"), NameObject("/F"): NumberObject(2),
        NameObject("/Rect"): ArrayObject(FloatObject(v) for v in (72, 500, 192, 520)),
        NameObject("/AP"): DictionaryObject({NameObject("/N"): text_appearance("HIDDEN-FIELD")}),
        NameObject("/P"): page.indirect_reference})
    refs = [writer._add_object(a) for a in (company, checkbox, hidden)]
    page[NameObject("/Annots")] = ArrayObject(refs)
    writer._root_object[NameObject("/AcroForm")] = DictionaryObject({
        NameObject("/Fields"): ArrayObject(refs), NameObject("/NeedAppearances"): BooleanObject(True),
        NameObject("/DR"): font_res, NameObject("/DA"): TextStringObject("/Helv 12 Tf 0 g")})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def drawn_png(size=(400, 120)) -> bytes:
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.line([(20, 90), (80, 20), (140, 100), (220, 30), (300, 95), (380, 40)], fill=(10, 20, 90, 255), width=6)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def certificate(original: bytes, *, events: int = 4, title: str = "Services agreement") -> CertificateInfo:
    signers = [
        SignerInfo(name="Zoë Łukasiewicz", email="zoe@cafe.example", role="Client", ip="203.0.113.7",
                   user_agent="Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0",
                   consent_text="I agree to use electronic records and signatures.", consent_version="2026-01",
                   sent_at=T0, viewed_at=T0 + timedelta(minutes=3), signed_at=T0 + timedelta(minutes=7)),
        SignerInfo(name="Sam Staff", email="sam@northwind.example", role="Countersigner", ip="2001:db8::1",
                   user_agent="Mozilla/5.0 (Macintosh) Safari/605.1.15", consent_text="I agree.",
                   consent_version="2026-01", sent_at=T0 + timedelta(minutes=8),
                   viewed_at=T0 + timedelta(minutes=9), signed_at=T0 + timedelta(minutes=10, seconds=30)),
    ]
    trail = [EventInfo(at=T0 + timedelta(seconds=n * 17), action=f"Event number {n}: reminder sent",
                       actor="sam@northwind.example", ip="198.51.100.9") for n in range(events)]
    return CertificateInfo(title=title, document_id="doc_7Hq2xK9p", original_sha256=sha(original),
                           signers=signers, events=trail, workspace_name="Northwind Studio")


def many_objects_update(base: bytes, objects: int = 60_000) -> bytes:
    """The issue's hostile file: `base` plus one incremental update of `objects` tiny
    objects, all reachable from the catalog (pypdf writes the update)."""
    writer = pypdf.PdfWriter(io.BytesIO(base), incremental=True)
    refs = ArrayObject()
    for i in range(objects):
        refs.append(writer._add_object(DictionaryObject({NameObject("/N"): NumberObject(i)})))
    writer._root_object[NameObject("/Junk")] = refs
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --- sealing certificates (test_pdf_verify.py, test_verify_trust.py) ----------------------------

def make_cert(key, *, days=365, start=None, usage=(True, True), issuer_key=None, issuer_name=None, name="Acme"):
    """An X.509 certificate for `key`, valid from `start` (a day ago by default) for `days` days,
    self-signed unless an issuer is given; `usage` = (digital signature, non-repudiation)."""
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    start = start or datetime.now(UTC) - timedelta(days=1)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer_name or subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(start).not_valid_after(start + timedelta(days=days)))
    if usage is not None:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=usage[0], content_commitment=usage[1], key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False),
            critical=True)
    return builder.sign(issuer_key or key, hashes.SHA256())


def make_p12(key, cert, password=b"pw", cas=None):
    """PKCS#12 bytes as a sealing certificate upload."""
    return pkcs12.serialize_key_and_certificates(b"x", key, cert, cas, serialization.BestAvailableEncryption(password))

"""The certificate pages appended to a completed document (fpdf2, DejaVu Sans): what was
signed (title, public id, the original's SHA-256, its page count), by whom (each signer's
name, email, role, IP address, device, consent given with its version, and the UTC times
the request was sent, viewed and signed, with the signature as it was stamped), the event
trail, and the sealing certificate's fingerprint.

Every text is user-controlled and bounded (control characters dropped, length capped);
fpdf2 wraps long lines and breaks words longer than a line (a user agent, a hash), and
starts a new page when one is full, so a long event list simply takes more pages. The same
input gives the same bytes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from fpdf import FPDF
from fpdf.fonts import FontFace

from portal_app.adapters.pdf_records import CertificateInfo, FieldValue, completed_at, utc_text
from portal_app.adapters.pdf_stamp import FONT_SCRIPT, INK, SCRIPT, safe_png
from portal_app.adapters.pdf_text import FAMILY, FONT_BOLD, FONT_REGULAR, _clean

MARGIN = 16.0                 # mm
MUTED = (96, 104, 113)
TEXT = (31, 35, 40)
RULE = (216, 222, 228)
ACCENT = (31, 78, 121)
MAX_SIGNERS = 200
MAX_EVENTS = 5_000


class _CertPdf(FPDF):
    doc_id = ""

    def footer(self):
        self.set_y(-12)
        self.set_font(FAMILY, "", 7.5)
        self.set_text_color(*MUTED)
        self.cell(0, 4, f"Certificate of completion · document {self.doc_id} · page {self.page_no()} of {{nb}}",
                  align="C")


def _row(pdf: FPDF, label: str, value: str, label_w: float = 38.0) -> None:
    pdf.set_x(MARGIN)
    pdf.set_font(FAMILY, "", 8.5)
    pdf.set_text_color(*MUTED)
    y = pdf.get_y()
    pdf.multi_cell(label_w, 4.6, label, new_x="RIGHT", new_y="TOP")
    pdf.set_text_color(*TEXT)
    pdf.multi_cell(pdf.w - 2 * MARGIN - label_w, 4.6, value or "—", new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(max(pdf.get_y(), y + 4.6))


def _heading(pdf: FPDF, text: str) -> None:
    if pdf.get_y() > pdf.h - 45:
        pdf.add_page()
    pdf.ln(3)
    pdf.set_font(FAMILY, "B", 11)
    pdf.set_text_color(*ACCENT)
    pdf.cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_draw_color(*RULE)
    pdf.set_line_width(0.2)
    pdf.line(MARGIN, pdf.get_y(), pdf.w - MARGIN, pdf.get_y())
    pdf.ln(2)


def _signature_of(email: str, fields: list[FieldValue]) -> FieldValue | None:
    for f in fields:
        if f.kind == "signature" and f.signer_email and f.signer_email.lower() == email.lower():
            return f
    return None


def _draw_signature(pdf: FPDF, f: FieldValue) -> None:
    """The signature as stamped, in a 60 × 16 mm box, under the signer's details."""
    if pdf.get_y() + 20 > pdf.h - 20:
        pdf.add_page()
    x, y, w, h = MARGIN + 38, pdf.get_y() + 1, 60.0, 16.0
    pdf.set_draw_color(*RULE)
    pdf.rect(x, y, w, h)
    png = safe_png(f.value) if isinstance(f.value, (bytes, bytearray)) else None
    if png is not None:
        pdf.image(io.BytesIO(png), x + 1, y + 1, w - 2, h - 2, keep_aspect_ratio=True)
    elif not isinstance(f.value, (bytes, bytearray)):
        name = _clean(f.value, 120)
        pdf.set_font(SCRIPT, "", 20)
        while pdf.get_string_width(name) > w - 4 and pdf.font_size_pt > 6:
            pdf.set_font(SCRIPT, "", pdf.font_size_pt - 1)
        pdf.set_text_color(*INK)
        pdf.set_xy(x + 2, y)
        pdf.cell(w - 4, h, name, align="C")
    pdf.set_y(y + h + 2)


def render_certificate(cert: CertificateInfo, *, original_pages: int, fingerprint: str,
                       fields: Sequence[FieldValue] = (), paper: str = "A4") -> bytes:
    pdf = _CertPdf(orientation="P", unit="mm", format=paper)
    pdf.doc_id = _clean(cert.document_id, 80)
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(True, margin=20)
    pdf.set_compression(True)
    pdf.alias_nb_pages()
    pdf.add_font(FAMILY, "", str(FONT_REGULAR))
    pdf.add_font(FAMILY, "B", str(FONT_BOLD))
    pdf.add_font(SCRIPT, "", str(FONT_SCRIPT))
    pdf.set_fallback_fonts([FAMILY], exact_match=False)
    done = completed_at(cert)
    pdf.set_creation_date(done)
    pdf.set_creator("Client Portal")
    pdf.add_page()

    pdf.set_font(FAMILY, "B", 16)
    pdf.set_text_color(*TEXT)
    pdf.cell(0, 9, "Certificate of completion", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", 9)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(0, 4.6, "This page records who signed the document above, when and from where. The whole file, "
                   "these pages included, is sealed with a digital signature: any change after sealing shows "
                   "in a PDF reader's signature panel and on our verification page.",
                   align="L", new_x="LMARGIN", new_y="NEXT")

    _heading(pdf, "Document")
    _row(pdf, "Title", _clean(cert.title, 300))
    _row(pdf, "Document ID", _clean(cert.document_id, 80))
    _row(pdf, "Original SHA-256", _clean(cert.original_sha256, 80).lower())
    _row(pdf, "Pages", f"{original_pages} in the original, followed by these certificate pages")
    _row(pdf, "Completed", utc_text(done))
    if cert.workspace_name:
        _row(pdf, "Sealed by", _clean(cert.workspace_name, 200))
    _row(pdf, "Seal certificate", "SHA-256 " + fingerprint)

    _heading(pdf, f"Signers ({len(cert.signers)})")
    for n, s in enumerate(cert.signers[:MAX_SIGNERS], 1):
        if pdf.get_y() > pdf.h - 70:
            pdf.add_page()
        pdf.set_font(FAMILY, "B", 10)
        pdf.set_text_color(*TEXT)
        pdf.multi_cell(0, 6, f"{n}. {_clean(s.name, 200)}  <{_clean(s.email, 254)}>", new_x="LMARGIN", new_y="NEXT")
        _row(pdf, "Role", _clean(s.role, 100))
        _row(pdf, "Sent", utc_text(s.sent_at))
        _row(pdf, "Viewed", utc_text(s.viewed_at))
        _row(pdf, "Signed", utc_text(s.signed_at))
        _row(pdf, "IP address", _clean(s.ip, 64))
        _row(pdf, "Device", _clean(s.user_agent, 512))
        consent = _clean(s.consent_text, 2_000, multiline=True)
        if s.consent_version:
            consent = f"{consent} (version {_clean(s.consent_version, 40)})"
        _row(pdf, "Consent", consent)
        signature = _signature_of(s.email, list(fields))
        if signature is not None:
            _draw_signature(pdf, signature)
        pdf.ln(2)
    if len(cert.signers) > MAX_SIGNERS:
        _row(pdf, "", f"… and {len(cert.signers) - MAX_SIGNERS} more signers")

    _heading(pdf, f"Events ({len(cert.events)})")
    pdf.set_font(FAMILY, "", 8)
    pdf.set_text_color(*TEXT)
    if cert.events:
        with pdf.table(col_widths=(38, 70, 48, 22), text_align="LEFT", line_height=4.4,
                       headings_style=FontFace(emphasis="BOLD", color=MUTED), borders_layout="HORIZONTAL_LINES",
                       padding=1) as table:
            table.row(["Time (UTC)", "Event", "By", "IP address"])
            for e in cert.events[:MAX_EVENTS]:
                table.row([utc_text(e.at).removesuffix(" UTC"), _clean(e.action, 300), _clean(e.actor, 254) or "—",
                           _clean(e.ip, 64) or "—"])
        if len(cert.events) > MAX_EVENTS:
            _row(pdf, "", f"… and {len(cert.events) - MAX_EVENTS} more events")
    else:
        pdf.cell(0, 5, "No events recorded.", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())

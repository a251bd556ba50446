"""Documents built through the services, for the document tests and the matrix."""

from __future__ import annotations

import base64
import io

from fpdf import FPDF
from PIL import Image, ImageDraw

from portal_app.services.documents import documents, signing


def pdf_bytes(pages: int = 2, title: str = "Service agreement") -> bytes:
    pdf = FPDF(unit="pt", format="letter")
    for n in range(pages):
        pdf.add_page()
        pdf.set_font("helvetica", size=18)
        pdf.text(72, 96, f"{title} - page {n + 1}")
        pdf.set_font("helvetica", size=11)
        pdf.text(72, 700, "Signature: ______________________   Date: ____________")
    return bytes(pdf.output())


def drawn_signature() -> str:
    img = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.line([(20, 150), (120, 40), (220, 160), (320, 50), (420, 150), (560, 60)], fill=(17, 24, 39, 255), width=6)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def draft(db, world, *, countersign: bool = False, kind: str = "contract", lines=None, pages: int = 2):
    doc = documents.upload_document(db, world.staff_a, data=pdf_bytes(pages), file_name="agreement.pdf", kind=kind,
                                    title="Service agreement", contact_public_id=world.contact_a1.public_id,
                                    message="Please sign by Friday.", countersign=countersign,
                                    estimate_lines=lines, currency="USD")
    db.flush()
    return doc


def place(db, world, doc, extra: list[dict] | None = None):
    signers = documents.signers_of(db, doc)
    fields = [{"kind": "signature", "signer": signers[0].public_id, "page": doc.page_count - 1,
               "x": 0.1, "y": 0.8, "w": 0.3, "h": 0.06},
              {"kind": "date", "signer": signers[0].public_id, "page": doc.page_count - 1,
               "x": 0.55, "y": 0.8, "w": 0.2, "h": 0.035}]
    if len(signers) > 1:
        fields.append({"kind": "signature", "signer": signers[1].public_id, "page": doc.page_count - 1,
                       "x": 0.1, "y": 0.9, "w": 0.3, "h": 0.06})
    documents.save_fields(db, world.staff_a, doc.public_id, fields + (extra or []))
    return signers


def sent(db, world, **kw):
    doc = draft(db, world, **kw)
    place(db, world, doc)
    documents.send_document(db, world.staff_a, doc.public_id)
    db.commit()
    return doc


def sign_as_client(db, world, doc, **kw):
    return signing.sign_document(db, world.client_a1, doc.public_id, consent=kw.pop("consent", True),
                                 values=kw.pop("values", {}),
                                 signature=kw.pop("signature", {"kind": "drawn", "png": drawn_signature()}),
                                 ip="203.0.113.7", user_agent="pytest browser", **kw)

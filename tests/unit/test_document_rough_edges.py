"""Issue 13, documents and signatures: the certificate names who sent the document, the
typed-signature preview loads the PDF's own handwriting font."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pypdf

from portal_app.services.documents import document_views, sealing
from tests.support.docs import sent, sign_as_client

ROOT = Path(__file__).resolve().parents[2]


def _sealed(db, world, **kw):
    doc = sent(db, world, **kw)
    sign_as_client(db, world, doc, signature={"kind": "typed", "name": "Alice Client"})
    db.commit()
    sealing.complete(db, doc.public_id)
    db.commit()
    return doc


# --- 1. the certificate of completion: who sent it ------------------------------------------

def test_the_certificate_names_the_staff_member_who_sent_the_document(db, world):
    doc = _sealed(db, world)
    data, _name = document_views.document_file(db, world.staff_a, doc.public_id, "completed")
    reader = pypdf.PdfReader(io.BytesIO(data))
    cert = "\n".join(p.extract_text() for p in reader.pages[doc.page_count:])
    assert "Certificate of completion" in cert
    sent_row = next(line for line in cert.splitlines() if "Sent for signature" in line)
    # the staff trail's "by": the sender (owner@alpha.example), never the recipient
    assert "owner@alpha.example" in sent_row, sent_row
    assert sent_row.index("Sent for signature") < sent_row.index("owner@alpha.example")
    assert "to alice@client.example" in sent_row  # whom it went to, said as such
    signed_row = next(line for line in cert.splitlines() if re.search(r"\bSigned\b", line)
                      and "alice@client.example" in line)
    assert "owner@alpha.example" not in signed_row  # the signer's own steps stay theirs


# --- 2. the handwriting font of the typed-signature preview ---------------------------------

def test_the_font_the_page_loads_is_the_file_the_pdf_stamps_with():
    from portal_app.adapters.pdf_stamp import FONT_SCRIPT
    from portal_app.api.security_headers import csp

    css = (ROOT / "assets" / "fonts.css").read_text()
    face = re.search(r"@font-face\s*{[^}]*font-family:\s*\"Kristi\"[^}]*url\(\"(/[^\"]+)\"\)", css)
    assert face, css
    served = ROOT / "assets" / face.group(1).lstrip("/")  # Reflex serves assets/ at /
    assert served.read_bytes() == FONT_SCRIPT.read_bytes()
    # the page asks for it by name, and the app loads the stylesheet
    from portal_app.components import signing_ui

    assert signing_ui.HANDWRITING.startswith("'Kristi'")
    assert "/fonts.css" in __import__("portal_app.portal_app", fromlist=["app"]).app.stylesheets
    # same origin only: the CSP stays strict
    policy = csp("n0nce", "").decode()
    assert "font-src 'self' data:;" in policy and "style-src 'self' 'unsafe-inline';" in policy

"""Issue 13, documents and signatures: the certificate names who sent the document."""

from __future__ import annotations

import io
import re

import pypdf

from portal_app.services.documents import document_views, sealing
from tests.support.docs import sent, sign_as_client


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

"""Issue 13, documents and signatures: the certificate names who sent the document, the
typed-signature preview loads the PDF's own handwriting font, staff name Text and Checkbox
fields (with a hint) and the signer reads those names, and an accepted estimate's invoice
is due after the workspace's payment terms and is linked from the document."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

import pypdf
import pytest

from portal_app.errors import Forbidden, Invalid, NotFound, NotSignedIn
from portal_app.models import DocumentField, Invoice
from portal_app.services.billing import invoice_views, invoices, payment_settings
from portal_app.services.documents import document_views, documents, sealing
from tests.support.docs import draft, place, sent, sign_as_client

ROOT = Path(__file__).resolve().parents[2]
LINES = [{"description": "Design sprint", "quantity": "1", "unit_price": "900.00", "tax_rate": "0"}]


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


# --- 3. named Text and Checkbox fields --------------------------------------------------------

def _fields(db, world, doc, *extra):
    signer = documents.signers_of(db, doc)[0]
    return place(db, world, doc, [{"kind": k, "signer": signer.public_id, "page": 0, "x": 0.1, "y": y, "w": 0.3,
                                   "h": 0.04, **more} for k, y, more in extra])


def test_staff_name_fields_and_the_signer_reads_the_label_and_the_hint(db, world):
    doc = draft(db, world)
    _fields(db, world, doc,
            ("text", 0.2, {"label": "  Company registration number ", "hint": "As on your certificate of "
                                                                              "incorporation"}),
            ("checkbox", 0.3, {"label": "I have read the terms"}),
            ("text", 0.4, {}),                              # not named: kind and page
            ("text", 0.5, {"label": "Text"}))               # placed before naming: the kind's name
    documents.send_document(db, world.staff_a, doc.public_id)
    db.commit()
    view = document_views.signing_view(db, world.client_a1, doc.public_id)
    mine = [f for f in view["fields"] if f["kind"] in ("text", "checkbox")]
    assert [(f["shown_label"], f["hint"]) for f in mine] == [
        ("Company registration number", "As on your certificate of incorporation"),
        ("I have read the terms", ""), ("Text (page 1)", ""), ("Text (page 1)", "")]
    staff_view = document_views.document_detail(db, world.staff_a, doc.public_id)
    assert {f["label"] for f in staff_view["fields"]} >= {"Company registration number", "I have read the terms"}


def test_a_required_named_field_left_empty_is_refused_by_its_name(db, world):
    from portal_app.services.documents import signing

    doc = draft(db, world)
    _fields(db, world, doc, ("text", 0.2, {"label": "Company registration number"}))
    documents.send_document(db, world.staff_a, doc.public_id)
    db.commit()
    field = next(f for f in documents.fields_of(db, doc) if f.kind == "text")
    with pytest.raises(Invalid, match="Company registration number"):
        signing.sign_document(db, world.client_a1, doc.public_id, consent=True, values={field.public_id: "x" * 501},
                              signature={"kind": "typed", "name": "Alice Client"}, ip="", user_agent="")


@pytest.mark.parametrize("extra, message", [
    ({"label": "L" * 101}, "The label of the text field on page 1 can be at most 100 characters."),
    ({"hint": "H" * 201}, "The hint of the text field on page 1 can be at most 200 characters."),
    ({"label": "Name\u0000"}, "The label of the text field on page 1 contains characters that are not allowed."),
    ({"hint": "two\nlines"}, "The hint of the text field on page 1 contains characters that are not allowed."),
])
def test_labels_and_hints_are_bounded_with_a_human_message(db, world, extra, message):
    doc = draft(db, world)
    with pytest.raises(Invalid) as caught:
        _fields(db, world, doc, ("text", 0.2, extra))
    assert caught.value.message == message and caught.value.field == "fields"
    assert documents.fields_of(db, doc) == []  # nothing half-saved


def test_only_staff_of_the_workspace_name_fields(db, world):
    doc = draft(db, world)
    signer = documents.signers_of(db, doc)[0]
    fields = [{"kind": "text", "signer": signer.public_id, "page": 0, "x": 0.1, "y": 0.1, "w": 0.3, "h": 0.04,
               "label": "Hacked"}]
    for actor, error in ((world.client_a1, Forbidden), (world.anon, NotSignedIn), (world.staff_b, NotFound)):
        with pytest.raises(error):
            documents.save_fields(db, actor, doc.public_id, fields)
    assert db.query(DocumentField).filter(DocumentField.label == "Hacked").count() == 0


# --- 4. an accepted estimate's invoice: due after the terms, linked from the document -----------

def test_an_estimates_invoice_is_due_after_the_default_terms_of_14_days(db, world):
    doc = _sealed(db, world, kind="estimate", lines=LINES)
    inv = db.get(Invoice, doc.invoice_id)
    assert inv.due_date == inv.issue_date + timedelta(days=14)


@pytest.mark.parametrize("days", ["30", "0"])
def test_the_workspace_sets_its_default_payment_terms(db, world, days):
    view = payment_settings.save_invoice_settings(db, world.staff_a, invoice_prefix="INV-", default_currency="USD",
                                                  allow_partial=False, min_partial="", default_terms_days=days)
    assert view["default_terms_days"] == days
    doc = _sealed(db, world, kind="estimate", lines=LINES)
    inv = db.get(Invoice, doc.invoice_id)
    assert inv.due_date == inv.issue_date + timedelta(days=int(days))


@pytest.mark.parametrize("days", ["366", "-1", "two weeks", "1.5", "١٢"])
def test_payment_terms_out_of_range_are_refused_with_a_message(db, world, days):
    with pytest.raises(Invalid) as caught:
        payment_settings.save_invoice_settings(db, world.staff_a, invoice_prefix="INV-", default_currency="USD",
                                               allow_partial=False, min_partial="", default_terms_days=days)
    assert caught.value.field == "default_terms_days"
    assert caught.value.message == "Default payment terms must be a whole number of days from 0 to 365."


def test_only_admins_set_payment_terms(db, world):
    for actor in (world.member_a, world.client_a1):
        with pytest.raises(Forbidden):
            payment_settings.save_invoice_settings(db, actor, invoice_prefix="INV-", default_currency="USD",
                                                   allow_partial=False, min_partial="", default_terms_days="30")


def test_the_document_links_to_the_invoice_it_became_for_staff_and_its_client_only(db, world):
    doc = _sealed(db, world, kind="estimate", lines=LINES)
    inv = db.get(Invoice, doc.invoice_id)
    staff_view = document_views.document_detail(db, world.staff_a, doc.public_id)
    assert (staff_view["invoice_number"], staff_view["invoice_href"]) == (inv.number, f"/staff/invoices/{inv.public_id}")
    # a draft invoice is the business's: the client's page does not link it yet
    client_view = document_views.signing_view(db, world.client_a1, doc.public_id)
    assert (client_view["invoice_number"], client_view["invoice_href"]) == ("", "")
    invoices.send_invoice(db, world.staff_a, inv.public_id)
    db.commit()
    client_view = document_views.signing_view(db, world.client_a1, doc.public_id)
    assert client_view["invoice_href"] == f"/invoices/{inv.public_id}" and client_view["invoice_number"] == inv.number
    assert invoice_views.invoice_detail(db, world.client_a1, inv.public_id)["number"] == inv.number
    # nobody else reaches the document or the invoice through it
    for other in (world.client_a2, world.client_b1):
        with pytest.raises(NotFound):
            document_views.signing_view(db, other, doc.public_id)
        with pytest.raises(NotFound):
            invoice_views.invoice_detail(db, other, inv.public_id)
    with pytest.raises(NotFound):
        document_views.document_detail(db, world.staff_b, doc.public_id)


def test_a_contract_links_no_invoice(db, world):
    doc = _sealed(db, world)
    assert document_views.document_detail(db, world.staff_a, doc.public_id)["invoice_href"] == ""
    assert document_views.signing_view(db, world.client_a1, doc.public_id)["invoice_href"] == ""

"""Download PDF, the service (services/billing/invoice_pdf.py): who gets which invoice's PDF, what
the PDF says (text read back with pypdf), and the cache in the storage adapter.

The world (tests/conftest.py): workspace A (owner staff_a, member_a, clients alice =
contact_a1 and bob = contact_a2), workspace B (owner staff_b, client carol).
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from pypdf import PdfReader

from portal_app.adapters.storage import get_storage
from portal_app.errors import NotFound, NotSignedIn
from portal_app.models import base, utcnow
from portal_app.services.billing import invoice_pdf
from portal_app.services.billing.invoices import create_invoice, record_manual_payment, send_invoice, void_invoice
from tests.support.clock import Clock

TODAY = utcnow().date()


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    """Today as each test starts, and the services' today for the whole test: time stands
    still (models.base.clock), so a test that crosses midnight UTC does not see two days."""
    global TODAY
    monkeypatch.setattr(base, "clock", Clock())
    TODAY = utcnow().date()


LINES = [
    {"description": "Brand workshop", "quantity": "2", "unit_minor": 45_000, "tax_rate": "10"},
    {"description": "Logo files — Zoë edition", "quantity": "1", "unit_minor": 12_550, "tax_rate": "0"},
]


def make(db, world, *, send: bool = True, contact=None, **kw):
    inv = create_invoice(db, world.staff_a, contact_public_id=(contact or world.contact_a1).public_id,
                         lines=LINES, issue_date=TODAY, due_date=TODAY + timedelta(days=14),
                         notes="Thank you for your business.", terms="Net 14.", **kw)
    if send:
        send_invoice(db, world.staff_a, inv.public_id)
    db.commit()
    return inv


def text_of(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_client_gets_her_invoice_pdf_with_number_lines_and_totals(world, db):
    inv = make(db, world)
    pdf = invoice_pdf.invoice_pdf(db, world.client_a1, inv.public_id)
    assert pdf.filename == f"{inv.number}.pdf" == "INV-0001.pdf"
    text = text_of(pdf.data)
    for expected in ("INV-0001", "Alpha Studio", "Alice Client", "alice@client.example", "Brand workshop",
                     "Logo files — Zoë edition", "450.00 USD", "900.00 USD", "125.50 USD",  # unit, line amounts
                     "1,025.50 USD",      # subtotal
                     "90.00 USD",         # tax at 10 % on 900.00
                     "Tax 10 %",
                     "1,115.50 USD",      # total = balance
                     "Thank you for your business.", "Net 14."):
        assert expected in text, expected
    assert "PAID" not in text and "VOID" not in text
    meta = PdfReader(io.BytesIO(pdf.data)).metadata
    assert meta is not None
    # the workspace's business name, not ours (its portal title is the default "Client Portal")
    assert (meta.author, meta.creator, meta.producer) == ("Alpha Studio", "Alpha Studio", "fpdf2")
    assert not any("Client Portal" in str(v) for v in meta.values())


def test_staff_of_the_workspace_get_any_invoice_pdf_drafts_included(world, db):
    sent, draft = make(db, world), make(db, world, send=False)
    for actor in (world.staff_a, world.member_a):
        assert "INV-0001" in text_of(invoice_pdf.invoice_pdf(db, actor, sent.public_id).data)
        assert "Draft" in text_of(invoice_pdf.invoice_pdf(db, actor, draft.public_id).data)


def test_nobody_else_gets_it(world, db):
    alices = make(db, world)
    draft = make(db, world, send=False)
    for actor in (world.client_a2, world.staff_b, world.client_b1):
        with pytest.raises(NotFound):
            invoice_pdf.invoice_pdf(db, actor, alices.public_id)
    with pytest.raises(NotFound):  # a draft is never a client's, even her own
        invoice_pdf.invoice_pdf(db, world.client_a1, draft.public_id)
    for guess in ("in_doesnotexist", "", alices.public_id + "x", str(alices.id)):
        with pytest.raises(NotFound):
            invoice_pdf.invoice_pdf(db, world.client_a1, guess)
    with pytest.raises(NotSignedIn):
        invoice_pdf.invoice_pdf(db, world.anon, alices.public_id)
    # the same NotFound message as an id that does not exist: nothing says it exists
    with pytest.raises(NotFound) as other:
        invoice_pdf.invoice_pdf(db, world.client_a2, alices.public_id)
    with pytest.raises(NotFound) as missing:
        invoice_pdf.invoice_pdf(db, world.client_a2, "in_doesnotexist")
    assert other.value.message == missing.value.message


def test_the_invoices_section_switched_off_hides_the_pdf_from_clients(world, db):
    from portal_app.models.workspace import SECTIONS
    from portal_app.services.portal.portal_settings import update_portal_settings

    inv = make(db, world)
    update_portal_settings(db, world.staff_a, portal_title="P", accent_color="#123456", brand_primary=None,
                           brand_secondary=None, sections={s: s != "invoices" for s in SECTIONS}, chat_widget=False)
    db.commit()
    with pytest.raises(NotFound):
        invoice_pdf.invoice_pdf(db, world.client_a1, inv.public_id)
    assert invoice_pdf.invoice_pdf(db, world.staff_a, inv.public_id).data.startswith(b"%PDF-")


def test_a_paid_invoice_is_marked_paid_with_its_payments(world, db):
    inv = make(db, world)
    record_manual_payment(db, world.staff_a, inv.public_id, amount_minor=15_550, method="bank_transfer",
                          reference="TRX-881")
    record_manual_payment(db, world.staff_a, inv.public_id, amount_minor=inv.total_minor - 15_550, method="check")
    db.commit()
    text = text_of(invoice_pdf.invoice_pdf(db, world.client_a1, inv.public_id).data)
    assert "PAID" in text
    for expected in ("Payments", "Bank transfer", "TRX-881", "155.50 USD", "Check", "Amount paid", "0.00 USD"):
        assert expected in text, expected


def test_a_void_invoice_is_marked_void(world, db):
    inv = make(db, world)
    void_invoice(db, world.staff_a, inv.public_id)
    db.commit()
    assert "VOID" in text_of(invoice_pdf.invoice_pdf(db, world.client_a1, inv.public_id).data)


def test_an_overdue_invoice_says_so(world, db):
    inv = create_invoice(db, world.staff_a, contact_public_id=world.contact_a1.public_id, lines=LINES,
                         issue_date=TODAY - timedelta(days=40), due_date=TODAY - timedelta(days=10))
    send_invoice(db, world.staff_a, inv.public_id)
    db.commit()
    _inv, model = invoice_pdf.build_invoice_pdf(db, world.client_a1, inv.public_id)
    assert model.status == "overdue"
    assert "Overdue" in text_of(invoice_pdf.invoice_pdf(db, world.client_a1, inv.public_id).data)


def test_discount_and_tax_rows_match_the_invoice(world, db):
    inv = make(db, world, discount_percent="10")
    _inv, model = invoice_pdf.build_invoice_pdf(db, world.staff_a, inv.public_id)
    assert model.discount_label == "Discount (10 %)"
    assert model.discount == "\u2212102.55 USD"    # 10 % of 1,025.50, taken off
    assert model.tax_by_rate == [("Tax 10 %", "81.00 USD")]  # (900.00 − its 90.00 share) × 10 %
    assert model.total == "1,003.95 USD"


def test_the_discount_reads_the_same_for_client_staff_and_the_pdf(world, db):
    """One minus sign, written by one function (services/billing/money.py format_amount): U+2212,
    which the PDF's font (DejaVu Sans) has. The client page showed "-", the staff page "−"."""
    from portal_app.services.billing import invoice_views

    inv = make(db, world, discount_percent="10")
    staff = invoice_views.invoice_detail(db, world.staff_a, inv.public_id)["discount"]
    client = invoice_views.invoice_detail(db, world.client_a1, inv.public_id)["discount"]
    _inv, model = invoice_pdf.build_invoice_pdf(db, world.client_a1, inv.public_id)
    assert staff == client == model.discount == "\u2212102.55 USD"
    assert "\u2212102.55 USD" in text_of(invoice_pdf.invoice_pdf(db, world.client_a1, inv.public_id).data)


def test_branding_logo_and_accent_reach_the_pdf(world, db):
    from PIL import Image

    from portal_app.models.workspace import SECTIONS
    from portal_app.services.portal.brand_images import set_logo
    from portal_app.services.portal.portal_settings import update_portal_settings

    buf = io.BytesIO()
    Image.new("RGB", (60, 20), (20, 120, 60)).save(buf, format="PNG")
    set_logo(db, world.staff_a, buf.getvalue(), "logo.png")
    update_portal_settings(db, world.staff_a, portal_title="P", accent_color="#0f766e", brand_primary=None,
                           brand_secondary=None, sections=dict.fromkeys(SECTIONS, True), chat_widget=False)
    inv = make(db, world)
    _inv, model = invoice_pdf.build_invoice_pdf(db, world.client_a1, inv.public_id)
    assert model.accent_color == "#0f766e"
    assert model.logo_png and model.logo_png.startswith(b"\x89PNG")
    data = invoice_pdf.invoice_pdf(db, world.client_a1, inv.public_id).data
    reader = PdfReader(io.BytesIO(data))
    assert list(reader.pages[0].images), "the logo is drawn on the first page"


# --- the cache -----------------------------------------------------------------------------

def _cached(world, inv) -> list[str]:
    import os

    storage = get_storage()
    folder = os.path.join(storage.root, world.ws_a.public_id, "invoice-pdf", inv.public_id)
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def test_the_same_content_is_rendered_once(world, db, monkeypatch):
    inv = make(db, world)
    calls = []
    real = invoice_pdf.render_invoice
    monkeypatch.setattr(invoice_pdf, "render_invoice", lambda m: calls.append(m) or real(m))
    first = invoice_pdf.invoice_pdf(db, world.client_a1, inv.public_id).data
    second = invoice_pdf.invoice_pdf(db, world.client_a1, inv.public_id).data
    third = invoice_pdf.invoice_pdf(db, world.staff_a, inv.public_id).data  # staff see the same file
    assert first == second == third
    assert len(calls) == 1
    files = _cached(world, inv)
    assert len(files) == 2 and "current" in files  # one PDF and the pointer to it


def test_a_payment_gives_a_new_pdf_and_the_old_one_goes(world, db, monkeypatch):
    inv = make(db, world)
    before = invoice_pdf.invoice_pdf(db, world.client_a1, inv.public_id).data
    [old_pdf] = [f for f in _cached(world, inv) if f.endswith(".pdf")]
    record_manual_payment(db, world.staff_a, inv.public_id, amount_minor=inv.total_minor, method="cash")
    db.commit()
    after = invoice_pdf.invoice_pdf(db, world.client_a1, inv.public_id).data
    assert after != before
    assert "PAID" in text_of(after) and "PAID" not in text_of(before)
    [new_pdf] = [f for f in _cached(world, inv) if f.endswith(".pdf")]
    assert new_pdf != old_pdf
    assert invoice_pdf.invoice_pdf(db, world.client_a1, inv.public_id).data == after


def test_the_cache_key_follows_the_content(world, db):
    inv = make(db, world)
    _inv, model = invoice_pdf.build_invoice_pdf(db, world.staff_a, inv.public_id)
    _inv, again = invoice_pdf.build_invoice_pdf(db, world.client_a1, inv.public_id)
    assert invoice_pdf.content_hash(model) == invoice_pdf.content_hash(again)
    tomorrow = invoice_pdf.build_invoice_pdf(db, world.staff_a, inv.public_id,
                                             today=TODAY + timedelta(days=30))[1]
    assert tomorrow.status == "overdue"
    assert invoice_pdf.content_hash(tomorrow) != invoice_pdf.content_hash(model)


def test_an_unwritable_cache_still_serves_the_pdf(world, db, monkeypatch):
    inv = make(db, world)
    storage = get_storage()

    def broken(*_a, **_k):
        raise OSError("disk full")

    monkeypatch.setattr(storage, "put", broken)
    data = invoice_pdf.invoice_pdf(db, world.client_a1, inv.public_id).data
    assert "INV-0001" in text_of(data)

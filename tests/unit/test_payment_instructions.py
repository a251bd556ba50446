"""Business details and other ways to pay (services/billing/payment_instructions.py): what
Settings › Payments saves (checked, all or nothing, owners and admins only), and what a
client's invoice then says: How to pay, the header, the banner, and the PDF (read back with pypdf).

The world (tests/conftest.py): workspace A (owner staff_a, member_a, clients alice =
contact_a1 and bob = contact_a2), workspace B (owner staff_b, client carol = client_b1).
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlmodel import select

from portal_app.access import Anonymous
from portal_app.errors import Forbidden, Invalid, NotFound, NotSignedIn
from portal_app.models import AuditEvent, PaymentInstructions, utcnow
from portal_app.services.billing import client_invoice, invoice_pdf, invoice_views
from portal_app.services.billing import payment_instructions as pi
from portal_app.services.billing.invoices import create_invoice, record_manual_payment, send_invoice

IBAN = "GB82 WEST 1234 5698 7654 32"          # the standard's example: valid check digits
FORM = {
    "legal_name": "Northwind Studio Ltd", "address": "1 Harbour Road\nBristol BS1 4QA\nUnited Kingdom",
    "email": "Billing@Northwind.example", "phone": "+44 117 496 0000", "tax_id": "GB123456789",
    "bank_offered": "on", "bank_holder": "Northwind Studio Ltd", "bank_name": "Westminster Bank",
    "bank_account": "gb82west12345698765432", "bank_code": "WESTGB2L",
    "bank_reference": "Use the invoice number as reference",
    "cheque_offered": "", "cheque_payable_to": "", "cheque_address": "", "other_offered": "", "other_text": "",
}
LINES = [{"description": "Brand workshop", "quantity": "2", "unit_minor": 45_000, "tax_rate": "0"}]


def sent_invoice(db, world, contact=None, staff=None):
    staff = staff or world.staff_a
    today = utcnow().date()
    inv = create_invoice(db, staff, contact_public_id=(contact or world.contact_a1).public_id, lines=LINES,
                         issue_date=today, due_date=today + timedelta(days=14))
    send_invoice(db, staff, inv.public_id)
    db.commit()
    return inv


def pdf_text(db, actor, public_id) -> str:
    data = invoice_pdf.invoice_pdf(db, actor, public_id).data
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1  # a typical invoice stays on one page with its How to pay
    return "\n".join(page.extract_text() for page in reader.pages)


# ------------------------------------------------------------------ saving


def test_saved_details_come_back_cleaned_and_audited(db, world, store):
    saved = pi.save_instructions(db, world.staff_a, FORM)
    assert saved["bank_account"] == IBAN and saved["email"] == "billing@northwind.example"
    assert saved["bank_offered"] is True and saved["cheque_offered"] is False
    assert pi.instructions_form(db, world.staff_a) == saved
    row = db.get(PaymentInstructions, world.ws_a.id)
    assert row.address.splitlines() == ["1 Harbour Road", "Bristol BS1 4QA", "United Kingdom"]
    audit = db.exec(select(AuditEvent).where(AuditEvent.action == "payments.instructions_saved")).one()
    assert "bank" in audit.detail and "GB82" not in audit.detail
    # a workspace that entered nothing reads as empty and offers nothing
    empty = pi.instructions_form(db, world.staff_b)
    assert empty["bank_account"] == "" and empty["bank_offered"] is False


@pytest.mark.parametrize("changes, field, message", [
    (dict(bank_account="GB82 WEST 1234 5698 7654 33"), "bank_account", "IBAN does not check out"),
    (dict(bank_account="12345678;DROP"), "bank_account", "letters, digits, spaces"),
    (dict(bank_code="NOTABIC"), "bank_code", "8 or 11 letters"),
    (dict(email="billing at northwind"), "email", "does not look like an email"),
    (dict(phone="call me maybe"), "phone", "Phone may contain"),
    (dict(legal_name="N" * 121), "legal_name", "at most 120 characters"),
    (dict(address="x" * 301), "address", "at most 300 characters"),
    (dict(address="\n".join("line" for _ in range(8))), "address", "too many lines"),
    (dict(other_text="y" * 1001), "other_text", "at most 1000 characters"),
    (dict(bank_reference="r" * 201), "bank_reference", "at most 200 characters"),
    (dict(tax_id="T" * 41), "tax_id", "at most 40 characters"),
    (dict(bank_account=""), "bank_account", "to offer bank transfer"),
    (dict(cheque_offered="on"), "cheque_payable_to", "to offer cheques"),
    (dict(cheque_offered="on", cheque_payable_to="Northwind", address=""), "cheque_address", "where to mail"),
    (dict(other_offered="on"), "other_text", "Write the other instructions"),
    (dict(legal_name="Bad\x00name"), "legal_name", "not allowed"),
])
def test_bad_input_names_the_field_and_nothing_is_saved(db, world, changes, field, message):
    before = pi.save_instructions(db, world.staff_a, {**FORM, "phone": "+44 1"})
    db.commit()
    with pytest.raises(Invalid) as err:
        pi.save_instructions(db, world.staff_a, {**FORM, **changes})
    assert message in err.value.message and err.value.field == field
    db.rollback()
    assert pi.instructions_form(db, world.staff_a) == before


def test_only_owners_and_admins_read_or_change_them(db, world):
    for actor, error in [(world.member_a, Forbidden), (world.client_a1, Forbidden), (Anonymous(), NotSignedIn)]:
        with pytest.raises(error):
            pi.save_instructions(db, actor, FORM)
        with pytest.raises(error):
            pi.instructions_form(db, actor)
    assert db.get(PaymentInstructions, world.ws_a.id) is None
    # staff of workspace B save B's, never A's
    pi.save_instructions(db, world.staff_b, {**FORM, "legal_name": "Carol's Supplier"})
    assert db.get(PaymentInstructions, world.ws_a.id) is None


def test_iban_check_digits():
    assert pi.iban_ok("GB82WEST12345698765432") and pi.iban_ok("DE89370400440532013000")
    assert not pi.iban_ok("DE89370400440532013001") and not pi.iban_ok("GB82")


# ------------------------------------------------------------------ what the client sees


def test_client_sees_how_to_pay_and_the_business_in_the_header(db, world, store):
    pi.save_instructions(db, world.staff_a, FORM)
    inv = sent_invoice(db, world)
    page = client_invoice.client_invoice_page(db, world.client_a1, inv.public_id)
    assert page.business["lines"] == ["1 Harbour Road", "Bristol BS1 4QA", "United Kingdom"]
    assert (page.business["email"], page.business["phone"], page.business["tax_id"]) == (
        "billing@northwind.example", "+44 117 496 0000", "GB123456789")
    assert page.business["company"] == "Northwind Studio Ltd"
    [bank] = page.how["methods"]
    rows = {r["label"]: (r["value"], r["copy"]) for r in bank["rows"]}
    assert rows["IBAN"] == (IBAN, True) and rows["BIC / SWIFT"] == ("WESTGB2L", True)
    assert rows["Reference"] == (inv.number, True) and rows["Amount"][0].startswith("900.00")
    assert bank["note"] == "Use the invoice number as reference"
    # no card payment here (Stripe not connected): the banner now points at something true
    assert not page.checkout.available
    assert page.how["banner"] == "Online card payment is not available for this invoice. See How to pay below."
    assert "details on the invoice" not in page.how["banner"]
    # the same parties as the PDF and the staff page's block
    parties = invoice_pdf.invoice_parties(db, world.client_a1, inv.public_id)
    assert page.business == parties["business"]
    detail = invoice_views.invoice_detail(db, world.staff_a, inv.public_id)
    assert pi.staff_how_to_pay(db, world.staff_a, detail, "Northwind")["methods"] == page.how["methods"]


def test_no_way_to_pay_says_plainly_whom_to_contact(db, world):
    """The defect: the banner said "pay using the details on the invoice" with no details anywhere."""
    pi.save_instructions(db, world.staff_a, {**FORM, "bank_offered": ""})
    inv = sent_invoice(db, world)
    page = client_invoice.client_invoice_page(db, world.client_a1, inv.public_id)
    assert page.how["methods"] == []
    banner = page.how["banner"]
    assert banner.startswith("To pay this invoice, please contact ")
    assert "billing@northwind.example" in banner and "+44 117 496 0000" in banner
    assert "details on the invoice" not in banner


def test_only_offered_methods_and_nothing_once_paid(db, world):
    pi.save_instructions(db, world.staff_a, {**FORM, "cheque_offered": "on", "cheque_payable_to": "Northwind Ltd",
                                             "other_offered": "on", "other_text": "Cash at the studio."})
    inv = sent_invoice(db, world)
    page = client_invoice.client_invoice_page(db, world.client_a1, inv.public_id)
    assert [m["kind"] for m in page.how["methods"]] == ["bank_transfer", "cheque", "other"]
    cheque = page.how["methods"][1]
    assert {r["label"]: r["value"] for r in cheque["rows"]}["Mail to"] == FORM["address"]  # the postal address
    record_manual_payment(db, world.staff_a, inv.public_id, amount_minor=90_000, method="bank_transfer")
    db.commit()
    paid = client_invoice.client_invoice_page(db, world.client_a1, inv.public_id)
    assert paid.how["methods"] == [] and paid.how["banner"] == ""


def test_a_client_never_reads_another_workspace_s_details(db, world):
    pi.save_instructions(db, world.staff_a, FORM)
    inv = sent_invoice(db, world)
    for actor in (world.client_b1, world.client_a2):
        with pytest.raises(NotFound):
            client_invoice.client_invoice_page(db, actor, inv.public_id)
        with pytest.raises(NotFound):
            invoice_pdf.invoice_pdf(db, actor, inv.public_id)
    # B's client sees B's details (none), never A's
    pi.save_instructions(db, world.staff_b, {**FORM, "legal_name": "", "address": "", "email": "", "phone": "",
                                             "tax_id": "", "bank_offered": ""})
    carol = sent_invoice(db, world, contact=world.contact_b1, staff=world.staff_b)
    page = client_invoice.client_invoice_page(db, world.client_b1, carol.public_id)
    assert page.how["methods"] == [] and "Harbour" not in str(page.business) and "GB82" not in str(page.how)


def test_the_pdf_carries_the_business_and_how_to_pay(db, world, store):
    pi.save_instructions(db, world.staff_a, FORM)
    inv = sent_invoice(db, world)
    text = pdf_text(db, world.client_a1, inv.public_id)
    for expected in ("1 Harbour Road", "Bristol BS1 4QA", "billing@northwind.example", "+44 117 496 0000",
                     "Tax ID: GB123456789", "How to pay", "Bank transfer", IBAN, "WESTGB2L", "Westminster Bank",
                     "Use the invoice number as reference"):
        assert expected in text, expected
    assert text.count(inv.number) >= 2  # the header and the reference


def test_the_pdf_without_a_way_to_pay_says_whom_to_contact(db, world, store):
    pi.save_instructions(db, world.staff_a, {**FORM, "bank_offered": ""})
    inv = sent_invoice(db, world)
    text = pdf_text(db, world.staff_a, inv.public_id)
    assert "How to pay" in text and "please contact" in text and "IBAN" not in text

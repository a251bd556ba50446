"""Business details and other ways to pay, in Chromium against the production build:

staff opens Settings › Payments (no Stripe) → a wrong IBAN is refused with a message on its
field and nothing is saved → enters the business address, email, phone, tax id and bank
transfer details, switches bank transfer on, saves → sends an invoice → the client opens it:
the header carries the business's address, email and phone; the banner points at How to pay;
How to pay shows the bank details and the invoice number as reference → the PDF the client
downloads carries them too → staff's invoice page shows the same block → a client cannot open
Settings › Payments. axe-core scans every page; screenshots at 1280 and 390 px.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from playwright.sync_api import expect
from pypdf import PdfReader

from tests.support.journey import Journey, accept_invite, invite_client, parked_look, staff_sign_in

CLIENT = ("Bea", "Banker", "bea@transfer.example")
IBAN = "GB82 WEST 1234 5698 7654 32"
ADDRESS = "1 Harbour Road\nBristol BS1 4QA\nUnited Kingdom"


def _switch_on(switch) -> None:
    expect(switch).to_be_visible()
    if switch.get_attribute("aria-checked") != "true":
        switch.click()
    expect(switch).to_have_attribute("aria-checked", "true")


def _settings(j: Journey, staff) -> None:
    j.go(staff, "/staff/settings/payments")
    expect(staff.get_by_role("heading", name="Business details")).to_be_visible()
    form = staff.get_by_role("form", name="Business details and ways to pay")
    # bad input: a mistyped IBAN is refused on its field, and nothing is saved (the server is shared
    # with the other journeys, and the demo workspace is seeded with details: compare with what was there)
    saved_address = form.get_by_label("Postal address").input_value()
    form.get_by_label("Postal address").fill(ADDRESS)
    _switch_on(form.get_by_role("switch", name="Offer bank transfer"))
    form.get_by_label("IBAN or account number").fill("GB82 WEST 1234 5698 7654 33")
    form.get_by_role("button", name="Save business details and ways to pay").click()
    expect(form.get_by_role("alert")).to_contain_text("IBAN does not check out")
    expect(form.get_by_text("Nothing was saved")).to_be_visible()
    j.go(staff, "/staff/settings/payments")
    form = staff.get_by_role("form", name="Business details and ways to pay")
    expect(form.get_by_label("Postal address")).to_have_value(saved_address)
    # the real details
    form.get_by_label("Legal or business name").fill("Harbor Works Ltd")
    form.get_by_label("Postal address").fill(ADDRESS)
    form.get_by_label("Email", exact=True).fill("billing@harbor.example")
    form.get_by_label("Phone").fill("+44 117 496 0000")
    form.get_by_label("Tax ID / VAT number").fill("GB123456789")
    _switch_on(form.get_by_role("switch", name="Offer bank transfer"))
    form.get_by_label("Bank name").fill("Westminster Bank")
    form.get_by_label("IBAN or account number").fill("gb82west12345698765432")
    form.get_by_label("BIC / SWIFT, routing or sort code").fill("WESTGB2L")
    form.get_by_label("Reference hint").fill("Use the invoice number as reference")
    form.get_by_role("button", name="Save business details and ways to pay").click()
    expect(staff.get_by_text("Business details and ways to pay saved.")).to_be_visible()
    expect(form.get_by_label("IBAN or account number")).to_have_value(IBAN)  # checked and grouped
    expect(form.get_by_role("switch", name="Offer bank transfer")).to_be_checked()
    parked_look(j, staff, "staff-payments-instructions")


def _send_invoice(j: Journey, staff, email: str) -> tuple[str, str]:
    j.go(staff, "/staff/invoices/new")
    staff.get_by_label("Find a client").fill(email)
    choices = staff.get_by_role("list", name="Clients to choose from").get_by_role("button")
    expect(choices).to_have_count(1)
    choices.filter(has_text=email).click()
    line = staff.get_by_role("group", name="Line 1")
    line.get_by_label("Description").fill("Harbour survey")
    line.get_by_label("Qty").fill("1")
    line.get_by_label("Unit price").fill("640.00")
    line.get_by_label("Unit price").blur()
    staff.get_by_role("button", name="Save and send").click()
    staff.wait_for_url(re.compile(r"/staff/invoices/in_[\w-]+$"))
    expect(staff.get_by_text("Not viewed yet")).to_be_visible()
    number = staff.get_by_role("heading", level=1).inner_text().replace("Invoice", "").strip().split()[0]
    return staff.url.rsplit("/", 1)[-1], number


def test_payment_instructions_journey(server, browser, axe):
    j = Journey(server, browser, axe)
    staff_ctx, client_ctx = j.context(), j.context()
    staff, client = j.page(staff_ctx), j.page(client_ctx)

    staff_sign_in(j, staff)
    _settings(j, staff)
    accept_invite(client, invite_client(j, staff, *CLIENT), CLIENT[0])
    invoice_id, number = _send_invoice(j, staff, CLIENT[2])

    # staff's invoice page shows How to pay as the client will see it
    how = staff.get_by_role("region", name="How to pay")
    expect(how).to_contain_text(IBAN)
    expect(how).to_contain_text(number)
    parked_look(j, staff, "staff-invoice-how-to-pay")

    # the client's invoice: the business in the header, the banner, How to pay
    j.go(client, f"/invoices/{invoice_id}")
    expect(client.get_by_text("Bristol BS1 4QA")).to_be_visible()
    expect(client.get_by_text("+44 117 496 0000").first).to_be_visible()
    expect(client.get_by_text("Tax ID: GB123456789")).to_be_visible()
    how = client.get_by_role("region", name="How to pay")
    expect(how.get_by_text(IBAN)).to_be_visible()  # the page has loaded
    if client.get_by_role("button", name="Pay now").count():
        # a workspace that takes cards (the embedded server runs the demo's test payments): card first
        expect(how).to_contain_text("Pay online by card")
    else:
        expect(client.get_by_role("status").filter(has_text="See How to pay below")).to_be_visible()
    expect(client.get_by_text("details on the invoice")).to_have_count(0)
    expect(how.get_by_text(IBAN)).to_be_visible()
    expect(how.get_by_text("WESTGB2L")).to_be_visible()
    expect(how.get_by_text(number, exact=True)).to_be_visible()
    expect(how.get_by_role("button", name="Copy IBAN")).to_be_visible()
    expect(how.get_by_role("button", name="Copy Reference")).to_be_visible()
    parked_look(j, client, "client-invoice-how-to-pay")

    # the PDF carries the same
    with client.expect_download() as dl_info:
        client.get_by_role("link", name=re.compile("Download PDF")).click()
    reader = PdfReader(io.BytesIO(Path(dl_info.value.path()).read_bytes()))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert len(reader.pages) == 1
    for expected in ("How to pay", "Bank transfer", IBAN, "WESTGB2L", "1 Harbour Road", "billing@harbor.example",
                     "+44 117 496 0000", "Tax ID: GB123456789", number):
        assert expected in text, (expected, text[:800])

    # deny: a client does not reach Settings › Payments
    j.go(client, "/staff/settings/payments")
    expect(client.get_by_role("form", name="Business details and ways to pay")).to_have_count(0)
    expect(client.get_by_text(IBAN)).to_have_count(0)

    assert not axe.serious(), axe.serious()
    assert not j.errors, j.errors
    for ctx in (staff_ctx, client_ctx):
        ctx.close()

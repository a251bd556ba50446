"""Invoices and Pay Now, in Chromium against the production build, with localstripe as
Stripe (its API, its signed webhooks and its stand-in Stripe.js served to the page):

staff connects Stripe in Settings › Payments and adds the webhook endpoint at "Stripe" →
invites a client → creates and sends an invoice → the client's email with the link is in the
dev outbox (embedded; production: the SMTP server) and the link opens the invoice for the
signed-in client → the client finds it in Invoices and opens it; staff sees "Viewed by
client" → the client pays with 4242 4242 4242 4242: the page says "processing" and turns
Paid by itself when the webhook lands (no reload) → downloads the PDF (PAID, the number,
the line) → staff sees the card payment → a second invoice paid with 4000 0000 0000 0002
shows the bank's refusal and stays unpaid → another
client cannot open the invoice. axe-core scans every page; screenshots at 1280 and 390 px.
"""

from __future__ import annotations

import io
import re
import secrets
from pathlib import Path

import httpx
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.support.journey import Journey, accept_invite, invite_client, parked_look, staff_sign_in

CLIENT = ("Ivy", "Payer", "ivy@pay.example")
OTHER = ("Otto", "Other", "otto@pay.example")
LINE = "Brand workshop (half day)"


def _connect_stripe(j: Journey, staff) -> None:
    j.go(staff, "/staff/settings/payments")
    expect(staff.get_by_role("heading", name="Payments")).to_be_visible()
    whsec = "whsec_" + secrets.token_hex(16)
    staff.get_by_label("Publishable key").fill("pk_test_e2e_localstripe_key")
    staff.get_by_label("Secret key").fill("sk_test_e2e_localstripe_key")
    staff.get_by_label("Webhook signing secret").fill(whsec)
    staff.get_by_role("button", name="Save keys").click()
    expect(staff.get_by_text("Connected", exact=True)).to_be_visible()
    url = staff.get_by_label("Webhook URL").input_value()
    assert re.fullmatch(re.escape(j.s.url) + r"/api/stripe/webhook/ws_[\w-]+", url), url
    # what a person does in Stripe's dashboard: add the endpoint with that URL and secret
    r = httpx.post(f"{j.s.stripe_url}/_config/webhooks/e2e-{j.s.config}",
                   json={"url": url, "secret": whsec,
                         "events": ["payment_intent.succeeded", "payment_intent.payment_failed"]})
    assert r.status_code == 200, r.text
    staff.get_by_role("button", name="Test connection").click()
    expect(staff.get_by_text("Connected: Stripe accepted the secret key.")).to_be_visible()
    parked_look(j, staff, "staff-payments-connected")


def _new_invoice(j: Journey, staff, email: str, price: str) -> str:
    j.go(staff, "/staff/invoices/new")
    staff.get_by_label("Find a client").fill(email)
    choices = staff.get_by_role("list", name="Clients to choose from").get_by_role("button")
    expect(choices).to_have_count(1)  # the search has narrowed the list to this client
    choices.filter(has_text=email).click()
    expect(staff.get_by_role("button", name="Change")).to_be_visible()
    expect(staff.get_by_text(email)).to_be_visible()
    line = staff.get_by_role("group", name="Line 1")
    line.get_by_label("Description").fill(LINE)
    line.get_by_label("Qty").fill("1")
    line.get_by_label("Unit price").fill(price)
    line.get_by_label("Unit price").blur()
    staff.get_by_role("button", name="Save and send").click()
    staff.wait_for_url(re.compile(r"/staff/invoices/in_[\w-]+$"))
    expect(staff.get_by_text("Not viewed yet")).to_be_visible()
    number = staff.get_by_role("heading", level=1).inner_text().replace("Invoice", "").strip().split()[0]
    assert re.fullmatch(r"\S+-\d{4}", number), number
    return staff.url.rsplit("/", 1)[-1]


def _emailed_invoice_link(j: Journey, staff, to: str, invoice_id: str) -> str:
    """The link in the invoice email to `to`: the SMTP server's (production), or the dev
    outbox's, read from the server's database and shown to the owner at /staff/outbox."""
    path = f"/invoices/{invoice_id}"
    if j.s.mailbox is not None:
        link = j.s.mailbox.link_for(to, path=path)
    else:
        link = j.s.dev_mail_link(to, path)  # waits for the worker: the event, then its email
        j.go(staff, "/staff/outbox")
        card = staff.locator(".rt-Card", has_text=f"To: {to}").filter(has_text=re.compile(r"Invoice \S+ from ")).first
        expect(card).to_contain_text("Amount due: 480.00 USD")
        expect(card.get_by_role("link", name="Open the link in this email")).to_have_attribute("href", link)
    assert link == j.s.url + path, link
    return link


def _type_card(page, number: str) -> None:
    dialog = page.get_by_role("dialog", name=re.compile("Pay invoice"))
    card = dialog.get_by_role("group", name="Card details")
    card.get_by_label("Card number").fill(number)
    card.get_by_label("Expiry month (MM)").fill("12")
    card.get_by_label("Expiry year (YY)").fill("31")
    card.get_by_label("Security code (CVC)").fill("123")
    card.get_by_label("Postal code").fill("10001")


def test_invoice_journey(server, browser, axe, tmp_path):
    j = Journey(server, browser, axe)
    staff_ctx, client_ctx, other_ctx = j.context(), j.context(), j.context()
    staff, client, other = j.page(staff_ctx), j.page(client_ctx), j.page(other_ctx)

    staff_sign_in(j, staff)
    _connect_stripe(j, staff)
    accept_invite(client, invite_client(j, staff, *CLIENT), CLIENT[0])
    accept_invite(other, invite_client(j, staff, *OTHER), OTHER[0])

    invoice_id = _new_invoice(j, staff, CLIENT[2], "480.00")
    expect(staff.get_by_text(f"An email with a link to it is on its way to {CLIENT[2]}.")).to_be_visible()
    parked_look(j, staff, "staff-invoice-sent")

    # the client is emailed a link to it, and the link opens that invoice for the signed-in client
    link = _emailed_invoice_link(j, staff, CLIENT[2], invoice_id)
    j.go(staff, f"/staff/invoices/{invoice_id}")
    expect(staff.get_by_text("Not viewed yet")).to_be_visible()
    client.goto(link)
    client.wait_for_url(re.compile(rf"/invoices/{invoice_id}$"))
    expect(client.get_by_text(LINE)).to_be_visible()
    expect(client.get_by_role("button", name="Pay now")).to_be_visible()

    # the client finds it, outstanding first, and opens it
    j.go(client, "/invoices")
    row = client.get_by_role("row").filter(has_text="480.00")
    expect(row).to_be_visible()
    parked_look(j, client, "client-invoices")
    row.get_by_role("link").first.click()
    client.wait_for_url(re.compile(rf"/invoices/{invoice_id}$"))
    expect(client.get_by_text(LINE)).to_be_visible()  # the invoice's page, not the list it left
    expect(client.get_by_text("Sent", exact=True)).to_be_visible()
    expect(client.get_by_role("button", name="Pay now")).to_be_visible()
    parked_look(j, client, "client-invoice")

    # staff sees the view (their open page refreshes by itself)
    expect(staff.get_by_text(re.compile(r"Viewed by client"))).to_be_visible(timeout=30_000)

    # another client cannot open it
    j.go(other, f"/invoices/{invoice_id}")
    expect(other.get_by_text("This invoice does not exist.")).to_be_visible()
    expect(other.get_by_text(LINE)).to_have_count(0)

    # Pay Now with a card that goes through
    client.get_by_role("button", name="Pay now").click()
    dialog = client.get_by_role("dialog", name=re.compile("Pay invoice"))
    expect(dialog.get_by_text("Balance due: 480.00 USD")).to_be_visible()
    expect(dialog.get_by_role("group", name="Card details").get_by_label("Card number")).to_be_visible()
    parked_look(j, client, "client-pay-dialog")
    _type_card(client, "4242424242424242")
    dialog.get_by_role("button", name="Pay", exact=True).click()
    # Stripe has the money; the page waits for the webhook ("Processing your payment…", often
    # for less than a second) and turns Paid by itself: nothing reloads it here
    expect(client.get_by_role("status").filter(has_text="Payment received. Thank you!")).to_be_visible(timeout=30_000)
    expect(client.get_by_text("Paid", exact=True).first).to_be_visible()
    expect(client.get_by_role("button", name="Pay now")).to_have_count(0)
    expect(client.get_by_role("cell", name="Card")).to_be_visible()
    parked_look(j, client, "client-invoice-paid")

    # the PDF says PAID
    with client.expect_download() as dl_info:
        client.get_by_role("link", name=re.compile("Download PDF")).click()
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(Path(dl_info.value.path()).read_bytes())).pages)
    assert "PAID" in text and LINE in text and "480.00" in text, text[:500]

    # staff sees the card payment and the status
    j.go(staff, f"/staff/invoices/{invoice_id}")
    expect(staff.get_by_text("Paid", exact=True).first).to_be_visible()
    expect(staff.get_by_role("table").filter(has_text="Card")).to_contain_text("480.00")

    # a declined card: the bank's reason, nothing paid
    second = _new_invoice(j, staff, CLIENT[2], "95.00")
    j.go(client, f"/invoices/{second}")
    client.get_by_role("button", name="Pay now").click()
    _type_card(client, "4000000000000002")
    dialog.get_by_role("button", name="Pay", exact=True).click()
    expect(dialog.get_by_role("alert")).to_have_text("Your card was declined.")
    parked_look(j, client, "client-pay-declined")
    dialog.get_by_role("button", name="Cancel").click()
    j.go(client, f"/invoices/{second}")
    expect(client.get_by_text("Sent", exact=True)).to_be_visible()
    expect(client.get_by_role("button", name="Pay now")).to_be_visible()
    j.go(staff, f"/staff/invoices/{second}")
    expect(staff.get_by_text("No payments yet.")).to_be_visible()

    assert not axe.serious(), axe.serious()
    assert not j.errors, j.errors
    for ctx in (staff_ctx, client_ctx, other_ctx):
        ctx.close()

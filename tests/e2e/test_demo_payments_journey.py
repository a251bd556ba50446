"""Pay Now in the demo, as a newcomer meets it: `make run` with no Stripe account at all (the
`demo_server` fixture: demo mode, embedded, no PORTAL_STRIPE_* settings), so the app runs its
own test payments (a localstripe child, services/billing/demo_payments.py).

The demo client signs in with the printed password → Invoices shows the "Test mode" ribbon →
opens INV-0004 (overdue) → Pay now with 4000 0000 0000 0002: the bank's refusal shows in the
dialog, nothing is paid → Pay now with 4242 4242 4242 4242: the page turns Paid by itself (no
reload) → staff see the ribbon on Invoices, on the invoice and in Settings › Payments, which says
the workspace is in demo test mode and how to connect a real account → the app stops: so does
its stand-in. axe-core scans every page; screenshots at 1280 and 390 px.
"""

from __future__ import annotations

import re
import time

from playwright.sync_api import expect

from portal_app.adapters.local_stripe import answers
from tests.support.journey import Journey, parked_look

RIBBON = "Payments test mode"


def _card(page, number: str) -> None:
    dialog = page.get_by_role("dialog", name=re.compile("Pay invoice"))
    card = dialog.get_by_role("group", name="Card details")
    card.get_by_label("Card number").fill(number)
    card.get_by_label("Expiry month (MM)").fill("12")
    card.get_by_label("Expiry year (YY)").fill("31")
    card.get_by_label("Security code (CVC)").fill("123")
    card.get_by_label("Postal code").fill("62701")


def _sign_in(j: Journey, page, path: str, email: str, password: str, lands: str) -> None:
    j.go(page, path)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(lands))


def _ribbon(page):
    ribbon = page.get_by_role("region", name=RIBBON)
    expect(ribbon).to_be_visible()
    expect(ribbon).to_contain_text("Test mode — no real money moves.")
    return ribbon


def test_the_demo_client_pays_with_the_test_card(demo_server, browser, axe):
    j = Journey(demo_server, browser, axe)
    found = re.search(r"local Stripe stand-in runs at (http://127\.0\.0\.1:\d+)", demo_server.log_path.read_text())
    assert found, demo_server.log_tail()
    stand_in = found.group(1)
    client_ctx, staff_ctx = j.context(), j.context()
    client, staff = j.page(client_ctx), j.page(staff_ctx)

    _sign_in(j, client, "/login", "client@demo.example", "casey-client-1", r"localhost:\d+/$")
    j.go(client, "/invoices")
    _ribbon(client)
    parked_look(j, client, "demo-client-invoices")
    client.get_by_role("link", name=re.compile("INV-0004")).first.click()
    client.wait_for_url(re.compile(r"/invoices/in_[\w-]+$"))
    expect(client.get_by_role("heading", level=1)).to_contain_text("INV-0004")
    _ribbon(client)
    parked_look(j, client, "demo-client-invoice")

    # the decline card: the bank's reason in the dialog, nothing paid
    client.get_by_role("button", name="Pay now").click()
    dialog = client.get_by_role("dialog", name=re.compile("Pay invoice INV-0004"))
    expect(dialog.get_by_role("group", name="Card details").get_by_label("Card number")).to_be_visible()
    parked_look(j, client, "demo-client-pay-dialog")
    _card(client, "4000000000000002")
    dialog.get_by_role("button", name="Pay", exact=True).click()
    expect(dialog.get_by_role("alert")).to_have_text("Your card was declined.")
    parked_look(j, client, "demo-client-pay-declined")
    dialog.get_by_role("button", name="Cancel").click()
    expect(client.get_by_role("button", name="Pay now")).to_be_visible()

    # the test card that goes through: Paid, live, no reload
    client.get_by_role("button", name="Pay now").click()
    _card(client, "4242424242424242")
    dialog.get_by_role("button", name="Pay", exact=True).click()
    expect(client.get_by_role("status").filter(has_text="Payment received. Thank you!")).to_be_visible(timeout=30_000)
    expect(client.get_by_text("Paid", exact=True).first).to_be_visible()
    expect(client.get_by_role("button", name="Pay now")).to_have_count(0)
    expect(client.get_by_role("cell", name="Card")).to_be_visible()
    parked_look(j, client, "demo-client-invoice-paid")

    # staff: the ribbon on their payment pages; Settings › Payments explains the test mode
    _sign_in(j, staff, "/staff/login", "owner@demo.example", "northwind-owner", r"/staff/contacts")
    j.go(staff, "/staff/invoices")
    _ribbon(staff)
    parked_look(j, staff, "demo-staff-invoices")
    staff.get_by_role("link", name=re.compile("INV-0004")).first.click()
    staff.wait_for_url(re.compile(r"/staff/invoices/in_[\w-]+$"))
    _ribbon(staff)
    expect(staff.get_by_text("Paid", exact=True).first).to_be_visible()
    j.go(staff, "/staff/settings/payments")
    _ribbon(staff)
    expect(staff.get_by_text("Demo test mode", exact=True)).to_be_visible()
    expect(staff.get_by_text("This workspace is in demo test mode.")).to_be_visible()
    expect(staff.get_by_text(re.compile("To take real payments, create a Stripe account"))).to_be_visible()
    parked_look(j, staff, "demo-staff-payments")

    assert not axe.serious(), axe.serious()
    assert not j.errors, j.errors
    for ctx in (client_ctx, staff_ctx):
        ctx.close()

    # the app stops (Ctrl-C): its stand-in stops with it
    assert answers(stand_in)
    demo_server.stop()
    deadline = time.monotonic() + 15
    while answers(stand_in):
        assert time.monotonic() < deadline, "the demo's Stripe stand-in outlived the app"
        time.sleep(0.5)

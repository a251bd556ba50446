"""The client's Communications history in Chromium against the production build (issue 15):

staff invite a client and send them an invoice → the client's Communications page lists,
newest first, the invoice email (its delivery status), "Invoice … sent", the invitation email
and "You joined the client portal"; an email opens in a dialog as plain text, the invitation's
one-time link redacted (the real token never reaches the page); the filter chips show one kind;
Escape closes the dialog. The staff contact record's Timeline shows the same history. axe-core
scans each page; screenshots at 1280 and 390 px (also copied to /tmp/shots-communications/).
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

from tests.support.journey import Journey, accept_invite, invite_client, look_and_keep, staff_sign_in
from tests.support.waiting import until

CLIENT = ("Cora", "Comms", "cora@comms.example")
SHOTS = Path("/tmp/shots-communications")


def _look(j: Journey, page, name: str) -> None:
    look_and_keep(j, page, name, SHOTS)


def _send_invoice(j: Journey, staff, email: str) -> str:
    j.go(staff, "/staff/invoices/new")
    staff.get_by_label("Find a client").fill(email)
    choices = staff.get_by_role("list", name="Clients to choose from").get_by_role("button")
    expect(choices).to_have_count(1)
    choices.filter(has_text=email).click()
    line = staff.get_by_role("group", name="Line 1")
    line.get_by_label("Description").fill("Brand refresh")
    line.get_by_label("Qty").fill("1")
    line.get_by_label("Unit price").fill("320.00")
    line.get_by_label("Unit price").blur()
    staff.get_by_role("button", name="Save and send").click()
    staff.wait_for_url(re.compile(r"/staff/invoices/in_[\w-]+$"))
    expect(staff.get_by_text("Not viewed yet")).to_be_visible()
    return staff.get_by_role("heading", level=1).inner_text().replace("Invoice", "").strip().split()[0]


def _history(page):
    return page.get_by_role("list", name="History, newest first")


def test_communications_journey(server, browser, axe):
    j = Journey(server, browser, axe)
    staff_ctx, client_ctx = j.context(), j.context()
    staff, client = j.page(staff_ctx), j.page(client_ctx)

    staff_sign_in(j, staff)
    link = invite_client(j, staff, *CLIENT)
    token = link.split("token=", 1)[1]
    accept_invite(client, link, CLIENT[0])
    number = _send_invoice(j, staff, CLIENT[2])

    # the client's Communications: the invoice email arrives once the worker has taken the event
    def listed():
        j.go(client, "/communications")
        expect(client.get_by_role("heading", name="Communications", exact=True)).to_be_visible()
        expect(_history(client)).to_be_visible()
        text = _history(client).inner_text()
        return text if f"Invoice {number} from" in text and "Sent" in text else None

    text = until(listed, 90, "the invoice email never reached the client's Communications")
    items = _history(client).get_by_role("listitem")
    assert f"Invoice {number} sent" in text
    assert "invited you to your client portal" in text and "You joined the client portal" in text
    # newest first: the invoice's entries above the invitation's
    assert text.index(f"Invoice {number}") < text.index("invited you to your client portal")
    expect(items.filter(has_text=f"Invoice {number} sent").get_by_role("link")).to_have_attribute(
        "href", re.compile(r"/invoices/in_"))
    _look(j, client, "client-communications")

    # the invitation email opens as plain text, its one-time link redacted
    client.get_by_role("button", name=re.compile("^Open email: .*invited you")).click()
    dialog = client.get_by_role("dialog")
    expect(dialog).to_contain_text("Accept invitation")
    expect(dialog).to_contain_text("token=••••")
    assert token not in client.content()
    _look(j, client, "client-communications-email")
    client.keyboard.press("Escape")
    expect(dialog).to_have_count(0)

    # one kind at a time
    client.get_by_role("button", name="Emails", exact=True).click()
    expect(client.get_by_role("button", name="Emails", exact=True)).to_have_attribute("aria-pressed", "true")
    expect(items.filter(has_text=f"Invoice {number} sent")).to_have_count(0)
    expect(items.filter(has_text=f"Invoice {number} from")).to_have_count(1)
    client.get_by_role("button", name="Invoices", exact=True).click()
    expect(items.filter(has_text=f"Invoice {number} sent")).to_have_count(1)
    expect(items.filter(has_text="invited you")).to_have_count(0)

    # staff: the contact record's Timeline, the client's voice turned into their name
    j.go(staff, "/staff/contacts")
    staff.get_by_role("link", name=f"{CLIENT[0]} {CLIENT[1]}").first.click()
    staff.wait_for_url(re.compile(r"/staff/contacts/ct_"))
    expect(staff.get_by_role("heading", name="Timeline")).to_be_visible()
    timeline = _history(staff)
    expect(timeline).to_contain_text(f"Invoice {number} sent")
    expect(timeline).to_contain_text(f"{CLIENT[0]} {CLIENT[1]} joined the client portal")
    staff.get_by_role("button", name=re.compile(f"^Open email: Invoice {number}")).click()
    expect(staff.get_by_role("dialog")).to_contain_text(f"invoice {number}")
    staff.keyboard.press("Escape")
    _look(j, staff, "staff-contact-timeline")
    assert not j.errors, j.errors

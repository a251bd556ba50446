"""Settings › Webhooks in Chromium against the production build:

staff opens Settings › Webhooks from the staff navigation → an endpoint on the cloud metadata
address is refused with a message and nothing is listed → adds an endpoint for one event kind →
the signing secret (whsec_…) is shown once, and is gone after a reload → the endpoint's
(empty) delivery log opens → disable, then delete it (the server is shared with the other
journeys: nothing is left to deliver to). axe-core scans the page; screenshots at 1280 and 390 px.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.support.journey import Journey, parked_look, staff_sign_in

URL = "https://93.184.216.34/hooks"


def test_webhooks_journey(server, browser, axe):
    j = Journey(server, browser, axe)
    ctx = j.context()
    staff = j.page(ctx)
    staff_sign_in(j, staff)

    staff.get_by_role("navigation", name="Staff navigation").get_by_role("link", name="Webhooks").click()
    staff.wait_for_url(re.compile(r"/staff/settings/webhooks"))
    form = staff.get_by_role("form", name="Add a webhook endpoint")
    expect(form.get_by_label("URL")).to_be_visible()
    parked_look(j, staff, "staff-webhooks")

    # bad input: the cloud metadata address is refused, with the reason
    form.get_by_label("URL").fill("https://169.254.169.254/latest/meta-data")
    form.get_by_role("button", name="Add endpoint").click()
    expect(form.get_by_role("alert")).to_contain_text("link-local")
    expect(staff.get_by_role("cell", name="https://169.254.169.254/latest/meta-data")).to_have_count(0)

    # a real endpoint for one kind
    form.get_by_label("URL").fill(URL)
    form.get_by_label("Description").fill("Bookkeeping")
    form.get_by_label("All events (also kinds added later)").uncheck()
    form.get_by_label("invoice.disputed").check()
    form.get_by_role("button", name="Add endpoint").click()
    secret = staff.get_by_label("Signing secret", exact=True)
    expect(secret).to_contain_text("whsec_")
    shown = secret.inner_text()
    row = staff.get_by_role("row").filter(has_text=URL)
    expect(row).to_contain_text("invoice.disputed")
    expect(row).to_contain_text("Enabled")
    parked_look(j, staff, "staff-webhooks-secret")

    # shown once: gone after a reload, never in the page again
    j.go(staff, "/staff/settings/webhooks")
    expect(staff.get_by_role("row").filter(has_text=URL)).to_be_visible()
    expect(staff.get_by_label("Signing secret", exact=True)).to_have_count(0)
    assert shown not in staff.content()

    staff.get_by_role("button", name=f"Deliveries of {URL}").click()
    expect(staff.get_by_text("Nothing delivered yet.")).to_be_visible()
    staff.get_by_role("button", name=f"Disable {URL}").click()
    expect(staff.get_by_role("row").filter(has_text=URL)).to_contain_text("Disabled")
    # a new secret and a delete ask first; Escape keeps the endpoint as it was
    staff.get_by_role("button", name=f"New secret for {URL}").click()
    confirm = staff.get_by_role("alertdialog", name="Replace the signing secret?")
    expect(confirm).to_be_visible()
    staff.keyboard.press("Escape")
    expect(confirm).to_have_count(0)
    expect(staff.get_by_label("Signing secret", exact=True)).to_have_count(0)
    staff.get_by_role("button", name=f"New secret for {URL}").click()
    confirm.get_by_role("button", name="Replace the secret").click()
    expect(staff.get_by_label("Signing secret", exact=True)).to_contain_text("whsec_")
    assert staff.get_by_label("Signing secret", exact=True).inner_text() != shown
    staff.get_by_role("button", name=f"Delete {URL}").click()
    confirm = staff.get_by_role("alertdialog", name="Delete this endpoint?")
    expect(confirm).to_be_visible()
    staff.keyboard.press("Escape")
    expect(staff.get_by_role("row").filter(has_text=URL)).to_be_visible()
    staff.get_by_role("button", name=f"Delete {URL}").click()
    confirm.get_by_role("button", name="Delete endpoint").click()
    expect(staff.get_by_role("row").filter(has_text=URL)).to_have_count(0)

    assert not axe.serious(), axe.serious()
    assert not j.errors, j.errors
    ctx.close()

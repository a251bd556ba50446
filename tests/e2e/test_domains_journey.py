"""Settings › Domains in Chromium against the production build (`domains_server`: demo mode,
embedded, its domain checks asking a local DNS server on a loopback port), Chromium sending every
*.test name to this machine (`--host-resolver-rules`):

the owner opens Settings › Domains from the staff navigation → a bare domain is refused with the
reason under the field → adds portal.acme.test → the card lists the two DNS records (a CNAME to
the deployment's host, a TXT with the domain's token) → Verify while DNS has nothing: "No CNAME
record…", still waiting → the records are created (the local DNS server now answers them) →
Verify: Verified → Assign to Client Portal → Make primary → http://portal.acme.test:<port> is the
workspace's portal: its branding and sign-in; the demo client signs in there, and that cookie is
worth nothing on the deployment's own host nor on another workspace's (Harbor Bakery, on
bakery.test, which shows its own branding), even when a copy of it is handed to those hosts.
Remove asks first, then removes it. axe-core scans every page;
screenshots at 1280 and 390 px (no sideways scroll on a phone) under test-artifacts/e2e/.
"""

from __future__ import annotations

import re
import time

from playwright.sync_api import expect

from tests.support.browser import ARTIFACTS
from tests.support.journey import Journey, look_and_keep, staff_sign_in

HOST = "portal.acme.test"
SHOTS = ARTIFACTS / "domains-journey"
CLIENT = ("client@demo.example", "casey-client-1")


def _look(j: Journey, page, name: str) -> None:
    look_and_keep(j, page, name, SHOTS)


def _card(page):
    return page.get_by_role("listitem").filter(has=page.get_by_role("heading", name=HOST, exact=True))


def _second_workspace(server, port: str) -> str:
    """Another business on the same deployment, answering on its own host: its base URL's host."""
    import secrets

    import sqlalchemy as sa
    from sqlmodel import Session

    from portal_app.services.portal.workspaces import create_workspace

    host = "bakery.test"
    engine = sa.create_engine(server.env["PORTAL_DATABASE_URL"])
    try:
        with Session(engine) as db:
            create_workspace(db, name="Harbor Bakery", base_url=f"http://{host}:{port}",
                             owner_email="owner@bakery.example", owner_name="Bree Baker",
                             owner_password="Bakery-" + secrets.token_hex(8), is_default=False)
            db.commit()
    finally:
        engine.dispose()
    return host


def _refused_with_a_copy(j: Journey, cookie: dict, url: str) -> None:
    """A fresh browser handed the session cookie for `url`'s host lands on the sign-in page."""
    ctx = j.context()
    host = url.split("//", 1)[1].split(":", 1)[0]
    ctx.add_cookies([{"name": cookie["name"], "value": cookie["value"], "domain": host, "path": "/"}])
    page = j.page(ctx)
    page.goto(url + "/invoices")
    page.wait_for_url(re.compile(r"/login"))
    expect(page.get_by_role("heading", name="Sign in to your portal")).to_be_visible()
    ctx.close()


def _verify(page) -> None:
    page.get_by_role("button", name=f"Verify {HOST}").click()


def test_an_owner_connects_a_custom_domain_and_a_client_signs_in_there(domains_server, resolving_browser, axe):
    server, zone = domains_server
    port = server.url.rsplit(":", 1)[1]
    j = Journey(server, resolving_browser, axe)
    ctx = j.context()
    staff = j.page(ctx)
    staff_sign_in(j, staff)

    staff.get_by_role("navigation", name="Staff navigation").get_by_role("link", name="Domains").click()
    staff.wait_for_url(re.compile(r"/staff/settings/domains"))
    expect(staff.get_by_role("heading", name="Domains", exact=True)).to_be_visible()
    form = staff.get_by_role("form", name="Add a domain")
    _look(j, staff, "staff-domains-empty")

    # a bare domain: refused, the reason under the field, nothing listed
    form.get_by_label("Hostname").fill("acme.test")
    form.get_by_role("button", name="Add domain").click()
    expect(form.get_by_role("alert")).to_contain_text("Use a subdomain such as portal.acme.test")
    expect(form.get_by_label("Hostname")).to_have_attribute("aria-invalid", "true")
    expect(staff.get_by_role("list", name="Your domains")).to_have_count(0)

    form.get_by_label("Hostname").fill(HOST)
    form.get_by_role("button", name="Add domain").click()
    card = _card(staff)
    expect(card).to_be_visible()
    expect(card).to_contain_text("Waiting for DNS")
    expect(form.get_by_label("Hostname")).to_have_value("")  # the form was cleared
    # the records to create, each value with its own Copy button
    expect(card.get_by_role("button", name=f"Copy the value of the CNAME record of {HOST}")).to_be_visible()
    expect(card.get_by_role("button", name=f"Copy the name of the TXT record of {HOST}")).to_be_visible()
    codes = card.locator("code").all_inner_texts()
    assert codes[:3] == ["CNAME", HOST, "localhost"], codes
    assert codes[3:5] == ["TXT", f"_portal-verify.{HOST}"], codes
    txt_value = codes[5]
    assert re.fullmatch(r"portal-verify=[0-9a-f]{32}", txt_value), txt_value
    assert txt_value in staff.content()

    # Verify before the records exist: the verdict in words, still waiting
    _verify(staff)
    expect(card).to_contain_text(f"No CNAME record for {HOST} yet")
    expect(card).to_contain_text("Last checked")
    expect(card).to_contain_text("Waiting for DNS")
    expect(card.get_by_role("button", name=f"Assign {HOST} to Client Portal")).to_have_count(0)
    # pressed again at once: refused by the per-domain throttle, in words, without a DNS question
    _verify(staff)
    throttled = staff.get_by_text(re.compile(r"Checked a moment ago; try again in \d+ seconds?\."))
    expect(throttled).to_be_visible()
    refused_at = time.monotonic()
    wait_s = int(re.search(r"in (\d+) second", throttled.inner_text()).group(1))
    expect(card).to_contain_text("Waiting for DNS")
    _look(j, staff, "staff-domains-pending")

    # the records are created at the "DNS provider"; Verify once the window the server named is over
    zone[HOST] = {"CNAME": "localhost."}
    zone[f"_portal-verify.{HOST}"] = {"TXT": txt_value}
    left = wait_s + 1 - (time.monotonic() - refused_at)
    if left > 0:
        staff.wait_for_timeout(left * 1000)
    _verify(staff)
    expect(card).to_contain_text("Verified: CNAME points to localhost and the TXT record matches.")
    expect(card.get_by_text("Verified", exact=True)).to_be_visible()

    card.get_by_role("button", name=f"Assign {HOST} to Client Portal").click()
    expect(card.get_by_text("Client Portal", exact=True)).to_be_visible()
    card.get_by_role("button", name=f"Make {HOST} primary").click()
    expect(card.get_by_text("Primary", exact=True)).to_be_visible()
    expect(staff.get_by_role("status").filter(has_text="is now the primary address")).to_be_visible()
    _look(j, staff, "staff-domains-verified")

    # Remove asks first; Escape keeps the domain
    card.get_by_role("button", name=f"Remove {HOST}").click()
    confirm = staff.get_by_role("alertdialog", name="Remove this domain?")
    expect(confirm).to_be_visible()
    staff.keyboard.press("Escape")
    expect(confirm).to_have_count(0)
    expect(card).to_be_visible()

    # the portal on its own domain: the workspace's branding and sign-in
    client_ctx = j.context()
    client = j.page(client_ctx)
    custom = f"http://{HOST}:{port}"
    client.goto(custom + "/login")
    client.wait_for_load_state("networkidle")
    expect(client.get_by_role("heading", name="Sign in to your portal")).to_be_visible()
    expect(client.get_by_text("Northwind Studio").first).to_be_visible()
    _look(j, client, "custom-domain-login")
    client.get_by_label("Email").fill(CLIENT[0])
    client.get_by_label("Password").fill(CLIENT[1])
    client.get_by_role("button", name="Sign in").click()
    client.wait_for_url(re.compile(rf"^{re.escape(custom)}/$"))
    expect(client.get_by_role("heading", name="Hello, Casey")).to_be_visible()
    _look(j, client, "custom-domain-home")
    # the session cookie is the custom host's alone: on the deployment's own host, nobody is signed in
    client.goto(server.url + "/invoices")
    client.wait_for_url(re.compile(r"/login"))
    expect(client.get_by_role("heading", name="Sign in to your portal")).to_be_visible()
    # a copy of it is worth nothing either: not on the base host, not on another workspace's host
    session = next(c for c in client_ctx.cookies() if c["name"] == "portal_session" and c["domain"] == HOST)
    bakery = f"http://{_second_workspace(server, port)}:{port}"
    _refused_with_a_copy(j, session, server.url)
    _refused_with_a_copy(j, session, bakery)
    # each business's own branding on its own host
    client.goto(bakery + "/login")
    expect(client.get_by_text("Harbor Bakery").first).to_be_visible()
    expect(client.get_by_text("Northwind Studio")).to_have_count(0)

    # removed (after the confirmation): the card goes, the notice says what it means
    card.get_by_role("button", name=f"Remove {HOST}").click()
    staff.get_by_role("alertdialog", name="Remove this domain?").get_by_role("button", name="Remove domain").click()
    expect(staff.get_by_role("status").filter(has_text=f"{HOST} removed")).to_be_visible()
    expect(card).to_have_count(0)
    expect(staff.get_by_text("No custom domain yet")).to_be_visible()

    assert not axe.serious(), axe.serious()
    assert not j.errors, j.errors
    client_ctx.close()
    ctx.close()

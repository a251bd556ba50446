"""Long text in the staff contacts table, in Chromium against the production build: the New
contact form stops typing at the services' limits (portal_app/limits.py) and a contact at
those limits is created; a legacy row far past them (as an older version's SQLite database may
hold) sits beside it. The table cuts both with an ellipsis (the whole value in the title) and
keeps the Company, Email and Portal columns on screen, at desktop and phone width; the count
reads "1 contact". Bad input: with the input's maxlength removed, the service refuses one
character more with a message naming the field, and nothing changes."""

from __future__ import annotations

import re
import secrets

import sqlalchemy as sa
from playwright.sync_api import expect

from portal_app import limits
from tests.support.journey import Journey, parked_look, staff_sign_in

LEGACY_LENGTH = 5000


def _insert_legacy_contact(server, owner_email: str, first: str, company: str, email: str) -> None:
    """A row written straight to the database, past today's limits (SQLite keeps VARCHAR(n)
    values of any length; PostgreSQL never held one, so there the row is at the limits)."""
    from portal_app.models.base import utcnow  # the app's clock, as every row it writes

    engine = sa.create_engine(server.env["PORTAL_DATABASE_URL"])
    try:
        with engine.begin() as conn:
            ws = conn.execute(sa.text("SELECT workspace_id FROM staff_user WHERE email = :e"),
                              {"e": owner_email}).scalar_one()
            now = utcnow()
            conn.execute(sa.text(
                "INSERT INTO contact (public_id, workspace_id, first_name, last_name, company, email, phone, "
                "address_line1, address_line2, city, region, postal_code, country, notes, created_at, updated_at) "
                "VALUES (:pid, :ws, :first, 'Zlonglegacy', :company, :email, '', '', '', '', '', '', '', '', "
                ":now, :now)"),
                {"pid": "ct_" + secrets.token_urlsafe(16), "ws": ws, "first": first, "company": company,
                 "email": email, "now": now})
    finally:
        engine.dispose()


def _inside(page, locator, width: int) -> None:
    box = locator.bounding_box()
    assert box is not None, "the cell is not laid out"
    assert box["x"] >= 0 and box["x"] + box["width"] <= width + 1, f"{box} leaves the {width}px viewport"


def test_long_values_stay_inside_the_contacts_table(server, browser, axe):
    j = Journey(server, browser, axe)
    page = j.page(j.context())
    staff_sign_in(j, page)
    owner_email = "hana@harbor.example" if server.env["PORTAL_DEMO"] == "0" else "owner@demo.example"

    # The form stops typing at the limits; a contact at them is created.
    j.go(page, "/staff/contacts")
    page.get_by_role("button", name="New contact").click()
    dialog = page.get_by_role("dialog")
    first = dialog.get_by_label("First name")
    first.press_sequentially("W" * (limits.FIRST_NAME + 5))
    assert len(first.input_value()) == limits.FIRST_NAME
    dialog.get_by_label("Last name").fill("Zlongfield")
    dialog.get_by_label("Email").fill("long@limits.example")
    company = dialog.get_by_label("Company")
    company.press_sequentially("C" * (limits.COMPANY + 5))
    assert len(company.input_value()) == limits.COMPANY
    dialog.get_by_role("button", name="Create contact").click()
    page.wait_for_url(re.compile(r"/staff/contacts/ct_"))
    expect(page.get_by_role("heading", level=1)).to_have_text("W" * limits.FIRST_NAME + " Zlongfield")

    # Bad input: without the browser's limit, the service refuses one character more.
    field = page.get_by_label("First name")
    field.evaluate("el => el.removeAttribute('maxlength')")
    field.fill("W" * (limits.FIRST_NAME + 1))
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text(f"First name can be at most {limits.FIRST_NAME} characters.")
    page.reload()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("heading", level=1)).to_have_text("W" * limits.FIRST_NAME + " Zlongfield")

    sqlite = server.env["PORTAL_DATABASE_URL"].startswith("sqlite")
    size = LEGACY_LENGTH if sqlite else None
    legacy_first = "L" * (size or limits.FIRST_NAME)
    legacy_email = "x" * ((size or limits.EMAIL) - len("@legacy.example")) + "@legacy.example"
    _insert_legacy_contact(server, owner_email, legacy_first, "K" * (size or limits.COMPANY), legacy_email)

    j.go(page, "/staff/contacts")
    page.get_by_label("Search contacts").fill("zlong")
    page.get_by_label("Search contacts").press("Enter")
    rows = page.get_by_role("row").filter(has=page.get_by_role("rowheader"))
    expect(rows).to_have_count(2)
    expect(page.get_by_text(re.compile(r"^2 contacts · page 1 of 1$"))).to_be_visible()
    for header in ("Name", "Company", "Email", "Portal"):
        _inside(page, page.get_by_role("columnheader", name=header), 1280)
    for row in (rows.nth(0), rows.nth(1)):
        for cell in row.get_by_role("cell").all():
            _inside(page, cell, 1280)
    legacy = rows.filter(has_text="Zlonglegacy")
    expect(legacy.get_by_role("link")).to_have_attribute("title", legacy_first + " Zlonglegacy")
    expect(legacy.get_by_title("K" * (size or limits.COMPANY), exact=True)).to_have_count(1)
    parked_look(j, page, "staff-contacts-long")

    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(300)
    for row in (rows.nth(0), rows.nth(1)):
        _inside(page, row.get_by_role("rowheader"), 390)
        _inside(page, row.get_by_role("cell").last, 390)  # Portal
    page.set_viewport_size({"width": 1280, "height": 900})

    # One contact: the count agrees.
    page.get_by_label("Search contacts").fill("zlonglegacy")
    page.get_by_label("Search contacts").press("Enter")
    expect(rows).to_have_count(1)
    expect(page.get_by_text(re.compile(r"^1 contact · page 1 of 1$"))).to_be_visible()

    # The record shows the legacy value whole, wrapped.
    legacy.get_by_role("link").click()
    page.wait_for_url(re.compile(r"/staff/contacts/ct_"))
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(legacy_first + " Zlonglegacy")
    _inside(page, heading, 1280)
    parked_look(j, page, "staff-contact-long-record")
    assert not j.errors, j.errors
    assert not axe.serious(), axe.serious()

"""The rough edges a newcomer hit, in Chromium against the production build:

- a client at any /staff URL is sent to their portal home and never sees the staff shell (the
  HTML the server sends for a staff page holds none of it either);
- an unknown address shows the 404 page in the viewer's shell (client, staff, anyone else),
  with an h1, its title and HTTP 404;
- Configure Portal says why a logo is refused (an SVG; a 4.2 MB PNG told its own size) and
  Remove logo asks first (an alert dialog: focus inside, Escape keeps the logo);
- the New contact dialog comes back clean after the staff member went elsewhere and back;
- a PDF preview closes with Escape after a click into the PDF (the viewer's frame keeps keys).
"""

from __future__ import annotations

import io
import re

from PIL import Image
from playwright.sync_api import expect

from tests.support.journey import Journey, accept_invite, invite_client, parked_look, staff_sign_in
from tests.support.pdf_samples import plain_pdf

CLIENT = ("Rhea", "Rough", "rhea@edges.example")
NOT_FOUND = "Page not found"
PDF_NAME = "Escape test.pdf"


def _choose_refused(page, chooser, file) -> None:
    """Choose a file the dropzone refuses, and wait until the empty upload react-dropzone still
    posts for it has finished: Reflex drops a new upload while one is in flight for the same
    dropzone (a person's pace never meets that; a busy CI machine did)."""
    with page.expect_response(lambda r: "/_upload" in r.url) as answer:
        chooser.set_input_files(file)
    answer.value.finished()


def _png(size=(120, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (31, 78, 121)).save(out, "PNG")
    return out.getvalue()


def _focus_in(page, selector: str) -> bool:
    return page.evaluate(f"() => !!document.activeElement && !!document.activeElement.closest({selector!r})")


def test_rough_edges_journey(server, browser, axe):
    j = Journey(server, browser, axe)
    staff_ctx, client_ctx, anon_ctx = j.context(), j.context(), j.context()
    staff, client, anon = j.page(staff_ctx), j.page(client_ctx), j.page(anon_ctx)

    # --- the New contact dialog starts clean after going elsewhere and back
    staff_sign_in(j, staff)
    j.go(staff, "/staff/files")
    staff.get_by_role("navigation", name="Staff navigation").get_by_role("link", name="Contacts").click()
    staff.wait_for_url(re.compile(r"/staff/contacts$"))
    staff.get_by_role("button", name="New contact").click()
    dialog = staff.get_by_role("dialog")
    dialog.get_by_label("Email").fill("nameless@edges.example")
    dialog.get_by_role("button", name="Create contact").click()  # bad input: no name
    expect(dialog.get_by_role("alert")).to_contain_text("Give at least a first or last name.")
    staff.go_back()
    staff.wait_for_url(re.compile(r"/staff/files"))
    staff.go_forward()
    staff.wait_for_url(re.compile(r"/staff/contacts$"))
    expect(staff.get_by_role("heading", name="Contacts", exact=True)).to_be_visible()
    expect(staff.get_by_role("dialog")).to_have_count(0)
    staff.get_by_role("button", name="New contact").click()
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("alert")).to_have_count(0)
    staff.keyboard.press("Escape")
    expect(staff.get_by_role("dialog")).to_have_count(0)

    # --- logo: why a file is refused, and Remove logo asks first
    j.go(staff, "/staff/sites/portal")
    chooser = staff.locator("input[type=file]").first
    _choose_refused(staff, chooser, {"name": "logo.svg", "mimeType": "image/svg+xml",
                                     "buffer": b'<svg xmlns="http://www.w3.org/2000/svg"/>'})
    expect(staff.get_by_role("alert").filter(has_text="SVG logos are not accepted")).to_contain_text(
        "Please upload a PNG or JPEG.")
    big = _png() + b"\x00" * (4_404_019 - len(_png()))
    _choose_refused(staff, chooser, {"name": "big.png", "mimeType": "image/png", "buffer": big})
    expect(staff.get_by_role("alert").filter(has_text="too large")).to_have_text(
        "The logo is too large (4.2 MB). The limit is 1 MB.")
    chooser.set_input_files({"name": "logo.png", "mimeType": "image/png", "buffer": _png()})
    expect(staff.get_by_role("status").filter(has_text="Logo updated.")).to_be_visible()
    staff.get_by_role("button", name="Remove logo").click()
    confirm = staff.get_by_role("alertdialog", name="Remove the logo?")
    expect(confirm).to_be_visible()
    expect(confirm).to_contain_text("Clients will see your business name instead")
    assert _focus_in(staff, "[role=alertdialog]")
    staff.keyboard.press("Tab")
    staff.keyboard.press("Tab")
    staff.keyboard.press("Tab")
    assert _focus_in(staff, "[role=alertdialog]"), "focus left the confirmation"
    parked_look(j, staff, "remove-logo-confirm")
    staff.keyboard.press("Escape")  # cancels: the logo stays
    expect(confirm).to_have_count(0)
    expect(staff.get_by_role("img", name="Current logo")).to_be_visible()
    staff.get_by_role("button", name="Remove logo").click()
    confirm.get_by_role("button", name="Remove logo").click()
    expect(staff.get_by_role("status").filter(has_text="Logo removed.")).to_be_visible()
    expect(staff.get_by_role("img", name="Current logo")).to_have_count(0)

    # --- the PDF preview closes with Escape after a click into the PDF
    j.go(staff, "/staff/files")
    staff.locator("#files input[type=file]").set_input_files(
        {"name": PDF_NAME, "mimeType": "application/pdf", "buffer": plain_pdf(2)})
    staff.get_by_role("button", name="Upload 1 file").click()
    expect(staff.get_by_text("Uploaded", exact=True)).to_have_count(1, timeout=30_000)
    staff.get_by_role("link", name=f"Preview {PDF_NAME}").click()
    preview = staff.get_by_role("dialog")
    frame = preview.locator(f'iframe[title="Preview of {PDF_NAME}"]')
    expect(frame).to_be_visible()
    staff.wait_for_timeout(1000)  # the viewer loads in the frame
    frame.click(position={"x": 200, "y": 150})
    staff.keyboard.press("Escape")
    expect(staff.get_by_role("dialog")).to_have_count(0)

    # --- the 404 page, staff version
    response = staff.goto(server.url + "/staff/no-such-page")
    assert response is not None and response.status == 404
    expect(staff.get_by_role("heading", level=1, name=NOT_FOUND)).to_be_visible()
    expect(staff.get_by_role("navigation", name="Staff navigation")).to_be_visible()
    expect(staff.get_by_role("link", name="Go to the staff workspace")).to_have_attribute("href", "/staff")
    expect(staff).to_have_title(re.compile(f"^{NOT_FOUND} · (?!Client Portal).+"))  # the business, not the product
    parked_look(j, staff, "404-staff")

    # --- a client never sees the staff area
    link = invite_client(j, staff, *CLIENT)
    accept_invite(client, link, CLIENT[0])
    html = client_ctx.request.get(server.url + "/staff/contacts").text()  # what the server sends
    for staff_only in ("Staff navigation", "No contacts yet", "Configure Portal"):
        assert staff_only not in html, f"/staff/contacts sent a client {staff_only!r}"
    for path in ("/staff/contacts", "/staff", "/staff/sites/portal", "/staff/no-such-page"):
        client.goto(server.url + path)
        client.wait_for_url(server.url + "/")
        expect(client.get_by_role("heading", name=f"Hello, {CLIENT[0]}")).to_be_visible()
        expect(client.get_by_role("navigation", name="Staff navigation")).to_have_count(0)
        expect(client.get_by_text("No contacts yet")).to_have_count(0)

    # --- the 404 page, client version
    response = client.goto(server.url + "/no-such-page")
    assert response is not None and response.status == 404
    expect(client.get_by_role("heading", level=1, name=NOT_FOUND)).to_be_visible()
    expect(client.get_by_role("navigation", name="Portal sections")).to_be_visible()
    expect(client.get_by_role("link", name="Go to your portal home")).to_have_attribute("href", "/")
    parked_look(j, client, "404-client")
    client.get_by_role("link", name="Go to your portal home").click()
    expect(client.get_by_role("heading", name=f"Hello, {CLIENT[0]}")).to_be_visible()

    # --- the 404 page, for anyone else
    response = anon.goto(server.url + "/no-such-page")
    assert response is not None and response.status == 404
    expect(anon.get_by_role("heading", level=1, name=NOT_FOUND)).to_be_visible()
    expect(anon.get_by_role("link", name="Sign in")).to_have_attribute("href", "/login")
    expect(anon).to_have_title(re.compile(f"^{NOT_FOUND} · .+ client portal$"))  # the portal title
    parked_look(j, anon, "404-anonymous")
    anon.goto(server.url + "/staff/no-such-page")
    expect(anon.get_by_role("link", name="Sign in")).to_have_attribute("href", "/staff/login")
    expect(anon.get_by_role("navigation", name="Staff navigation")).to_have_count(0)

    assert not j.errors, j.errors
    serious = axe.serious()
    assert not serious, serious

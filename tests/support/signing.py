"""Documents and e-signatures in the browser: staff upload and place fields, send; a client
draws a signature and signs (shared by the documents and automations journeys)."""

from __future__ import annotations

import re

from fpdf import FPDF
from playwright.sync_api import expect

from tests.support.journey import Journey, parked_look


def sample_pdf(title: str) -> bytes:
    pdf = FPDF(unit="pt", format="letter")
    pdf.add_page()
    pdf.set_font("helvetica", "B", 22)
    pdf.text(72, 100, title)
    pdf.set_font("helvetica", size=12)
    pdf.text(72, 140, "Services, fees and terms as agreed.")
    pdf.text(72, 680, "Client: ____________________        Date: ____________")
    pdf.text(72, 730, "Studio: ____________________")
    return bytes(pdf.output())


def upload(j: Journey, staff, tmp_path, title: str, countersign: bool, client_email: str, look: bool = False) -> str:
    """Staff upload a one-page PDF for the client `client_email`; the new document's id."""
    j.go(staff, "/staff/documents/new")
    expect(staff.get_by_role("heading", name="New document")).to_be_visible()
    if look:
        parked_look(j, staff, "staff-document-new")
    staff.get_by_label("Title").fill(title)
    staff.get_by_label("Find a client").fill(client_email)
    choices = staff.get_by_role("list", name="Clients to choose from").get_by_role("button")
    expect(choices).to_have_count(1)
    choices.click()
    if countersign:
        staff.get_by_role("switch", name="I countersign after the client").click()
    path = tmp_path / f"{title}.pdf"
    path.write_bytes(sample_pdf(title))
    staff.locator("#doc-file input[type=file]").set_input_files(str(path))
    expect(staff.get_by_text(f"{title}.pdf")).to_be_visible()
    staff.get_by_role("button", name="Upload and place fields").click()
    staff.wait_for_url(re.compile(r"/staff/documents/doc_[\w-]+$"))
    expect(staff.get_by_role("heading", name=title)).to_be_visible()
    return staff.url.rsplit("/", 1)[-1]


BOX_NAMES = {"Signature": "Signature", "Date signed": "Date"}  # the option, and the box's own name


def place(staff, kind: str, signer: str, fx: float, fy: float) -> None:
    staff.get_by_label("Field", exact=True).select_option(label=kind)
    staff.get_by_label("For", exact=True).select_option(label=signer)
    page = staff.locator("[data-page='0']")
    # bring the spot itself into view (a page image is taller than the window)
    page.evaluate("(e, f) => { const r = e.getBoundingClientRect();"
                  " window.scrollBy(0, r.top + r.height * f - window.innerHeight / 2); }", fy)
    box = page.bounding_box()
    staff.mouse.click(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
    expect(staff.get_by_role("button", name=re.compile(f"^{BOX_NAMES[kind]} · {signer}"))).to_have_count(1)


def send(staff) -> None:
    staff.get_by_role("button", name="Save fields").click()
    expect(staff.get_by_role("status").filter(has_text="Fields saved.")).to_be_visible()
    staff.get_by_role("button", name="Send for signature").click()
    dialog = staff.get_by_role("dialog")
    dialog.get_by_role("button", name="Send", exact=True).click()
    expect(staff.get_by_role("status").filter(has_text="Sent.")).to_be_visible()


def draw(page) -> None:
    pad = page.get_by_role("img", name="Signature drawing area")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    points = [(0.1, 0.7), (0.25, 0.25), (0.4, 0.75), (0.55, 0.3), (0.7, 0.7), (0.9, 0.35)]
    page.mouse.move(box["x"] + box["width"] * points[0][0], box["y"] + box["height"] * points[0][1])
    page.mouse.down()
    for fx, fy in points[1:]:
        page.mouse.move(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy, steps=6)
    page.mouse.up()


def sign_as_client(j: Journey, client, doc_id: str, look: str) -> None:
    j.go(client, "/documents")
    expect(client.get_by_role("heading", name="Documents")).to_be_visible()
    parked_look(j, client, look + "-list")
    client.get_by_role("row").filter(has_text="Review and sign").first.get_by_role("link").first.click()
    client.wait_for_url(re.compile(rf"/documents/{doc_id}$"))
    expect(client.get_by_role("img", name="Page 1 of 1")).to_be_visible()
    draw(client)
    client.get_by_role("button", name="Sign", exact=True).click()
    expect(client.get_by_role("alert")).to_have_text("Please agree to sign electronically first.")
    client.get_by_label(re.compile("I agree to sign this document electronically")).click()
    expect(client.get_by_role("alert")).to_have_count(0)  # the reminder goes once the box is ticked
    parked_look(j, client, look)
    client.get_by_role("button", name="Sign", exact=True).click()
    expect(client.get_by_role("status").filter(has_text=re.compile(r"^Signed\."))).to_be_visible()

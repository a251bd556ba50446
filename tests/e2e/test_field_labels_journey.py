"""Named fields and the handwriting preview (issue 13), in Chromium against the production
build: staff place a Text field, name it "Company registration number" with a hint, and a
Checkbox they name too → the client reads that label (the hint is the input's accessible
description), types the number, types their signature and the preview draws in Kristi, the
font file the sealed PDF stamps with (fetched from the app and compared byte for byte) →
signs. The document is an estimate: once sealed, staff's document page links the invoice
it became (due after the default 14 days' terms), the client's does not while that invoice is
a draft, and does once staff send it. The label's length is bounded in the editor.
Screenshots at 1280 and 390 px.
"""

from __future__ import annotations

import re

from fpdf import FPDF
from playwright.sync_api import expect

from tests.support.journey import Journey, accept_invite, invite_client, parked_look, staff_sign_in

CLIENT = ("Lena", "Label", "lena@labels.example")
LABEL, HINT = "Company registration number", "As on your certificate of incorporation."
CONSENT = re.compile("I agree to sign this document electronically")


def _pdf() -> bytes:
    pdf = FPDF(unit="pt", format="letter")
    pdf.add_page()
    pdf.set_font("helvetica", "B", 22)
    pdf.text(72, 100, "Supplier onboarding")
    pdf.set_font("helvetica", size=12)
    pdf.text(72, 600, "Company registration number: ____________________")
    pdf.text(72, 680, "Signed: ____________________")
    return bytes(pdf.output())


def _place(staff, kind: str, signer: str, box_name: str, fx: float, fy: float) -> None:
    staff.get_by_label("Field", exact=True).select_option(label=kind)
    staff.get_by_label("For", exact=True).select_option(label=signer)
    page = staff.locator("[data-page='0']")
    page.evaluate("(e, f) => { const r = e.getBoundingClientRect();"
                  " window.scrollBy(0, r.top + r.height * f - window.innerHeight / 2); }", fy)
    box = page.bounding_box()
    staff.mouse.click(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
    expect(staff.get_by_role("button", name=re.compile(f"^{box_name} · {signer}"))).to_have_count(1)


def _name_field(staff, label: str, hint: str = "") -> None:
    """The selected field's label and hint (saved when the input loses focus)."""
    staff.get_by_label("Label the signer reads").fill(label)
    staff.get_by_label("Label the signer reads").press("Tab")
    if hint:
        staff.get_by_label("Hint (optional)").fill(hint)
        staff.get_by_label("Hint (optional)").press("Tab")


def test_named_fields_and_the_handwriting_preview(server, browser, axe, tmp_path):
    from portal_app.adapters.pdf_stamp import FONT_SCRIPT

    j = Journey(server, browser, axe)
    staff_ctx, client_ctx = j.context(), j.context()
    staff, client = j.page(staff_ctx), j.page(client_ctx)
    staff_sign_in(j, staff)
    accept_invite(client, invite_client(j, staff, *CLIENT), CLIENT[0])
    signer = f"{CLIENT[0]} {CLIENT[1]}"

    # staff: upload, place a signature, a named Text field with a hint and a named Checkbox
    j.go(staff, "/staff/documents/new")
    staff.get_by_label("Title").fill("Supplier onboarding")
    staff.get_by_label("Type", exact=True).select_option(label="Estimate")
    line = staff.get_by_role("group", name="Estimate line 1")
    line.get_by_label("Description").fill("Onboarding audit")
    line.get_by_label("Unit price").fill("900.00")
    line.get_by_label("Unit price").press("Tab")
    staff.get_by_label("Find a client").fill(CLIENT[2])
    choices = staff.get_by_role("list", name="Clients to choose from").get_by_role("button")
    expect(choices).to_have_count(1)
    choices.click()
    path = tmp_path / "onboarding.pdf"
    path.write_bytes(_pdf())
    staff.locator("#doc-file input[type=file]").set_input_files(str(path))
    staff.get_by_role("button", name="Upload and place fields").click()
    staff.wait_for_url(re.compile(r"/staff/documents/doc_[\w-]+$"))
    doc = staff.url.rsplit("/", 1)[-1]
    _place(staff, "Signature", signer, "Signature", 0.3, 0.86)
    expect(staff.get_by_label("Label the signer reads")).to_have_count(0)  # a signature is not named
    _place(staff, "Text", signer, "Text", 0.6, 0.755)
    # bad input: the label is bounded where it is typed (and by the service, unit-tested)
    expect(staff.get_by_label("Label the signer reads")).to_have_attribute("maxlength", "100")
    expect(staff.get_by_label("Hint (optional)")).to_have_accessible_description(
        "Shown under the field to help the signer.")
    _name_field(staff, LABEL, HINT)
    _place(staff, "Checkbox", signer, "Checkbox", 0.12, 0.3)
    _name_field(staff, "I confirm these details are current")
    staff.get_by_role("button", name="Save fields").click()
    expect(staff.get_by_role("status").filter(has_text="Fields saved.")).to_be_visible()
    staff.get_by_role("button", name=re.compile(r"^Text · ")).click()
    expect(staff.get_by_label("Label the signer reads")).to_have_value(LABEL)   # kept by the save
    expect(staff.get_by_label("Hint (optional)")).to_have_value(HINT)
    staff.evaluate("window.scrollTo(0, 0)")  # the toolbar is sticky: a full-page shot from below hides the panel
    parked_look(j, staff, "staff-document-named-field")
    staff.get_by_role("button", name="Send for signature").click()
    staff.get_by_role("dialog").get_by_role("button", name="Send", exact=True).click()
    expect(staff.get_by_role("status").filter(has_text="Sent.")).to_be_visible()

    # the client reads the names, not "Text (page 1)"
    j.go(client, f"/documents/{doc}")
    number = client.get_by_label(LABEL)
    expect(number).to_be_visible()
    expect(number).to_have_accessible_description(HINT)
    expect(client.get_by_text("Text (page 1)")).to_have_count(0)
    expect(client.get_by_label("I confirm these details are current")).to_be_visible()
    number.fill("HRB 123456")
    client.get_by_label("I confirm these details are current").click()

    # the typed signature's preview draws in Kristi, the PDF's own font file
    client.get_by_role("radio", name="Type").click()
    client.get_by_label("Type your full name").fill("Lena Label")
    client.wait_for_function("() => document.fonts.check('16px Kristi')", timeout=15_000)
    family = client.locator("#typed-preview").evaluate("e => getComputedStyle(e).fontFamily")
    assert family.startswith(("Kristi", '"Kristi"')), family
    assert client.evaluate("() => [...document.fonts].some(f => f.family.replace(/\"/g, '') === 'Kristi'"
                           " && f.status === 'loaded')")
    served = client.request.get(server.url + "/fonts/Kristi.ttf")
    assert served.ok and served.body() == FONT_SCRIPT.read_bytes()
    client.get_by_label(CONSENT).click()
    client.locator("#typed-preview").scroll_into_view_if_needed()
    parked_look(j, client, "client-signing-named-fields")
    client.get_by_role("button", name="Sign", exact=True).click()
    expect(client.get_by_role("status").filter(has_text=re.compile(r"^Signed\."))).to_be_visible()

    # sealed by the worker: the estimate became a draft invoice, linked for staff only
    j.go(staff, f"/staff/documents/{doc}")
    invoice = staff.get_by_role("link", name=re.compile(r"^INV-"))
    expect(invoice).to_be_visible(timeout=60_000)
    expect(staff.get_by_text("Accepted: became invoice")).to_be_visible()
    parked_look(j, staff, "staff-estimate-invoice-link")
    j.go(client, f"/documents/{doc}")
    expect(client.get_by_role("link", name="Download signed PDF")).to_be_visible(timeout=60_000)
    expect(client.get_by_role("link", name=re.compile(r"^INV-"))).to_have_count(0)  # a draft is not theirs yet
    j.go(staff, f"/staff/documents/{doc}")
    number = staff.get_by_role("link", name=re.compile(r"^INV-")).inner_text()
    staff.get_by_role("link", name=number).click()
    staff.wait_for_url(re.compile(r"/staff/invoices/in_[\w-]+$"))
    staff.get_by_role("button", name="Send", exact=True).click()
    expect(staff.get_by_text("Sent", exact=True).first).to_be_visible()
    j.go(client, f"/documents/{doc}")
    client.get_by_role("link", name=number).click()
    client.wait_for_url(re.compile(r"/invoices/in_[\w-]+$"))
    expect(client.get_by_role("heading", name=re.compile(number))).to_be_visible()

    assert not axe.serious(), axe.serious()
    assert not j.errors, j.errors

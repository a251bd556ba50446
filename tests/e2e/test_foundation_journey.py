"""The foundation journey, in Chromium against the production build (issue #2).

staff signs in (or sets the portal up) → uploads a logo, picks a color, disables
Appointments → creates contacts → Send Portal Invite → the email is read (SMTP server or
dev outbox) → the client opens the link, sets a password → sees the logo and color, no
Appointments link, /appointments refused → updates their phone → staff sees the phone and
the audit entry → a second client never sees the first one's data → staff disables the
second client, whose session ends at once → both sign out. axe-core scans every page;
screenshots at 1280 and 390 px are saved under test-artifacts/e2e/.
"""

from __future__ import annotations

import io
import re

from PIL import Image
from playwright.sync_api import expect

from tests.support.journey import Journey, create_contact, staff_sign_in

PASSWORD = "a-long-client-password"
ACCENT = "#b91c1c"  # rgb(185, 28, 28)
CLIENT1 = ("Erin", "Example", "erin@client.example")
CLIENT2 = ("Gus", "Second", "gus@client.example")


def _logo_png() -> bytes:
    img = Image.new("RGB", (240, 80), (185, 28, 28))
    for x in range(20, 220):
        for y in range(30, 50):
            img.putpixel((x, y), (255, 255, 255))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def configure_portal(j: Journey, page, tmp_path) -> None:
    j.go(page, "/staff/sites/portal")
    expect(page.get_by_role("heading", name="Configure Portal")).to_be_visible()
    bad = tmp_path / "not-a-logo.png"
    bad.write_text("<html><script>alert(1)</script></html>")
    page.locator("input[type=file]").first.set_input_files(str(bad))  # the logo's (the favicon's is next)
    expect(page.get_by_text("This file is not a PNG or JPEG image.")).to_be_visible()
    logo = tmp_path / "logo.png"
    logo.write_bytes(_logo_png())
    page.locator("input[type=file]").first.set_input_files(str(logo))
    expect(page.get_by_role("img", name="Current logo")).to_be_visible()
    accent = page.get_by_label("Accent color", exact=True)
    accent.fill(ACCENT)
    page.get_by_role("switch", name="Appointments").click()
    expect(page.get_by_role("switch", name="Appointments")).to_have_attribute("aria-checked", "false")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Saved. Clients see the new settings now.")).to_be_visible()
    j.look(page, "staff-configure-portal")


def test_foundation_journey(server, browser, axe, tmp_path):
    j = Journey(server, browser, axe)
    staff_ctx, c1_ctx, c2_ctx = j.context(), j.context(), j.context()
    staff, c1, c2 = j.page(staff_ctx), j.page(c1_ctx), j.page(c2_ctx)

    # Staff: sign in, brand the portal, disable Appointments.
    staff_sign_in(j, staff)
    expect(staff.get_by_role("heading", name="Contacts")).to_be_visible()
    staff.wait_for_load_state("networkidle")
    j.look(staff, "staff-contacts")
    configure_portal(j, staff, tmp_path)

    # Staff: two contacts, invite the first from the Send Portal Invite button.
    create_contact(j, staff, *CLIENT2)
    c2_record = staff.url
    staff.get_by_role("button", name="Send Portal Invite").click()
    expect(staff.get_by_text("Invited", exact=True).first).to_be_visible()
    create_contact(j, staff, *CLIENT1)
    c1_record = staff.url
    staff.get_by_role("button", name="Send Portal Invite").click()
    expect(staff.get_by_text("Invited", exact=True).first).to_be_visible()
    expect(staff.get_by_role("status").filter(has_text="Portal invitation sent.")).to_be_visible()
    j.look(staff, "staff-contact-record")

    # Client 1: the emailed link shows a confirm page; accepting sets the password.
    link = j.invite_link(staff, CLIENT1[2])
    assert link.startswith(server.url + "/invite?token="), link
    c1.goto(link)
    expect(c1.get_by_role("heading", name=re.compile("Welcome, Erin"))).to_be_visible()
    j.look(c1, "client-invite")
    c1.get_by_label("Password", exact=True).fill(PASSWORD)
    c1.get_by_label("Confirm password").fill(PASSWORD + "x")
    c1.get_by_role("button", name="Accept invitation").click()
    expect(c1.get_by_role("alert")).to_contain_text("do not match")
    c1.get_by_label("Password", exact=True).fill(PASSWORD)
    c1.get_by_label("Confirm password").fill(PASSWORD)
    c1.get_by_role("button", name="Accept invitation").click()
    c1.wait_for_url(re.compile(r"/\?welcome=1"))
    expect(c1.get_by_role("heading", name="Hello, Erin")).to_be_visible()

    # The link is single use.
    reuse = j.page(c2_ctx)
    reuse.goto(link)
    expect(reuse.get_by_text("This invitation link has already been used.")).to_be_visible()
    j.look(reuse, "client-invite-used")
    reuse.close()

    # Branding: logo, color, no Appointments; /appointments refused by URL.
    expect(c1.locator("header img")).to_have_attribute("src", re.compile(r"^/api/logo/ws_"))
    # no brand colors set: the header's title band is the accent
    band = c1.locator("#brand-band").evaluate("e => getComputedStyle(e).backgroundColor")
    assert band == "rgb(185, 28, 28)", band
    nav = c1.get_by_role("navigation", name="Portal sections")
    expect(nav.get_by_role("link", name="Invoices")).to_be_visible()
    expect(nav.get_by_role("link", name="Appointments")).to_have_count(0)
    j.look(c1, "client-home")
    j.go(c1, "/appointments")
    expect(c1.get_by_text("This section is not available in this portal.")).to_be_visible()
    j.look(c1, "client-appointments-refused")
    j.go(c1, "/invoices")
    expect(c1.get_by_text("No invoices have been shared with you yet.")).to_be_visible()
    j.look(c1, "client-invoices-empty")

    # Profile: bad input, then a new phone.
    j.go(c1, "/profile")
    phone = c1.get_by_label("Phone")
    expect(phone).to_be_visible()
    phone.fill("call me <script>")
    c1.get_by_role("button", name="Save changes").click()
    expect(c1.get_by_role("alert").first).to_contain_text("Phone may contain")
    phone.fill("+1 555 0142")
    c1.get_by_role("button", name="Save changes").click()
    expect(c1.get_by_text("Your details were saved.")).to_be_visible()
    j.look(c1, "client-profile")

    # Staff sees the new phone and the audit entry.
    staff.goto(c1_record)
    staff.wait_for_load_state("networkidle")
    expect(staff.get_by_label("Phone")).to_have_value("+1 555 0142")
    expect(staff.get_by_text("Client updated their profile")).to_be_visible()
    expect(staff.get_by_text(re.compile(r"phone: — → \+1 555 0142"))).to_be_visible()

    # Client 2 accepts their invitation and never sees client 1's data.
    link2 = j.invite_link(staff, CLIENT2[2]) if server.mailbox is None else server.mailbox.link_for(CLIENT2[2])
    c2.goto(link2)
    c2.get_by_label("Password", exact=True).fill(PASSWORD)
    c2.get_by_label("Confirm password").fill(PASSWORD)
    c2.get_by_role("button", name="Accept invitation").click()
    expect(c2.get_by_role("heading", name="Hello, Gus")).to_be_visible()
    j.go(c2, "/profile")
    expect(c2.get_by_text(CLIENT2[2])).to_be_visible()
    for other in (CLIENT1[2], "+1 555 0142", "Erin"):
        assert other not in c2.content(), f"client 2 sees {other!r}"
    j.go(c2, "/staff/contacts")
    assert "erin@client.example" not in c2.content()

    # Staff disables client 2: their session ends at once.
    staff.goto(c2_record)
    staff.wait_for_load_state("networkidle")
    staff.get_by_role("button", name="Disable portal access").click()
    expect(staff.get_by_text("Disabled", exact=True).first).to_be_visible()
    j.go(c2, "/profile")
    c2.wait_for_url(re.compile(r"/login"))
    j.look(c2, "client-login")

    # Client 1 signs out, forgets the password and chooses a new one by an emailed link.
    c1.get_by_role("button", name="Sign out").click()
    c1.wait_for_url(re.compile(r"/login"))
    expect(c1.get_by_text("You have signed out.")).to_be_visible()
    j.go(c1, "/profile")
    c1.wait_for_url(re.compile(r"/login"))
    c1.get_by_role("link", name="Forgot your password?").click()
    c1.wait_for_url(re.compile(r"/forgot-password"))
    c1.get_by_label("Email").fill(CLIENT1[2])
    c1.get_by_role("button", name="Send the link").click()
    expect(c1.get_by_role("status")).to_contain_text("we sent it a link")
    j.look(c1, "client-forgot-password")
    reset_link = j.invite_link(staff, CLIENT1[2], "/reset-password")
    assert reset_link.startswith(server.url + "/reset-password?token="), reset_link
    c1.goto(reset_link)
    expect(c1.get_by_role("heading", name="Choose a new password")).to_be_visible()
    j.look(c1, "client-reset-password")
    c1.get_by_label("New password").fill(PASSWORD + "-2")
    c1.get_by_label("Confirm password").fill(PASSWORD + "-2")
    c1.get_by_role("button", name="Save the new password").click()
    c1.wait_for_url(re.compile(r"password_changed=1"))
    expect(c1.get_by_role("status").filter(has_text="Your new password is saved")).to_be_visible()
    c1.goto(reset_link)  # single use
    expect(c1.get_by_text("This password link has already been used.")).to_be_visible()

    # Staff signs out.
    staff.get_by_role("button", name="Sign out").click()
    staff.wait_for_url(re.compile(r"/staff/login"))

    for ctx in (staff_ctx, c1_ctx, c2_ctx):
        ctx.close()
    # Reflex reports browser-side failures (e.g. a CSP refusal inside an event) to the server.
    assert "Frontend Exception" not in server.log_path.read_text(errors="replace"), server.log_tail(80)
    assert not j.errors, "\n".join(j.errors)
    serious = axe.serious()
    assert not serious, "\n".join(f"{page}: {v['id']} ({v['impact']}) {v['help']} at {v['nodes']}"
                                   for page, vs in serious.items() for v in vs)

"""Branding everywhere (issue 17, item 4), in Chromium against the production build: staff set the
portal title, colors, a very wide logo and the emails' sender in Configure Portal (a color too
light for text on white is refused, naming the field and the ratio) → the client's portal shows
them: the title in the tab and the header, the accent on the primary button (computed style),
brand color 1 behind the title with dark text, the favicon served for the host → the sign-in page
in the same branding → at 320 px the header keeps Sign out on screen and no client page scrolls
sideways. Screenshots at 1280 and 320 px are kept in test-artifacts/e2e/<config>/branding/; axe
scans each page. The branding is put back at the end: the journeys share one server."""

from __future__ import annotations

import io
import re
from pathlib import Path

from PIL import Image
from playwright.sync_api import expect

from tests.support.journey import Journey, accept_invite, invite_client, parked_look, staff_sign_in

CLIENT = ("Bree", "Baker", "bree@branding.example")
TITLE = "Harbor Bakery Portal"
ACCENT, ACCENT_RGB = "#9d174d", "rgb(157, 23, 77)"
PRIMARY, PRIMARY_RGB = "#fde047", "rgb(253, 224, 71)"  # light: paired with near-black text
SECONDARY = "#1e3a8a"
SENDER, REPLY_TO = "Harbor Bakery", "hello@harbor-bakery.example"
TOO_LIGHT = "#7dd3fc"
CLIENT_PAGES = ["/", "/invoices", "/documents", "/files", "/profile"]
DEFAULT_ICON = (Path(__file__).resolve().parents[2] / "assets" / "favicon.ico").read_bytes()


def _wide_logo() -> bytes:
    """A very wide logo (12:1): the shape that pushed Sign out off a phone's screen."""
    img = Image.new("RGB", (1200, 100), (157, 23, 77))
    for x in range(40, 1160, 80):
        for y in range(30, 70):
            for dx in range(40):
                img.putpixel((x + dx, y), (255, 255, 255))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def _configure(staff, tmp_path) -> dict:
    """Configure Portal: the too-light accent refused, then the branding saved. Returns what the
    form held before, to put it back."""
    expect(staff.get_by_role("heading", name="Configure Portal")).to_be_visible()
    title, accent = staff.get_by_label("Portal title"), staff.get_by_label("Accent color", exact=True)
    primary = staff.get_by_label("Brand color 1 (optional)", exact=True)
    secondary = staff.get_by_label("Brand color 2 (optional)", exact=True)
    expect(title).not_to_have_value("")
    before = {"title": title.input_value(), "accent": accent.input_value(), "primary": primary.input_value(),
              "secondary": secondary.input_value()}

    accent.fill(TOO_LIGHT)
    # the preview warns while typing; the save refuses with the field and the ratio
    expect(staff.get_by_role("status").filter(has_text="1.6:1 on white")).to_be_visible()
    staff.get_by_role("button", name="Save settings").click()
    expect(staff.get_by_role("alert").filter(
        has_text=f"Accent color: {TOO_LIGHT} has a contrast of 1.6:1 on white; text needs 4.5:1")).to_be_visible()

    logo = tmp_path / "wide-logo.png"
    logo.write_bytes(_wide_logo())
    staff.locator("input[type=file]").first.set_input_files(str(logo))
    expect(staff.get_by_role("img", name="Current logo")).to_be_visible()
    expect(staff.get_by_text("Made from your logo.")).to_be_visible()
    title.fill(TITLE)
    accent.fill(ACCENT)
    primary.fill(PRIMARY)
    secondary.fill(SECONDARY)
    staff.get_by_label("Sender name").fill(SENDER)
    staff.get_by_label("Reply-to address").fill("not an address")
    staff.get_by_role("button", name="Save settings").click()
    expect(staff.get_by_role("alert").filter(has_text="Reply-to address does not look like an email address")
           ).to_be_visible()
    staff.get_by_label("Reply-to address").fill(REPLY_TO)
    staff.get_by_role("button", name="Save settings").click()
    expect(staff.get_by_text("Saved. Clients see the new settings now.")).to_be_visible()
    return before


def _restore(j: Journey, staff, before: dict) -> None:
    j.go(staff, "/staff/sites/portal")
    staff.get_by_label("Portal title").fill(before["title"])
    staff.get_by_label("Accent color", exact=True).fill(before["accent"])
    staff.get_by_label("Brand color 1 (optional)", exact=True).fill(before["primary"])
    staff.get_by_label("Brand color 2 (optional)", exact=True).fill(before["secondary"])
    staff.get_by_label("Sender name").fill("")
    staff.get_by_label("Reply-to address").fill("")
    staff.get_by_role("button", name="Save settings").click()
    expect(staff.get_by_text("Saved. Clients see the new settings now.")).to_be_visible()
    staff.get_by_role("button", name="Remove logo").click()
    staff.get_by_role("alertdialog").get_by_role("button", name="Remove logo").click()
    expect(staff.get_by_role("img", name="Current logo")).to_have_count(0)


def _fits(page, path: str, width: int) -> None:
    """At `width`: nothing scrolls sideways and Sign out is whole on screen."""
    scroll, inner = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    assert scroll <= inner, f"{path} scrolls sideways at {width} px ({scroll} > {inner})"
    sign_out = page.get_by_role("button", name="Sign out")
    expect(sign_out).to_be_visible()
    left, right = sign_out.evaluate("e => { const r = e.getBoundingClientRect(); return [r.left, r.right]; }")
    assert left >= 0 and right <= width, f"{path}: Sign out from {left} to {right} px"


def _shoot(j: Journey, page, name: str, shots: Path) -> None:
    """axe at the current width, then screenshots at 1280 and 320 px."""
    parked_look(j, page, name)  # axe + 1280/390 in the journey's own folder
    size = page.viewport_size
    for width in (1280, 320):
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(200)
        page.screenshot(path=str(shots / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size(size)


def _demo_client_at_320(j: Journey, browser, shots: Path) -> None:
    """The demo's client (embedded config) has invoices, documents and shared files: their lists
    and an invoice's page at 320 px, with the wide logo, never scroll sideways either."""
    from portal_app.cli import DEMO_CLIENT_PASSWORD
    from portal_app.services.portal.demo import DEMO_CLIENT_EMAIL

    ctx = browser.new_context(viewport={"width": 320, "height": 700})
    ctx.set_default_timeout(20_000)
    page = j.page(ctx)
    j.go(page, "/login")
    page.get_by_label("Email").fill(DEMO_CLIENT_EMAIL)
    page.get_by_label("Password").fill(DEMO_CLIENT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=re.compile("^Hello, "))).to_be_visible()
    for path, filled in (("/invoices", re.compile(r"INV-\d+")), ("/documents", re.compile(".")),
                         ("/files", re.compile("Welcome pack"))):
        j.go(page, path)
        expect(page.get_by_role("main").get_by_text(filled).first).to_be_visible()
        page.wait_for_timeout(200)
        _fits(page, path + " (with data)", 320)
        page.screenshot(path=str(shots / f"demo-client{path.replace('/', '-')}-320.png"), full_page=True)
    j.go(page, "/invoices")
    page.locator("main a[href^='/invoices/']").first.click()
    page.wait_for_url(re.compile(r"/invoices/[^/]+$"))
    expect(page.get_by_role("heading", level=1, name=re.compile("INV-"))).to_be_visible()
    page.wait_for_load_state("networkidle")
    _fits(page, "an invoice", 320)
    page.screenshot(path=str(shots / "demo-client-invoice-320.png"), full_page=True)
    ctx.close()


def test_branding_journey(server, browser, axe, tmp_path):
    j = Journey(server, browser, axe)
    shots = j.shots / "branding"
    shots.mkdir(parents=True, exist_ok=True)
    staff_ctx, client_ctx, anon_ctx = j.context(), j.context(), j.context()
    staff, client, anon = j.page(staff_ctx), j.page(client_ctx), j.page(anon_ctx)

    staff_sign_in(j, staff)
    j.go(staff, "/staff/sites/portal")
    before = _configure(staff, tmp_path)
    _shoot(j, staff, "staff-configure-portal", shots)

    # The client, invited after the save: the email comes from the sender name, replies go to
    # the reply-to address (SMTP config; the dev outbox keeps no headers).
    link = invite_client(j, staff, *CLIENT)
    if server.mailbox is not None:
        msg = next(m for m in reversed(server.mailbox.messages) if CLIENT[2] in str(m["To"]))
        assert msg["From"].addresses[0].display_name == SENDER, str(msg["From"])
        assert str(msg["Reply-To"]) == REPLY_TO
        html = msg.get_body(preferencelist=("html",)).get_content()
        assert "Client Portal" not in html and "Client Portal" not in str(msg["Subject"])

    # The invitation page is branded before the client has an account.
    client.goto(link)
    expect(client).to_have_title(f"Accept your invitation · {TITLE}")
    expect(client.locator("#portal-title")).to_have_text(TITLE)
    expect(client.get_by_role("img", name=re.compile(".+"))).to_be_visible()  # the logo, named for the business
    accept_invite(client, link, CLIENT[0])

    # Home: title in the tab and the header, brand color 1 behind it with readable text.
    expect(client).to_have_title(f"Home · {TITLE}")
    expect(client.locator("header #portal-title")).to_have_text(TITLE)
    band = client.locator("#brand-band").evaluate("e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).color]")
    assert band == [PRIMARY_RGB, "rgb(17, 24, 39)"], band  # light yellow: near-black text
    expect(client.locator("header img")).to_have_attribute("src", re.compile(r"^/api/logo/ws_"))
    # the favicon: linked with its version, served for this host, made from the logo
    expect(client.locator("link[rel=icon]").first).to_have_attribute("href", re.compile(r"^/favicon\.ico\?v=\d+$"))
    icon = client_ctx.request.get(server.url + "/favicon.ico")
    assert icon.status == 200 and icon.headers["content-type"] == "image/x-icon"
    assert icon.body() != DEFAULT_ICON and Image.open(io.BytesIO(icon.body())).format == "ICO"
    _shoot(j, client, "client-home", shots)

    # Profile: the primary button in the accent, its label in white.
    j.go(client, "/profile")
    expect(client).to_have_title(f"Your profile · {TITLE}")
    save = client.get_by_role("button", name="Save changes")
    colors = save.evaluate("e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).color]")
    assert colors == [ACCENT_RGB, "rgb(255, 255, 255)"], colors
    _shoot(j, client, "client-profile", shots)

    # A phone 320 px wide: the wide logo scales down, Sign out stays, nothing scrolls sideways.
    client.set_viewport_size({"width": 320, "height": 700})
    for path in CLIENT_PAGES:
        j.go(client, path)
        expect(client.locator("header #portal-title")).to_have_text(TITLE)
        client.wait_for_timeout(200)
        _fits(client, path, 320)
        logo = client.locator("header img").bounding_box()
        assert logo is not None and logo["x"] + logo["width"] <= 320
        name = "client" + (path.replace("/", "-") if path != "/" else "-home")
        client.screenshot(path=str(shots / f"{name}-320.png"), full_page=True)
    if server.env["PORTAL_DEMO"] == "1":
        _demo_client_at_320(j, browser, shots)
    client.set_viewport_size({"width": 1280, "height": 900})
    for path in ("/invoices", "/documents", "/files"):
        j.go(client, path)
        _shoot(j, client, "client" + path.replace("/", "-"), shots)

    # Signed out: the sign-in page in the same branding.
    client.get_by_role("button", name="Sign out").click()
    client.wait_for_url(re.compile(r"/login"))
    anon.goto(server.url + "/login")
    expect(anon).to_have_title(f"Sign in · {TITLE}")
    expect(anon.locator("#portal-title")).to_have_text(TITLE)
    button = anon.get_by_role("button", name="Sign in").evaluate("e => getComputedStyle(e).backgroundColor")
    assert button == ACCENT_RGB, button
    _shoot(j, anon, "client-login", shots)
    anon.goto(server.url + "/forgot-password")
    expect(anon).to_have_title(f"Forgot your password · {TITLE}")
    expect(anon.locator("#portal-title")).to_have_text(TITLE)
    anon.get_by_label("Email").fill(CLIENT[2])
    anon.get_by_role("button", name="Send the link").click()
    expect(anon.get_by_role("status")).to_contain_text("we sent it a link")
    reset = (server.mailbox.link_for(CLIENT[2], path="/reset-password") if server.mailbox is not None
             else j.invite_link(staff, CLIENT[2], "/reset-password", look=False))
    anon.goto(reset)
    expect(anon.get_by_role("heading", name="Choose a new password")).to_be_visible()
    expect(anon).to_have_title(f"Choose a new password · {TITLE}")
    expect(anon.locator("#portal-title")).to_have_text(TITLE)
    _shoot(j, anon, "client-reset-password", shots)
    for page in (anon, client):
        assert "Client Portal" not in page.title()

    _restore(j, staff, before)
    for ctx in (staff_ctx, client_ctx, anon_ctx):
        ctx.close()
    assert not j.errors, "\n".join(j.errors)
    serious = axe.serious()
    assert not serious, "\n".join(f"{page}: {v['id']} ({v['impact']}) {v['help']} at {v['nodes']}"
                                   for page, vs in serious.items() for v in vs)

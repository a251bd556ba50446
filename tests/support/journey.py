"""The steps every browser journey takes (tests/e2e/test_*_journey.py): a `Journey` holds the
server, the browser and the axe scanner, opens pages that record script errors, and scans and
screenshots each page it looks at; staff sign in (or set a fresh install up), contacts are
created and invited, and the client accepts the emailed link. The fixtures (`server`,
`browser`, `axe`) are in tests/e2e/conftest.py.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from playwright.sync_api import expect

from tests.support.browser import ARTIFACTS

CLIENT_PASSWORD = "a-long-client-password"
STAFF_PASSWORD = "a-long-staff-password"


class Journey:
    def __init__(self, server, browser, axe):
        self.s, self.browser, self.axe = server, browser, axe
        self.errors: list[str] = []
        self.shots = ARTIFACTS / server.config
        self.shots.mkdir(parents=True, exist_ok=True)

    def context(self):
        ctx = self.browser.new_context(viewport={"width": 1280, "height": 900})
        ctx.set_default_timeout(20_000)
        return ctx

    def page(self, ctx):
        page = ctx.new_page()
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        page.on("console", lambda m: self.errors.append(f"console: {m.text}")
                if m.type == "error" and ("Content Security Policy" in m.text or "Uncaught" in m.text) else None)
        return page

    def look(self, page, name: str) -> None:
        """axe scan + screenshots at desktop and phone width."""
        page.wait_for_timeout(300)
        self.axe.scan(page, name)
        page.screenshot(path=str(self.shots / f"{name}-1280.png"), full_page=True)
        size = page.viewport_size
        page.set_viewport_size({"width": 390, "height": 844})
        page.wait_for_timeout(300)
        page.screenshot(path=str(self.shots / f"{name}-390.png"), full_page=True)
        page.set_viewport_size(size)

    def go(self, page, path: str):
        page.goto(self.s.url + path)
        page.wait_for_load_state("networkidle")

    def invite_link(self, staff, to: str, path: str = "", look: bool = True) -> str:
        """The emailed link, as its recipient gets it: from the SMTP server, or (dev outbox)
        from the server's database. The owner's outbox page shows that mail with its one-time
        link redacted: it is not for the owner."""
        if self.s.mailbox is not None:
            return self.s.mailbox.link_for(to)
        link = self.s.dev_mail_link(to, path)
        self.go(staff, "/staff/outbox")
        card = staff.locator(".rt-Card", has_text=f"To: {to}").first
        expect(card).to_be_visible()
        expect(card).to_contain_text("token=••••")
        expect(card.get_by_role("link", name="Open the link in this email")).to_have_count(0)
        assert link.split("token=", 1)[1] not in staff.content()
        if look:
            self.look(staff, "staff-outbox")
        return link


def staff_credentials(j: Journey) -> tuple[str, str]:
    if j.s.env["PORTAL_DEMO"] == "0":
        return "hana@harbor.example", STAFF_PASSWORD
    return "owner@demo.example", "northwind-owner"


def staff_sign_in(j: Journey, page) -> None:
    j.go(page, "/staff/login")
    if j.s.env["PORTAL_DEMO"] == "0" and not j.s.setup_done:  # a fresh install: first-run setup
        j.s.setup_done = True
        page.wait_for_url(re.compile(r"/setup"))
        expect(page.get_by_role("heading", name="Set up your client portal")).to_be_visible()
        j.look(page, "setup")
        page.get_by_label("Business name").fill("Harbor Design Co")
        page.get_by_label("Your name").fill("Hana Harbor")
        page.get_by_label("Email").fill("hana@harbor.example")
        page.get_by_label("Password", exact=True).fill(STAFF_PASSWORD)
        page.get_by_label("Confirm password").fill(STAFF_PASSWORD)
        page.get_by_role("button", name="Create workspace").click()
        page.wait_for_url(re.compile(r"/staff/contacts"))
        return
    email, password = staff_credentials(j)
    if not j.s.wrong_password_shown:  # once per server: more failures would throttle the address
        j.s.wrong_password_shown = True
        j.look(page, "staff-login")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill("wrong password here")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("alert")).to_contain_text("do not match")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/staff/contacts"))


def create_contact(j: Journey, page, first: str, last: str, email: str) -> None:
    j.go(page, "/staff/contacts")
    page.get_by_role("button", name="New contact").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Email").fill("not-an-email")
    dialog.get_by_role("button", name="Create contact").click()
    # the browser's own check or ours: either way nothing is created and the dialog stays
    expect(dialog).to_be_visible()
    dialog.get_by_label("First name").fill(first)
    dialog.get_by_label("Last name").fill(last)
    dialog.get_by_label("Email").fill(email)
    dialog.get_by_role("button", name="Create contact").click()
    page.wait_for_url(re.compile(r"/staff/contacts/ct_"))
    expect(page.get_by_role("heading", name=f"{first} {last}")).to_be_visible()


def invite_client(j: Journey, staff, first: str, last: str, email: str) -> str:
    """Create the contact, send the portal invite, return the emailed link."""
    create_contact(j, staff, first, last, email)
    staff.get_by_role("button", name="Send Portal Invite").click()
    expect(staff.get_by_role("status").filter(has_text="Portal invitation sent.")).to_be_visible()
    link = emailed_link(j, staff, email)
    assert link.startswith(j.s.url + "/invite?token="), link
    return link


def emailed_link(j: Journey, staff, to: str) -> str:
    """The link in the newest email to `to`: the SMTP server's, or the dev outbox's (read
    as its recipient gets it; the owner's outbox page shows it redacted)."""
    return j.invite_link(staff, to, look=False)


def accept_invite(page, link: str, first: str) -> None:
    page.goto(link)
    page.get_by_label("Password", exact=True).fill(CLIENT_PASSWORD)
    page.get_by_label("Confirm password").fill(CLIENT_PASSWORD)
    page.get_by_role("button", name="Accept invitation").click()
    expect(page.get_by_role("heading", name=f"Hello, {first}")).to_be_visible()


def parked_look(j: Journey, page, name: str) -> None:
    """j.look with the pointer parked in a corner: a hovered link is drawn lighter (and
    axe would judge its hover color, which depends on where the last click happened)."""
    page.mouse.move(0, 0)
    j.look(page, name)


def look_and_keep(j: Journey, page, name: str, shots: Path) -> None:
    """parked_look (axe + screenshots at 1280 and 390 px), a copy of the screenshots in
    `shots` to open and judge, and at phone width the page never scrolls sideways."""
    parked_look(j, page, name)
    shots.mkdir(parents=True, exist_ok=True)
    for width in ("1280", "390"):
        shutil.copy2(j.shots / f"{name}-{width}.png", shots / f"{j.s.config}-{name}-{width}.png")
    size = page.viewport_size
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(200)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, f"{name} scrolls sideways on a phone"
    page.set_viewport_size(size)


def set_chat_widget(j: Journey, staff, on: bool, email_after: str | None = None) -> None:
    """Configure Portal: the chat widget switched on or off (and the chat email's delay in
    minutes, when given), saved."""
    j.go(staff, "/staff/sites/portal")
    switch = staff.get_by_role("switch", name="Chat widget")
    expect(switch).to_be_visible()
    if (switch.get_attribute("aria-checked") == "true") != on:
        switch.click()
    expect(switch).to_have_attribute("aria-checked", "true" if on else "false")
    if email_after is not None:
        staff.get_by_label("Email unread chat messages after (minutes)").fill(email_after)
    staff.get_by_role("button", name="Save settings").click()
    expect(staff.get_by_text("Saved. Clients see the new settings now.")).to_be_visible()

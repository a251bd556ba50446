"""The Security page, in Chromium against the production build (issue 18, part A).

A client accepts their invitation on computer B (Firefox on Windows, as its user agent says),
then signs in on computer A: a sign-in from a device the account has not used → the "New
sign-in" email. On A's Security page both sessions are listed, A's as "This device"; A signs
B out, and B's open profile page lands on the sign-in page at its very next event; every
websocket frame B receives from then on is searched for the client's data (the next person
at computer B gets nothing). Then the password: the current one is asked (a wrong one is
refused), the change emails the client; the email change on the profile asks for the password
too. Staff: /staff/security, "Sign out everywhere else" ends the staff member's other browser.
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

from tests.support.browser import ARTIFACTS
from tests.support.frames import received_frames
from tests.support.journey import (
    CLIENT_PASSWORD,
    Journey,
    invite_client,
    look_and_keep,
    staff_credentials,
    staff_sign_in,
)

CLIENT = ("Sam", "Secure", "sam@secure.example")
NEW_PASSWORD = "an-even-longer-client-password"
FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
SHOTS = ARTIFACTS / "security"


def _context(j: Journey, user_agent: str | None = None):
    ctx = j.browser.new_context(viewport={"width": 1280, "height": 900},
                                **({"user_agent": user_agent} if user_agent else {}))
    ctx.set_default_timeout(20_000)
    return ctx


def _mail_link(j: Journey, to: str, path: str) -> str:
    """The link to `path` in the newest email to `to` (SMTP server or dev outbox)."""
    if j.s.mailbox is not None:
        return j.s.mailbox.link_for(to, path=path)
    return j.s.dev_mail_link(to, path)


def _client_sign_in(j: Journey, page, email: str, password: str) -> None:
    j.go(page, "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=f"Hello, {CLIENT[0]}")).to_be_visible()


def test_security_journey(server, browser, axe):
    j = Journey(server, browser, axe)
    staff_ctx = j.context()
    staff = j.page(staff_ctx)
    staff_sign_in(j, staff)
    link = invite_client(j, staff, *CLIENT)

    # Computer B: the client accepts the invitation (the account's first device: no email).
    b_ctx = _context(j, FIREFOX_WINDOWS)
    b = j.page(b_ctx)
    b_frames = received_frames(b)
    b.goto(link)
    b.get_by_label("Password", exact=True).fill(CLIENT_PASSWORD)
    b.get_by_label("Confirm password").fill(CLIENT_PASSWORD)
    b.get_by_role("button", name="Accept invitation").click()
    expect(b.get_by_role("heading", name=f"Hello, {CLIENT[0]}")).to_be_visible()
    j.go(b, "/profile")
    expect(b.get_by_text(CLIENT[2])).to_be_visible()

    # Computer A (Chrome on Linux): a device this account has not used → the security email.
    a_ctx = j.context()
    a = j.page(a_ctx)
    _client_sign_in(j, a, CLIENT[2], CLIENT_PASSWORD)
    assert _mail_link(j, CLIENT[2], "/security").endswith("/security")

    a.get_by_role("link", name="Security").first.click()
    a.wait_for_url(re.compile(r"/security$"))
    expect(a.get_by_role("heading", name="Security", level=1)).to_be_visible()
    sessions = a.get_by_role("list", name="Where you are signed in")
    expect(sessions.get_by_role("listitem")).to_have_count(2)
    mine = sessions.get_by_role("listitem").filter(has_text="This device")
    expect(mine).to_contain_text("on Linux")
    expect(mine.get_by_role("button")).to_have_count(0)  # this device: Sign out at the top does that
    other = sessions.get_by_role("listitem").filter(has_text="Firefox on Windows")
    expect(other).to_contain_text("IP address")
    expect(a.get_by_role("link", name="Set up or manage two-factor sign-in")).to_have_attribute("href", "/security/two-factor")
    look_and_keep(j, a, "client-security", SHOTS)

    # A signs B out; B's open page lands on sign-in at its next event, and carries nothing on.
    other.get_by_role("button", name=re.compile(r"^Sign out Firefox on Windows")).click()
    expect(a.get_by_role("status").filter(has_text="That session was signed out.")).to_be_visible()
    expect(sessions.get_by_role("listitem")).to_have_count(1)
    start = len(b_frames)
    b.get_by_role("button", name="Save changes").click()
    b.wait_for_url(re.compile(r"/login"))
    expect(b.get_by_role("button", name="Sign in")).to_be_visible()
    j.go(b, "/profile")  # the next person at computer B tries the old page
    b.wait_for_url(re.compile(r"/login"))
    b.wait_for_load_state("networkidle")
    after = "\n".join(b_frames[start:])
    assert after, "computer B received no frame after its session ended: the check below would prove nothing"
    leaked = [s for s in (CLIENT[2], CLIENT[1]) if s in after]
    assert not leaked, f"the signed-out client's data reached the next person at computer B: {leaked}"

    # The password: the current one is asked; a wrong one is refused; the change emails the client.
    form = a.locator("#password")
    form.get_by_label("Current password").fill("not my password at all")
    form.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    form.get_by_label("Confirm new password").fill(NEW_PASSWORD)
    form.get_by_role("button", name="Change password").click()
    expect(form.get_by_role("alert")).to_contain_text("That is not your current password.")
    form.get_by_label("Current password").fill(CLIENT_PASSWORD)
    form.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    form.get_by_label("Confirm new password").fill(NEW_PASSWORD)
    form.get_by_role("button", name="Change password").click()
    expect(form.get_by_role("status")).to_contain_text("Your password was changed.")
    _mail_link(j, CLIENT[2], "/security")  # the "password was changed" email (its button: /security)

    # The email change asks for the password too.
    j.go(a, "/profile")
    a.get_by_label("New email").fill("sam.new@secure.example")
    a.get_by_label("Current password").fill(CLIENT_PASSWORD)  # the old one: no longer right
    a.get_by_role("button", name="Send confirmation link").click()
    expect(a.get_by_role("alert")).to_contain_text("That is not your current password.")
    a.get_by_label("New email").fill("sam.new@secure.example")
    a.get_by_label("Current password").fill(NEW_PASSWORD)
    a.get_by_role("button", name="Send confirmation link").click()
    expect(a.get_by_text("We sent a confirmation link to sam.new@secure.example")).to_be_visible()
    look_and_keep(j, a, "client-profile-email", SHOTS)

    # Staff: a second browser, then "Sign out everywhere else" from /staff/security.
    s2_ctx = _context(j, FIREFOX_WINDOWS)
    s2 = j.page(s2_ctx)
    email, password = staff_credentials(j)
    j.go(s2, "/staff/login")
    s2.get_by_label("Email").fill(email)
    s2.get_by_label("Password").fill(password)
    s2.get_by_role("button", name="Sign in").click()
    s2.wait_for_url(re.compile(r"/staff(/|$)"))
    j.go(staff, "/staff/security")
    expect(staff.get_by_role("heading", name="Security", level=1)).to_be_visible()
    # the owner may be signed in elsewhere too (other journeys share this server): this browser is
    # "This device", the second one is listed, and everything but this device ends
    signed_in = staff.get_by_role("list", name="Where you are signed in").get_by_role("listitem")
    expect(signed_in.filter(has_text="This device")).to_have_count(1)
    expect(signed_in.filter(has_text="Firefox on Windows").first).to_be_visible()
    others = signed_in.count() - 1
    assert others >= 1
    look_and_keep(j, staff, "staff-security", SHOTS)
    staff.get_by_role("button", name="Sign out everywhere else").click()
    ended = f"Signed out everywhere else ({others} session{'' if others == 1 else 's'})."
    expect(staff.get_by_role("status").filter(has_text=ended)).to_be_visible()
    expect(signed_in).to_have_count(1)
    s2.get_by_role("link", name="Contacts").first.click()
    s2.wait_for_url(re.compile(r"/staff/login"))

    for ctx in (staff_ctx, a_ctx, b_ctx, s2_ctx):
        ctx.close()
    assert not j.errors, "\n".join(j.errors)
    assert not axe.serious(), axe.serious()
    assert Path(SHOTS).exists()

"""Two-factor sign-in (issue 18, part B), in Chromium against the built app (both configs).

A client sets it up from their profile: the QR code and the key on screen, the code computed here
with pyotp from the key shown, ten recovery codes shown once. They sign out and in again: the
password, then a code; the same code replayed is refused; a recovery code works once. The next
person at the same computer (client B, in the same tab) receives, in every websocket frame from
A's sign-out on, nothing of A's: neither the key nor a recovery code.

The owner requires two-factor for staff (Settings › Team): their next page is the setup page and
nothing else opens until it is done; then they take the requirement and their own factor off again
(the other journeys on this server sign in with a password only).

axe-core scans each page; screenshots at 1280 and 390 px (also copied to /tmp/shots-two-factor/).
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pyotp
from playwright.sync_api import expect

from tests.support.frames import received_frames
from tests.support.journey import (
    CLIENT_PASSWORD,
    Journey,
    accept_invite,
    invite_client,
    look_and_keep,
    staff_credentials,
    staff_sign_in,
)

SHOTS = Path("/tmp/shots-two-factor")
A = ("Tove", "Twofactor", "tove@two-factor.example")
B = ("Bert", "Twofactor", "bert@two-factor.example")


def _next_code(secret: str) -> str:
    """The code of the next time step: accepted (one step of drift) and never the one just used."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def _password(page, j: Journey, email: str, password: str = CLIENT_PASSWORD, staff: bool = False) -> None:
    j.go(page, "/staff/login" if staff else "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/login/two-factor"))
    expect(page.get_by_role("heading", name="Two-step verification")).to_be_visible()


def _code(page, code: str) -> None:
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Verify and sign in").click()


def _sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").first.click()
    page.wait_for_url(re.compile(r"/login/?\?signed_out=1"))
    page.wait_for_load_state("networkidle")


def _enrol(j: Journey, page, shot_prefix: str) -> tuple[str, list[str]]:
    """On the setup page: Set up → (QR, key) → a code → the recovery codes; returns them."""
    page.get_by_role("button", name="Set up two-factor sign-in").click()
    qr = page.get_by_role("img", name=re.compile("QR code"))
    expect(qr).to_be_visible()
    assert (qr.get_attribute("src") or "").startswith("data:image/svg+xml")
    secret = page.locator("#two-factor-key").inner_text().replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{32}", secret), secret
    look_and_keep(j, page, f"{shot_prefix}-scan", SHOTS)
    page.get_by_label("Code").fill("000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_role("alert")).to_contain_text("not right")
    page.get_by_label("Code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    codes_list = page.get_by_role("list", name="Recovery codes")
    expect(codes_list.get_by_role("listitem")).to_have_count(10)
    codes = [c.strip() for c in codes_list.get_by_role("listitem").all_inner_texts()]
    assert all(re.fullmatch(r"[a-z2-9]{4}(-[a-z2-9]{4}){3}", c) for c in codes), codes
    look_and_keep(j, page, f"{shot_prefix}-codes", SHOTS)
    page.get_by_role("button", name="I have saved my recovery codes").click()
    return secret, codes


def test_two_factor_journey_and_the_next_person_gets_nothing(server, browser, axe):
    j = Journey(server, browser, axe)
    staff_ctx, ctx = j.context(), j.context()
    staff, tab = j.page(staff_ctx), j.page(ctx)
    frames = received_frames(tab)

    staff_sign_in(j, staff)
    link_a = invite_client(j, staff, *A)
    link_b = invite_client(j, staff, *B)

    # --- client A sets it up from their profile
    accept_invite(tab, link_a, A[0])
    j.go(tab, "/profile")
    tab.get_by_role("link", name="Two-factor sign-in").click()
    tab.wait_for_url(re.compile(r"/security/two-factor"))
    expect(tab.get_by_role("heading", name="Two-factor sign-in", level=1)).to_be_visible()
    expect(tab.get_by_text("Two-factor sign-in is")).to_contain_text("off")
    look_and_keep(j, tab, "client-2fa-off", SHOTS)
    secret, codes = _enrol(j, tab, "client-2fa")
    expect(tab.get_by_text("Recovery codes left:")).to_contain_text("10")
    look_and_keep(j, tab, "client-2fa-on", SHOTS)
    seen = "\n".join(frames)
    assert secret in seen.replace(" ", "") and codes[0] in seen  # A's frames carried them: the search below can fail

    # --- sign out; in again with the password and a code
    _sign_out(tab)
    start = len(frames)
    _password(tab, j, A[2])
    look_and_keep(j, tab, "client-2fa-code", SHOTS)
    used = _next_code(secret)
    _code(tab, used)
    expect(tab.get_by_role("heading", name=f"Hello, {A[0]}")).to_be_visible()

    # the same code again (its window is still open): refused
    _sign_out(tab)
    _password(tab, j, A[2])
    _code(tab, used)
    tab.wait_for_url(re.compile(r"/login/two-factor/?\?.*error=code"))
    expect(tab.get_by_role("alert")).to_contain_text("already used")
    look_and_keep(j, tab, "client-2fa-code-refused", SHOTS)
    # a recovery code in its place: once
    _code(tab, codes[0])
    expect(tab.get_by_role("heading", name=f"Hello, {A[0]}")).to_be_visible()
    j.go(tab, "/security/two-factor")
    expect(tab.get_by_text("Recovery codes left:")).to_contain_text("9")
    _sign_out(tab)
    _password(tab, j, A[2])
    _code(tab, codes[0])
    expect(tab.get_by_role("alert")).to_contain_text("already used")
    j.go(tab, "/login")  # gives up: the password page again, still signed out
    expect(tab.get_by_role("heading", name="Sign in to your portal")).to_be_visible()

    # --- the next person at this computer: client B in the same tab
    after_a = len(frames)
    accept_invite(tab, link_b, B[0])
    for path in ("/security/two-factor", "/profile", "/"):
        j.go(tab, path)
    expect(tab.get_by_role("heading", name=f"Hello, {B[0]}")).to_be_visible()
    after = "\n".join(frames[after_a:])
    assert B[2] in after  # B's own data arrived: the frames are the real ones
    leaked = [s for s in (secret, *codes, A[2]) if s in after or s in after.replace(" ", "")]
    assert not leaked, f"client A's two-factor secrets reached the next person: {leaked}"
    signed_out = "\n".join(frames[start:after_a])
    assert not [s for s in (secret, *codes[1:]) if s in signed_out.replace(" ", "")]

    # --- the owner requires it for staff: their next page is the setup page, nothing else opens
    j.go(staff, "/staff/team")
    switch = staff.get_by_role("switch", name="Require two-factor sign-in for staff")
    expect(switch).to_have_attribute("aria-checked", "false")
    look_and_keep(j, staff, "staff-team-2fa", SHOTS)
    switch.click()
    expect(switch).to_have_attribute("aria-checked", "true")
    for path in ("/staff/contacts", "/staff/team"):
        j.go(staff, path)
        staff.wait_for_url(re.compile(r"/staff/security/two-factor"))
    expect(staff.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    look_and_keep(j, staff, "staff-2fa-required", SHOTS)
    staff_secret, _ = _enrol(j, staff, "staff-2fa")
    staff.wait_for_url(re.compile(r"/staff/?$|/staff/contacts"))
    # the way back for the journeys after this one: the requirement off, then their own factor
    j.go(staff, "/staff/team")
    switch = staff.get_by_role("switch", name="Require two-factor sign-in for staff")
    switch.click()
    expect(switch).to_have_attribute("aria-checked", "false")
    j.go(staff, "/staff/security/two-factor")
    expect(staff.get_by_role("heading", name="Two-factor sign-in", exact=True)).to_be_visible()
    look_and_keep(j, staff, "staff-2fa-on", SHOTS)
    staff.get_by_label("Your password").fill("not my password")
    staff.get_by_role("button", name="Turn off").click()
    expect(staff.get_by_role("alert")).to_contain_text("password is not right")
    staff.get_by_label("Your password").fill(staff_credentials(j)[1])
    staff.get_by_role("button", name="Turn off").click()
    expect(staff.get_by_role("status").filter(has_text="Two-factor sign-in is off.")).to_be_visible()
    assert staff_secret

    staff_ctx.close()
    ctx.close()
    assert not j.errors, "\n".join(j.errors)

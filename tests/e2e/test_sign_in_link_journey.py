"""A client signs in by an emailed link, in Chromium against the production build (issue 18).

Lena accepts her invitation choosing "sign in with an email link each time", signs out, asks
for a link on /login (an unknown address gets the very same answer), reads it from the mail
(dev outbox or SMTP), opens it in the same browser (signed in, on the portal home), opens it
again (refused: used), and a link opened in another browser context is refused there (told
so, not signed in, offered a new link from there) while it still works in the browser that
asked. The next person at Lena's computer, after she signs out, receives nothing of hers over
the websocket. axe on every page, screenshots at 1280 and 390 px.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.support.frames import received_frames
from tests.support.journey import Journey, create_contact, staff_sign_in

LENA = ("Lena", "Linkwell", "lena@linkwell.example")
SENT = "If this address has portal access, a sign-in link is on its way"


def _ask_for_link(page, email: str) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Email me a sign-in link").click()
    page.wait_for_url(re.compile(r"/login/?\?link=sent"))
    expect(page.get_by_role("alert").filter(has_text=SENT)).to_be_visible()


def _emailed_link(j: Journey, staff, not_this: str = "") -> str:
    """The newest sign-in link emailed to Lena (SMTP or dev outbox), once it is not `not_this`."""
    from tests.support.waiting import until

    def newest() -> str | None:
        found = (j.s.mailbox.link_for(LENA[2], path="/api/auth/link") if j.s.mailbox is not None
                 else j.s.dev_mail_link(LENA[2], "/api/auth/link"))
        return found if found != not_this else None

    link = until(newest, 30, "no new sign-in link arrived")
    assert link.startswith(j.s.url + "/api/auth/link?token="), link
    return link


def _sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").first.click()
    page.wait_for_url(re.compile(r"/login/?\?signed_out=1"))
    page.wait_for_load_state("networkidle")


def test_client_signs_in_by_emailed_link(server, browser, axe):
    j = Journey(server, browser, axe)
    staff_ctx = j.context()
    staff = j.page(staff_ctx)
    staff_sign_in(j, staff)
    create_contact(j, staff, *LENA)
    staff.get_by_role("button", name="Send Portal Invite").click()
    expect(staff.get_by_role("status").filter(has_text="Portal invitation sent.")).to_be_visible()
    invite = j.invite_link(staff, LENA[2], "/invite", look=False)

    # The invitation: a password, or an email link each time. Lena takes the link.
    ctx = j.context()
    tab = j.page(ctx)
    frames = received_frames(tab)
    tab.goto(invite)
    expect(tab.get_by_role("heading", name="Set a password")).to_be_visible()
    expect(tab.get_by_role("heading", name="Or sign in with an email link each time")).to_be_visible()
    j.look(tab, "link-invite-choice")
    tab.get_by_role("button", name="Accept and sign in with email links").click()
    expect(tab.get_by_role("heading", name=f"Hello, {LENA[0]}")).to_be_visible()
    _sign_out(tab)

    # /login: an unknown address and hers get the same answer
    j.go(tab, "/login")
    expect(tab.get_by_role("button", name="Email me a sign-in link")).to_be_visible()
    j.look(tab, "link-login")
    _ask_for_link(tab, "nobody@linkwell.example")
    unknown_answer = tab.get_by_role("alert").all_inner_texts()
    _ask_for_link(tab, LENA[2])
    assert tab.get_by_role("alert").all_inner_texts() == unknown_answer
    j.look(tab, "link-sent")
    link = _emailed_link(j, staff)

    # the same browser: signed in, on the portal home
    tab.goto(link)
    tab.wait_for_url(re.compile(r"/$"))
    expect(tab.get_by_role("heading", name=f"Hello, {LENA[0]}")).to_be_visible()
    j.look(tab, "link-signed-in")

    # the same link again: used
    tab.goto(link)
    tab.wait_for_url(re.compile(r"/login/link/?\?reason=used"))
    expect(tab.get_by_role("alert").filter(has_text="already been used")).to_be_visible()
    expect(tab.get_by_role("button", name="Email me a new link")).to_be_visible()
    j.look(tab, "link-used")

    # The next person at this computer: after Lena signs out, nothing of hers arrives.
    j.go(tab, "/")
    _sign_out(tab)
    start = len(frames)
    assert LENA[2] in "\n".join(frames[:start])  # her frames did carry it: the search below can fail
    _ask_for_link(tab, "next.person@linkwell.example")
    tab.goto(link)  # her used link, in the same tab: refused, shows nothing of hers
    tab.wait_for_url(re.compile(r"/login/link/?\?reason=used"))
    j.go(tab, "/")
    tab.wait_for_url(re.compile(r"/login"))
    after = "\n".join(frames[start:])
    leaked = [s for s in (LENA[2], LENA[1], link.split("token=", 1)[1]) if s in after]
    assert not leaked, f"the signed-out client's data reached the next person: {leaked}"

    # A link opened in another browser: refused there, still good where it was asked for.
    _ask_for_link(tab, LENA[2])
    fresh = _emailed_link(j, staff, not_this=link)
    other_ctx = j.context()
    other = j.page(other_ctx)
    other.goto(fresh)
    other.wait_for_url(re.compile(r"/login/link/?\?reason=other_browser"))
    expect(other.get_by_role("heading", name="This link was asked for in another browser")).to_be_visible()
    expect(other.get_by_role("alert").filter(has_text="another browser")).to_be_visible()
    j.look(other, "link-other-browser")
    j.go(other, "/")
    other.wait_for_url(re.compile(r"/login"))  # not signed in
    # offered a new link from there: the same answer
    j.go(other, "/login/link?reason=other_browser")
    other.get_by_label("Email").fill(LENA[2])
    other.get_by_role("button", name="Email me a new link").click()
    other.wait_for_url(re.compile(r"/login/?\?link=sent"))
    other_ctx.close()
    # (the new request from the other browser replaced `fresh`: only the newest link works)
    tab.goto(fresh)
    tab.wait_for_url(re.compile(r"/login/link/?\?reason=replaced"))
    expect(tab.get_by_role("alert").filter(has_text="newer sign-in link")).to_be_visible()

    ctx.close()
    staff_ctx.close()
    assert not j.errors, "\n".join(j.errors)
    assert not axe.serious(), axe.serious()

"""A shared computer with the chat widget on (issue 15 on the Trust issue's state layer), in
Chromium against the production build.

Client A chats in a tab (their message, a staff reply that arrives live), signs out, and
client B accepts their invitation in the same tab. Every websocket frame the tab receives from
then on is searched for A's conversation, while staff go on writing to A: nothing of it
reaches B's browser (neither B's hydrate, nor a live push meant for A's tabs).
"""

from __future__ import annotations

import re
import secrets

from playwright.sync_api import expect

from tests.support.frames import received_frames
from tests.support.journey import Journey, accept_invite, invite_client, set_chat_widget, staff_sign_in

A = ("Anya", "Alpha", "anya@shared-chat.example")
B = ("Boris", "Beta", "boris@shared-chat.example")


def _set_chat(j: Journey, staff, on: bool) -> None:
    set_chat_widget(j, staff, on)


def _staff_writes(j: Journey, staff, conversation_url: str, text: str) -> None:
    j.go(staff, conversation_url)
    composer = staff.get_by_role("form", name="Reply to the client")
    composer.get_by_label("Reply", exact=True).fill(text)
    composer.get_by_role("button", name="Send").click()
    expect(staff.get_by_role("log", name="Messages")).to_contain_text(text)


def test_the_next_person_at_the_computer_gets_nothing_of_the_chat(server, browser, axe):
    j = Journey(server, browser, axe)
    staff_ctx, ctx = j.context(), j.context()
    staff, tab = j.page(staff_ctx), j.page(ctx)
    frames = received_frames(tab)
    tag = secrets.token_hex(4)
    said, reply, later = f"A-SAID-{tag}", f"A-REPLY-{tag}", f"A-LATER-{tag}"

    staff_sign_in(j, staff)
    link_a = invite_client(j, staff, *A)
    link_b = invite_client(j, staff, *B)
    _set_chat(j, staff, True)
    try:
        accept_invite(tab, link_a, A[0])
        tab.get_by_role("button", name=re.compile(r"^Chat")).click()
        panel = tab.get_by_role("dialog", name=re.compile("."))
        panel.get_by_label("Message", exact=True).fill(said)
        panel.get_by_role("button", name="Send").click()
        log = panel.get_by_role("log")
        expect(log).to_contain_text(said)

        j.go(staff, "/staff/inbox")
        row = staff.get_by_role("list", name="Conversations").get_by_role("listitem").filter(has_text=A[0])
        row.get_by_role("link").first.click()
        staff.wait_for_url(re.compile(r"/staff/inbox/cv_"))
        thread = staff.url.replace(server.url, "")
        _staff_writes(j, staff, thread, reply)
        expect(log).to_contain_text(reply, timeout=10_000)  # live, in A's open panel
        assert reply in "\n".join(frames)  # A's own frames carried it: the search below can fail

        tab.get_by_role("button", name="Sign out").first.click()
        tab.wait_for_url(re.compile(r"/login/?\?signed_out=1"))
        tab.wait_for_load_state("networkidle")
        start = len(frames)

        accept_invite(tab, link_b, B[0])  # the next person, in the same tab
        tab.get_by_role("button", name=re.compile(r"^Chat")).click()
        expect(tab.get_by_role("dialog", name=re.compile("."))).to_be_visible()
        _staff_writes(j, staff, thread, later)  # staff go on writing to A meanwhile
        for path in ("/", "/communications", "/profile"):
            j.go(tab, path)
        after = "\n".join(frames[start:])
        assert B[2] in after  # B's own data arrived: the frames are the real ones
        leaked = [s for s in (said, reply, later, A[2]) if s in after]
        assert not leaked, f"client A's conversation reached the next person: {leaked}"
    finally:
        _set_chat(j, staff, False)
    staff_ctx.close()
    ctx.close()
    assert not j.errors, "\n".join(j.errors)

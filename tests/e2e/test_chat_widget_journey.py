"""The client's chat widget in Chromium against the production build (issue 15, item 1):

staff switch the chat widget on in Configure Portal; the client's portal pages get a launcher at
the bottom-right corner; it opens a labelled dialog with the business's name and the composer
focused. The client sends a message full of markup (<script>alert(1)</script>, <b>, a link): it
is shown as text, the link is a real link, nothing runs. Shift+Enter starts a new line, Enter
sends, an empty Send is refused beside the composer with the text kept. Escape closes the panel
and the focus is back on the launcher. A staff reply (added through the service, on the server's
own database, as the staff member) shows on the launcher's badge after a page change ("1 unread")
and in the panel, which then marks it read. The panel stays open across pages. axe-core scans
every look; screenshots at 1280 and 390 px (the panel fills a phone's screen). The widget is
switched off again at the end (the server is shared with the other journeys).

The live exchange (replies, badges and typing without a page change, attachments, the chat
email's link) is tests/e2e/test_conversations_journey.py: there every write goes through a
browser, as the live push needs.
"""

from __future__ import annotations

import re
from pathlib import Path

import sqlalchemy as sa
from playwright.sync_api import expect
from sqlmodel import Session, select

from tests.support.journey import (
    Journey,
    accept_invite,
    invite_client,
    look_and_keep,
    set_chat_widget,
    staff_credentials,
    staff_sign_in,
)

CLIENT = ("Cleo", "Chatter", "cleo@chat.example")
SHOTS = Path("/tmp/shots-chat")
NAUGHTY = '<script>alert(1)</script> & <b>bold</b> "quotes" see https://example.com/brief.'


def _look(j: Journey, page, name: str) -> None:
    look_and_keep(j, page, name, SHOTS)


def _staff_reply(j: Journey, body: str) -> None:
    """A staff reply through the service, on the server's own database, as the signed-in owner."""
    from portal_app.access import Staff
    from portal_app.models import Contact, StaffUser
    from portal_app.services.conversations import messages, threads

    engine = sa.create_engine(j.s.env["PORTAL_DATABASE_URL"])
    try:
        with Session(engine, expire_on_commit=False) as db:
            user = db.exec(select(StaffUser).where(StaffUser.email == staff_credentials(j)[0])).one()
            staff = Staff(user.workspace_id, user.id, user.role, user.email, user.name)
            contact = db.exec(select(Contact).where(Contact.workspace_id == user.workspace_id,
                                                    Contact.email == CLIENT[2])).one()
            conv = threads.start_for_contact(db, staff, contact.public_id)
            db.flush()
            messages.send_from_staff(db, staff, conv.public_id, body)
            db.commit()
    finally:
        engine.dispose()


def _set_chat(j: Journey, staff, on: bool) -> None:
    set_chat_widget(j, staff, on)


def _reply_line(j: Journey, reply_time: str, hours: str) -> None:
    """The workspace's "we usually reply within …" and hours (no form for them yet: straight
    into the server's database)."""
    engine = sa.create_engine(j.s.env["PORTAL_DATABASE_URL"])
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE portal_settings SET chat_reply_time = :t, chat_hours = :h"),
                         {"t": reply_time, "h": hours})
    finally:
        engine.dispose()


def test_chat_widget_journey(server, browser, axe):
    j = Journey(server, browser, axe)
    staff_ctx, client_ctx = j.context(), j.context()
    staff, client = j.page(staff_ctx), j.page(client_ctx)
    alerts: list[str] = []
    client.on("dialog", lambda d: (alerts.append(d.message), d.dismiss()))
    staff_sign_in(j, staff)
    accept_invite(client, invite_client(j, staff, *CLIENT), CLIENT[0])
    launcher = client.get_by_role("button", name=re.compile(r"^Chat(, \d+ unread)?$"))
    expect(client.get_by_role("heading", name=f"Hello, {CLIENT[0]}")).to_be_visible()
    expect(launcher).to_have_count(0)  # the widget is off (the default): no launcher at all
    _set_chat(j, staff, True)
    _reply_line(j, "We usually reply within a few hours", "Mon–Fri 9:00–17:00")
    try:
        _journey(j, client, launcher, alerts)
    finally:
        _reply_line(j, "", "")
        _set_chat(j, staff, False)
    j.go(client, "/")
    expect(client.get_by_role("heading", name=f"Hello, {CLIENT[0]}")).to_be_visible()
    expect(launcher).to_have_count(0)
    assert not axe.serious(), axe.serious()
    assert not j.errors, j.errors
    staff_ctx.close()
    client_ctx.close()


def _journey(j: Journey, client, launcher, alerts: list[str]) -> None:
    j.go(client, "/")
    expect(launcher).to_be_visible()
    expect(launcher).to_have_attribute("aria-expanded", "false")
    _look(j, client, "chat-launcher")

    # open: a dialog labelled with the business's name, the composer focused
    launcher.click()
    business = client.get_by_role("dialog").get_by_role("heading").inner_text()
    panel = client.get_by_role("dialog", name=business)
    expect(panel).to_be_visible()
    expect(launcher).to_have_attribute("aria-expanded", "true")
    composer = panel.get_by_label("Message", exact=True)
    expect(composer).to_be_focused()
    expect(panel).to_contain_text("Send us a message")
    expect(panel).to_contain_text("We usually reply within a few hours · Mon–Fri 9:00–17:00")
    _look(j, client, "chat-empty")

    # markup is text; Shift+Enter is a new line, Enter sends
    composer.fill(NAUGHTY)
    composer.press("Shift+Enter")
    composer.press_sequentially("second line")
    expect(composer).to_have_value(NAUGHTY + "\nsecond line")
    composer.press("Enter")
    log = panel.get_by_role("log")
    mine = log.get_by_role("listitem").last
    expect(mine).to_contain_text('<script>alert(1)</script> & <b>bold</b> "quotes" see')
    expect(mine).to_contain_text("second line")
    expect(mine.get_by_role("link", name="https://example.com/brief")).to_have_attribute(
        "href", "https://example.com/brief")
    expect(mine).to_contain_text("Sent")
    expect(composer).to_have_value("")
    assert client.locator("#chat-panel b").count() == 0 and client.locator("#chat-panel script").count() == 0
    assert not alerts, alerts

    # an empty message is refused beside the composer, what was typed stays
    composer.fill("   ")
    panel.get_by_role("button", name="Send").click()
    expect(panel.get_by_role("alert")).to_contain_text("Write a message")
    expect(composer).to_have_attribute("aria-invalid", "true")
    expect(composer).to_have_value("   ")
    composer.fill("")
    _look(j, client, "chat-sent")

    # the panel stays open across pages
    client.get_by_role("navigation", name="Portal sections").get_by_role("link", name="Profile").click()
    client.wait_for_url(re.compile(r"/profile$"))
    expect(panel).to_be_visible()
    expect(log).to_contain_text("second line")
    expect(log.get_by_role("listitem")).to_have_count(1)
    # the profile page has loaded (its form shows the client's details) before a key is pressed,
    # as a person sees the page first: the full suite twice left the panel open after an Escape
    # pressed while this page's load was in flight on the busy shared server (not understood
    # yet; the closing note of the stop that added this wait says what is known)
    expect(client.get_by_label("First name")).to_have_value(CLIENT[0])

    # Escape closes it, the focus is back on the launcher
    panel.get_by_label("Message", exact=True).focus()
    client.keyboard.press("Escape")
    expect(panel).to_have_count(0)
    expect(launcher).to_be_focused()

    # a staff reply: the badge after a page change, then the panel shows it and reads it
    _staff_reply(j, "Thanks Cleo, <i>we got it</i>. Details: https://example.com/reply")
    client.get_by_role("navigation", name="Portal sections").get_by_role("link", name="Home").click()
    client.wait_for_url(re.compile(r"/$"))
    unread = client.get_by_role("button", name="Chat, 1 unread", exact=True)
    expect(unread).to_be_visible()
    _look(j, client, "chat-unread")
    unread.click()
    expect(panel).to_be_visible()
    reply = log.get_by_role("listitem").filter(has_text="Thanks Cleo")
    expect(reply).to_contain_text("<i>we got it</i>")
    expect(reply.get_by_role("link", name="https://example.com/reply")).to_be_visible()
    expect(launcher).to_have_attribute("aria-label", "Chat")  # read: no badge
    expect(panel.get_by_role("alert")).to_have_count(0)  # the refusal went with the closed panel
    _look(j, client, "chat-reply")
    client.keyboard.press("Escape")
    expect(panel).to_have_count(0)

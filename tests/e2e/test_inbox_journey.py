"""The staff inbox in Chromium against the production build (issue 15, item 2):

a client writes (through the conversations service on the server's own database: the chat
widget is another part of the issue), staff see "Inbox" with its unread count in the staff
navigation, open the conversation from the list (the message, full of markup, reads as text and
runs nothing), reply, write an internal note (marked "Only your team sees this" and stored as a
note), insert a canned reply they wrote in the inbox, assign the conversation to a colleague,
resolve it; the client's next message opens it again. The contact record's "Message" opens the
same thread. Screenshots at 1280 and 390 px (on a phone the thread stands alone), axe clean.
The chat switch is put back as it was (the server is shared with the other journeys).
"""

from __future__ import annotations

import re
import secrets
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from playwright.sync_api import expect

from tests.support.journey import Journey, create_contact, look_and_keep, staff_sign_in

SHOTS = Path("/tmp/shots-inbox")

NAUGHTY = [
    "<script>window.__pwned = 1</script> about my invoice",
    "<img src=x onerror=\"window.__pwned=2\"> **bold** {{ 7*7 }} ${7*7}",
    "'; DROP TABLE conversation; -- 𝕳𝖊𝖑𝖑𝖔 👋🏽 שלום",
]


def _look(j: Journey, page, name: str) -> None:
    look_and_keep(j, page, name, SHOTS)


@contextmanager
def _server_db(server):
    from sqlmodel import Session

    engine = sa.create_engine(server.env["PORTAL_DATABASE_URL"])
    try:
        with Session(engine, expire_on_commit=False) as db:
            yield db
    finally:
        engine.dispose()


def _chat_switch(server, on: bool | None = None) -> bool:
    """The workspace's chat switch as it was; set to `on` when given."""
    from portal_app.models import PortalSettings, Workspace
    from portal_app.services.portal.portal_settings import portal_settings_for

    with _server_db(server) as db:
        row = db.exec(sa.select(PortalSettings)).scalars().first()  # type: ignore[call-overload]
        if row is None:  # a fresh server: no one has saved the portal's settings yet
            ws = db.exec(sa.select(Workspace)).scalars().first()  # type: ignore[call-overload]
            row = portal_settings_for(db, ws.id)
        was = bool(row.chat_widget)
        if on is not None:
            row.chat_widget = on
            db.add(row)
            db.commit()
        return was


def _client_says(server, email: str, text: str) -> None:
    """What the chat widget does when the client sends: the service, on the server's database."""
    from sqlmodel import select

    from portal_app.access import Client
    from portal_app.models import Contact
    from portal_app.services.conversations import messages

    with _server_db(server) as db:
        contact = db.exec(select(Contact).where(Contact.email == email)).one()
        actor = Client(contact.workspace_id, contact.id, 0, contact.email, contact.display_name)
        messages.send_from_client(db, actor, text)
        db.commit()


def _stored(server, conversation: str) -> list[tuple[str, bool]]:
    with _server_db(server) as db:
        rows = db.execute(sa.text(
            "SELECT m.body, m.internal FROM conversation_message m JOIN conversation c ON c.id = m.conversation_id "
            "WHERE c.public_id = :c ORDER BY m.id"), {"c": conversation}).all()
    return [(r[0], bool(r[1])) for r in rows]


def test_inbox_journey(server, browser, axe):
    j = Journey(server, browser, axe)
    staff = j.page(j.context())
    tag = secrets.token_hex(3)
    first, last, email = "Nadia", f"Naughty{tag}", f"nadia-{tag}@inbox.example"
    name = f"{first} {last}"
    staff_sign_in(j, staff)  # first: on a fresh install it sets the workspace up
    was_on = _chat_switch(server, True)
    try:
        create_contact(j, staff, first, last, email)
        record = staff.url
        _client_says(server, email, NAUGHTY[0])

        # the staff navigation: Inbox with its unread count
        j.go(staff, "/staff/contacts")
        nav = staff.get_by_role("navigation", name="Staff navigation")
        inbox_link = nav.get_by_role("link", name=re.compile(r"^Inbox"))
        expect(inbox_link).to_contain_text(re.compile(r"Inbox\s*\d+\s*unread"))
        inbox_link.click()
        staff.wait_for_url(re.compile(r"/staff/inbox$"))
        row = staff.get_by_role("list", name="Conversations").get_by_role("listitem").filter(has_text=name)
        expect(row).to_contain_text("Unread")
        expect(row).to_contain_text("<script>")  # the preview, as text
        _look(j, staff, "staff-inbox-list")

        # search by name and by text
        staff.get_by_label("Search conversations").fill(last)
        staff.get_by_label("Search conversations").press("Enter")
        expect(staff.get_by_role("list", name="Conversations").get_by_role("listitem")).to_have_count(1)
        staff.get_by_label("Search conversations").fill("nothing-like-this-" + tag)
        staff.get_by_label("Search conversations").press("Enter")
        expect(staff.get_by_text("No conversations here.")).to_be_visible()
        staff.get_by_label("Search conversations").fill("")
        staff.get_by_label("Search conversations").press("Enter")

        # the thread: the message as text, nothing ran; the contact card
        row.get_by_role("link").click()
        staff.wait_for_url(re.compile(r"/staff/inbox/cv_[\w-]+$"))
        conversation = staff.url.rsplit("/", 1)[1]
        log = staff.get_by_role("log", name="Messages")
        expect(log).to_contain_text(NAUGHTY[0])
        assert staff.evaluate("window.__pwned") is None
        card = staff.get_by_role("region", name="Contact card")
        expect(card).to_contain_text(email)
        expect(card.get_by_role("link", name="Open contact record")).to_have_attribute("href", re.compile(r"/staff/contacts/ct_"))
        expect(card).to_contain_text("None open.")

        # a reply with naughty text; then an internal note
        composer = staff.get_by_role("form", name="Reply to the client")
        composer.get_by_label("Reply", exact=True).fill(NAUGHTY[1])
        composer.get_by_role("button", name="Send").click()
        expect(log).to_contain_text(NAUGHTY[1])
        expect(composer.get_by_label("Reply", exact=True)).to_have_value("")
        staff.get_by_role("switch", name="Internal note").click()
        note = f"Checked the ledger {tag}: they paid twice"
        composer.get_by_label("Note for your team").fill(note)
        expect(composer).to_contain_text("Only your team sees this")
        composer.get_by_role("button", name="Add note").click()
        shown_note = log.locator("[data-internal='true']").filter(has_text=note)
        expect(shown_note).to_contain_text("Only your team sees this")
        expect(shown_note).to_contain_text("Internal note")
        assert _stored(server, conversation)[-2:] == [(NAUGHTY[1], False), (note, True)]
        assert staff.evaluate("window.__pwned") is None
        _look(j, staff, "staff-inbox-thread")

        # canned replies: written in the inbox (an owner), picked into the composer
        staff.get_by_role("button", name="Canned replies").click()
        dialog = staff.get_by_role("dialog", name="Canned replies")
        dialog.get_by_label("Title", exact=True).fill(f"Thanks {tag}")
        dialog.get_by_label("Reply", exact=True).fill(f"Thanks for your patience, {first}. {tag}")
        dialog.get_by_role("button", name="Save").click()
        expect(dialog.get_by_text(f"Thanks {tag}")).to_be_visible()
        _look(j, staff, "staff-inbox-canned")
        dialog.get_by_role("button", name="Close").click()
        expect(dialog).to_be_hidden()
        staff.get_by_label("Canned reply", exact=True).select_option(label=f"Thanks {tag}")
        expect(composer.get_by_label("Reply", exact=True)).to_have_value(f"Thanks for your patience, {first}. {tag}")
        composer.get_by_role("button", name="Send").click()
        expect(log).to_contain_text(f"Thanks for your patience, {first}. {tag}")

        # assign to a colleague of the workspace
        assign = staff.get_by_label("Assigned to")
        colleague = assign.locator("option").nth(1).inner_text()
        assign.select_option(label=colleague)
        expect(staff.get_by_role("status").filter(has_text=f"Assigned to {colleague}.")).to_be_visible()
        expect(row).to_contain_text(colleague)

        # resolve: it leaves the open list; the client's next message opens it again
        staff.get_by_role("button", name="Resolve").click()
        expect(staff.get_by_role("status").filter(has_text="Resolved.")).to_be_visible()
        expect(staff.get_by_role("button", name="Reopen")).to_be_visible()
        expect(row).to_have_count(0)
        staff.get_by_label("Status", exact=True).select_option("resolved")
        expect(row).to_contain_text("Resolved")
        _client_says(server, email, NAUGHTY[2])
        j.go(staff, f"/staff/inbox/{conversation}")
        expect(log).to_contain_text(NAUGHTY[2])
        expect(staff.get_by_role("button", name="Resolve")).to_be_visible()

        # on a phone: the thread alone, with the way back to the list
        staff.set_viewport_size({"width": 390, "height": 844})
        expect(staff.get_by_role("list", name="Conversations")).to_be_hidden()
        expect(staff.get_by_role("link", name="← All conversations")).to_be_visible()
        staff.set_viewport_size({"width": 1280, "height": 900})
        _look(j, staff, "staff-inbox-reopened")

        # the contact record's Message opens the same thread
        staff.goto(record)
        staff.get_by_role("button", name="Message", exact=True).click()
        staff.wait_for_url(re.compile(rf"/staff/inbox/{conversation}$"))
        expect(staff.get_by_role("heading", name=name)).to_be_visible()

        # the canned reply goes again (the server is shared)
        staff.get_by_role("button", name="Canned replies").click()
        staff.get_by_role("dialog", name="Canned replies").get_by_role("button", name=f"Delete Thanks {tag}").click()
        staff.get_by_role("alertdialog").get_by_role("button", name="Delete").click()
        expect(staff.get_by_role("status").filter(has_text="Canned reply deleted.")).to_be_visible()
    finally:
        _chat_switch(server, was_on)
    assert not axe.serious(), axe.serious()
    assert not j.errors, j.errors

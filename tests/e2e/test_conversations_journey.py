"""A client (the chat widget) and staff (the inbox) talking LIVE, in two browsers, against the
production build (issue 15):

staff switch the chat on and set the email delay to 1 minute (Configure portal). The client
writes; the staff navigation's Inbox count goes up without a reload; staff open the thread, see
"<client> is typing…" while the client types and the client sees "<business> is typing…" while
staff type; replies appear on the other side without a reload, both ways; an internal note never
reaches the client; a PNG the client attaches with the paperclip (a progress bar while it goes)
shows as a thumbnail in the inbox and opens through the authorized route; resolve, and the
client's next message opens the conversation again (live); a reply that arrives while the
client's panel is closed puts "1 unread" on the launcher, live. The client then leaves the portal
with that reply unread: the chat email (services/conversations/fallback.py) lands with the
`/?chat=open` link, and opening it opens the widget on the reply.

Every write goes through a browser: the live push reaches tabs for writes made by the server's
processes (with two workers and Redis in the production config, across workers). The one
exception is the fallback job's due time, moved to now in the server's database: that stands in
for the clock (waiting the real minute would only slow the journey down).

axe-core scans every look; screenshots at 1280 and 390 px. The chat switch and the delay are put
back at the end (the server is shared with the other journeys).
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import sqlalchemy as sa
from playwright.sync_api import expect

from tests.support.file_samples import png_bytes
from tests.support.journey import Journey, accept_invite, invite_client, look_and_keep, set_chat_widget, staff_sign_in

SHOTS = Path("/tmp/shots-conversations")
LIVE = 10_000  # ms a live update may take (a hint, the browser's event, the re-read)


def _look(j: Journey, page, name: str) -> None:
    look_and_keep(j, page, name, SHOTS)


def _portal_settings(j: Journey, staff, chat: bool, email_after: str) -> None:
    """The chat switch and the chat email's delay, through Configure portal."""
    set_chat_widget(j, staff, chat, email_after)


def _chat_email_due_now(j: Journey, conversation: str) -> int:
    """Stands in for the clock: the waiting chat-email job of this conversation (to the client)
    is due now instead of a minute from now. Only the job's time changes; the worker of the
    server runs it as it would have a minute later. Returns how many jobs were moved (0 if the
    minute had already passed and the job ran by itself)."""
    from sqlmodel import Session, select

    from portal_app.models.base import utcnow
    from portal_app.models.outbox import OutboxMessage

    engine = sa.create_engine(j.s.env["PORTAL_DATABASE_URL"])
    try:
        with Session(engine) as db:
            jobs = [job for job in db.exec(select(OutboxMessage).where(OutboxMessage.kind == "conversation.email")).all()
                    if conversation in job.payload and '"client"' in job.payload
                    and job.done_at is None and job.dead_at is None and job.locked_by is None]
            for job in jobs:
                job.next_attempt_at = utcnow()
                db.add(job)
            db.commit()
            return len(jobs)
    finally:
        engine.dispose()


def _chat_email_link(j: Journey, to: str) -> str:
    if j.s.mailbox is not None:
        return j.s.mailbox.link_for(to, timeout=60, path="/?chat=open")
    return j.s.dev_mail_link(to, "/?chat=open", timeout=60)


def test_conversations_journey(server, browser, axe, tmp_path):
    j = Journey(server, browser, axe)
    staff_ctx, client_ctx = j.context(), j.context()
    staff, client = j.page(staff_ctx), j.page(client_ctx)
    tag = secrets.token_hex(3)
    first, last, email = "Lina", f"Live{tag}", f"lina-{tag}@live.example"
    name = f"{first} {last}"
    staff_sign_in(j, staff)
    accept_invite(client, invite_client(j, staff, first, last, email), first)
    _portal_settings(j, staff, True, "1")
    try:
        _journey(j, staff, client, name, email, tag, tmp_path)
    finally:
        _portal_settings(j, staff, False, "5")
    assert not axe.serious(), axe.serious()
    assert not j.errors, j.errors
    staff_ctx.close()
    client_ctx.close()


def _journey(j: Journey, staff, client, name: str, email: str, tag: str, tmp_path: Path) -> None:
    # staff wait on another page; the client opens the chat and writes
    j.go(staff, "/staff/contacts")
    inbox_link = staff.get_by_role("navigation", name="Staff navigation").get_by_role("link", name=re.compile(r"^Inbox"))
    expect(inbox_link).to_be_visible()
    before = inbox_link.inner_text()
    j.go(client, "/")
    launcher = client.get_by_role("button", name=re.compile(r"^Chat(, \d+ unread)?$"))
    launcher.click()
    business = client.get_by_role("dialog").get_by_role("heading").inner_text()
    panel = client.get_by_role("dialog", name=business)
    composer = panel.get_by_label("Message", exact=True)
    client_log = panel.get_by_role("log")
    composer.fill(f"Hello, a question about my project {tag}")
    composer.press("Enter")
    expect(client_log).to_contain_text(f"Hello, a question about my project {tag}")

    # the staff navigation's count goes up without a reload
    expect(inbox_link).not_to_have_text(before, timeout=LIVE)
    expect(inbox_link).to_contain_text(re.compile(r"\d+\s*unread"))
    _look(j, staff, "conv-staff-nav-unread")
    inbox_link.click()
    staff.wait_for_url(re.compile(r"/staff/inbox$"))
    row = staff.get_by_role("list", name="Conversations").get_by_role("listitem").filter(has_text=name)
    expect(row).to_contain_text("Unread")
    row.get_by_role("link").click()
    staff.wait_for_url(re.compile(r"/staff/inbox/cv_[\w-]+$"))
    conversation = staff.url.rsplit("/", 1)[1]
    staff_log = staff.get_by_role("log", name="Messages")
    expect(staff_log).to_contain_text(f"Hello, a question about my project {tag}")
    form = staff.get_by_role("form", name="Reply to the client")
    reply_box = form.get_by_label("Reply", exact=True)

    # typing, both ways (a hint at most every 3 s while typing: the first, before the first
    # message, may be that recent, so these type for longer than that)
    composer.press_sequentially("Also, one more question", delay=180)
    expect(staff.get_by_role("status").filter(has_text=f"{name} is typing…")).to_be_visible(timeout=LIVE)
    reply_box.press_sequentially("Sure, go ahead", delay=120)
    expect(panel.get_by_role("status").filter(has_text=f"{business} is typing…")).to_be_visible(timeout=LIVE)
    composer.fill("")

    # a staff reply appears in the open panel, a client reply in the open thread: no reloads
    reply_box.fill(f"Happy to help, {name}. See https://example.com/plan-{tag}")
    form.get_by_role("button", name="Send").click()
    shown = client_log.get_by_role("listitem").filter(has_text="Happy to help")
    expect(shown).to_be_visible(timeout=LIVE)
    expect(shown.get_by_role("link", name=f"https://example.com/plan-{tag}")).to_have_attribute(
        "href", f"https://example.com/plan-{tag}")
    composer.fill(f"Thanks! Another detail {tag}")
    composer.press("Enter")
    expect(staff_log).to_contain_text(f"Thanks! Another detail {tag}", timeout=LIVE)
    _look(j, client, "conv-client-live")

    # an internal note stays with the team
    staff.get_by_role("switch", name="Internal note").click()
    form.get_by_label("Note for your team").fill(f"Secret note {tag}: check the ledger")
    form.get_by_role("button", name="Add note").click()
    expect(staff_log.locator("[data-internal='true']").filter(has_text=f"Secret note {tag}")).to_be_visible()
    # a link in a client's message is a link in the inbox too (text and <a>, never HTML)
    expect(staff_log.get_by_role("link", name=f"https://example.com/plan-{tag}")).to_be_visible()

    # the paperclip refuses what is not an image or PDF, in words, and the text typed stays
    composer.fill(f"Half-written {tag}")
    notes = tmp_path / "notes.txt"
    notes.write_text("just text")
    client.locator("#chat-file input[type=file]").set_input_files(str(notes))
    expect(panel.get_by_role("alert")).to_contain_text("“notes.txt” cannot be attached")
    expect(composer).to_have_value(f"Half-written {tag}")

    # the client attaches a PNG with the paperclip: a thumbnail in the inbox that opens
    png = tmp_path / "screenshot.png"
    png.write_bytes(png_bytes((64, 48)))
    client.locator("#chat-file input[type=file]").set_input_files(str(png))
    expect(panel.get_by_role("alert")).to_have_count(0)
    expect(composer).to_have_value(f"Half-written {tag}")
    expect(client_log.get_by_role("img", name="screenshot.png")).to_be_visible(timeout=LIVE)
    thumb = staff_log.get_by_role("img", name="screenshot.png")
    expect(thumb).to_be_visible(timeout=LIVE)
    href = staff_log.get_by_role("link", name="Open screenshot.png").get_attribute("href") or ""
    assert re.fullmatch(r"/api/conversations/attachments/msg_[\w-]+", href), href
    opened = staff.request.get(j.s.url + href)
    assert opened.status == 200 and opened.headers["content-type"].startswith("image/png")
    assert opened.body() == png.read_bytes()
    _look(j, staff, "conv-staff-attachment")
    # the note never reached the client (its panel has re-read the thread several times since)
    assert f"Secret note {tag}" not in client_log.inner_text()
    assert f"Secret note {tag}" not in client.content()

    # resolve; the client's next message opens it again, live
    staff.get_by_role("button", name="Resolve").click()
    expect(staff.get_by_role("button", name="Reopen")).to_be_visible()
    composer.fill(f"One more thing {tag}")  # (what was half-written goes)
    composer.press("Enter")
    expect(staff_log).to_contain_text(f"One more thing {tag}", timeout=LIVE)
    expect(staff.get_by_role("button", name="Resolve")).to_be_visible(timeout=LIVE)

    # the panel closed: a reply puts "1 unread" on the launcher, live
    client.keyboard.press("Escape")
    expect(panel).to_have_count(0)
    reply_box.fill(f"Noted, we will call you tomorrow {tag}")
    form.get_by_role("button", name="Send").click()
    expect(staff_log).to_contain_text(f"Noted, we will call you tomorrow {tag}")
    expect(client.get_by_role("button", name="Chat, 1 unread", exact=True)).to_be_visible(timeout=LIVE)
    _look(j, client, "conv-client-unread")

    # the client leaves with the reply unread: the chat email, its link opens the widget
    client.goto("about:blank")
    _chat_email_due_now(j, conversation)
    link = _chat_email_link(j, email)
    assert link.endswith("/?chat=open"), link
    client.goto(link)
    panel = client.get_by_role("dialog", name=business)
    expect(panel).to_be_visible()
    expect(panel.get_by_role("log")).to_contain_text(f"Noted, we will call you tomorrow {tag}")
    expect(client.get_by_role("button", name="Chat", exact=True)).to_be_visible()  # read now: no badge
    _look(j, client, "conv-client-from-email")

"""services/conversations core: who reads and writes which thread, notes stay internal, bad
input and the rate limit get a human message, a client's message reopens a resolved thread,
read markers, pages and catch-up, and hints only after commit."""

from __future__ import annotations

import pytest
from sqlmodel import select

from portal_app.adapters import hints
from portal_app.errors import Forbidden, Invalid, NotFound, NotSignedIn
from portal_app.models import Conversation, OutboxMessage, PortalSettings
from portal_app.services.conversations import messages, threads
from portal_app.services.rate_limit import RateLimiter


@pytest.fixture(autouse=True)
def _chat_on(world, db, monkeypatch):
    for ws in (world.ws_a, world.ws_b):
        ps = db.get(PortalSettings, ws.id)
        ps.chat_widget = True
        db.add(ps)
    db.commit()
    monkeypatch.setattr(messages, "RATE", RateLimiter(limit=messages.RATE_LIMIT, window=60, clock=lambda: 0.0))


def test_a_client_writes_and_staff_answer(world, db):
    sent = messages.send_from_client(db, world.client_a1, "  Hello, is my invoice right?  ")
    assert sent["body"] == "Hello, is my invoice right?" and sent["mine"] and sent["author"] == "client"
    conv = db.exec(select(Conversation).where(Conversation.contact_id == world.contact_a1.id)).one()
    assert conv.last_message_from == "client" and conv.last_message_preview.startswith("Hello")
    messages.send_from_staff(db, world.staff_a, conv.public_id, "Yes, all good.")
    messages.send_from_staff(db, world.staff_a, conv.public_id, "She asked before.", internal=True)
    db.commit()
    seen = threads.client_messages(db, world.client_a1)
    assert [m["body"] for m in seen] == ["Hello, is my invoice right?", "Yes, all good."]  # no note
    assert seen[1]["author_name"] == "Ava Owner" and not seen[1]["mine"]
    staff_seen = threads.staff_messages(db, world.staff_a, conv.public_id)
    assert [m["internal"] for m in staff_seen] == [False, False, True]
    assert threads.client_unread(db, world.client_a1) == 1
    kinds = [m.kind for m in db.exec(select(OutboxMessage)).all()]
    assert "message.received" in kinds and "message.sent" in kinds
    assert kinds.count("conversation.email") == 2  # one per side, whatever the number of messages


def test_nobody_else_reads_the_thread(world, db):
    messages.send_from_client(db, world.client_a1, "private")
    db.commit()
    conv = db.exec(select(Conversation).where(Conversation.contact_id == world.contact_a1.id)).one()
    assert threads.client_messages(db, world.client_a2) == []  # Bob has his own (empty) thread
    with pytest.raises(NotFound):
        threads.staff_messages(db, world.staff_b, conv.public_id)  # staff of another workspace
    with pytest.raises(NotFound):
        messages.send_from_staff(db, world.staff_b, conv.public_id, "hi")
    with pytest.raises(Forbidden):
        threads.staff_messages(db, world.client_a1, conv.public_id)
    with pytest.raises(NotSignedIn):
        messages.send_from_client(db, world.anon, "hi")
    with pytest.raises((Forbidden, NotFound)):
        messages.send_from_client(db, world.staff_a, "hi")


def test_chat_switched_off_refuses_the_client(world, db):
    ps = db.get(PortalSettings, world.ws_a.id)
    ps.chat_widget = False
    db.add(ps)
    db.commit()
    with pytest.raises(NotFound):
        messages.send_from_client(db, world.client_a1, "hi")
    with pytest.raises(NotFound):
        threads.client_messages(db, world.client_a1)


@pytest.mark.parametrize("body, message", [
    ("", "Write a message or attach a file."),
    ("   \n ", "Write a message or attach a file."),
    ("x" * 4001, "at most 4000 characters"),
    ("bell \x07", "not allowed"),
])
def test_bad_messages_are_refused_in_words(world, db, body, message):
    with pytest.raises(Invalid, match=message):
        messages.send_from_client(db, world.client_a1, body)
    assert db.exec(select(Conversation)).all() == []  # nothing half-written


def test_attachments_are_images_or_pdfs_up_to_10_mb(world, db):
    bad = messages.StoredAttachment("k", "run.exe", "application/x-msdownload", 10)
    with pytest.raises(Invalid, match="image"):
        messages.send_from_client(db, world.client_a1, "", bad)
    big = messages.StoredAttachment("k", "scan.pdf", "application/pdf", messages.ATTACHMENT_MAX_BYTES + 1)
    with pytest.raises(Invalid, match="10 MB"):
        messages.send_from_client(db, world.client_a1, "", big)
    ok = messages.StoredAttachment("ws/chat/abc", "scan.pdf", "application/pdf", 1200)
    sent = messages.send_from_client(db, world.client_a1, "", ok)
    assert sent["attachment"] and sent["attachment"]["url"] == threads.attachment_url(sent["id"])


def test_twenty_messages_a_minute(world, db):
    for i in range(messages.RATE_LIMIT):
        messages.send_from_client(db, world.client_a1, f"m{i}")
    with pytest.raises(Invalid, match="very fast"):
        messages.send_from_client(db, world.client_a1, "one more")
    conv = db.exec(select(Conversation)).one()
    messages.send_from_staff(db, world.staff_a, conv.public_id, "staff has their own count")


def test_the_clients_message_reopens_a_resolved_thread(world, db):
    messages.send_from_client(db, world.client_a1, "first")
    conv = db.exec(select(Conversation)).one()
    conv.move_to("resolved")
    db.add(conv)
    db.commit()
    messages.send_from_client(db, world.client_a1, "again")
    assert db.get(Conversation, conv.id).status == "open"


def test_read_markers(world, db):
    messages.send_from_client(db, world.client_a1, "q")
    conv = db.exec(select(Conversation)).one()
    reply = messages.send_from_staff(db, world.staff_a, conv.public_id, "a")
    assert not reply["read"]
    assert messages.mark_read_client(db, world.client_a1, 10**9)  # clipped to the newest
    assert not messages.mark_read_client(db, world.client_a1, reply["seq"])  # no move backwards
    assert threads.client_unread(db, world.client_a1) == 0
    assert threads.staff_messages(db, world.staff_a, conv.public_id)[-1]["read"]
    assert threads.client_messages(db, world.client_a1)[0]["read"]  # staff read the client's (by replying)


def test_pages_and_catch_up(world, db):
    for i in range(7):
        messages.send_from_client(db, world.client_a1, f"m{i}")
    newest = threads.client_messages(db, world.client_a1, limit=3)
    assert [m["body"] for m in newest] == ["m4", "m5", "m6"]
    older = threads.client_messages(db, world.client_a1, before=newest[0]["seq"], limit=3)
    assert [m["body"] for m in older] == ["m1", "m2", "m3"]
    later = threads.client_messages(db, world.client_a1, after=older[-1]["seq"])
    assert [m["body"] for m in later] == ["m4", "m5", "m6"]


def test_hints_go_out_only_after_commit(world, db):
    got: list[str] = []
    hints.subscribe(got.append)
    try:
        messages.send_from_client(db, world.client_a1, "hello")
        assert got == []
        db.rollback()
        assert got == []
        messages.send_from_client(db, world.client_a1, "hello")
        db.commit()
        assert sorted(got) == sorted([hints.contact_topic(world.ws_a.id, world.contact_a1.id),
                                      hints.staff_topic(world.ws_a.id)])
    finally:
        hints.unsubscribe(got.append)


def test_staff_start_a_conversation_from_the_contact_record(world, db):
    conv = threads.start_for_contact(db, world.member_a, world.contact_a2.public_id)
    assert threads.start_for_contact(db, world.staff_a, world.contact_a2.public_id).id == conv.id
    with pytest.raises(NotFound):
        threads.start_for_contact(db, world.staff_b, world.contact_a2.public_id)


def test_a_savepoint_neither_sends_nor_drops_the_hints(world, db):
    """SQLAlchemy reports a SAVEPOINT's release and rollback as commit and rollback too: the
    transaction's hints wait for its real commit, and survive a rolled-back savepoint."""
    from portal_app.db import savepoint

    got: list[str] = []
    hints.subscribe(got.append)
    try:
        hints.publish_after_commit(db, "t:1")
        with savepoint(db):
            db.connection()
        assert got == []
        try:
            with savepoint(db):
                raise ValueError("lost a race")
        except ValueError:
            pass
        db.commit()
        assert got == ["t:1"]
    finally:
        hints.unsubscribe(got.append)


def test_the_home_card_counts_unread_messages_and_the_history(world, db):
    from portal_app.services.portal import portal_home

    def card(actor):
        return next(s for s in portal_home.home_summary(db, actor)[1] if s.key == "communications")

    messages.send_from_client(db, world.client_a1, "hello")
    conv = db.exec(select(Conversation).where(Conversation.contact_id == world.contact_a1.id)).one()
    messages.send_from_staff(db, world.staff_a, conv.public_id, "note", internal=True)
    assert card(world.client_a1).count == 0  # a note is never unread for the client
    messages.send_from_staff(db, world.staff_a, conv.public_id, "hi")
    messages.send_from_staff(db, world.staff_a, conv.public_id, "there")
    db.commit()
    assert (card(world.client_a1).count, card(world.client_a1).empty_text) == (2, "2 unread messages from the team.")
    assert card(world.client_a2).count == 0  # Bob's card counts Bob's thread only
    messages.mark_read_client(db, world.client_a1, 10**9)
    db.commit()
    assert card(world.client_a1).count == 0 and "in your history" in card(world.client_a1).empty_text

"""The client chat widget's state (state/portal/chat.py): what a client sees of their own
conversation and nothing else, links made safe, catch-up without duplicates, a refused send
keeps the typed text, and a portal with chat off gives nothing."""

from __future__ import annotations

import pytest
from sqlmodel import select

from portal_app.state.portal.chat import ChatState, message_parts
from tests.support.states import HOST_A, call, run_handler


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    from portal_app.services.conversations import messages

    messages.RATE.reset()
    yield
    messages.RATE.reset()


def _chat(db, world, on: bool = True) -> None:
    from portal_app.services.portal.portal_settings import portal_settings_for

    settings = portal_settings_for(db, world.ws_a.id)
    settings.chat_widget = on
    db.add(settings)
    db.commit()


def _cookie(db, account) -> str:
    from portal_app.services.accounts.auth import start_client_session

    token = start_client_session(db, account)
    db.commit()
    return token


def _staff_says(db, world, contact, body: str, internal: bool = False) -> str:
    from portal_app.services.conversations import messages, threads

    conv = threads.start_for_contact(db, world.staff_a, contact.public_id)
    db.flush()
    messages.send_from_staff(db, world.staff_a, conv.public_id, body, internal=internal)
    db.commit()
    return conv.public_id


def _bodies(state) -> list[str]:
    return ["".join(p["text"] for p in m["parts"]) for m in state.messages]


def test_message_parts_make_only_http_links():
    parts = message_parts("See https://example.com/a?b=1. Or javascript:alert(1) <script>alert(1)</script>")
    assert parts[0] == {"text": "See ", "href": ""}
    assert parts[1] == {"text": "https://example.com/a?b=1", "href": "https://example.com/a?b=1"}
    assert all(p["href"] == "" for p in parts[2:])
    assert "".join(p["text"] for p in parts) == ("See https://example.com/a?b=1. Or javascript:alert(1) "
                                                 "<script>alert(1)</script>")
    assert message_parts("") == []
    assert message_parts("(http://x.example/y)") == [{"text": "(", "href": ""},
                                                      {"text": "http://x.example/y", "href": "http://x.example/y"},
                                                      {"text": ")", "href": ""}]


def test_client_a_sees_only_their_own_messages_and_never_a_note(world, db):
    _chat(db, world)
    _staff_says(db, world, world.contact_a1, "Hello Alice")
    _staff_says(db, world, world.contact_a1, "Note: Alice is late paying", internal=True)
    _staff_says(db, world, world.contact_a2, "Hello Bob, private")
    cookie_a1 = _cookie(db, world.account_a1)
    state, _ = run_handler(ChatState, "load", (), HOST_A, cookie_a1, "/")
    assert state._outcome == "ok" and state.enabled
    assert _bodies(state) == ["Hello Alice"] and state.unread == 1
    assert state.messages[0]["author_name"] == "Ava Owner" and not state.messages[0]["mine"]
    # a hint (for anyone's message) re-reads only A1's thread, once
    _staff_says(db, world, world.contact_a2, "Bob again")
    _staff_says(db, world, world.contact_a1, "Note again", internal=True)
    call(state, "on_hint")
    call(state, "on_hint")
    assert _bodies(state) == ["Hello Alice"]
    dumped = repr(state._get_root_state().dict())
    assert "Bob" not in dumped and "Note" not in dumped and "late paying" not in dumped


def test_send_opens_reads_and_catches_up_without_duplicates(world, db):
    from portal_app.models import Conversation

    _chat(db, world)
    cookie = _cookie(db, world.account_a1)
    state, _ = run_handler(ChatState, "load", (), HOST_A, cookie, "/")
    assert state.messages == [] and state.enabled
    call(state, "toggle_panel")
    assert state.open
    call(state, "send", {"body": "Hi, is https://example.com/plan right? <script>alert(1)</script>"})
    assert state._outcome == "ok" and state.error == "" and state.draft == "" and state.composer_key == 1
    assert [m["status"] for m in state.messages] == ["Sent"]
    assert state.messages[0]["parts"][1]["href"] == "https://example.com/plan"
    conv = db.exec(select(Conversation).where(Conversation.contact_id == world.contact_a1.id)).one()
    from portal_app.services.conversations import messages

    messages.send_from_staff(db, world.staff_a, conv.public_id, "Yes, it is.")
    db.commit()
    call(state, "on_hint")
    call(state, "on_hint")
    call(state, "load")  # a page change catches up the same way
    assert _bodies(state)[1:] == ["Yes, it is."] and len(state.messages) == 2
    # staff have read the client's message now (they replied); the open panel read the reply
    assert state.messages[0]["status"] == "Read" and state.unread == 0
    db.expire_all()
    assert db.get(Conversation, conv.id).client_last_read_id == state.messages[-1]["seq"]
    call(state, "close_panel")
    assert not state.open


def test_a_refused_send_keeps_the_text(world, db):
    from portal_app import limits

    _chat(db, world)
    cookie = _cookie(db, world.account_a1)
    state, _ = run_handler(ChatState, "load", (), HOST_A, cookie, "/")
    call(state, "send", {"body": "   "})
    assert state._outcome == "invalid" and state.error and state.draft == "   " and state.messages == []
    call(state, "set_draft", "x" * (limits.CHAT_MESSAGE + 50))
    assert len(state.draft) == limits.CHAT_MESSAGE


def test_older_pages(world, db):
    from portal_app.services.conversations import messages, threads

    _chat(db, world)
    conv = threads.start_for_contact(db, world.staff_a, world.contact_a1.public_id)
    db.flush()
    for i in range(threads.PAGE + 5):
        messages.RATE.reset()
        messages.send_from_staff(db, world.staff_a, conv.public_id, f"m{i}")
    db.commit()
    state, _ = run_handler(ChatState, "load", (), HOST_A, _cookie(db, world.account_a1), "/")
    assert len(state.messages) == threads.PAGE and state.has_older and _bodies(state)[-1] == f"m{threads.PAGE + 4}"
    call(state, "load_older")
    assert _bodies(state) == [f"m{i}" for i in range(threads.PAGE + 5)] and not state.has_older


def test_chat_off_gives_a_client_nothing(world, db):
    from portal_app.models import ConversationMessage

    _chat(db, world, on=False)
    _staff_says(db, world, world.contact_a1, "Hello Alice")
    cookie = _cookie(db, world.account_a1)
    state, _ = run_handler(ChatState, "load", (), HOST_A, cookie, "/")
    assert state._outcome == "denied" and not state.enabled and state.messages == [] and state.unread == 0
    for handler, args in (("toggle_panel", ()), ("on_hint", ()), ("load_older", ()), ("send", ({"body": "hi"},))):
        call(state, handler, *args)
        assert state._outcome == "denied" and state.messages == [] and not state.open, handler
    assert not state.chat_on
    db.expire_all()
    assert len(db.exec(select(ConversationMessage)).all()) == 1


def test_a_line_with_an_attachment_links_to_the_authorized_route():
    from portal_app.services.conversations import threads
    from portal_app.state.portal.chat import chat_line

    view = threads.MessageView(id="msg_1", seq=7, author="staff", author_name="Ava", mine=False, body="See attached",
                               internal=False, at="2026-12-07T14:05:00", read=False,
                               attachment=threads.Attachment(name="plan.pdf", type="application/pdf", size=10,
                                                             url=threads.attachment_url("msg_1"), image=False))
    line = chat_line(view)
    assert (line["att_url"], line["att_name"], line["att_image"]) == (
        "/api/conversations/attachments/msg_1", "plan.pdf", False)
    assert line["status"] == "" and line["time"] == "7 Dec 14:05 UTC"
    mine = chat_line({**view, "mine": True, "read": True, "attachment": None})
    assert (mine["status"], mine["att_url"]) == ("Read", "")


def _upload(name: str, data: bytes):
    import io
    from pathlib import Path

    import reflex as rx

    return [rx.UploadFile(file=io.BytesIO(data), path=Path(name))]


def test_the_chat_email_link_opens_the_panel_and_reads(world, db):
    from portal_app.models import Conversation

    _chat(db, world)
    conv_id = _staff_says(db, world, world.contact_a1, "We answered you")
    state, _ = run_handler(ChatState, "load", (), HOST_A, _cookie(db, world.account_a1), "/?chat=open")
    assert state._outcome == "ok" and state.open and _bodies(state) == ["We answered you"] and state.unread == 0
    db.expire_all()
    conv = db.exec(select(Conversation).where(Conversation.public_id == conv_id)).one()
    assert conv.client_last_read_id == state.messages[-1]["seq"]
    plain, _ = run_handler(ChatState, "load", (), HOST_A, _cookie(db, world.account_a1), "/invoices")
    assert not plain.open


def test_a_file_goes_as_its_own_message_and_a_refused_one_is_explained(world, db):
    from portal_app.models import ConversationMessage
    from tests.support.file_samples import png_bytes

    _chat(db, world)
    state, _ = run_handler(ChatState, "load", (), HOST_A, _cookie(db, world.account_a1), "/")
    call(state, "set_draft", "The text I am still writing")
    call(state, "upload_progress", {"progress": 0.42, "loaded": 42, "total": 100})
    assert state.uploading and state.upload_percent == 42
    call(state, "send_file", _upload("shot.png", png_bytes()))
    assert state._outcome == "ok" and not state.uploading and state.error == ""
    assert state.draft == "The text I am still writing" and state.composer_key == 0  # the composer is untouched
    line = state.messages[-1]
    assert line["att_image"] and line["att_name"] == "shot.png" and line["att_url"].startswith(
        "/api/conversations/attachments/msg_")
    call(state, "send_file", _upload("page.pdf", b"<html>not a pdf</html>"))
    assert state._outcome == "invalid" and "page.pdf" in state.error and len(state.messages) == 1
    call(state, "attachment_refused", ["huge.pdf"], [30_000_000], ["file-too-large"])
    assert "huge.pdf" in state.error and "10 MB" in state.error
    call(state, "attachment_refused", ["x.exe"], [10], ["file-invalid-type"])
    assert "image" in state.error and "PDF" in state.error
    db.expire_all()
    assert len(db.exec(select(ConversationMessage)).all()) == 1


def test_typing_hints_go_to_the_other_side_only(world, db):
    from portal_app.adapters import hints
    from portal_app.state import chat_push
    _chat(db, world)
    conv_id = _staff_says(db, world, world.contact_a1, "Hello")
    seen: list[str] = []
    hints.subscribe(seen.append)
    try:
        client, _ = run_handler(ChatState, "load", (), HOST_A, _cookie(db, world.account_a1), "/")
        assert client._typing_in == hints.typing_topic(world.ws_a.id, conv_id, "staff")
        chat_push.stop()
        call(client, "typing")
        assert seen == [hints.typing_topic(world.ws_a.id, conv_id, "client")]
        call(client, "on_typing")
        assert client.typing_seq == 1
    finally:
        hints.unsubscribe(seen.append)
        chat_push.stop()

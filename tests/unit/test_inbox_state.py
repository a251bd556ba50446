"""The inbox page's state (state/staff/inbox.py) driven as the browser would: opening a thread marks
it read (and the nav's count follows), a hint catches up without duplicates, bad input is
answered with a message and writes nothing, another workspace's thread is "does not exist"."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from tests.support.states import HOST_A, HOST_B, call, run_handler


@pytest.fixture
def conv(world, db) -> str:
    from portal_app.services.conversations import threads
    from portal_app.services.conversations.messages import RATE
    from portal_app.services.portal.portal_settings import portal_settings_for

    RATE.reset()
    row = portal_settings_for(db, world.ws_a.id)
    row.chat_widget = True
    db.add(row)
    db.commit()
    _say(db, world, "Hello there")
    return threads.client_conversation(db, world.client_a1)[1].public_id


def _say(db, world, text: str) -> None:
    from portal_app.services.conversations import messages

    messages.send_from_client(db, world.client_a1, text)
    db.commit()


def _messages(db) -> list[tuple[str, bool]]:
    from portal_app.models import ConversationMessage

    db.expire_all()
    return [(m.body, m.internal) for m in db.exec(select(ConversationMessage).order_by(col(ConversationMessage.id))).all()]


def test_open_reply_note_and_catch_up(world, db, staff_cookie, conv):
    from portal_app.services.conversations import inbox
    from portal_app.state.staff.inbox import InboxNavState, InboxState

    path = f"/staff/inbox/{conv}"
    assert inbox.unread_count(db, world.staff_a) == 1
    state, _ = run_handler(InboxState, "load", (), HOST_A, staff_cookie, path)
    assert state._outcome == "ok" and state.selected == conv
    assert [m["body"] for m in state.thread] == ["Hello there"] and state.card["email"] == "alice@client.example"
    nav = state._get_root_state().get_substate(InboxNavState.get_full_name().split(".")[1:])
    assert nav.inbox_unread == 0 and inbox.unread_count(db, world.staff_a) == 0
    assert [r["unread"] for r in state.rows] == [False]
    # empty and too long: a message, nothing written
    for body in ("   ", "x" * 4001):
        call(state, "send", {"body": body})
        assert state._outcome == "invalid" and state.send_error
    assert _messages(db) == [("Hello there", False)]
    call(state, "send", {"body": "Hi Alice"})
    call(state, "set_note_mode", True)
    call(state, "send", {"body": "She paid already"})
    assert state.note_mode is False and state.send_error == ""
    assert _messages(db)[1:] == [("Hi Alice", False), ("She paid already", True)]
    assert [(m["body"], m["internal"]) for m in state.thread][1:] == [("Hi Alice", False), ("She paid already", True)]
    # the client writes again: a hint brings exactly the new message
    _say(db, world, "Thanks!")
    call(state, "on_hint")
    call(state, "on_hint")
    assert [m["body"] for m in state.thread] == ["Hello there", "Hi Alice", "She paid already", "Thanks!"]
    # resolve twice: the second is refused with a message
    call(state, "resolve")
    assert state.head_status == "resolved"
    call(state, "resolve")
    assert state._outcome == "invalid" and state.notice_tone == "red"


def test_another_workspace_finds_no_such_thread(world, db, conv):
    from portal_app.models import StaffUser
    from portal_app.services.accounts.auth import start_staff_session
    from portal_app.state.staff.inbox import InboxState

    cookie = start_staff_session(db, db.get(StaffUser, world.staff_b.user_id))
    db.commit()
    state, _ = run_handler(InboxState, "load", (), HOST_B, cookie, f"/staff/inbox/{conv}")
    assert state._outcome == "denied" and state.thread == [] and state.card == {}
    assert "does not exist" in state.thread_error and state.rows == []
    call(state, "send", {"body": "Forged"})
    assert state._outcome == "denied"
    assert _messages(db) == [("Hello there", False)]


def test_a_member_picks_canned_replies_but_does_not_write_them(world, db, conv):
    from portal_app.models import StaffUser
    from portal_app.services.accounts.auth import start_staff_session
    from portal_app.services.conversations import canned
    from portal_app.state.staff.inbox import InboxState

    reply = canned.create_reply(db, world.staff_a, "Thanks", "Thanks, we are on it.")
    db.commit()
    cookie = start_staff_session(db, db.get(StaffUser, world.member_a.user_id))
    db.commit()
    state, _ = run_handler(InboxState, "load", (), HOST_A, cookie, f"/staff/inbox/{conv}")
    assert state.can_manage_canned is False and [c["title"] for c in state.canned] == ["Thanks"]
    version = state.form_version
    call(state, "use_canned", reply["id"])
    assert state.composer_seed == "Thanks, we are on it." and state.form_version == version + 1
    call(state, "save_canned", {"canned_title": "Mine", "canned_body": "text"})
    assert state._outcome == "denied" and state.canned_error
    call(state, "delete_canned", reply["id"])
    assert state._outcome == "denied"
    assert [c["title"] for c in canned.list_replies(db, world.staff_a)] == ["Thanks"]


def test_links_files_and_typing_in_the_inbox(world, db, staff_cookie, conv):
    import io
    from pathlib import Path

    import reflex as rx

    from portal_app.adapters import hints
    from portal_app.state import chat_push
    from portal_app.state.staff.inbox import InboxState
    from tests.support.file_samples import png_bytes

    _say(db, world, "See https://example.com/x. <b>bold</b>")
    state, _ = run_handler(InboxState, "load", (), HOST_A, staff_cookie, f"/staff/inbox/{conv}")
    parts = state.thread[-1]["parts"]
    assert parts[1] == {"text": "https://example.com/x", "href": "https://example.com/x"}
    assert [p["href"] == "" for p in parts] == [True, False, True]
    assert state._typing_in == hints.typing_topic(world.ws_a.id, conv, "client")
    # a file goes as a message of its own; a refused one is explained beside the composer
    version = state.form_version
    call(state, "send_file", [rx.UploadFile(file=io.BytesIO(png_bytes()), path=Path("plan.png"))])
    assert state._outcome == "ok" and state.thread[-1]["att_image"] and state.thread[-1]["att_name"] == "plan.png"
    assert state.thread[-1]["body"] == "" and state.form_version == version  # the composer's text stays
    call(state, "send_file", [rx.UploadFile(file=io.BytesIO(b"MZ\x90\x00"), path=Path("tool.exe"))])
    assert state._outcome == "invalid" and "tool.exe" in state.send_error
    # typing: a hint on the staff side's topic, never while writing a note
    seen: list[str] = []
    hints.subscribe(seen.append)
    try:
        chat_push.stop()
        call(state, "set_note_mode", True)
        call(state, "typing")
        assert seen == []
        call(state, "set_note_mode", False)
        call(state, "typing")
        assert seen == [hints.typing_topic(world.ws_a.id, conv, "staff")]
    finally:
        hints.unsubscribe(seen.append)
        chat_push.stop()
    call(state, "on_typing")
    assert state.typing_seq == 1

"""The staff inbox (services/conversations/inbox.py) and canned replies (canned.py): unread first,
search, filters, the unread count, the contact card, assign, resolve/reopen; who is refused and
what bad input is answered with."""

from __future__ import annotations

import pytest
from sqlmodel import select

from portal_app.errors import Forbidden, Invalid, NotFound, NotSignedIn
from portal_app.services.conversations import canned, inbox, messages, threads


@pytest.fixture(autouse=True)
def _chat_on(world, db):
    from portal_app.models import PortalSettings
    from portal_app.services.conversations.messages import RATE
    from portal_app.services.portal.portal_settings import portal_settings_for

    RATE.reset()
    for ws in (world.ws_a, world.ws_b):
        row = portal_settings_for(db, ws.id)
        row.chat_widget = True
        db.add(row)
    db.commit()
    assert db.exec(select(PortalSettings)).all()


def _client_says(db, client, text: str) -> str:
    messages.send_from_client(db, client, text)
    db.commit()
    _c, conv = threads.client_conversation(db, client)
    return conv.public_id


def test_unread_first_then_most_recent_and_the_count(world, db):
    alice = _client_says(db, world.client_a1, "Hello from Alice")
    bob = _client_says(db, world.client_a2, "Hello from Bob")
    page = inbox.inbox(db, world.staff_a)
    assert [r["id"] for r in page["rows"]] == [bob, alice]  # both unread: the most recent first
    assert all(r["unread"] for r in page["rows"]) and page["rows"][0]["contact"] == "Bob Client"
    assert inbox.unread_count(db, world.staff_a) == 2 == inbox.unread_count(db, world.member_a)
    # the owner reads Bob's: Alice's (unread) comes first for her; the member still has both unread
    newest = threads.staff_messages(db, world.staff_a, bob)[-1]["seq"]
    messages.mark_read_staff(db, world.staff_a, bob, newest)
    db.commit()
    assert [r["id"] for r in inbox.inbox(db, world.staff_a)["rows"]] == [alice, bob]
    assert inbox.unread_count(db, world.staff_a) == 1 and inbox.unread_count(db, world.member_a) == 2
    # staff of workspace B see none of it
    assert inbox.inbox(db, world.staff_b)["rows"] == [] and inbox.unread_count(db, world.staff_b) == 0


def test_search_by_name_and_text_with_literal_wildcards(world, db):
    alice = _client_says(db, world.client_a1, "My invoice 100% paid?")
    _client_says(db, world.client_a2, "Just saying hi")
    assert [r["id"] for r in inbox.inbox(db, world.staff_a, q="alice")["rows"]] == [alice]
    assert [r["id"] for r in inbox.inbox(db, world.staff_a, q="100%")["rows"]] == [alice]
    assert [r["id"] for r in inbox.inbox(db, world.staff_a, q="%")["rows"]] == [alice]  # a literal %
    assert inbox.inbox(db, world.staff_a, q="_")["rows"] == []  # not a wildcard
    assert inbox.inbox(db, world.staff_a, q="nobody-here")["total"] == 0
    with pytest.raises(Invalid):
        inbox.inbox(db, world.staff_a, q="x" * 101)
    with pytest.raises(Invalid):
        inbox.inbox(db, world.staff_a, q="a\x00b")
    with pytest.raises(Invalid):
        inbox.inbox(db, world.staff_a, who="everyone")
    with pytest.raises(Invalid):
        inbox.inbox(db, world.staff_a, status="deleted")
    with pytest.raises(Invalid):
        inbox.inbox(db, world.staff_a, page="two")


def test_filters_assign_resolve_reopen(world, db):
    from portal_app.models import StaffUser

    alice = _client_says(db, world.client_a1, "Hi")
    bob = _client_says(db, world.client_a2, "Hello")
    member = db.get(StaffUser, world.member_a.user_id)
    assert inbox.assign(db, world.staff_a, alice, member.public_id) == "Max Member"
    db.commit()
    assert [r["id"] for r in inbox.inbox(db, world.member_a, who="mine")["rows"]] == [alice]
    assert [r["id"] for r in inbox.inbox(db, world.member_a, who="unassigned")["rows"]] == [bob]
    assert inbox.inbox(db, world.staff_a, who="all")["rows"][1]["assigned"] == "Max Member"
    head = inbox.thread_head(db, world.member_a, alice)
    assert (head["assigned_id"], head["assigned"], head["status"]) == (member.public_id, "Max Member", "open")
    # a colleague of another workspace cannot be given it
    owner_b = db.get(StaffUser, world.staff_b.user_id)
    with pytest.raises(NotFound):
        inbox.assign(db, world.staff_a, alice, owner_b.public_id)
    assert inbox.assign(db, world.staff_a, alice, "") == ""
    # resolve; twice is refused; the client's next message opens it again
    inbox.resolve(db, world.member_a, alice)
    db.commit()
    with pytest.raises(Invalid):
        inbox.resolve(db, world.member_a, alice)
    assert [r["id"] for r in inbox.inbox(db, world.staff_a, status="resolved")["rows"]] == [alice]
    assert [r["id"] for r in inbox.inbox(db, world.staff_a)["rows"]] == [bob]
    _client_says(db, world.client_a1, "One more thing")
    assert inbox.thread_head(db, world.staff_a, alice)["status"] == "open"
    inbox.resolve(db, world.staff_a, alice)
    inbox.reopen(db, world.staff_a, alice)
    with pytest.raises(Invalid):
        inbox.reopen(db, world.staff_a, alice)
    assert len(inbox.inbox(db, world.staff_a, status="all")["rows"]) == 2


def test_staff_of_another_workspace_and_clients_are_refused(world, db):
    alice = _client_says(db, world.client_a1, "Hi")
    for call in (lambda a: inbox.thread_head(db, a, alice), lambda a: inbox.assign(db, a, alice, ""),
                 lambda a: inbox.resolve(db, a, alice), lambda a: inbox.reopen(db, a, alice)):
        with pytest.raises(NotFound):
            call(world.staff_b)
        with pytest.raises(Forbidden):
            call(world.client_a1)
        with pytest.raises(NotSignedIn):
            call(world.anon)
    for call in (lambda a: inbox.inbox(db, a), lambda a: inbox.unread_count(db, a), lambda a: inbox.colleagues(db, a)):
        with pytest.raises(Forbidden):
            call(world.client_a1)
    with pytest.raises(NotFound):
        inbox.thread_head(db, world.staff_a, "cv_doesnotexist")


def test_contact_card_lists_open_invoices_and_documents_to_sign(world, db):
    from portal_app.services.billing.invoices import create_invoice, send_invoice

    alice = _client_says(db, world.client_a1, "Hi")
    lines = [{"description": "Work", "quantity": "1", "unit_minor": 12_000, "tax_rate": "0"}]
    sent = create_invoice(db, world.staff_a, contact_public_id=world.contact_a1.public_id, lines=lines)
    send_invoice(db, world.staff_a, sent.public_id)
    create_invoice(db, world.staff_a, contact_public_id=world.contact_a1.public_id, lines=lines)  # a draft: not shown
    db.commit()
    card = inbox.thread_head(db, world.staff_a, alice)["card"]
    assert card["name"] == "Alice Client" and card["email"] == "alice@client.example"
    assert card["href"] == f"/staff/contacts/{world.contact_a1.public_id}"
    assert [i["id"] for i in card["invoices"]] == [sent.public_id]
    assert card["invoices"][0]["href"] == f"/staff/invoices/{sent.public_id}"
    assert card["documents"] == []


def test_colleagues_are_of_the_workspace(world, db):
    names = [c["name"] for c in inbox.colleagues(db, world.member_a)]
    assert names == ["Ava Owner", "Max Member"]
    assert [c["name"] for c in inbox.colleagues(db, world.staff_b)] == ["Ben Owner"]


def test_canned_replies_admins_write_everyone_uses(world, db):
    made = canned.create_reply(db, world.staff_a, "Thanks", "Thanks, we are on it.")
    db.commit()
    assert canned.list_replies(db, world.member_a) == [made]
    assert canned.reply_body(db, world.member_a, made["id"]) == "Thanks, we are on it."
    assert canned.may_manage(world.staff_a) and not canned.may_manage(world.member_a)
    assert not canned.may_manage(world.client_a1)
    with pytest.raises(Forbidden):
        canned.create_reply(db, world.member_a, "Mine", "text")
    with pytest.raises(Forbidden):
        canned.delete_reply(db, world.member_a, made["id"])
    with pytest.raises(Forbidden):
        canned.update_reply(db, world.member_a, made["id"], "x", "y")
    with pytest.raises(Forbidden):
        canned.list_replies(db, world.client_a1)
    # another workspace finds none of A's
    assert canned.list_replies(db, world.staff_b) == []
    with pytest.raises(NotFound):
        canned.delete_reply(db, world.staff_b, made["id"])
    with pytest.raises(NotFound):
        canned.reply_body(db, world.staff_b, made["id"])
    updated = canned.update_reply(db, world.staff_a, made["id"], "Thanks!", "Thank you.")
    assert updated["title"] == "Thanks!"
    canned.delete_reply(db, world.staff_a, made["id"])
    db.commit()
    assert canned.list_replies(db, world.staff_a) == []


@pytest.mark.parametrize(("title", "body"), [("", "text"), ("Title", ""), ("x" * 81, "text"), ("Title", "y" * 4001),
                                             ("Bad\x07", "text")])
def test_canned_reply_bad_input(world, db, title, body):
    with pytest.raises(Invalid):
        canned.create_reply(db, world.staff_a, title, body)


def test_the_inbox_reads_a_fixed_number_of_queries(world, db):
    """The list and an open thread's head cost the same few queries with 2 or 30 conversations."""
    from portal_app.services.accounts.contacts import create_contact
    from tests.support.queries import count_queries

    def load() -> int:
        with count_queries() as counter:
            page = inbox.inbox(db, world.staff_a, q="client")
            inbox.thread_head(db, world.staff_a, page["rows"][0]["id"])
            inbox.unread_count(db, world.staff_a)
        return counter["n"]

    _client_says(db, world.client_a1, "Hi")
    _client_says(db, world.client_a2, "Hello")
    few = load()
    for i in range(28):
        contact = create_contact(db, world.staff_a, {"first_name": f"Load{i}", "last_name": "Client",
                                                     "email": f"load{i}@client.example"})
        threads.get_or_create(db, world.ws_a.id, contact.id)
    db.commit()
    assert inbox.inbox(db, world.staff_a, q="client")["total"] == 30
    assert load() == few <= 10


def test_the_unread_count_is_one_statement_that_reads_no_message(world, db):
    """The staff nav's count: one SQL statement whatever the number of conversations, over the
    conversation and read-marker tables only; a staff reply or note never makes a thread unread,
    the client's next message does."""
    import sqlalchemy as sa

    from portal_app.db import get_engine
    from tests.support.queries import count_queries

    alice = _client_says(db, world.client_a1, "Hello")
    _client_says(db, world.client_a2, "Hello too")
    seen: list[str] = []

    def keep(conn, cursor, statement, params, context, executemany):
        seen.append(statement)

    sa.event.listen(get_engine(), "before_cursor_execute", keep)
    try:
        assert inbox.unread_count(db, world.staff_a) == 2
    finally:
        sa.event.remove(get_engine(), "before_cursor_execute", keep)
    assert len(seen) == 1 and "conversation_message" not in seen[0] and "conversation_staff_read" in seen[0]
    messages.send_from_staff(db, world.staff_a, alice, "On it")          # a reply reads the thread
    messages.send_from_staff(db, world.staff_a, alice, "note", internal=True)
    db.commit()
    with count_queries() as counter:
        assert inbox.unread_count(db, world.staff_a) == 1
    assert counter["n"] == 1
    assert inbox.unread_count(db, world.member_a) == 2                     # the member has read nothing
    _client_says(db, world.client_a1, "Thanks! One more thing")
    assert inbox.unread_count(db, world.staff_a) == 2
    _c, conv = threads.client_conversation(db, world.client_a1)
    assert conv.last_client_message_id == threads.staff_messages(db, world.staff_a, alice)[-1]["seq"]

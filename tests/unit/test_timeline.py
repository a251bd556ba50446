"""The client's Communications timeline (services/conversations/timeline.py): entries written in
the transaction of the event they record, what each side may read, emails and their status.

The world (tests/conftest.py): workspace A "Alpha Studio" (owner staff_a; clients alice =
contact_a1 and bob = contact_a2, both with active portal accounts), workspace B (carol)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from portal_app.adapters.mail import set_mailer
from portal_app.errors import Forbidden, NotFound, NotSignedIn
from portal_app.models import ConversationMessage, OutboxMessage, TimelineEntry, utcnow
from portal_app.services import events
from portal_app.services.accounts.contacts import create_contact
from portal_app.services.accounts.invites import send_invite
from portal_app.services.billing.invoices import create_invoice, send_invoice
from portal_app.services.conversations import messages, timeline
from portal_app.services.portal.portal_settings import portal_settings_for
from portal_app.services.portal.staff_views import REDACTED

LINES = [{"description": "Brand workshop", "quantity": "1", "unit_minor": 48_000, "tax_rate": "0"}]


def _sent_invoice(db, world, contact):
    today = utcnow().date()
    inv = create_invoice(db, world.staff_a, contact_public_id=contact.public_id, lines=LINES,
                         issue_date=today, due_date=today + timedelta(days=14))
    send_invoice(db, world.staff_a, inv.public_id)
    db.flush()
    return inv


def _entries(db, contact) -> list[TimelineEntry]:
    return list(db.exec(select(TimelineEntry).where(TimelineEntry.contact_id == contact.id)
                        .order_by(TimelineEntry.id)).all())


def test_an_event_is_recorded_in_its_own_transaction_and_rolls_back_with_it(db, world):
    inv = _sent_invoice(db, world, world.contact_a1)
    (entry,) = [e for e in _entries(db, world.contact_a1) if e.kind == "invoice"]
    assert entry.title == f"Invoice {inv.number} sent" and entry.client_visible
    assert entry.client_link == f"/invoices/{inv.public_id}" and entry.staff_link == f"/staff/invoices/{inv.public_id}"
    assert "480.00 USD" in entry.detail
    # the same transaction: gone with a rollback, like the event's outbox row
    db.rollback()
    assert _entries(db, world.contact_a1) == []
    assert db.exec(select(OutboxMessage).where(OutboxMessage.kind == "invoice.sent")).first() is None


def test_raise_event_hands_every_event_to_the_recorders(db, world):
    seen = []
    events.add_recorder(lambda _db, e: seen.append(e.kind))
    try:
        inv = _sent_invoice(db, world, world.contact_a1)
        events.raise_event(db, events.InvoiceViewed(workspace_id=world.ws_a.id, invoice=inv.public_id))
    finally:
        del events.RECORDERS[-1]
    assert seen == ["invoice.sent", "invoice.viewed"]
    viewed = [e for e in _entries(db, world.contact_a1) if e.title.startswith("You opened")]
    assert len(viewed) == 1 and not viewed[0].client_visible  # internal: staff only
    assert timeline.record_event in events.RECORDERS


def test_client_sees_only_their_own_visible_entries_and_staff_see_all(db, world):
    inv = _sent_invoice(db, world, world.contact_a1)
    _sent_invoice(db, world, world.contact_a2)
    events.raise_event(db, events.InvoiceViewed(workspace_id=world.ws_a.id, invoice=inv.public_id))
    db.flush()
    mine = timeline.client_timeline(db, world.client_a1).items
    titles = [i["title"] for i in mine]
    assert f"Invoice {inv.number} sent" in titles
    assert not any(i["internal"] for i in mine) and not any("opened" in t for t in titles)
    # bob's invoice is not alice's
    bobs = timeline.client_timeline(db, world.client_a2).items
    assert {i["id"] for i in mine}.isdisjoint({i["id"] for i in bobs})
    # staff: everything of the contact, internal marked, the client's voice turned into their name
    staff = timeline.staff_timeline(db, world.staff_a, world.contact_a1.public_id).items
    internal = [i for i in staff if i["internal"]]
    assert [i["title"] for i in internal] == [f"Alice Client opened invoice {inv.number}"]
    assert all(i["link"].startswith("/staff/") for i in staff if i["kind"] == "invoice")
    # staff of workspace B find no such contact; a client is no staff member
    with pytest.raises(NotFound):
        timeline.staff_timeline(db, world.staff_b, world.contact_a1.public_id)
    with pytest.raises((Forbidden, NotFound)):  # not staff
        timeline.staff_timeline(db, world.client_a1, world.contact_a1.public_id)
    with pytest.raises(NotSignedIn):
        timeline.client_timeline(db, world.anon)


def test_the_section_switched_off_is_refused(db, world):
    settings = portal_settings_for(db, world.ws_a.id)
    settings.show_communications = False
    db.add(settings)
    db.flush()
    with pytest.raises(NotFound):
        timeline.client_timeline(db, world.client_a1)


def test_pages_are_keyset_newest_first_and_filter_by_kind(db, world):
    base = utcnow()
    for n in range(5):
        db.add(TimelineEntry(workspace_id=world.ws_a.id, contact_id=world.contact_a1.id, at=base,  # same instant
                             kind="invoice" if n % 2 else "file", title=f"entry {n}"))
    db.flush()
    first = timeline.client_timeline(db, world.client_a1, limit=2)
    assert [i["title"] for i in first.items] == ["entry 4", "entry 3"] and first.cursor is not None
    second = timeline.client_timeline(db, world.client_a1, limit=2, cursor=first.cursor)
    third = timeline.client_timeline(db, world.client_a1, limit=2, cursor=second.cursor)
    assert [i["title"] for i in second.items + third.items] == ["entry 2", "entry 1", "entry 0"]
    assert third.cursor is None
    files = timeline.client_timeline(db, world.client_a1, kind="file")
    assert [i["title"] for i in files.items] == ["entry 4", "entry 2", "entry 0"]
    # an unknown kind from the browser is no filter
    assert len(timeline.client_timeline(db, world.client_a1, kind="x' OR 1=1").items) == 5


def test_an_invitation_email_is_recorded_with_its_one_time_link_redacted(db, world):
    dana = create_contact(db, world.staff_a, {"first_name": "Dana", "email": "dana@client.example"})
    send_invite(db, world.staff_a, dana.public_id)
    db.flush()
    (entry,) = _entries(db, dana)
    assert entry.kind == "email" and entry.status == "queued" and "invited you" in entry.title
    job = db.exec(select(OutboxMessage).where(OutboxMessage.kind == "email")).one()
    assert entry.ref == f"outbox:{job.id}"
    assert "/invite?token=" + REDACTED in (entry.body or "")
    assert (entry.body or "").split("/invite?")[1].split()[0] == "token=" + REDACTED
    # the real token is in the job, never in the entry
    assert job.payload.count("token=") and REDACTED not in job.payload


def test_mail_to_staff_is_never_on_a_contacts_timeline(db, world):
    from portal_app.models import Workspace
    from portal_app.services import emails

    ws = db.get(Workspace, world.ws_a.id)
    # a staff notice to an address a contact also has: not recorded
    emails.staff_notice_email(db, ws, to="alice@client.example", subject="Staff only", text="x", link="https://a")
    db.flush()
    assert _entries(db, world.contact_a1) == []
    # client mail to another workspace's contact address: not on B's contact either
    emails.staff_notice_email(db, ws, to="carol@client.example", subject="x", text="x", link="https://a")
    db.flush()
    assert _entries(db, world.contact_b1) == []


class _Failing:
    def send(self, mail, workspace_id, db):
        raise OSError("the mail server refused it")


def test_the_worker_marks_the_email_sent_or_failed(db, world):
    from portal_app import worker

    inv = _sent_invoice(db, world, world.contact_a1)
    from portal_app.services import bus

    bus.dispatch(db, world.ws_a.id, "invoice.sent", {"invoice": inv.public_id, "number": inv.number})
    db.commit()
    (mail_entry,) = [e for e in _entries(db, world.contact_a1) if e.kind == "email"]
    assert mail_entry.status == "queued" and mail_entry.title.startswith(f"Invoice {inv.number}")
    job = db.exec(select(OutboxMessage).where(OutboxMessage.kind == "email")).one()
    set_mailer(_Failing())
    try:
        with pytest.raises(OSError):
            worker._deliver(db, job)
    finally:
        set_mailer(None)
    db.rollback()
    db.expire_all()
    assert db.get(TimelineEntry, mail_entry.id).status == "failed"
    job = db.get(OutboxMessage, job.id)
    worker._deliver(db, job)  # the retry goes through (the dev outbox)
    db.commit()
    db.expire_all()
    assert db.get(TimelineEntry, mail_entry.id).status == "sent"
    # the body opens for alice and her staff, not for bob
    entry_id = f"tl_{mail_entry.id}"
    assert f"invoice {inv.number}" in timeline.email_body(db, world.client_a1, entry_id)
    assert timeline.email_body(db, world.staff_a, entry_id, contact_public_id=world.contact_a1.public_id)
    for actor, contact in ((world.client_a2, ""), (world.staff_b, world.contact_a1.public_id),
                           (world.staff_a, world.contact_a2.public_id)):
        with pytest.raises(NotFound):
            timeline.email_body(db, actor, entry_id, contact_public_id=contact)
    for forged in ("1", "tl_x", "tl_99999999999", ""):
        with pytest.raises(NotFound):
            timeline.email_body(db, world.client_a1, forged)


def test_chat_messages_are_recorded_but_never_a_staff_note(db, world):
    settings = portal_settings_for(db, world.ws_a.id)
    settings.chat_widget = True
    db.add(settings)
    db.flush()
    messages.send_from_client(db, world.client_a1, "Hello, is the proposal ready? " + "x" * 400)
    conv_id = db.exec(select(ConversationMessage.conversation_id)).first()
    from portal_app.models import Conversation

    conv = db.get(Conversation, conv_id)
    messages.send_from_staff(db, world.staff_a, conv.public_id, "Internal: check the budget", internal=True)
    messages.send_from_staff(db, world.staff_a, conv.public_id, "Yes, it is attached.")
    db.flush()
    entries = [e for e in _entries(db, world.contact_a1) if e.kind == "message"]
    assert [e.title for e in entries] == ["Message from you", "Message from Ava Owner"]
    assert len(entries[0].detail) <= timeline.DETAIL_CHARS and entries[0].detail.startswith("Hello, is the proposal")
    assert not any("Internal" in e.detail for e in _entries(db, world.contact_a1))


def test_document_signature_in_the_clients_voice(db, world):
    from tests.support.docs import sent, sign_as_client

    doc = sent(db, world)
    sign_as_client(db, world, doc)
    db.flush()
    titles = [i["title"] for i in timeline.client_timeline(db, world.client_a1, kind="document").items]
    assert f"You signed {doc.title}" in titles and f"{doc.title} sent to you for signature" in titles
    staff = [i["title"] for i in timeline.staff_timeline(db, world.staff_a, world.contact_a1.public_id,
                                                          kind="document").items]
    assert f"Alice Client signed {doc.title}" in staff


def test_a_file_shared_with_one_contact_is_recorded_for_them_only(db, world, store):
    from portal_app.services.files import files

    folder = files.create_folder(db, world.staff_a, name="Welcome pack")
    files.set_sharing(db, world.staff_a, folder.public_id, inherit=False, all_clients=False,
                      contact_public_ids=[world.contact_a1.public_id])
    other = files.create_folder(db, world.staff_a, name="Price list")
    files.set_sharing(db, world.staff_a, other.public_id, inherit=False, all_clients=True, contact_public_ids=[])
    db.flush()
    (entry,) = [e for e in _entries(db, world.contact_a1) if e.kind == "file"]
    assert entry.title == "Welcome pack shared with you" and entry.client_link == f"/files?folder={folder.public_id}"
    assert [e for e in _entries(db, world.contact_a2) if e.kind == "file"] == []

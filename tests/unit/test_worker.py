"""worker.run_once: delivers queued email from the outbox, once, with retries and backoff; hands
domain events to their handlers (services/bus.py).

run_once opens its own sessions on portal_app.db.get_engine() (PORTAL_DATABASE_URL, set by
the db_url fixture), so each test commits its data first and reads results afresh after.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from portal_app import worker
from portal_app.adapters import mail
from portal_app.jobs import queue
from portal_app.models import DevMail, OutboxMessage
from portal_app.services.accounts import invites
from portal_app.services.accounts.contacts import create_contact
from tests.support.clock import Clock


class FailingMailer:
    """Records what it was asked to send, then fails like an unreachable SMTP server."""

    def __init__(self, write_first: bool = False):
        self.calls: list[mail.Mail] = []
        self.write_first = write_first

    def send(self, message, workspace_id, db):
        self.calls.append(message)
        if self.write_first:  # a half-done delivery must roll back with the failure
            mail.OutboxMailer().send(message, workspace_id, db)
            db.flush()
        raise ConnectionRefusedError("smtp down")


def _fresh(db) -> None:
    db.rollback()
    db.expire_all()


def _messages(db) -> list[OutboxMessage]:
    _fresh(db)
    return db.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()


def _devmail(db) -> list[DevMail]:
    _fresh(db)
    return db.exec(select(DevMail).order_by(DevMail.id)).all()


@pytest.fixture
def invited(db, world):
    """Two queued invitation emails, one per workspace, committed."""
    dana = create_contact(db, world.staff_a, {"first_name": "Dana", "email": "dana@diaz.example"})
    erin = create_contact(db, world.staff_b, {"first_name": "Erin", "email": "erin@evans.example"})
    invites.send_invite(db, world.staff_a, dana.public_id)
    invites.send_invite(db, world.staff_b, erin.public_id)
    db.commit()
    return world


def test_run_once_delivers_to_the_dev_outbox_and_scrubs(db, invited):
    queued = _messages(db)
    assert len(queued) == 2 and all("token=" in m.payload for m in queued)
    assert worker.run_once() == 2

    sent = _devmail(db)
    assert [(m.workspace_id, m.to_addr) for m in sent] == [
        (invited.ws_a.id, "dana@diaz.example"), (invited.ws_b.id, "erin@evans.example")]
    assert "https://alpha.example.test/invite?token=" in sent[0].text_body
    assert "https://beta.example.test/invite?token=" in sent[1].text_body
    assert sent[0].subject == "Alpha Studio invited you to your client portal"
    assert "<!doctype html>" in sent[0].html_body

    for msg in _messages(db):
        assert msg.done_at is not None and msg.attempts == 1 and msg.last_error == ""
        payload = json.loads(msg.payload)
        assert payload["scrubbed"] is True and "to" in payload and "subject" in payload
        assert "token=" not in msg.payload and "http" not in msg.payload
        assert "text" not in payload and "html" not in payload


def test_second_run_sends_nothing_twice(db, invited):
    assert worker.run_once() == 2
    assert worker.run_once() == 0
    assert len(_devmail(db)) == 2


def test_limit_bounds_one_pass(db, invited):
    assert worker.run_once(limit=1) == 1
    assert [m.done_at is not None for m in _messages(db)] == [True, False]
    assert worker.run_once(limit=1) == 1
    assert len(_devmail(db)) == 2


def test_failure_is_retried_with_backoff(db, invited, monkeypatch):
    clock = Clock()  # steps by hand: "not due yet" holds however long a pass takes
    monkeypatch.setattr(worker, "clock", clock)
    monkeypatch.setattr(queue, "rng", lambda: 0.5)  # the jitter's middle: exactly 2 ** attempts seconds
    failing = FailingMailer()
    mail.set_mailer(failing)
    assert worker.run_once() == 0
    assert len(failing.calls) == 2
    first = _messages(db)[0]
    assert first.done_at is None and first.attempts == 1
    assert first.last_error == "ConnectionRefusedError: smtp down"
    assert first.next_attempt_at == clock.now + timedelta(seconds=2)  # 2 ** attempts seconds after the failure
    assert "token=" in first.payload  # not sent, so nothing to scrub yet
    assert _devmail(db) == []

    # not due yet: a pass a moment before leaves it alone
    clock.advance(seconds=1.999)
    assert worker.run_once() == 0
    assert len(failing.calls) == 2

    # due again and still failing: the wait doubles
    clock.advance(seconds=0.001)
    assert worker.run_once() == 0
    assert len(failing.calls) == 4
    second = _messages(db)[0]
    assert second.attempts == 2
    assert second.next_attempt_at == clock.now + timedelta(seconds=4)

    # the mail server is back: the next due pass delivers exactly once
    mail.set_mailer(None)
    clock.advance(seconds=4)
    assert worker.run_once() == 2
    assert worker.run_once() == 0
    assert len(_devmail(db)) == 2
    assert all(m.done_at is not None and m.attempts == 3 for m in _messages(db))


def test_failed_delivery_leaves_no_partial_mail(db, invited):
    mail.set_mailer(FailingMailer(write_first=True))
    assert worker.run_once() == 0
    assert _devmail(db) == []
    assert all(m.done_at is None for m in _messages(db))


def test_gives_up_after_max_attempts(db, invited):
    db.execute(sa.update(OutboxMessage).values(attempts=worker.MAX_ATTEMPTS))
    db.commit()
    assert worker.run_once() == 0
    assert _devmail(db) == []
    assert all(m.dead_at is not None for m in _messages(db))  # on the dead list (Settings › Jobs)


def test_a_message_claimed_by_another_worker_is_skipped(db, invited):
    first, second = _messages(db)
    # another worker claimed the first one a moment ago (it holds the lease)
    assert queue.claim(db.get_bind(), "other-worker", ["email"], worker.clock(), limit=1) == [first.id]
    assert worker.run_once() == 1
    sent = _devmail(db)
    assert [m.to_addr for m in sent] == ["erin@evans.example"]



def _sent_invoice(db, world, contact=None):
    from portal_app.services.billing.invoices import create_invoice, send_invoice

    inv = create_invoice(db, world.staff_a, contact_public_id=(contact or world.contact_a1).public_id,
                         lines=[{"description": "Consulting", "quantity": "1", "unit_minor": 48_000, "tax_rate": "0"}])
    send_invoice(db, world.staff_a, inv.public_id)
    db.commit()
    return inv


def test_invoice_sent_emails_the_client(db, world):
    """The event's handler queues the client's email in the event's own transaction; the next
    pass sends it. (This event used to wait in the outbox unread while staff were told the
    client was emailed.)"""
    inv = _sent_invoice(db, world)
    assert worker.run_once(limit=1) == 1  # the event: its handler ran, the row is done
    (event,) = [m for m in _messages(db) if m.kind == "invoice.sent"]
    assert event.done_at is not None and event.attempts == 1 and event.last_error == ""
    (queued,) = [m for m in _messages(db) if m.kind == "email"]
    assert queued.done_at is None and json.loads(queued.payload)["to"] == "alice@client.example"
    assert worker.run_once() == 1
    (sent,) = _devmail(db)
    assert (sent.workspace_id, sent.to_addr) == (world.ws_a.id, "alice@client.example")
    assert f"https://alpha.example.test/invoices/{inv.public_id}" in sent.text_body
    assert worker.run_once() == 0 and len(_devmail(db)) == 1  # never twice


def test_a_declared_event_is_acknowledged_and_tells_nobody(db, world):
    from portal_app.services import events

    events.raise_event(db, events.DocumentVoided(workspace_id=world.ws_a.id, document="doc_x"))
    db.commit()
    assert worker.run_once() == 1
    (msg,) = _messages(db)
    assert msg.done_at is not None and msg.attempts == 1
    assert _devmail(db) == []


def test_an_unknown_kind_stays_pending_and_is_logged(db, world, caplog):
    from portal_app.services import outbox

    outbox.enqueue(db, world.ws_a.id, "invoice.teleported", {"invoice": "inv_1"})  # a newer version's kind
    db.commit()
    assert worker.run_once() == 0
    (msg,) = _messages(db)
    assert msg.done_at is None and msg.attempts == 0 and msg.last_error == ""  # untouched, for the version that knows it
    with caplog.at_level("WARNING", logger="portal.worker"):
        assert worker.warn_unknown_kinds() == {"invoice.teleported": 1}
    assert "invoice.teleported" in caplog.text


def test_an_event_whose_payload_does_not_fit_is_retried_with_its_error(db, world):
    from portal_app.services import outbox

    outbox.enqueue(db, world.ws_a.id, "invoice.sent", {"invoice": "inv_1"})  # no number
    db.commit()
    assert worker.run_once() == 0
    (msg,) = _messages(db)
    assert msg.done_at is None and msg.attempts == 1 and msg.last_error.startswith("TypeError")
    assert _devmail(db) == []


def test_a_failing_handler_rolls_back_what_it_wrote(db, world, monkeypatch):
    """The handler's email and the event's "done" commit together, or neither does."""
    from portal_app.models import Workspace
    from portal_app.services import bus, emails

    def queue_then_fail(db, event):
        ws = db.get_one(Workspace, event.workspace_id)
        emails.staff_notice_email(db, ws, to="x@alpha.example", subject="s", text="t", link="l")
        raise RuntimeError("boom")

    monkeypatch.setitem(bus.HANDLERS, bus.ev.InvoiceSent, [queue_then_fail])
    _sent_invoice(db, world)
    assert worker.run_once() == 0
    assert [(m.kind, m.done_at is None, m.attempts) for m in _messages(db)] == [("invoice.sent", True, 1)]


def test_storage_delete_runs_after_commit(db, world, tmp_path):
    from portal_app.adapters.storage import get_storage
    from portal_app.services import outbox

    get_storage().put("ws_x/branding/old", b"old", "image/png")
    outbox.enqueue(db, world.ws_a.id, "storage.delete", {"key": "ws_x/branding/old"})
    db.rollback()  # the change that replaced the file never committed: the file stays
    assert worker.run_once() == 0 and get_storage().exists("ws_x/branding/old")
    outbox.enqueue(db, world.ws_a.id, "storage.delete", {"key": "ws_x/branding/old"})
    db.commit()
    assert worker.run_once() == 1 and not get_storage().exists("ws_x/branding/old")


def test_sweep_removes_only_stale_temporary_uploads(tmp_path, monkeypatch):
    import os

    from portal_app.services.files import file_transfer

    monkeypatch.setattr(file_transfer, "incoming_dir", lambda: str(tmp_path))
    stale, fresh = tmp_path / "up-stale", tmp_path / "up-fresh"
    stale.write_bytes(b"left by a crash")
    fresh.write_bytes(b"an upload in progress")
    now = 2_000_000_000.0  # the sweep's "now" is given: a second either side of the age limit
    os.utime(stale, (now - worker.STALE_UPLOAD_SECONDS - 1,) * 2)
    os.utime(fresh, (now - worker.STALE_UPLOAD_SECONDS + 1,) * 2)
    assert worker.sweep_incoming(now=now) == 1
    assert not stale.exists() and fresh.exists()

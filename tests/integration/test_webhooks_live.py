"""Outbound webhooks over a real socket: a receiver on 127.0.0.1 (the test-only loopback
allowance) gets the invoice.sent event of a real invoice send, checks its signature with the
standardwebhooks reference code, answers 500 twice and then 200, and sees the retries on the
queue's schedule (time driven with the worker's injectable clock, no sleeps)."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlmodel import select
from standardwebhooks import Webhook

from portal_app import worker
from portal_app.jobs import queue
from portal_app.models import OutboxMessage, WebhookDelivery, utcnow
from portal_app.services.billing.invoices import create_invoice, send_invoice
from portal_app.services.webhooks import delivery, endpoints
from portal_app.settings import reset_settings_cache
from tests.support.clock import Clock
from tests.support.webhook_receiver import webhook_receiver

LINES = [{"description": "Brand workshop", "quantity": "1", "unit_minor": 48_000, "tax_rate": "0"}]


def test_a_sent_invoice_reaches_the_receiver_signed_and_retried(db, world, monkeypatch):
    monkeypatch.setenv("PORTAL_BASE_URL", "http://localhost:3000")
    monkeypatch.setenv("PORTAL_WEBHOOKS_ALLOW_LOOPBACK", "1")
    reset_settings_cache()
    monkeypatch.setattr(queue, "rng", lambda: 0.5)  # backoff exactly 2 ** attempts seconds
    with webhook_receiver([500, 500]) as receiver:
        view, secret = endpoints.create_endpoint(db, world.staff_a, url=receiver.url, kinds=["invoice.sent"])
        today = utcnow().date()
        inv = create_invoice(db, world.staff_a, contact_public_id=world.contact_a1.public_id, lines=LINES,
                             issue_date=today, due_date=today + timedelta(days=14))
        send_invoice(db, world.staff_a, inv.public_id)
        db.commit()
        clock = Clock(utcnow() + timedelta(seconds=1))
        monkeypatch.setattr(worker, "clock", clock)

        worker.run_once()  # the event (email + fan-out), then the first attempt: 500
        assert len(receiver.requests) == 1
        clock.advance(seconds=1.9)
        worker.run_once()  # not due yet (2 s after the first failure)
        assert len(receiver.requests) == 1
        clock.advance(seconds=0.1)
        worker.run_once()  # second attempt: 500
        assert len(receiver.requests) == 2
        clock.advance(seconds=4)
        worker.run_once()  # third: 200
        assert len(receiver.requests) == 3
        clock.advance(seconds=3600)
        worker.run_once()
        assert len(receiver.requests) == 3  # done: never sent again

    for path, headers, body in receiver.requests:
        assert path == "/hooks"
        event = Webhook(secret).verify(body, headers)
        assert event["type"] == "invoice.sent"
        assert event["data"] == {"invoice": inv.public_id, "number": inv.number}
    assert len({headers["webhook-id"] for _, headers, _ in receiver.requests}) == 1  # one id across retries

    db.expire_all()
    job = db.exec(select(OutboxMessage).where(OutboxMessage.kind == delivery.KIND)).one()
    assert job.done_at is not None and job.attempts == 3
    log = db.exec(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
    assert [(d.attempt, d.status_code) for d in log] == [(1, 500), (2, 500), (3, 200)]
    assert [d["status"] for d in endpoints.deliveries(db, world.staff_a, view["id"])] == ["200", "500", "500"]
    assert json.loads(log[0].body)["type"] == "invoice.sent"

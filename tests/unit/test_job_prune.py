"""Pruning (jobs/prune.py): finished commands older than a week and webhook deliveries older
than 30 days are deleted; unfinished and dead jobs, recent ones and domain events stay.
Time is the injected clock; no test sleeps."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from portal_app import worker
from portal_app.jobs import periodic, prune, queue
from portal_app.models import OutboxMessage, PendingSignIn, WebhookDelivery, WebhookEndpoint, Workspace
from portal_app.models import base as model_base
from portal_app.services import outbox
from tests.support.clock import Clock


def _job(db, kind: str, *, done_at=None, dead_at=None, workspace_id=None) -> int:
    job = outbox.enqueue(db, workspace_id, kind, {"n": 1})
    job.done_at, job.dead_at = done_at, dead_at
    db.add(job)
    db.commit()
    return job.id


def test_prune_deletes_old_finished_commands_and_keeps_the_rest(db, db_url, monkeypatch):
    clock = Clock()
    monkeypatch.setattr(model_base, "clock", clock)
    now = clock()
    ws = Workspace(name="Prune Co", base_url="http://localhost:3000")
    db.add(ws)
    db.commit()
    old_email = _job(db, "email", done_at=now - timedelta(days=8))
    recent_email = _job(db, "email", done_at=now - timedelta(days=6))
    pending = _job(db, "email")
    dead = _job(db, "email", dead_at=now - timedelta(days=40))
    old_event = _job(db, "invoice.sent", done_at=now - timedelta(days=90), workspace_id=ws.id)

    endpoint = WebhookEndpoint(public_id="we_prune", workspace_id=ws.id, url="https://example.com/hook",
                               secret_sealed="x", event_kinds="*")
    db.add(endpoint)
    db.commit()
    for i, age in enumerate((31, 29)):
        db.add(WebhookDelivery(public_id=f"wd_prune{i}", workspace_id=ws.id, endpoint_id=endpoint.id,
                               message_id=f"msg_{i}", event_id=f"evt_{i}", event_kind="invoice.sent",
                               body="{}", created_at=now - timedelta(days=age)))
    for i, age in enumerate((timedelta(days=2), timedelta(minutes=3))):  # a two-factor sign-in's second step
        db.add(PendingSignIn(token_hash=f"{i:064d}", workspace_id=ws.id, created_at=now - age,
                             expires_at=now - age + timedelta(minutes=5)))
    db.commit()

    counts = prune.prune(db, now, worker.HANDLERS)

    assert counts == {"jobs": 1, "webhook_deliveries": 1, "pending_sign_ins": 1}
    assert db.exec(select(PendingSignIn.token_hash)).all() == [f"{1:064d}"]
    left = set(db.exec(select(OutboxMessage.id)).all())
    assert old_email not in left
    assert {recent_email, pending, dead, old_event} <= left
    assert db.exec(select(WebhookDelivery.public_id)).all() == ["wd_prune1"]


def test_prune_works_in_bounded_batches(db, db_url, monkeypatch):
    clock = Clock()
    monkeypatch.setattr(model_base, "clock", clock)
    monkeypatch.setattr(prune, "BATCH", 3)
    monkeypatch.setattr(prune, "MAX_BATCHES", 2)
    now = clock()
    for _ in range(8):
        _job(db, "email", done_at=now - timedelta(days=10))
    assert prune.prune(db, now, ["email"])["jobs"] == 6  # two batches of three; the next run goes on
    assert prune.prune(db, now, ["email"])["jobs"] == 2


def test_pruning_is_an_hourly_periodic_job():
    assert periodic.PERIODIC["jobs.prune"].every_seconds == 3600
    assert "jobs.prune" in worker.runnable_kinds()
    assert queue.options_for("jobs.prune").priority == 10

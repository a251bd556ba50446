"""The job queue (portal_app/jobs/): unique keys, scheduled jobs, backoff with jitter, dead
jobs, leases (expiry, heartbeat, release), periodic slots, and Settings › Jobs' Retry.

Time is the injected clock (`clock` below sets worker.clock and models.base.clock): a
boundary is crossed exactly when a test says, and no test sleeps. Jobs of the test kinds
have no workspace (system jobs) unless a test needs one.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from portal_app import worker
from portal_app.db import get_engine
from portal_app.errors import Forbidden, Invalid, NotFound
from portal_app.jobs import periodic, queue
from portal_app.jobs.runner import run_claimed
from portal_app.models import OutboxMessage
from portal_app.models import base as model_base
from portal_app.services import dead_jobs, outbox
from tests.support.clock import Clock

ran: list[int] = []  # ids of the jobs the test handlers ran


def _ok(db, msg, payload) -> None:
    ran.append(msg.id)


def _boom(db, msg, payload) -> None:
    ran.append(msg.id)
    raise RuntimeError("boom " + "x" * 600)


@pytest.fixture
def clock(monkeypatch, db_url):
    c = Clock()
    monkeypatch.setattr(worker, "clock", c)
    monkeypatch.setattr(model_base, "clock", c)
    monkeypatch.setattr(queue, "rng", lambda: 0.5)  # backoff exactly 2 ** attempts unless a test says
    monkeypatch.setitem(worker.HANDLERS, "test.ok", _ok)
    monkeypatch.setitem(worker.HANDLERS, "test.boom", _boom)
    ran.clear()
    return c


def _job(db, job_id: int) -> OutboxMessage:
    db.rollback()
    db.expire_all()
    return db.get_one(OutboxMessage, job_id)


def _enqueue(db, kind="test.ok", **options) -> int:
    job = outbox.enqueue(db, None, kind, {"n": 1}, **options)
    db.commit()
    return job.id


# --- backoff ---------------------------------------------------------------------------------

@pytest.mark.parametrize("attempts", [1, 2, 5, 9, 10, 20, 100])
def test_backoff_is_exponential_within_the_jitter_bounds_and_capped(attempts):
    base = min(600.0, 2.0 ** attempts)
    low, mid, high = (queue.backoff_seconds(attempts, rand=r) for r in (0.0, 0.5, 0.999999))
    assert low == pytest.approx(base * 0.9) and mid == pytest.approx(base) and high == pytest.approx(base * 1.1, rel=1e-5)
    assert low <= mid <= high <= 600 * 1.1


def test_backoff_draws_its_jitter_from_the_injected_rng(monkeypatch):
    draws = iter([0.0, 1.0 - 1e-9])
    monkeypatch.setattr(queue, "rng", lambda: next(draws))
    assert queue.backoff_seconds(3) == pytest.approx(7.2)
    assert queue.backoff_seconds(3) == pytest.approx(8.8)
    assert queue.backoff_seconds(30, cap=3 * 86400, rand=0.5) == 3 * 86400  # a kind's own cap


# --- unique keys ------------------------------------------------------------------------------

def test_a_unique_key_holds_one_unfinished_job(db, clock):
    first = outbox.enqueue(db, None, "test.ok", {"event": 1}, unique_key="run:doc_1")
    again = outbox.enqueue(db, None, "test.ok", {"event": 1}, unique_key="run:doc_1")  # same transaction
    assert again.id == first.id
    db.commit()
    assert outbox.enqueue(db, None, "test.ok", {"event": 2}, unique_key="run:doc_1").id == first.id  # committed one
    other = outbox.enqueue(db, None, "test.ok", {"event": 3}, unique_key="run:doc_2")
    db.commit()
    assert len(db.exec(select(OutboxMessage)).all()) == 2 and other.id != first.id

    assert worker.run_once() == 2 and sorted(ran) == sorted([first.id, other.id])
    # finished: the key is free again (the next event of that kind starts a new run)
    later = _enqueue(db, unique_key="run:doc_1")
    assert later not in (first.id, other.id)


def test_a_unique_job_rolled_back_with_its_transaction_leaves_nothing(db, clock):
    outbox.enqueue(db, None, "test.ok", {}, unique_key="k")
    db.rollback()
    assert db.exec(select(OutboxMessage)).all() == []
    assert _enqueue(db, unique_key="k") > 0


def test_an_overlong_unique_key_is_refused(db, clock):
    with pytest.raises(ValueError):
        outbox.enqueue(db, None, "test.ok", {}, unique_key="k" * 201)


# --- scheduled jobs ---------------------------------------------------------------------------

def test_a_scheduled_job_is_not_claimed_early(db, clock):
    job_id = _enqueue(db, run_at=clock.now + timedelta(minutes=5))
    assert worker.run_once() == 0
    clock.advance(seconds=299.999)
    assert worker.run_once() == 0 and ran == []
    clock.advance(seconds=0.001)
    assert worker.run_once() == 1 and ran == [job_id]


def test_priority_then_run_at_orders_claims(db, clock):
    late = _enqueue(db, run_at=clock.now - timedelta(seconds=1))
    early = _enqueue(db, run_at=clock.now - timedelta(seconds=5))
    urgent = _enqueue(db, priority=-1)
    assert queue.claim(get_engine(), "w", ["test.ok"], clock.now, limit=3) == [urgent, early, late]


# --- retries and dead jobs --------------------------------------------------------------------

def test_dead_after_the_kinds_max_attempts(db, clock, monkeypatch):
    monkeypatch.setitem(queue.KINDS, "test.boom", queue.KindOptions(max_attempts=3, backoff_cap=60))
    job_id = _enqueue(db, "test.boom")
    assert _job(db, job_id).max_attempts == 3
    waits = []
    for attempt in (1, 2, 3):
        assert worker.run_once() == 0
        job = _job(db, job_id)
        assert job.attempts == attempt and job.locked_by is None
        assert job.last_error.startswith("RuntimeError: boom") and len(job.last_error) == 500
        if attempt < 3:
            assert job.dead_at is None
            waits.append((job.next_attempt_at - clock.now).total_seconds())
            clock.advance(seconds=waits[-1])
    assert waits == [2.0, 4.0]
    assert job.dead_at == clock.now and job.done_at is None
    clock.advance(days=1)
    assert worker.run_once() == 0 and len(ran) == 3  # never again, until someone retries it


def test_enqueue_overrides_a_kinds_attempts(db, clock):
    job_id = _enqueue(db, "test.boom", max_attempts=1)
    worker.run_once()
    assert _job(db, job_id).dead_at is not None


def test_the_retry_wait_has_jitter(db, clock, monkeypatch):
    monkeypatch.setattr(queue, "rng", lambda: 0.0)
    job_id = _enqueue(db, "test.boom")
    worker.run_once()
    assert _job(db, job_id).next_attempt_at == clock.now + timedelta(seconds=2 * 0.9)


# --- leases -----------------------------------------------------------------------------------

def test_a_job_whose_worker_died_is_claimed_again_after_its_lease(db, clock):
    job_id = _enqueue(db)
    engine = get_engine()
    assert queue.claim(engine, "dead-worker", ["test.ok"], clock.now, lease=30) == [job_id]  # then killed
    assert worker.run_once() == 0  # leased
    clock.advance(seconds=29.999)
    assert worker.run_once() == 0
    clock.advance(seconds=0.001)
    assert worker.run_once() == 1 and ran == [job_id]
    job = _job(db, job_id)
    assert job.attempts == 2 and job.done_at == clock.now  # the killed worker's attempt counted
    # the stalled worker wakes up: its lease is gone, so it does nothing
    assert run_claimed(engine, job_id, "dead-worker", lambda db, msg: _ok(db, msg, {}), clock) is False
    assert ran == [job_id]


def test_a_worker_that_lost_its_lease_mid_job_rolls_its_work_back(db, clock):
    job_id = _enqueue(db)
    engine = get_engine()
    [claimed] = queue.claim(engine, "slow", ["test.ok"], clock.now, lease=30)

    def stalled(jdb, msg):
        jdb.add(OutboxMessage(workspace_id=None, kind="test.effect", payload="{}"))  # the job's own write
        clock.advance(seconds=31)
        assert queue.claim(engine, "fast", ["test.ok"], clock.now) == [job_id]  # another worker takes over

    assert run_claimed(engine, claimed, "slow", stalled, clock) is False
    assert db.exec(select(OutboxMessage).where(OutboxMessage.kind == "test.effect")).all() == []
    assert _job(db, job_id).locked_by == "fast"


def test_a_heartbeat_keeps_a_long_job_leased(db, clock):
    job_id = _enqueue(db)
    engine = get_engine()
    queue.claim(engine, "busy", ["test.ok"], clock.now, lease=30)
    for _ in range(5):
        clock.advance(seconds=20)
        assert queue.heartbeat(engine, "busy", [job_id], clock.now, lease=30) == 1
        assert worker.run_once() == 0
    assert queue.heartbeat(engine, "someone-else", [job_id], clock.now, lease=30) == 0


def test_released_leases_are_claimable_at_once(db, clock):
    waiting, running = _enqueue(db), _enqueue(db)
    engine = get_engine()
    queue.claim(engine, "stopping", ["test.ok"], clock.now, limit=2, lease=600)
    assert queue.release(engine, "stopping", [waiting], started=False) == 1
    assert queue.release(engine, "stopping", [running], started=True) == 1
    assert (_job(db, waiting).attempts, _job(db, running).attempts) == (0, 1)  # a started run counts
    assert worker.run_once() == 2


def test_a_lease_that_expires_on_the_last_attempt_makes_the_job_dead(db, clock):
    job_id = _enqueue(db, max_attempts=1)
    queue.claim(get_engine(), "gone", ["test.ok"], clock.now, lease=30)
    clock.advance(seconds=31)
    assert worker.run_once() == 0 and ran == []
    job = _job(db, job_id)
    assert job.dead_at == clock.now and "lease expired" in job.last_error


def test_kinds_nobody_handles_are_not_claimed(db, clock):
    _enqueue(db, "nobody.handles.this")
    assert worker.run_once() == 0
    assert queue.claim(get_engine(), "w", [], clock.now) == []


# --- periodic jobs ----------------------------------------------------------------------------

def test_a_periodic_slot_is_enqueued_once_cluster_wide(db, clock, monkeypatch):
    monkeypatch.setattr(periodic, "PERIODIC", {})
    periodic.every(60, "test.ok")
    engine = get_engine()
    # two workers (each with its own memory of slots seen) ask in the same minute
    assert periodic.enqueue_due(engine, clock.now, {}) == 1
    assert periodic.enqueue_due(engine, clock.now, {}) == 0
    assert worker.run_once() == 1
    assert periodic.enqueue_due(engine, clock.now, {}) == 0  # done, but that slot's job was queued
    seen: dict[str, int] = {}
    clock.advance(seconds=60)
    assert periodic.enqueue_due(engine, clock.now, seen) == 1
    assert periodic.enqueue_due(engine, clock.now, seen) == 0  # remembered: no query at all
    jobs = db.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [j.unique_key for j in jobs] == [f"periodic:test.ok:{int(clock.now.timestamp() // 60) + d}"
                                            for d in (-1, 0)]
    assert all(j.workspace_id is None and j.next_attempt_at <= clock.now for j in jobs)


def test_expiry_and_the_upload_sweep_are_periodic_jobs():
    assert periodic.PERIODIC["documents.expire"].every_seconds == 60
    assert periodic.PERIODIC["uploads.sweep"].every_seconds == 3600
    assert {"documents.expire", "uploads.sweep"} <= set(worker.runnable_kinds())


# --- Settings › Jobs --------------------------------------------------------------------------

def test_staff_see_dead_jobs_and_retry_them(db, world, clock):
    job = outbox.enqueue(db, world.ws_a.id, "test.boom", {"to": "https://a.example/reset?token=secret"},
                         max_attempts=1)
    db.commit()
    worker.run_once()
    _job(db, job.id)  # read afresh (the worker wrote in its own sessions)
    listing = dead_jobs.dead_jobs(db, world.staff_a)
    assert listing["total"] == 1
    [row] = listing["rows"]
    assert (row["id"], row["kind"], row["attempts"]) == (str(job.id), "test.boom", "1")
    assert row["error"].startswith("RuntimeError: boom") and "secret" not in str(listing)
    assert dead_jobs.dead_jobs(db, world.staff_b)["total"] == 0  # another workspace's
    with pytest.raises(Forbidden):
        dead_jobs.dead_jobs(db, world.member_a)
    with pytest.raises(Forbidden):
        dead_jobs.retry_job(db, world.member_a, str(job.id))
    with pytest.raises(NotFound):
        dead_jobs.retry_job(db, world.staff_b, str(job.id))
    for bad in ("", "abc", "1" * 19, "-1"):
        with pytest.raises(NotFound):
            dead_jobs.retry_job(db, world.staff_a, bad)

    dead_jobs.retry_job(db, world.staff_a, str(job.id))
    db.commit()
    fresh = _job(db, job.id)
    assert fresh.dead_at is None and fresh.attempts == 0 and fresh.next_attempt_at == clock.now
    assert dead_jobs.dead_jobs(db, world.staff_a)["total"] == 0
    with pytest.raises(NotFound):  # no longer dead
        dead_jobs.retry_job(db, world.staff_a, str(job.id))


def test_retry_refuses_when_a_newer_run_holds_the_key(db, world, clock):
    job = outbox.enqueue(db, world.ws_a.id, "test.boom", {}, max_attempts=1, unique_key="doc:1")
    db.commit()
    worker.run_once()
    outbox.enqueue(db, world.ws_a.id, "test.ok", {}, unique_key="doc:1")
    db.commit()
    with pytest.raises(Invalid):
        dead_jobs.retry_job(db, world.staff_a, str(job.id))


def test_old_given_up_messages_are_not_claimed(db, clock):
    job_id = _enqueue(db)
    db.execute(sa.update(OutboxMessage).values(attempts=worker.MAX_ATTEMPTS))
    db.commit()
    assert worker.run_once() == 0
    assert _job(db, job_id).dead_at == clock.now


# --- the runner (threads, graceful stop) ------------------------------------------------------

def _runner_with_blocking_job(db, clock, monkeypatch, grace: float):
    import threading

    from portal_app.jobs.runner import Runner

    started, release = threading.Event(), threading.Event()

    def block(jdb, msg, payload) -> None:
        started.set()
        assert release.wait(60), "never released"
        ran.append(msg.id)

    monkeypatch.setitem(worker.HANDLERS, "test.block", block)
    job_id = _enqueue(db, "test.block")
    runner = Runner(get_engine(), worker._deliver, worker.runnable_kinds, worker._now, concurrency=2,
                    poll=0.01, grace=grace, with_periodic=False)
    stop, outcome = threading.Event(), {}
    thread = threading.Thread(target=lambda: outcome.update(left=runner.run(stop)))
    thread.start()
    assert started.wait(60), "the job never started"
    return job_id, runner, stop, release, thread, outcome


def test_a_stopping_runner_lets_its_running_job_finish(db, clock, monkeypatch):
    job_id, runner, stop, release, thread, outcome = _runner_with_blocking_job(db, clock, monkeypatch, grace=60)
    stop.set()
    later = _enqueue(db)  # queued after the stop: not claimed
    release.set()
    thread.join(60)
    assert not thread.is_alive() and outcome == {"left": 0}
    assert _job(db, job_id).done_at is not None and ran == [job_id]
    assert _job(db, later).attempts == 0 and _job(db, later).locked_by is None


def test_a_stopping_runner_releases_what_outlives_the_grace_period(db, clock, monkeypatch):
    job_id, runner, stop, release, thread, outcome = _runner_with_blocking_job(db, clock, monkeypatch, grace=0)
    stop.set()
    thread.join(60)
    assert outcome == {"left": 1}
    job = _job(db, job_id)
    assert job.locked_by is None and job.attempts == 1 and job.done_at is None
    release.set()  # the stray thread ends: its lease is gone, so its work is rolled back
    for t in __import__("threading").enumerate():
        if t.name.startswith("job"):
            t.join(60)
    assert _job(db, job_id).done_at is None

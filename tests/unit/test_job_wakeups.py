"""Wake-ups (jobs/queue.py, jobs/runner.py): an idle runner whose poll interval is a minute
still starts a job within moments when the job's transaction commits in its process, runs a
chain of jobs (each queueing the next) back to back, and on PostgreSQL is woken by another
process's NOTIFY. A rolled-back enqueue wakes nobody. Bounds are generous (10 s against a
60 s poll), so a busy machine cannot fail them and polling cannot pass them."""

from __future__ import annotations

import threading

import pytest

from portal_app import worker
from portal_app.db import get_engine
from portal_app.jobs import queue
from portal_app.jobs.runner import Runner
from portal_app.services import outbox

POLL = 60.0
BOUND = 10.0


@pytest.fixture
def chain(monkeypatch, db_url):
    finished: dict[str, threading.Event] = {k: threading.Event() for k in ("first", "second", "third")}

    def step(jdb, msg, payload) -> None:
        name = payload["name"]
        nxt = {"first": "second", "second": "third"}.get(name)
        if nxt:
            outbox.enqueue(jdb, None, "test.chain", {"name": nxt})
        finished[name].set()

    monkeypatch.setitem(worker.HANDLERS, "test.chain", step)
    return finished


def _start(**options) -> tuple[Runner, threading.Event, threading.Thread]:
    runner = Runner(get_engine(), worker._deliver, worker.runnable_kinds, worker._now, concurrency=1,
                    poll=POLL, with_periodic=False, **options)
    stop = threading.Event()
    thread = threading.Thread(target=runner.run, args=(stop,), daemon=True)
    thread.start()
    return runner, stop, thread


def _idle(runner: Runner) -> None:
    """Wait until the runner has looked once and found nothing: from then on only a wake-up
    (or its 60 s poll) makes it look again."""
    looked = threading.Event()
    for _ in range(500):
        if runner.looks:
            return
        looked.wait(0.02)
    raise AssertionError("the runner never looked for jobs")


def _stop(stop: threading.Event, thread: threading.Thread) -> None:
    stop.set()
    thread.join(BOUND)
    assert not thread.is_alive()


def test_a_job_committed_in_this_process_wakes_an_idle_runner_and_its_chain_runs_back_to_back(db, chain):
    runner, stop, thread = _start()
    try:
        _idle(runner)
        outbox.enqueue(db, None, "test.chain", {"name": "first"})
        db.commit()
        assert chain["third"].wait(BOUND), "the chain waited for the poll"
        assert chain["first"].is_set() and chain["second"].is_set()
    finally:
        _stop(stop, thread)


def test_a_rolled_back_enqueue_wakes_nobody(db, chain):
    runner, stop, thread = _start()
    try:
        _idle(runner)
        outbox.enqueue(db, None, "test.chain", {"name": "third"})
        db.rollback()
        assert not runner._wake.is_set()
        assert queue._ENQUEUED not in db.info
    finally:
        _stop(stop, thread)


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)  # NOTIFY is PostgreSQL's
def test_postgresql_wakes_a_runner_of_another_process_by_notify(db, db_url, chain):
    runner, stop, thread = _start()
    try:
        _idle(runner)
        # LISTEN runs on its own thread and connection: a NOTIFY sent before it is in place is
        # not delivered (CI's busy machine once committed first and the test waited in vain)
        assert runner.listening.wait(BOUND), "the runner never started listening"
        queue.remove_waker(runner._wake.set)  # as if the enqueue happened in another process
        outbox.enqueue(db, None, "test.chain", {"name": "third"})
        db.commit()
        assert chain["third"].wait(BOUND), "the runner was not woken by NOTIFY"
    finally:
        _stop(stop, thread)

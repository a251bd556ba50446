"""Running jobs: one claimed job in its own transaction (`run_claimed`), and `Runner`, the
worker loop behind `python -m portal_app.cli worker --concurrency N` and the app's in-process
worker.

A job's work and its "done" mark commit together, and "done" is written only while this
worker still holds the lease: a worker that lost its lease (it stalled past it and another
worker took the job) rolls its work back. So an acknowledged job never runs twice, and a job
whose worker was killed runs again once its lease has expired.

`Runner` looks for due jobs when woken — a job queued in this process has committed, a job here
has finished (it may have queued the next), or on PostgreSQL another process NOTIFYed
`queue.WAKE_CHANNEL` — and otherwise every `poll` seconds (scheduled jobs, other hosts on
SQLite), and runs them on a thread pool: it holds up to twice as many jobs
as threads and claims again, in one statement, once half of that has drained (one claim per
`concurrency` jobs, not per job). It extends the leases of what it holds (heartbeat, every
third of a lease), enqueues periodic jobs and marks jobs dead whose last attempt's worker
vanished. Graceful stop (the `stop` event; the CLI sets it on SIGTERM/SIGINT): no new claims,
running jobs get `grace` seconds to finish, then every lease still held is released (a job
that never started gets its attempt back).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from portal_app.jobs import periodic, queue
from portal_app.models.outbox import OutboxMessage

log = logging.getLogger("portal.worker")

MAINTAIN_EVERY = 5.0  # seconds between periodic enqueues and reaping of vanished workers' last attempts
SLOW_JOB = 5.0  # seconds: a job that ran longer is logged (it held a thread others waited for)

Deliver = Callable[[Session, OutboxMessage], None]
Clock = Callable[[], datetime]


def worker_id() -> str:
    """host:pid:random, as shown in locked_by."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(3)}"


def run_claimed(engine: sa.Engine, job_id: int, wid: str, deliver: Deliver, clock: Clock) -> bool:
    """Run one job this worker has claimed; True when it is done."""
    with Session(engine, expire_on_commit=False) as db:
        msg = db.get(OutboxMessage, job_id)
        if msg is None or msg.locked_by != wid or msg.done_at is not None or msg.dead_at is not None:
            return False
        kind, attempt = msg.kind, msg.attempts
        began = time.monotonic()
        try:
            deliver(db, msg)
            if (took := time.monotonic() - began) >= SLOW_JOB:
                log.info("job %s (%s) ran %.1f s", job_id, kind, took)
            if not queue.finish(db, job_id, wid, clock()):
                db.rollback()
                log.warning("job %s: lease lost before it finished; its work was rolled back", job_id)
                return False
            db.commit()
            return True
        except Exception as exc:
            db.rollback()
            outcome = queue.fail(engine, job_id, wid, f"{type(exc).__name__}: {exc}", clock())
            log.warning("job %s (%s) failed, attempt %s (%s): %s", job_id, kind, attempt, outcome, exc)
            return False


class Runner:
    def __init__(self, engine: sa.Engine, deliver: Deliver, kinds: Callable[[], Iterable[str]], clock: Clock, *,
                 concurrency: int = 1, lease: float = queue.LEASE_SECONDS, poll: float = 1.0,
                 grace: float = 30.0, with_periodic: bool = True):
        self.engine, self.deliver, self.kinds, self.clock = engine, deliver, kinds, clock
        self.concurrency, self.lease, self.poll, self.grace = max(1, concurrency), lease, poll, grace
        self.with_periodic = with_periodic
        self.id = worker_id()
        self.held: set[int] = set()     # claimed and not finished
        self.started: set[int] = set()  # of those, running now
        self._lock = threading.Lock()
        self._freed = threading.Event()
        self._wake = threading.Event()  # something may be due: look now instead of after `poll`
        self._seen_slots: dict[str, int] = {}
        self.done = 0
        self.looks = 0  # claim passes so far (tests wait for the first before queueing)
        self.listening = threading.Event()  # PostgreSQL: LISTEN is in place (a NOTIFY before it is not seen)

    # -- one job on a pool thread ---------------------------------------------------------
    def _run(self, job_id: int, stop: threading.Event) -> None:
        with self._lock:
            if stop.is_set():  # stopping: it is released, not started
                return
            self.started.add(job_id)
        try:
            if run_claimed(self.engine, job_id, self.id, self.deliver, self.clock):
                self.done += 1
        except Exception:
            log.exception("job %s: the worker could not record its outcome", job_id)
        finally:
            with self._lock:
                self.held.discard(job_id)
                self.started.discard(job_id)
            self._freed.set()
            self._wake.set()  # it may have queued the next job of a chain

    # -- housekeeping ----------------------------------------------------------------------
    def _heartbeat(self, stop: threading.Event) -> None:
        while not stop.wait(self.lease / 3):
            with self._lock:
                ids = list(self.held)
            try:
                queue.heartbeat(self.engine, self.id, ids, self.clock(), self.lease)
            except Exception:
                log.exception("heartbeat failed")

    def _listen(self, stop: threading.Event) -> None:
        """PostgreSQL: wake on other processes' NOTIFY (a connection of its own, autocommit;
        reconnects after a failure, at most once per poll interval)."""
        import psycopg

        url = self.engine.url.set(drivername="postgresql")
        while not stop.is_set():
            try:
                with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as conn:
                    conn.execute(f"LISTEN {queue.WAKE_CHANNEL}")
                    self.listening.set()
                    while not stop.is_set():  # a stop is seen within a second
                        for _ in conn.notifies(timeout=min(self.poll, 1.0), stop_after=1):
                            self._wake.set()
            except Exception:
                self.listening.clear()
                if stop.is_set():
                    return
                log.warning("job wake-ups: listening on PostgreSQL failed; polling every %ss meanwhile", self.poll,
                            exc_info=True)
                stop.wait(self.poll)

    def _idle(self, stop: threading.Event) -> None:
        """Wait until woken, stopped, or `poll` seconds have passed (stop is seen within 0.1 s)."""
        deadline = time.monotonic() + self.poll
        while not stop.is_set() and not self._wake.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self._wake.wait(min(left, 0.1))

    def _maintain(self) -> None:
        now = self.clock()
        if self.with_periodic:
            periodic.enqueue_due(self.engine, now, self._seen_slots)
        queue.reap(self.engine, now)

    # -- the loop ---------------------------------------------------------------------------
    def run(self, stop: threading.Event) -> int:
        """Run until `stop` is set; returns how many jobs were still running after the grace
        period (their leases released: a process exits without waiting for them)."""
        pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="job")
        beat_stop = threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=(beat_stop,), name="job-heartbeat", daemon=True)
        beat.start()
        listen_stop = threading.Event()
        if self.engine.dialect.name == "postgresql":
            threading.Thread(target=self._listen, args=(listen_stop,), name="job-listen", daemon=True).start()
        queue.add_waker(self._wake.set)
        last_maintain = -MAINTAIN_EVERY
        log.info("worker %s: %s threads, lease %ss", self.id, self.concurrency, self.lease)
        try:
            while not stop.is_set():
                try:
                    if time.monotonic() - last_maintain >= MAINTAIN_EVERY:
                        last_maintain = time.monotonic()
                        self._maintain()
                    self._freed.clear()  # set again by any job finishing from here on
                    self._wake.clear()   # set again by anything queued or finished from here on
                    with self._lock:
                        held = len(self.held)
                    # room for twice the threads; claim once at least `concurrency` jobs fit
                    free = 2 * self.concurrency - held if held <= self.concurrency else 0
                    ids = queue.claim(self.engine, self.id, list(self.kinds()), self.clock(), free,
                                      self.lease) if free > 0 else []
                    self.looks += 1
                except Exception:
                    log.exception("worker pass failed")
                    ids, free = [], 0
                    stop.wait(self.poll)
                with self._lock:
                    self.held.update(ids)
                for job_id in ids:
                    pool.submit(self._run, job_id, stop)
                if free > 0 and len(ids) == free:
                    continue  # the queue has more: claim again as soon as a thread is free
                if free > 0 and not ids:
                    self._idle(stop)
                else:
                    self._freed.wait(self.poll)
        finally:
            queue.remove_waker(self._wake.set)
            listen_stop.set()
            left = self._shutdown(pool, beat_stop)
        return left

    def _shutdown(self, pool: ThreadPoolExecutor, beat_stop: threading.Event) -> int:
        pool.shutdown(wait=False, cancel_futures=True)
        with self._lock:
            waiting = self.held - self.started
            self.held -= waiting
        queue.release(self.engine, self.id, waiting, started=False)
        deadline = time.monotonic() + self.grace
        while time.monotonic() < deadline:
            with self._lock:
                if not self.started:
                    break
            self._freed.clear()
            self._freed.wait(0.1)
        beat_stop.set()
        with self._lock:
            unfinished = set(self.started)
        if unfinished:
            # still running after the grace period: the lease goes back (their work, if it
            # ever ends in this process, is rolled back: the lease is no longer theirs)
            queue.release(self.engine, self.id, unfinished, started=True)
            log.warning("worker %s stopped with %s jobs unfinished: released", self.id, len(unfinished))
        log.info("worker %s stopped", self.id)
        return len(unfinished)

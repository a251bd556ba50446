"""The queue's operations on outbox_message: enqueue, claim, finish, fail, heartbeat, release.

Every operation takes `now` from its caller (the worker's injectable clock: tests never wait
on the wall clock); backoff jitter draws from `rng` (tests replace it).

Claims: on PostgreSQL one statement, `WITH due AS (SELECT … FOR UPDATE SKIP LOCKED) UPDATE …`,
sets the lease on the rows it locked (concurrent claimers skip each other's rows instead of
waiting); on SQLite the writer lock (BEGIN IMMEDIATE) is taken before the select, so the
select-and-lease is one serialised step. A claim counts an attempt, so a worker killed
mid-job has spent one: once its lease has expired the job is claimable again.
"""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from portal_app.models.base import utcnow
from portal_app.models.outbox import LAST_ERROR_MAX, UNFINISHED_SQL, UNIQUE_KEY_MAX, OutboxMessage

DEFAULT_MAX_ATTEMPTS = 8
DEFAULT_BACKOFF_CAP = 600.0  # seconds
JITTER = 0.1  # a retry waits its backoff ± 10 %, so jobs failing together do not retry together
LEASE_SECONDS = 120.0

rng: Callable[[], float] = random.random  # in [0, 1): tests set a constant

T = OutboxMessage


@dataclass(frozen=True)
class KindOptions:
    """How jobs of one kind are run: attempts before the job is dead, the longest wait
    between two attempts (seconds), and their priority (lower runs first)."""
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    backoff_cap: float = DEFAULT_BACKOFF_CAP
    priority: int = 0


KINDS: dict[str, KindOptions] = {}


def configure_kind(kind: str, **options: Any) -> None:
    KINDS[kind] = KindOptions(**options)


def options_for(kind: str) -> KindOptions:
    return KINDS.get(kind) or KindOptions()


def backoff_seconds(attempts: int, cap: float = DEFAULT_BACKOFF_CAP, rand: float | None = None) -> float:
    """Exponential: 2 ** attempts seconds, capped, then ± JITTER (rand 0.5: exactly the base)."""
    base = min(cap, 2.0 ** min(attempts, 60))
    r = rng() if rand is None else rand
    return base * (1 - JITTER + 2 * JITTER * r)


# -- wake-ups: a job queued here wakes this process's runners as its transaction commits ------
# (a job chain — seal, its event, an automation's step, its email — then runs job after job
# instead of one poll interval apart). On PostgreSQL the transaction also NOTIFYs
# WAKE_CHANNEL, which runners in other processes LISTEN to (jobs/runner.py).
WAKE_CHANNEL = "portal_jobs"
_ENQUEUED = "portal_jobs_enqueued"
_wakers: list[Callable[[], None]] = []
_wakers_lock = threading.Lock()


def add_waker(fn: Callable[[], None]) -> None:
    with _wakers_lock:
        _wakers.append(fn)


def remove_waker(fn: Callable[[], None]) -> None:
    with _wakers_lock:
        if fn in _wakers:
            _wakers.remove(fn)


def _mark_enqueued(db: Session) -> None:
    if db.info.get(_ENQUEUED):
        return
    db.info[_ENQUEUED] = True
    if db.get_bind().dialect.name == "postgresql":
        db.connection().execute(sa.text(f"NOTIFY {WAKE_CHANNEL}"))  # delivered only if it commits


@sa.event.listens_for(Session, "after_commit")
def _wake_after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a SAVEPOINT released (reported as a commit too): the job is not committed yet
    if session.info.pop(_ENQUEUED, False):
        with _wakers_lock:
            wakers = list(_wakers)
        for fn in wakers:
            fn()


@sa.event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    if session.in_nested_transaction():
        return  # back to a SAVEPOINT: a job queued before it is still in the transaction
    session.info.pop(_ENQUEUED, None)


def _unfinished() -> sa.ColumnElement[bool]:
    return sa.and_(col(T.done_at).is_(None), col(T.dead_at).is_(None))


def enqueue(db: Session, workspace_id: int | None, kind: str, payload: dict, *,
            run_at: datetime | None = None, unique_key: str | None = None, max_attempts: int | None = None,
            priority: int | None = None, now: datetime | None = None) -> OutboxMessage:
    """A job written in the caller's transaction (it exists only if the caller commits).
    With a `unique_key` already held by an unfinished job, that job is returned and nothing
    is written: one pending run per key."""
    opts = options_for(kind)
    now = now or utcnow()
    values: dict[str, Any] = dict(
        workspace_id=workspace_id, kind=kind, payload=json.dumps(payload, sort_keys=True), created_at=now,
        next_attempt_at=run_at or now, priority=opts.priority if priority is None else priority,
        attempts=0, max_attempts=max_attempts or opts.max_attempts, unique_key=unique_key, last_error="")
    _mark_enqueued(db)
    if unique_key is None:
        msg = OutboxMessage(**values)
        db.add(msg)
        return msg
    if not unique_key or len(unique_key) > UNIQUE_KEY_MAX:
        raise ValueError(f"a unique key has 1 to {UNIQUE_KEY_MAX} characters")
    table: sa.Table = OutboxMessage.__table__  # type: ignore[attr-defined]
    dialect = db.get_bind().dialect.name
    insert = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    statement = insert.values(**values).on_conflict_do_nothing(
        index_elements=["unique_key"], index_where=sa.text(f"unique_key IS NOT NULL AND {UNFINISHED_SQL}"))
    db.flush()
    new_id = db.connection().execute(statement.returning(table.c.id)).scalar()
    if new_id is None:  # already queued (by this transaction or a committed one)
        return db.exec(select(T).where(T.unique_key == unique_key, _unfinished())).one()
    return db.get_one(T, new_id)


def _claimable(now: datetime, kinds: list[str]) -> sa.ColumnElement[bool]:
    return sa.and_(_unfinished(), col(T.next_attempt_at) <= now,
                   sa.or_(col(T.locked_until).is_(None), col(T.locked_until) <= now),
                   col(T.attempts) < col(T.max_attempts), col(T.kind).in_(kinds))


def _begin_immediate(conn: sa.Connection) -> None:
    if conn.dialect.name == "sqlite":
        dbapi = conn.connection.driver_connection
        if dbapi is not None and not dbapi.in_transaction:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


def claim(engine: sa.Engine, worker_id: str, kinds: Iterable[str], now: datetime, limit: int = 1,
          lease: float = LEASE_SECONDS) -> list[int]:
    """Lease up to `limit` due jobs of these kinds to this worker; their ids, in run order."""
    kinds = list(kinds)
    if not kinds or limit < 1:
        return []
    due = (select(T.id).where(_claimable(now, kinds))
           .order_by(col(T.priority), col(T.next_attempt_at), col(T.id)).limit(limit))
    lease_values = dict(locked_by=worker_id, locked_until=now + timedelta(seconds=lease),
                        attempts=col(T.attempts) + 1)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # WITH due AS (SELECT … FOR UPDATE SKIP LOCKED) UPDATE … FROM due: the CTE runs once
            locked = due.with_for_update(skip_locked=True).cte("due")
            rows = conn.execute(sa.update(T).where(col(T.id) == locked.c.id).values(**lease_values)
                                .returning(col(T.id), col(T.priority), col(T.next_attempt_at))).all()
            return [r[0] for r in sorted(rows, key=lambda r: (r[1], r[2], r[0]))]
        _begin_immediate(conn)
        ids = list(conn.execute(due).scalars())
        if ids:
            conn.execute(sa.update(T).where(col(T.id).in_(ids)).values(**lease_values))
        return ids


def finish(db: Session, job_id: int, worker_id: str, now: datetime) -> bool:
    """Mark the job done in the transaction that did its work: only while this worker still
    holds it (False: its lease was lost -- the caller rolls the work back)."""
    db.flush()
    result = db.connection().execute(
        sa.update(T).where(col(T.id) == job_id, col(T.locked_by) == worker_id, _unfinished())
        .values(done_at=now, locked_by=None, locked_until=None))
    return result.rowcount == 1


def fail(engine: sa.Engine, job_id: int, worker_id: str, error: str, now: datetime) -> str:
    """After a failed attempt: retry after a backoff, or dead when the attempts are spent.
    Returns "retry", "dead", or "lost" (another worker holds it now)."""
    with engine.begin() as conn:
        _begin_immediate(conn)
        row = conn.execute(select(T.attempts, T.max_attempts, T.kind).where(
            col(T.id) == job_id, col(T.locked_by) == worker_id, _unfinished())).first()
        if row is None:
            return "lost"
        attempts, max_attempts, kind = row
        values: dict[str, Any] = dict(locked_by=None, locked_until=None, last_error=error[:LAST_ERROR_MAX])
        outcome = "dead" if attempts >= max_attempts else "retry"
        if outcome == "dead":
            values["dead_at"] = now
        else:
            values["next_attempt_at"] = now + timedelta(seconds=backoff_seconds(attempts, options_for(kind).backoff_cap))
        conn.execute(sa.update(T).where(col(T.id) == job_id, col(T.locked_by) == worker_id).values(**values))
        return outcome


def heartbeat(engine: sa.Engine, worker_id: str, job_ids: Iterable[int], now: datetime,
              lease: float = LEASE_SECONDS) -> int:
    """Extend the leases this worker still holds (a long job keeps its claim); how many."""
    ids = list(job_ids)
    if not ids:
        return 0
    with engine.begin() as conn:
        return conn.execute(sa.update(T).where(col(T.id).in_(ids), col(T.locked_by) == worker_id, _unfinished())
                            .values(locked_until=now + timedelta(seconds=lease))).rowcount


def release(engine: sa.Engine, worker_id: str, job_ids: Iterable[int], *, started: bool) -> int:
    """Give leases back (a worker shutting down): claimable again at once. A job that never
    started gets its attempt back; one interrupted mid-run keeps it counted."""
    ids = list(job_ids)
    if not ids:
        return 0
    values: dict[str, Any] = dict(locked_by=None, locked_until=None)
    if not started:
        values["attempts"] = col(T.attempts) - 1
    with engine.begin() as conn:
        return conn.execute(sa.update(T).where(col(T.id).in_(ids), col(T.locked_by) == worker_id, _unfinished())
                            .values(**values)).rowcount


def reap(engine: sa.Engine, now: datetime) -> int:
    """Jobs whose last attempt's worker vanished (lease expired, attempts spent) are dead."""
    error = "The worker stopped during the last attempt (its lease expired)."
    with engine.begin() as conn:
        return conn.execute(
            sa.update(T).where(_unfinished(), col(T.attempts) >= col(T.max_attempts),
                               sa.or_(col(T.locked_until).is_(None), col(T.locked_until) <= now))
            .values(dead_at=now, locked_by=None, locked_until=None,
                    last_error=sa.case((col(T.last_error) == "", error), else_=col(T.last_error)))).rowcount


def retry_dead(db: Session, job: OutboxMessage, now: datetime) -> bool:
    """A dead job queued again with fresh attempts; False when its unique key is held by a
    newer unfinished job (that one runs instead)."""
    if job.unique_key is not None and db.exec(select(T.id).where(T.unique_key == job.unique_key,
                                                                 _unfinished())).first() is not None:
        return False
    job.dead_at, job.attempts, job.next_attempt_at = None, 0, now
    job.locked_by, job.locked_until = None, None
    db.add(job)
    return True

"""A worker process for the job queue's integration tests and bench/jobs.py:

    python -m tests.support.job_worker DATABASE_URL [--concurrency N] [--lease S] [--poll S] [--grace S]

It is `python -m portal_app.cli worker` (portal_app.worker.main: the same runner, signals and
graceful stop) with two more kinds of job:
- "test.effect": inserts one row into job_effect (job id, this process's pid), in the job's
  transaction -- a job that ran twice would leave two rows;
- "test.noop": does nothing (its "done" mark is the only write);
- "test.block": touches the file payload["started"], waits (up to 10 minutes) until the file
  payload["release"] exists, then inserts its job_effect row: a job that blocks until told.
"""

from __future__ import annotations

import argparse
import os
import time

import sqlalchemy as sa

EFFECT_DDL = {
    "postgresql": "CREATE TABLE IF NOT EXISTS job_effect (id BIGSERIAL PRIMARY KEY, job_id BIGINT NOT NULL, "
                  "pid INTEGER NOT NULL, started_at DOUBLE PRECISION NOT NULL)",
    "sqlite": "CREATE TABLE IF NOT EXISTS job_effect (id INTEGER PRIMARY KEY, job_id INTEGER NOT NULL, "
              "pid INTEGER NOT NULL, started_at REAL NOT NULL)",
}


def create_effect_table(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql(EFFECT_DDL[engine.dialect.name])


def _effect(db, msg, payload) -> None:
    db.execute(sa.text("INSERT INTO job_effect (job_id, pid, started_at) VALUES (:j, :p, :t)"),
               {"j": msg.id, "p": os.getpid(), "t": time.time()})


def _block(db, msg, payload) -> None:
    with open(payload["started"], "a") as f:
        f.write(f"{os.getpid()}\n")
    deadline = time.monotonic() + 600
    while not os.path.exists(payload["release"]):
        if time.monotonic() > deadline:
            raise TimeoutError("never released")
        time.sleep(0.02)
    _effect(db, msg, payload)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--lease", type=float, default=120.0)
    parser.add_argument("--poll", type=float, default=0.05)
    parser.add_argument("--grace", type=float, default=30.0)
    args = parser.parse_args()
    os.environ["PORTAL_DATABASE_URL"] = args.url
    from portal_app import worker

    worker.HANDLERS["test.effect"] = _effect
    worker.HANDLERS["test.noop"] = lambda db, msg, payload: None
    worker.HANDLERS["test.block"] = _block
    worker.main(args.concurrency, args.lease, args.grace, args.poll)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""The job queue on PostgreSQL: jobs per second with 1 and 2 worker processes, and the delay
between a scheduled job's run_at and its start.

    .venv/bin/python bench/jobs.py [--jobs 10000] [--concurrency 4] [--poll 1.0] [--scheduled 200]

A PostgreSQL database of its own (127.0.0.1:5432, dropped at exit), tables from the models.
Worker processes are tests/support/job_worker.py (portal_app.worker.main, what
`python -m portal_app.cli worker --concurrency N` runs, plus test kinds), started and ready
(idle, polling every --poll seconds) before anything is queued.

Throughput: `--jobs` no-op jobs are queued in one transaction; the clock runs from its commit
until every one is done (the database is polled every 50 ms), for 1 and then 2 worker
processes of --concurrency threads each. A job is a claim (one UPDATE … FOR UPDATE SKIP
LOCKED, up to the free threads' worth of jobs) and its own transaction (read, mark done).

Delay: with 2 workers idle, `--scheduled` jobs are queued with run_at spread over the next
10 s (each inserts a row with the wall-clock time it started); delay = start - run_at, p50
and p95 (nearest rank). An idle worker polls every --poll seconds, so the delay is at most
about one poll interval (PORTAL_WORKER_INTERVAL, 1 s by default) plus the claim.
The load average is printed: on a shared 2-core machine the figures follow it.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, bench_env, load_line, make_pg_database, p95, server_version, temp_dir, use_database


def _start(url: str, n: int, concurrency: int, poll: float, logs: Path) -> list[subprocess.Popen]:
    procs = []
    for i in range(n):
        log = logs / f"worker-{len(list(logs.iterdir()))}-{i}.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen([sys.executable, "-m", "tests.support.job_worker", url, "--concurrency",
                                     str(concurrency), "--poll", str(poll)], cwd=ROOT, stdout=out,
                                    stderr=subprocess.STDOUT, env=dict(os.environ, PORTAL_DATABASE_URL=url))
        proc.log = log  # type: ignore[attr-defined]
        procs.append(proc)
    deadline = time.monotonic() + 120
    while not all("threads, lease" in p.log.read_text() for p in procs):  # type: ignore[attr-defined]
        if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
            raise SystemExit("a worker did not start: " + " ".join(p.log.read_text()[-500:] for p in procs))  # type: ignore[attr-defined]
        time.sleep(0.1)
    return procs


def _stop(procs) -> None:
    for p in procs:
        p.send_signal(signal.SIGTERM)
    for p in procs:
        p.wait(timeout=60)


def _scalar(engine, sql: str):
    with engine.connect() as conn:
        return conn.exec_driver_sql(sql).scalar()


def _reset(engine) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql("TRUNCATE outbox_message, job_effect RESTART IDENTITY")


def throughput(engine, url, n_workers, jobs, concurrency, poll, logs) -> float:
    from sqlmodel import Session

    from portal_app.services import outbox

    _reset(engine)
    procs = _start(url, n_workers, concurrency, poll, logs)
    try:
        with Session(engine) as db:
            for n in range(jobs):
                outbox.enqueue(db, None, "test.noop", {"n": n})
            db.flush()
            db.commit()
        t0 = time.perf_counter()
        done_sql = "SELECT count(*) FROM outbox_message WHERE kind = 'test.noop' AND done_at IS NOT NULL"
        while _scalar(engine, done_sql) < jobs:
            time.sleep(0.05)
            if time.perf_counter() - t0 > 900:
                raise SystemExit("jobs did not finish in 15 minutes")
        elapsed = time.perf_counter() - t0
    finally:
        _stop(procs)
    assert _scalar(engine, "SELECT max(attempts) FROM outbox_message WHERE kind = 'test.noop'") == 1
    return jobs / elapsed


def delays(engine, url, scheduled, concurrency, poll, logs) -> list[float]:
    from sqlmodel import Session

    from portal_app.models import utcnow
    from portal_app.services import outbox

    _reset(engine)
    procs = _start(url, 2, concurrency, poll, logs)
    try:
        start = utcnow() + timedelta(seconds=1)
        with Session(engine) as db:
            for n in range(scheduled):
                outbox.enqueue(db, None, "test.effect", {"n": n},
                               run_at=start + timedelta(seconds=10 * n / scheduled))
            db.commit()
        deadline = time.monotonic() + 120
        while _scalar(engine, "SELECT count(*) FROM job_effect") < scheduled:
            if time.monotonic() > deadline:
                raise SystemExit("scheduled jobs did not all run")
            time.sleep(0.2)
    finally:
        _stop(procs)
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT e.started_at - extract(epoch FROM m.next_attempt_at) FROM job_effect e "
            "JOIN outbox_message m ON m.id = e.job_id").all()
    return [float(r[0]) * 1000 for r in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--poll", type=float, default=1.0)
    parser.add_argument("--scheduled", type=int, default=200)
    args = parser.parse_args()
    tmp = temp_dir("portal-bench-jobs-")
    bench_env(tmp)
    url = make_pg_database("portal_bench_jobs")
    engine = use_database(url)
    from tests.support.job_worker import create_effect_table

    create_effect_table(engine)
    logs = tmp / "logs"
    logs.mkdir()
    print(f"{server_version(engine)}; {args.jobs} no-op jobs, {args.concurrency} threads per worker process, "
          f"idle poll {args.poll} s")
    for n in (1, 2):
        # (workers wake at most 0.1 s after the jobs are committed: the clock starts at the commit)
        rate = throughput(engine, url, n, args.jobs, args.concurrency, min(args.poll, 0.1), logs)
        print(f"  {n} worker process{'es' if n > 1 else ''}: {rate:,.0f} jobs/s")
    ms = delays(engine, url, args.scheduled, args.concurrency, args.poll, logs)
    print(f"  run_at -> start, {len(ms)} scheduled jobs, 2 idle workers: p50 {sorted(ms)[len(ms) // 2]:.0f} ms, "
          f"p95 {p95(ms):.0f} ms, max {max(ms):.0f} ms")
    line, _ = load_line()
    print(f"  {line}")


if __name__ == "__main__":
    main()

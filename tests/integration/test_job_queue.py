"""The job queue on PostgreSQL with real worker processes (tests/support/job_worker.py runs
`portal_app.worker.main`, what `python -m portal_app.cli worker` runs, with test kinds):

- two worker processes, 4 threads each, run 10,000 jobs that each insert one effect row in
  their transaction: exactly 10,000 effects, no job twice, each job claimed once;
- a worker killed (SIGKILL) in the middle of a job: once its lease (2 s here) has expired,
  another worker runs it, and it completes exactly once;
- SIGTERM: the worker claims nothing more, lets its running job finish within the grace
  period, and exits; a job still running after the grace period gets its lease back.

The schema comes from the migrations (alembic upgrade head, partial indexes included).
Waits poll the database with generous bounds; nothing depends on a fixed sleep.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from portal_app.models import OutboxMessage
from portal_app.services import outbox
from tests.support.job_worker import create_effect_table
from tests.support.services import make_pg_database

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def pg_queue():
    url = make_pg_database("portal_jobs")
    env = dict(os.environ, PORTAL_DATABASE_URL=url)
    result = subprocess.run([sys.executable, "-m", "alembic", "-c", str(ROOT / "alembic.ini"), "upgrade", "head"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    engine = sa.create_engine(url)
    create_effect_table(engine)
    yield url, engine
    engine.dispose()


@pytest.fixture
def queue_db(pg_queue):
    url, engine = pg_queue
    with engine.begin() as conn:
        conn.exec_driver_sql("TRUNCATE outbox_message, job_effect RESTART IDENTITY")
    return url, engine


class Workers:
    def __init__(self, url: str, logs: Path):
        self.url, self.logs, self.procs = url, logs, []

    def start(self, concurrency=1, lease=120.0, grace=30.0, poll=0.05) -> subprocess.Popen:
        env = dict(os.environ, PORTAL_DATABASE_URL=self.url)
        log = open(self.logs / f"worker-{len(self.procs)}.log", "wb")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen([sys.executable, "-m", "tests.support.job_worker", self.url,
                                 "--concurrency", str(concurrency), "--lease", str(lease), "--grace", str(grace),
                                 "--poll", str(poll)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        proc.log_path = log.name  # type: ignore[attr-defined]
        log.close()
        self.procs.append(proc)
        return proc

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=30)


@pytest.fixture
def workers(queue_db, tmp_path):
    w = Workers(queue_db[0], tmp_path)
    yield w
    w.stop_all()


def _wait_for(check, timeout: float, what: str, procs=()):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        for proc in procs:
            if proc.poll() is not None:
                raise AssertionError(f"a worker exited ({proc.returncode}): {Path(proc.log_path).read_text()[-2000:]}")
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _scalar(engine, sql: str):
    with engine.connect() as conn:
        return conn.exec_driver_sql(sql).scalar()


def test_two_worker_processes_run_10000_jobs_exactly_once(queue_db, workers):
    url, engine = queue_db
    with Session(engine) as db:
        for n in range(10_000):
            outbox.enqueue(db, None, "test.effect", {"n": n})
        db.commit()
    procs = [workers.start(concurrency=4), workers.start(concurrency=4)]
    done = "SELECT count(*) FROM outbox_message WHERE kind = 'test.effect' AND done_at IS NOT NULL"
    _wait_for(lambda: _scalar(engine, done) == 10_000, 600, "10,000 jobs done", procs)
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
    for proc in procs:
        assert proc.wait(timeout=60) == 0
    assert _scalar(engine, "SELECT count(*) FROM job_effect") == 10_000
    assert _scalar(engine, "SELECT count(DISTINCT job_id) FROM job_effect") == 10_000
    assert _scalar(engine, "SELECT count(DISTINCT pid) FROM job_effect") == 2  # both took part
    assert _scalar(engine, "SELECT max(attempts) FROM outbox_message WHERE kind = 'test.effect'") == 1
    assert _scalar(engine, "SELECT count(*) FROM outbox_message WHERE locked_by IS NOT NULL") == 0


def _block_job(engine, tmp_path) -> tuple[int, Path, Path]:
    started, release = tmp_path / "started", tmp_path / "release"
    with Session(engine) as db:
        job = outbox.enqueue(db, None, "test.block", {"started": str(started), "release": str(release)})
        db.commit()
        return job.id, started, release


def _job(engine, job_id) -> OutboxMessage:
    with Session(engine) as db:
        return db.exec(select(OutboxMessage).where(OutboxMessage.id == job_id)).one()


def test_a_job_whose_worker_was_killed_completes_once_after_the_lease(queue_db, workers, tmp_path):
    url, engine = queue_db
    job_id, started, release = _block_job(engine, tmp_path)
    first = workers.start(lease=2.0)
    _wait_for(started.exists, 120, "the job to start", [first])
    assert _job(engine, job_id).locked_by is not None
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    release.touch()  # whoever runs it next is not held up
    second = workers.start(lease=2.0)
    _wait_for(lambda: _job(engine, job_id).done_at is not None, 120, "the job to complete", [second])
    job = _job(engine, job_id)
    assert job.attempts == 2 and job.dead_at is None and job.locked_by is None
    assert _scalar(engine, "SELECT count(*) FROM job_effect") == 1
    assert len(started.read_text().split()) == 2  # started twice, completed once
    second.send_signal(signal.SIGTERM)
    assert second.wait(timeout=60) == 0


def test_sigterm_lets_the_running_job_finish(queue_db, workers, tmp_path):
    url, engine = queue_db
    job_id, started, release = _block_job(engine, tmp_path)
    proc = workers.start(grace=60.0)
    _wait_for(started.exists, 120, "the job to start", [proc])
    proc.send_signal(signal.SIGTERM)
    assert proc.poll() is None
    release.touch()
    assert proc.wait(timeout=90) == 0
    job = _job(engine, job_id)
    assert job.done_at is not None and job.attempts == 1
    assert _scalar(engine, "SELECT count(*) FROM job_effect") == 1


def test_sigterm_releases_what_outlives_the_grace_period(queue_db, workers, tmp_path):
    url, engine = queue_db
    job_id, started, release = _block_job(engine, tmp_path)
    proc = workers.start(grace=0.5)
    _wait_for(started.exists, 120, "the job to start", [proc])
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0
    job = _job(engine, job_id)
    assert job.done_at is None and job.locked_by is None and job.locked_until is None and job.attempts == 1
    assert _scalar(engine, "SELECT count(*) FROM job_effect") == 0

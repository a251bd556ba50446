"""A freshly started app for a load run, as bench/page_load.py makes one: a temporary copy of this
checkout, its own database and storage, migrated and seeded (the demo workspace and accounts).

Two configurations (PORTAL_LOAD_CONFIG, or --config):

* embedded (default): SQLite file in the temp dir, Reflex's default state manager (disk), one
  worker: what `make run` serves.
* production: a fresh PostgreSQL database on 127.0.0.1:5432 (trust auth, user postgres; created with
  a unique name, dropped afterwards), state in Redis (REFLEX_REDIS_URL on an empty database number
  of 127.0.0.1:6379 that this run claims, flushed before and after), GRANIAN_WORKERS=2.

`start_app()` is the one place that says how the app process is started for each configuration;
the production launcher (granian with static files served outside the event loop) replaces its
production branch.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench.page_load import APP_SOURCES, PYTHON, REFLEX, ROOT, BenchError, base_env, kill_group, log, run_step, tail

CONFIGS = ("embedded", "production")
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
REDIS_DBS = range(15, 5, -1)          # candidates, from the top: tests use 0 and 3
REDIS_CLAIM = "portal-loadgen:claimed-by"


@dataclass
class App:
    config: str
    port: int
    app_dir: Path
    env: dict
    logfile: Path
    proc: subprocess.Popen | None = None
    ready_s: float = 0.0
    pg_database: str | None = None
    cleanups: list = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://localhost:{self.port}"

    def stop(self) -> None:
        if self.proc is not None:
            log(f"stopping the app (process group {self.proc.pid})")
            kill_group(self.proc)
            self.proc = None
        for fn in reversed(self.cleanups):
            try:
                fn()
            except Exception as exc:  # a cleanup that fails must not hide the others
                log(f"cleanup failed: {exc}")
        self.cleanups.clear()


def start_app(config: str, app_dir: Path, port: int, env: dict, logfile: Path) -> subprocess.Popen:
    """How the app is started, per configuration: the command and the environment it adds.

    embedded:   as `make run` starts it: `reflex run --env prod --single-port` (frontend and backend on
                one port, one worker, tabs' state in memory).
    production: as the README's production section starts it: `python -m portal_app.cli serve`
                (`make serve`) with PORTAL_WORKERS=2, one granian worker per core, the /assets/ bundles
                from granian (REFLEX_REDIS_URL and the PostgreSQL URL are in `env` already:
                provisioned by prepare()).
    """
    env = dict(env)
    env.pop("GRANIAN_WORKERS", None)
    env.pop("PORTAL_WORKERS", None)
    if config == "production":
        cmd = [str(PYTHON), "-m", "portal_app.cli", "serve", "--port", str(port)]
        env["PORTAL_WORKERS"] = "2"
    elif config == "embedded":
        cmd = [str(REFLEX), "run", "--env", "prod", "--single-port", "--frontend-port", str(port)]
    else:
        raise BenchError(f"unknown config {config!r}")
    log(f"$ {' '.join(cmd)}   (cwd {app_dir}, log {logfile})")
    out = open(logfile, "ab")  # noqa: SIM115 - the server writes to it; the child keeps its own copy
    try:
        return subprocess.Popen(cmd, cwd=app_dir, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    finally:
        out.close()


def _pg_database(app: App) -> str:
    import psycopg

    name = f"portal_load_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        log(f"dropped PostgreSQL database {name}")

    app.cleanups.append(drop)
    app.pg_database = name
    log(f"created PostgreSQL database {name}")
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def _redis_db(app: App) -> str:
    """Claims an empty Redis database number (others may be in use by other people's runs): the first
    candidate with no keys where our claim key can be set, flushed before use and after."""
    import redis

    marker = f"{os.uname().nodename}:{os.getpid()}:{secrets.token_hex(4)}"
    for db in REDIS_DBS:
        r = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=db, socket_timeout=5)
        if r.dbsize() != 0 or not r.set(REDIS_CLAIM, marker, nx=True):
            continue
        if r.dbsize() != 1:  # someone else started writing at the same moment: leave it to them
            r.delete(REDIS_CLAIM)
            continue
        r.flushdb()
        r.set(REDIS_CLAIM, marker)

        def release(r=r, db=db) -> None:
            r.flushdb()
            log(f"flushed Redis database {db}")

        app.cleanups.append(release)
        log(f"using Redis database {db}")
        return f"redis://{REDIS_HOST}:{REDIS_PORT}/{db}"
    raise BenchError(f"no empty Redis database among {list(REDIS_DBS)} on {REDIS_HOST}:{REDIS_PORT}")


def prepare(config: str, tmp: Path, port: int, timeout: float = 300) -> App:
    """The temp copy, its services (production: PostgreSQL database, Redis db), migrate and seed."""
    if config not in CONFIGS:
        raise BenchError(f"unknown config {config!r}: one of {', '.join(CONFIGS)}")
    app_dir, data = tmp / "app", tmp / "data"
    app_dir.mkdir()
    data.mkdir()
    for name in APP_SOURCES:
        src = ROOT / name
        if not src.exists():
            if name in ("reflex.lock", "assets"):
                continue
            raise BenchError(f"missing {src}")
        if src.is_dir():
            shutil.copytree(src, app_dir / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(src, app_dir / name)
    env = base_env()
    env.update({"PORTAL_PORT": str(port), "PORTAL_BASE_URL": f"http://localhost:{port}",
                "PORTAL_DATABASE_URL": f"sqlite:///{data}/portal.db", "PORTAL_STORAGE_DIR": str(data / "files"),
                "PORTAL_MAIL": "outbox", "PORTAL_DEMO": "1"})
    env.pop("REFLEX_REDIS_URL", None)
    app = App(config, port, app_dir, env, tmp / "server.log")
    try:
        if config == "production":
            env["PORTAL_DATABASE_URL"] = _pg_database(app)
            env["REFLEX_REDIS_URL"] = _redis_db(app)
        setup_log = tmp / "setup.log"
        run_step([str(PYTHON), "-m", "portal_app.cli", "migrate"], app_dir, env, timeout, setup_log)
        out = run_step([str(PYTHON), "-m", "portal_app.cli", "seed"], app_dir, env, timeout, setup_log)
        if "client@demo.example" not in out:
            raise BenchError(f"seed printed no demo sign-in; log {setup_log}:\n{tail(setup_log)}")
    except BaseException:
        app.stop()
        raise
    return app


def launch(app: App, timeout: float) -> None:
    """Starts the app and waits until /ping, /api/health and /login answer 200 (the build comes first)."""
    t0 = time.monotonic()
    app.proc = start_app(app.config, app.app_dir, app.port, app.env, app.logfile)
    pending, last = ["/ping", "/api/health", "/login"], ""
    deadline = t0 + timeout
    while pending and time.monotonic() < deadline:
        if app.proc.poll() is not None:
            raise BenchError(f"the app exited {app.proc.returncode} before serving; log {app.logfile}:\n"
                             f"{tail(app.logfile)}")
        try:
            req = urllib.request.Request(f"http://127.0.0.1:{app.port}{pending[0]}",
                                         headers={"Host": f"localhost:{app.port}"})
            with urllib.request.urlopen(req, timeout=5) as resp:
                if resp.status == 200:
                    pending.pop(0)
                    continue
                last = f"HTTP {resp.status}"
        except (urllib.error.URLError, OSError) as exc:
            last = str(exc)
        time.sleep(1.0)
    if pending:
        raise BenchError(f"the app does not serve {pending[0]} after {timeout:.0f} s (last: {last}); "
                         f"log {app.logfile}:\n{tail(app.logfile)}")
    app.ready_s = time.monotonic() - t0
    log(f"serving at {app.base_url} after {app.ready_s:.0f} s (build + start), config {app.config}")


def web_dir(app_dir: Path) -> Path:
    return app_dir / ".web"

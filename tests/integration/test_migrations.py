"""Alembic migrations on SQLite and on a fresh PostgreSQL database: upgrade from empty,
upgrade -> downgrade -> upgrade, and models agree with migrations (docs/design.md §5)."""

from __future__ import annotations

import os
import subprocess
import sys
from argparse import Namespace
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

import portal_app.models  # noqa: F401  (registers every table on SQLModel.metadata)
from alembic import command
from tests.support.services import make_pg_database

ROOT = Path(__file__).resolve().parents[2]


def _config(url: str) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "alembic"))
    cfg.cmd_opts = Namespace(x=[f"url={url}"])  # what `alembic -x url=...` passes to env.py
    cfg.attributes["configure_logger"] = False  # keep pytest's logging as it is
    return cfg


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db(request, tmp_path):
    """A URL of a database with nothing in it, of each kind."""
    from portal_app.db import reset_engines

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/m.db"
    else:
        url = make_pg_database("portal_mig")
    yield url
    reset_engines()


def _tables(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _diff(url: str) -> list:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            # The same comparison options env.py gives autogenerate.
            ctx = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
            return compare_metadata(ctx, SQLModel.metadata)
    finally:
        engine.dispose()


def _current(url: str) -> str | None:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def _head() -> str:
    return ScriptDirectory.from_config(_config("sqlite://")).get_current_head()


MODEL_TABLES = set(SQLModel.metadata.tables)


def test_single_linear_history():
    script = ScriptDirectory.from_config(_config("sqlite://"))
    assert len(script.get_heads()) == 1
    assert len(script.get_bases()) == 1


def test_upgrade_head_from_empty_creates_every_model_table(empty_db):
    assert _tables(empty_db) == set()
    command.upgrade(_config(empty_db), "head")
    assert _tables(empty_db) == MODEL_TABLES | {"alembic_version"}
    assert _current(empty_db) == _head()


def test_models_agree_with_migrations(empty_db):
    command.upgrade(_config(empty_db), "head")
    # Nothing filtered: every table, column, type, nullability, index, unique constraint and
    # foreign key of the models must be exactly what the migrations built.
    assert _diff(empty_db) == []


def test_drift_would_be_noticed(empty_db):
    """The comparison above is live: a schema that differs from the models shows up."""
    command.upgrade(_config(empty_db), "head")
    engine = sa.create_engine(empty_db)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP INDEX ix_login_attempt_key_hash"))
        conn.execute(sa.text("CREATE TABLE stray_table (id INTEGER PRIMARY KEY)"))
    engine.dispose()
    kinds = {(d[0], getattr(d[1], "name", None)) for d in _diff(empty_db) if isinstance(d, tuple)}
    assert ("add_index", "ix_login_attempt_key_hash") in kinds
    assert ("remove_table", "stray_table") in kinds


def test_upgrade_downgrade_upgrade(empty_db):
    cfg = _config(empty_db)
    command.upgrade(cfg, "head")
    command.downgrade(cfg, "base")
    assert _tables(empty_db) == {"alembic_version"}
    assert _current(empty_db) is None
    command.upgrade(cfg, "head")
    assert _tables(empty_db) == MODEL_TABLES | {"alembic_version"}
    assert _current(empty_db) == _head()
    assert _diff(empty_db) == []


def test_each_revision_steps_down_and_up(empty_db):
    """Every single step, not just the jump to base: -1 then +1 from head, all the way down."""
    cfg = _config(empty_db)
    command.upgrade(cfg, "head")
    script = ScriptDirectory.from_config(cfg)
    revisions = [rev.revision for rev in script.walk_revisions()]  # head first
    for revision in revisions:
        assert _current(empty_db) == revision
        command.downgrade(cfg, "-1")
        command.upgrade(cfg, "+1")
        assert _current(empty_db) == revision
        command.downgrade(cfg, "-1")
    assert _current(empty_db) is None
    command.upgrade(cfg, "head")
    assert _diff(empty_db) == []


def test_migrated_database_works_with_the_services(empty_db, monkeypatch):
    """The schema the migrations build is the one the app runs on: a use case end to end."""
    from sqlmodel import Session, select

    from portal_app.db import get_engine, reset_engines
    from portal_app.models import AuditEvent, Domain
    from portal_app.services.portal.workspaces import create_workspace

    command.upgrade(_config(empty_db), "head")
    reset_engines()
    with Session(get_engine(empty_db)) as db:
        ws, owner = create_workspace(db, name="Migrated Co", base_url="https://migrated.example.test",
                                     owner_email="owner@migrated.example", owner_name="Mia Owner",
                                     owner_password="correct horse battery", is_default=True)
        db.commit()
        assert db.exec(select(Domain.hostname).where(Domain.workspace_id == ws.id)).all() == [
            "migrated.example.test"]
        assert db.exec(select(AuditEvent).where(AuditEvent.workspace_id == ws.id)).first() is not None


def test_env_py_reads_portal_database_url(tmp_path):
    """`alembic upgrade head` with only PORTAL_DATABASE_URL set (as `make run` does via the
    CLI), in a separate process so no cached settings help."""
    url = f"sqlite:///{tmp_path / 'env.db'}"
    env = dict(os.environ, PORTAL_DATABASE_URL=url)
    result = subprocess.run([sys.executable, "-m", "alembic", "-c", str(ROOT / "alembic.ini"), "upgrade", "head"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert _current(url) == _head()


def test_offline_sql_renders_for_postgresql():
    """`alembic upgrade head --sql` (for a DBA to review) renders without a database."""
    result = subprocess.run(
        [sys.executable, "-m", "alembic", "-c", str(ROOT / "alembic.ini"), "-x",
         "url=postgresql+psycopg://nobody@127.0.0.1:1/none", "upgrade", "head", "--sql"],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    for table in MODEL_TABLES:
        assert f"CREATE TABLE {table} " in result.stdout or f'CREATE TABLE "{table}"' in result.stdout


def test_0015_acknowledges_the_invoice_sent_backlog_only(empty_db):
    """Rows nothing followed before invoice emails existed do not reach clients weeks late;
    other pending rows (an email, a document event) are left for the worker."""
    cfg = _config(empty_db)
    command.upgrade(cfg, "0014")
    engine = sa.create_engine(empty_db)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO workspace (id, public_id, name, base_url, is_default, created_at) "
                                 "VALUES (1, 'ws_m', 'M', 'https://m.example.test', true, CURRENT_TIMESTAMP)"))
            for kind in ("invoice.sent", "email", "document.sent"):
                conn.execute(sa.text("INSERT INTO outbox_message (workspace_id, kind, payload, created_at, next_attempt_at, "
                                     "attempts, last_error) VALUES (1, :kind, '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, "
                                     "0, '')"), {"kind": kind})
        command.upgrade(cfg, "0015")
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT kind, done_at IS NOT NULL, last_error FROM outbox_message ORDER BY id")).all()
    finally:
        engine.dispose()
    assert [(kind, bool(done)) for kind, done, _ in rows] == [("invoice.sent", True), ("email", False),
                                                             ("document.sent", False)]
    assert rows[0][2].startswith("acknowledged at upgrade 0015")


def test_custom_domains_migration_backfills_existing_rows(empty_db):
    """0023 on a database with a workspace and its base-URL domains (as 0022 left them): each
    row gets a public id, source "base", its status from the old flag, assigned; the
    workspace keeps its base URL as origin_base_url. Downgrading restores the flag and drops
    custom rows."""
    cfg = _config(empty_db)
    command.upgrade(cfg, "0022")
    engine = sa.create_engine(empty_db)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO workspace (id, public_id, name, base_url, is_default, created_at, context_version) "
                "VALUES (1, 'ws_x', 'Old Co', 'https://old.example.test', true, CURRENT_TIMESTAMP, 0)"))
            conn.execute(sa.text(
                "INSERT INTO domain (id, hostname, workspace_id, verified, created_at) VALUES "
                "(1, 'old.example.test', 1, true, CURRENT_TIMESTAMP), "
                "(2, 'never.example.test', 1, false, CURRENT_TIMESTAMP)"))
        command.upgrade(cfg, "0023")
        with engine.begin() as conn:
            rows = conn.execute(sa.text(
                "SELECT hostname, public_id, source, status, assigned, is_primary, verification_token "
                "FROM domain ORDER BY id")).all()
            origin = conn.execute(sa.text("SELECT origin_base_url FROM workspace")).scalar()
            conn.execute(sa.text("INSERT INTO domain (id, hostname, workspace_id, public_id, created_at) "
                                 "VALUES (3, 'raw.example.test', 1, 'dom_raw', CURRENT_TIMESTAMP)"))
            raw = conn.execute(sa.text("SELECT source, status, assigned FROM domain WHERE public_id = 'dom_raw'")).one()
        assert [(r[0], r[2], r[3], bool(r[4]), bool(r[5]), r[6]) for r in rows] == [
            ("old.example.test", "base", "verified", True, False, ""),
            ("never.example.test", "base", "pending", True, False, "")]
        ids = [r[1] for r in rows]
        assert all(i.startswith("dom_") and len(i) <= 40 for i in ids) and len(set(ids)) == 2
        assert origin == "https://old.example.test"
        # a row written without them is a pending custom domain, never a verified one
        assert (raw[0], raw[1], bool(raw[2])) == ("custom", "pending", False)
        command.downgrade(cfg, "0022")
        with engine.begin() as conn:
            assert conn.execute(sa.text("SELECT hostname, verified FROM domain ORDER BY id")).all() == [
                ("old.example.test", True), ("never.example.test", False)]
    finally:
        engine.dispose()

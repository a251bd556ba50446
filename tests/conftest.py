"""Shared fixtures: a database on SQLite and on PostgreSQL, actors built through services.

`db` is parametrized over both backends. PostgreSQL is the CI machine's server on
127.0.0.1:5432; when it is unreachable the PostgreSQL cases fail under CI (or with
PORTAL_REQUIRE_SERVICES=1) and are skipped with a visible reason on a laptop without one.
"""

from __future__ import annotations

import os
import secrets

import pytest
import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from tests.support.services import make_pg_database
from tests.support.world import World


@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch):
    """argon2id with the smallest cost in tests (the code path is the same; production keeps
    the library's RFC 9106 profile). Hashes made here verify with their own parameters."""
    from argon2 import PasswordHasher

    from portal_app.services import security

    monkeypatch.setattr(security, "_hasher", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))


@pytest.fixture(autouse=True)
def _pdf_checks_outlast_a_busy_machine(monkeypatch):
    """/verify's child is killed after 6 s of wall clock in production; a test keeps its memory
    and CPU limits (what stops a hostile file) but waits up to 60 s, so a busy machine's slow
    start is not taken for a stuck child. Tests of the limits pass their own Limits."""
    import dataclasses

    from portal_app.adapters import pdf_guard

    monkeypatch.setattr(pdf_guard, "VERIFY_LIMITS", dataclasses.replace(pdf_guard.VERIFY_LIMITS, wall_seconds=60.0))


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path, monkeypatch):
    """Each test gets its own storage folder and fresh settings/adapters."""
    from portal_app.adapters import mail, storage
    from portal_app.services.portal import origins
    from portal_app.settings import reset_settings_cache

    monkeypatch.setenv("PORTAL_STORAGE_DIR", str(tmp_path / "files"))
    monkeypatch.setenv("PORTAL_BASE_URL", "https://portal.example.test")
    monkeypatch.setenv("PORTAL_DEMO", "0")  # demo mode refuses a non-local/https base URL
    monkeypatch.setenv("PORTAL_MAIL", "outbox")
    monkeypatch.setenv("PORTAL_SECRET_KEY_FILE", str(tmp_path / "secret.key"))
    # no test reaches the real Stripe: an unset base would mean api.stripe.com
    if not os.environ.get("PORTAL_STRIPE_API_BASE"):
        monkeypatch.setenv("PORTAL_STRIPE_API_BASE", "http://127.0.0.1:9")
    reset_settings_cache()
    storage.set_storage(None)
    mail.set_mailer(None)
    origins.SERVED.forget()  # the served hostnames of the last test's database
    yield
    reset_settings_cache()
    storage.set_storage(None)
    mail.set_mailer(None)
    origins.SERVED.forget()


def _sqlite_url(directory) -> str:
    """A database file in the test's tmp_path (pytest keeps the last runs' and removes older
    ones: a temporary folder per test would otherwise pile up in /tmp run after run)."""
    return f"sqlite:///{os.path.join(directory, 'test.db')}"


_pg_schema_ready: set[str] = set()
_pg_session_db: list[str] = []


def _pg_url() -> str:
    if not _pg_session_db:
        _pg_session_db.append(make_pg_database())
    return _pg_session_db[0]


def _reset_tables(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
            conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(SQLModel.metadata.sorted_tables):
                conn.execute(table.delete())


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, monkeypatch, tmp_path):
    import portal_app.models  # noqa: F401
    from portal_app.db import get_engine, reset_engines
    from portal_app.settings import reset_settings_cache

    url = _sqlite_url(tmp_path) if request.param == "sqlite" else _pg_url()
    monkeypatch.setenv("PORTAL_DATABASE_URL", url)
    reset_settings_cache()
    reset_engines()
    engine = get_engine(url)
    if request.param == "postgresql":
        if url not in _pg_schema_ready:
            with engine.begin() as conn:
                SQLModel.metadata.drop_all(conn)
                SQLModel.metadata.create_all(conn)
            _pg_schema_ready.add(url)
        _reset_tables(engine)
    else:
        SQLModel.metadata.create_all(engine)
    yield url
    reset_engines()


@pytest.fixture
def db(db_url):
    from portal_app.db import get_engine

    with Session(get_engine(db_url), expire_on_commit=False) as session:
        yield session
        session.rollback()


@pytest.fixture
def world(db) -> World:
    return World(db)


@pytest.fixture
def token() -> str:
    return secrets.token_urlsafe(32)


@pytest.fixture(scope="session")
def localstripe_url():
    """localstripe, the Stripe API stand-in, on a free loopback port for the whole session
    (the integration tests and the e2e Pay Now); tests/support/stripe.py starts it."""
    from tests.support.stripe import run_localstripe

    with run_localstripe() as base:
        yield base


@pytest.fixture
def actors(world, db) -> dict[str, tuple[str, str | None]]:
    """The authorization matrix's actors signed in, actor name -> (host, cookie), and the world
    filled with what its rows act on (tests/support/matrix.py); unit and live matrix tests."""
    from tests.support.matrix import sign_in_actors

    return sign_in_actors(world, db)

"""Shared fixtures: a database on SQLite and on PostgreSQL, actors built through services.

`db` is parametrized over both backends. PostgreSQL is the CI machine's server on
127.0.0.1:5432; when it is unreachable the PostgreSQL cases fail under CI (or with
PORTAL_REQUIRE_SERVICES=1) and are skipped with a visible reason on a laptop without one.
"""

from __future__ import annotations

import os
import secrets
import socket
import tempfile

import pytest
import sqlalchemy as sa
from sqlmodel import Session, SQLModel

PG_ADMIN_URL = os.environ.get("PORTAL_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE_SERVICES = bool(os.environ.get("CI") or os.environ.get("PORTAL_REQUIRE_SERVICES"))


def service_up(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    if service_up(host, port):
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"{name} is not reachable on {host}:{port}; CI needs it")
    pytest.skip(f"{name} is not running on {host}:{port} (install it or run in CI)")


@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch):
    """argon2id with the smallest cost in tests (the code path is the same; production keeps
    the library's RFC 9106 profile). Hashes made here verify with their own parameters."""
    from argon2 import PasswordHasher

    from portal_app.services import security

    monkeypatch.setattr(security, "_hasher", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path, monkeypatch):
    """Each test gets its own storage folder and fresh settings/adapters."""
    from portal_app.adapters import mail, storage
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
    yield
    reset_settings_cache()
    storage.set_storage(None)
    mail.set_mailer(None)


def temp_state() -> tuple[set[str], int]:
    """The temp folder's entries, and this process's open files in it that are already
    unlinked (Starlette spools to anonymous temporary files)."""
    tmp = tempfile.gettempdir()
    hidden = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(tmp) and target.endswith("(deleted)"):
            hidden += 1
    return set(os.listdir(tmp)), hidden


def _sqlite_url() -> str:
    path = os.path.join(tempfile.mkdtemp(prefix="portal-test-"), "test.db")
    return f"sqlite:///{path}"


_pg_schema_ready: set[str] = set()
_pg_session_db: list[str] = []


def make_pg_database(prefix: str = "portal_test") -> str:
    """A fresh database of its own (parallel runs never share one); dropped at exit."""
    import atexit

    require_service("PostgreSQL", "127.0.0.1", 5432)
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"

    def drop() -> None:
        from portal_app.db import reset_engines

        reset_engines()
        eng = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with eng.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        eng.dispose()

    atexit.register(drop)
    return url


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
def db_url(request, monkeypatch):
    import portal_app.models  # noqa: F401
    from portal_app.db import get_engine, reset_engines
    from portal_app.settings import reset_settings_cache

    url = _sqlite_url() if request.param == "sqlite" else _pg_url()
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


class World:
    """Two workspaces, each with an owner, a member, and clients; built through services."""

    def __init__(self, session: Session):
        from portal_app.access import Anonymous, Client, Staff
        from portal_app.models import ClientAccount, ClientStatus, StaffRole, StaffUser
        from portal_app.services.contacts import create_contact
        from portal_app.services.security import hash_password
        from portal_app.services.workspaces import create_workspace, owner_actor

        self.password = "correct horse battery"
        self.ws_a, owner_a = create_workspace(
            session, name="Alpha Studio", base_url="https://alpha.example.test",
            owner_email="owner@alpha.example", owner_name="Ava Owner", owner_password=self.password,
            is_default=True)
        self.ws_b, owner_b = create_workspace(
            session, name="Beta Books", base_url="https://beta.example.test",
            owner_email="owner@beta.example", owner_name="Ben Owner", owner_password=self.password,
            is_default=False)
        self.owner_user = owner_a
        self.staff_a = owner_actor(owner_a)
        self.staff_b = owner_actor(owner_b)
        member = StaffUser(workspace_id=self.ws_a.id, email="member@alpha.example", name="Max Member",
                           role=StaffRole.member.value, password_hash=hash_password(self.password))
        session.add(member)
        session.flush()
        self.member_a = Staff(self.ws_a.id, member.id, "member", member.email, member.name)

        def client(ws, staff, first, email):
            contact = create_contact(session, staff, {"first_name": first, "last_name": "Client",
                                                      "email": email})
            account = ClientAccount(workspace_id=ws.id, contact_id=contact.id,
                                    status=ClientStatus.active.value,
                                    password_hash=hash_password(self.password))
            session.add(account)
            session.flush()
            return contact, account, Client(ws.id, contact.id, account.id, contact.email,
                                            contact.display_name)

        self.contact_a1, self.account_a1, self.client_a1 = client(self.ws_a, self.staff_a, "Alice", "alice@client.example")
        self.contact_a2, self.account_a2, self.client_a2 = client(self.ws_a, self.staff_a, "Bob", "bob@client.example")
        self.contact_b1, self.account_b1, self.client_b1 = client(self.ws_b, self.staff_b, "Carol", "carol@client.example")
        self.anon = Anonymous(self.ws_a.id)
        session.commit()


@pytest.fixture
def world(db) -> World:
    return World(db)


@pytest.fixture
def token() -> str:
    return secrets.token_urlsafe(32)

"""The machine's services the tests talk to (PostgreSQL, Redis, local servers on free ports).

A service that is not reachable fails the test under CI (CI=true or
PORTAL_REQUIRE_SERVICES=1) and skips it with a visible reason on a laptop without it.
"""

from __future__ import annotations

import os
import secrets
import socket

import pytest
import sqlalchemy as sa

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


def free_port() -> int:
    """A loopback port nobody listens on right now (for a server this test starts)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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

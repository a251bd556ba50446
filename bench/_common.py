"""Helpers shared by bench/invoice_list.py and bench/webhooks.py: the environment a bench
process runs the app in, throwaway databases (SQLite file, PostgreSQL database of its own),
a workspace built through the services, and the figures (median, p95 nearest rank, load
average, machine description, JSON report)."""

from __future__ import annotations

import atexit
import json
import math
import os
import platform
import secrets
import statistics
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PG_ADMIN_URL = os.environ.get("PORTAL_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
HOST = "bench.example.test"
PASSWORD = "correct horse battery"
STRIPE_KEYS = {"publishable_key": "pk_test_bench0123456789abcdef", "secret_key": "sk_test_bench0123456789abcdef",
               "webhook_secret": "whsec_bench_0123456789abcdef0123"}


def bench_env(tmp: Path) -> dict[str, str]:
    """The app's settings for a bench process (as tests/conftest.py sets them): its own
    storage folder and secret key, mail kept in the outbox, no demo seeding, and a Stripe
    base that goes nowhere (nothing here may reach the real Stripe)."""
    env = {"PORTAL_STORAGE_DIR": str(tmp / "files"), "PORTAL_BASE_URL": "https://bench.example.test",
           "PORTAL_MAIL": "outbox", "PORTAL_SECRET_KEY": "bench-secret-key-" + secrets.token_hex(8),
           "PORTAL_STRIPE_API_BASE": "http://127.0.0.1:9", "PORTAL_DEMO": "0"}
    os.environ.update(env)
    return env


def temp_dir(prefix: str) -> Path:
    import shutil

    path = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, path, True)
    return path


def sqlite_url(tmp: Path) -> str:
    return f"sqlite:///{tmp / 'bench.db'}"


def make_pg_database(prefix: str = "portal_bench") -> str:
    """A fresh PostgreSQL database of our own, dropped at exit (as tests/conftest.py does)."""
    import sqlalchemy as sa

    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()

    def drop() -> None:
        from portal_app.db import reset_engines

        reset_engines()
        eng = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with eng.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        eng.dispose()

    atexit.register(drop)
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def use_database(url: str):
    """Points the app at `url` (PORTAL_DATABASE_URL, fresh settings and engines) and creates
    the tables from the models, as tests/conftest.py does. Returns the engine."""
    os.environ["PORTAL_DATABASE_URL"] = url
    from sqlmodel import SQLModel

    import portal_app.models  # noqa: F401
    from portal_app.db import get_engine, reset_engines
    from portal_app.settings import reset_settings_cache

    reset_settings_cache()
    reset_engines()
    engine = get_engine(url)
    SQLModel.metadata.create_all(engine)
    return engine


def server_version(engine) -> str:
    import sqlalchemy as sa

    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            return "PostgreSQL " + conn.execute(sa.text("SHOW server_version")).scalar().split()[0]
        return "SQLite " + conn.execute(sa.text("select sqlite_version()")).scalar()


@dataclass
class Shop:
    """One workspace built through the services: its owner, contacts, client accounts."""
    ws: object
    owner: object
    staff: object
    contacts: list = field(default_factory=list)
    accounts: dict = field(default_factory=dict)   # contact id -> ClientAccount

    @property
    def host(self) -> str:
        return "bench.example.test"


def build_shop(db, n_contacts: int, n_accounts: int, *, stripe: bool = True) -> Shop:
    """create_workspace (owner), create_contact × n, client accounts for the first
    n_accounts contacts (as tests/conftest.py World makes them), and Stripe keys plus webhook
    secret saved through Settings › Payments (sealed at rest)."""
    from portal_app.models import ClientAccount, ClientStatus
    from portal_app.services.accounts.contacts import create_contact
    from portal_app.services.billing.payment_settings import save_invoice_settings, save_stripe_keys
    from portal_app.services.portal.workspaces import create_workspace, owner_actor
    from portal_app.services.security import hash_password

    ws, owner = create_workspace(db, name="Northwind Studio", base_url="https://bench.example.test",
                                 owner_email="owner@northwind.example", owner_name="Nora Owner",
                                 owner_password=PASSWORD, is_default=True)
    shop = Shop(ws, owner, owner_actor(owner))
    first = ["Alice", "Bruno", "Chloé", "Dmitri", "Emma", "Farid", "Grace", "Hiro", "Ines", "Jonas"]
    hashed = hash_password(PASSWORD)
    for i in range(n_contacts):
        c = create_contact(db, shop.staff, {"first_name": first[i % len(first)], "last_name": f"Client{i:03d}",
                                            "company": f"Company {i:03d}", "email": f"client{i:03d}@bench.example"})
        shop.contacts.append(c)
        if i < n_accounts:
            acc = ClientAccount(workspace_id=ws.id, contact_id=c.id, status=ClientStatus.active.value,
                                password_hash=hashed)
            db.add(acc)
            db.flush()
            shop.accounts[c.id] = acc
    if stripe:
        save_stripe_keys(db, shop.staff, **STRIPE_KEYS)
        save_invoice_settings(db, shop.staff, invoice_prefix="INV-", default_currency="USD", allow_partial=True,
                              min_partial="")
    db.commit()
    return shop


# --- page loads, as tests/support/states.py run_handler runs handlers -------------------------

@contextmanager
def count_statements(engine):
    counter = {"n": 0}

    def before(conn, cursor, statement, params, context, executemany):
        counter["n"] += 1

    from sqlalchemy import event

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", before)


def state_for(state_cls, host: str, cookie: str, path: str):
    """A fresh State tree whose router carries the Host and the session cookie, as the
    websocket's upgrade request would (tests/support/states.py run_handler)."""
    from reflex.istate.data import RouterData
    from reflex.state import State

    root = State(_reflex_internal_init=True)
    headers = {"host": host, "origin": f"https://{host}", "cookie": f"other=1; portal_session={cookie}"}
    root.router = RouterData.from_router_data({"headers": headers, "pathname": path, "asPath": path})
    return root.get_substate(state_cls.get_full_name().split(".")[1:])


# --- figures --------------------------------------------------------------------------------------

def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def summary(values: list[float]) -> dict:
    return {"n": len(values), "median_ms": round(statistics.median(values), 2), "p95_ms": round(p95(values), 2),
            "min_ms": round(min(values), 2)}


def load_line() -> tuple[str, tuple | None]:
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    if not load:
        return "", None
    # on a shared machine the median and p95 move with the load; min is the steadier figure
    return (f"load average (1/5/15 min): {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs",
            load)


def machine() -> dict:
    from importlib.metadata import version

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"python": platform.python_version(), "platform": platform.platform(), "cpu": cpu,
            "cpus": os.cpu_count(), **{p: version(p) for p in ("reflex", "sqlalchemy", "sqlmodel", "psycopg",
                                                                "granian", "stripe")}}


def write_json(path: Path, report: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"\nwrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")

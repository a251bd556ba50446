"""The database engine and units of work. No business rules here."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy import event
from sqlmodel import Session

from portal_app.settings import get_settings

_engines: dict[str, sa.Engine] = {}
S = TypeVar("S")
P = ParamSpec("P")
# rows and results of any shape (SQLAlchemy 2.1 types them by a tuple of column types)
AnyRow = sa.Row[*tuple[Any, ...]]
AnyResult = sa.CursorResult[*tuple[Any, ...]]
AnySelect = sa.Select[*tuple[Any, ...]]


def _make_engine(url: str) -> sa.Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


def get_engine(url: str | None = None) -> sa.Engine:
    url = url or get_settings().database_url
    if url not in _engines:
        _engines[url] = _make_engine(url)
    return _engines[url]


def reset_engines() -> None:
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """One transaction per use case: commit on success, roll back on any error."""
    with Session(get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def _sqlite_not_begun(conn: sa.Connection) -> bool:
    """SQLite, and pysqlite has not begun its (lazy) transaction on this connection yet."""
    if conn.dialect.name != "sqlite":
        return False
    dbapi_conn = conn.connection.driver_connection
    if dbapi_conn is None:  # only a closed or invalidated connection has none; the session's is open
        raise RuntimeError("the session's connection has no DB-API connection")
    return not dbapi_conn.in_transaction


def begin_write(session: Session) -> None:
    """On SQLite, take the writer lock now (BEGIN IMMEDIATE) so what the use case reads next
    cannot change before it writes; PostgreSQL uses row locks (SELECT … FOR UPDATE) instead.
    pysqlite starts its transaction lazily, at the first write: two use cases could otherwise
    both read "not signed yet" and both write."""
    conn = session.connection()
    if _sqlite_not_begun(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def savepoint(session: Session) -> Iterator[None]:
    """A SAVEPOINT inside the session's transaction, on both databases (roll back to it on
    an error, e.g. losing a race on a unique key, and carry on with the transaction).

    pysqlite opens its transaction lazily, at the first INSERT/UPDATE/DELETE. A SAVEPOINT
    issued before that opens a transaction of its own, and its RELEASE commits it: what was
    written inside would survive a later rollback of the use case. So on SQLite the
    transaction is begun first (IMMEDIATE: it is about to write, and this waits for the
    writer lock under busy_timeout instead of failing later on a stale snapshot)."""
    conn = session.connection()
    if _sqlite_not_begun(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    with session.begin_nested():
        yield


# --- statements built once -------------------------------------------------------------------
#
# The pages every user loads read through statements built once, with bind parameters where a
# request's values go (`prebuilt`), and run on the session's connection (`run`): SQLAlchemy
# then builds, hashes and compiles each of them once per process instead of on every event,
# and the ORM's execute path (its compile step, entity loading) is skipped. They read plain
# rows (only the columns a page shows); what a use case changes still goes through the ORM.


def prebuilt(build: Callable[P, S]) -> Callable[P, S]:
    """`build(…)` (a statement, or a few in a dataclass) made at its first use and kept, one
    for each set of (hashable) arguments -- a listing's filter and sort, say: the rules it is
    built from (access clauses, the models' status clauses) take bind parameters
    (`access.bound_client()`, `sa.bindparam("…")`) for the values of a request."""
    return cast(Callable[P, S], functools.cache(build))


def run(session: Session, statement: sa.Executable, /, **params: Any) -> AnyResult:
    """Run a prebuilt statement with these parameters on the session's connection, in its
    transaction. Pending ORM changes are flushed first, as the ORM's own queries would."""
    session.flush()
    return session.connection().execute(statement, params)


@dataclass(frozen=True)
class Paged:
    """A listing built once: `rows` reads one page (:offset, :limit) with the listing's total
    as its last column, `total` (a scalar subquery: one statement for both); `count` is the
    total alone, for a page past the end."""
    rows: AnySelect
    count: AnySelect


def paged(statement: AnySelect) -> Paged:
    """The `Paged` form of a listing's statement (with its ORDER BY)."""
    count = sa.select(sa.func.count()).select_from(statement.order_by(None).subquery())
    rows = (statement.add_columns(count.scalar_subquery().label("total"))
            .offset(sa.bindparam("offset", type_=sa.Integer)).limit(sa.bindparam("limit", type_=sa.Integer)))
    return Paged(rows, count)


def run_page(session: Session, listing: Paged, page: int, per_page: int, /,
             **params: Any) -> tuple[Sequence[AnyRow], int, int, int]:
    """(rows, total, page, pages) of a `Paged` listing: the page asked for, clamped to
    1…pages (a page past the end shows the last one)."""
    page = max(1, page)
    rows = run(session, listing.rows, offset=(page - 1) * per_page, limit=per_page, **params).all()
    if rows:
        total = int(rows[0].total)
    elif page == 1:
        total = 0
    else:  # past the end (or the listing shrank): the last page
        total = int(run(session, listing.count, **params).scalar_one())
        page = max(1, -(-total // per_page))
        rows = run(session, listing.rows, offset=(page - 1) * per_page, limit=per_page, **params).all() if total else []
    return rows, total, page, max(1, -(-total // per_page))

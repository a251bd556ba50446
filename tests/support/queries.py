"""Counting the SQL statements a block of code runs (the page query bounds, the inbox count)."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event

from portal_app.db import get_engine


@contextmanager
def count_queries():
    counter = {"n": 0}

    def before(conn, cursor, statement, params, context, executemany):
        counter["n"] += 1

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", before)

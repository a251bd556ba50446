"""Shared column types and helpers for the tables."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator


def _wall_clock() -> datetime:
    return datetime.now(UTC)


clock = _wall_clock  # what every utcnow() reads (a test may set it to freeze "now" and "today")


def utcnow() -> datetime:
    return clock()


def new_public_id(prefix: str) -> str:
    """A random id for URLs: integer keys stay internal."""
    return f"{prefix}_{secrets.token_urlsafe(12)}"


def one_of(column: Any, values: Iterable[object]) -> sa.ColumnElement[bool]:
    """`column IN (…)` for a fixed list of values, each its own bound parameter. (`in_(list)`
    makes one "expanding" parameter, whose values SQLAlchemy renders into the SQL text at
    every execution: some 50 µs a statement, which a statement built once (db.prebuilt)
    otherwise never pays.)"""
    return column.in_([sa.literal(value, column.type) for value in values])


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused; use UTC-aware datetimes")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def ts_column(nullable: bool = True, index: bool = False) -> sa.Column:
    return sa.Column(UTCDateTime(), nullable=nullable, index=index)

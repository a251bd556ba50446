"""Side effects written with the change that causes them, carried out by the worker."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from portal_app.models.base import ts_column, utcnow


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox_message"
    __table_args__ = (sa.Index("ix_outbox_pending", "done_at", "next_attempt_at"),)

    id: int = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    kind: str = Field(max_length=60)
    payload: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    attempts: int = Field(default=0)
    done_at: datetime | None = Field(default=None, sa_column=ts_column())
    last_error: str = Field(default="", max_length=500)


class DevMail(SQLModel, table=True):
    """The dev outbox: mail 'sent' when PORTAL_MAIL=outbox, readable at /staff/outbox."""

    __tablename__ = "dev_mail"

    id: int = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    to_addr: str = Field(max_length=254)
    subject: str = Field(max_length=200)
    text_body: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    html_body: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False, index=True))

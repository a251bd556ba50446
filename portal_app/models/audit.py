"""Append-only, hash-chained audit events per workspace."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from portal_app.models.base import ts_column, utcnow


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    __table_args__ = (
        sa.UniqueConstraint("workspace_id", "seq", name="uq_audit_ws_seq"),
        sa.Index("ix_audit_subject", "workspace_id", "subject_type", "subject_id"),
    )

    id: int = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    seq: int
    at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    actor_kind: str = Field(max_length=10)
    actor_label: str = Field(max_length=254)
    action: str = Field(max_length=60)
    subject_type: str = Field(max_length=30)
    subject_id: str = Field(max_length=40)
    detail: str = Field(default="{}", sa_column=sa.Column(sa.Text(), nullable=False))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)

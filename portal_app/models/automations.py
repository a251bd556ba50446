"""Automations: rules (trigger → conditions → ordered steps), their immutable versions, the runs
an event starts and each run's steps, and contacts' tags (a step adds one, a condition reads one).

A rule's editable content lives in AutomationRuleVersion rows, never changed once written: saving
a rule writes version n+1 and points `current_version_id` at it. A run is pinned to the version
it started with, so editing a rule mid-run does not change what the run does next.

A run is unique per (rule, event): `event_key` is the triggering event's outbox id, so an event
delivered twice never starts a second run.

Status moves forward only:

    run:  running ⇄ waiting → done | failed | cancelled;  skipped (conditions not met) at once;
          failed → running (a failed step is retried)
    step: pending → scheduled → running → done | failed | skipped;
          pending/scheduled → cancelled;  failed → scheduled (retried)
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from portal_app import limits
from portal_app.models.base import ts_column, utcnow

RUN_STATUSES = ("running", "waiting", "done", "failed", "cancelled", "skipped")
RUN_FINISHED = ("done", "failed", "cancelled", "skipped")
STEP_STATUSES = ("pending", "scheduled", "running", "done", "failed", "skipped", "cancelled")

RUN_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "running": ("waiting", "done", "failed", "cancelled"),
    "waiting": ("running", "done", "failed", "cancelled"),
    "failed": ("running",),
    "done": (), "cancelled": (), "skipped": (),
}
STEP_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "pending": ("scheduled", "running", "cancelled", "skipped"),
    "scheduled": ("running", "cancelled", "skipped", "scheduled"),
    "running": ("done", "failed", "scheduled", "skipped", "cancelled"),
    "failed": ("scheduled",),
    "done": (), "skipped": (), "cancelled": (),
}


class StatusError(ValueError):
    """A status change the rules above do not allow."""


class AutomationRule(SQLModel, table=True):
    __tablename__ = "automation_rule"

    id: int = Field(default=None, primary_key=True)
    public_id: str = Field(max_length=40, unique=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    name: str = Field(max_length=limits.AUTOMATION_NAME)
    enabled: bool = Field(default=False)
    current_version_id: int | None = Field(default=None)
    created_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    deleted_at: datetime | None = Field(default=None, sa_column=ts_column())


class AutomationRuleVersion(SQLModel, table=True):
    """What a rule does, as saved once; never changed."""

    __tablename__ = "automation_rule_version"
    __table_args__ = (sa.UniqueConstraint("rule_id", "number", name="uq_automation_version_number"),)

    id: int = Field(default=None, primary_key=True)
    rule_id: int = Field(foreign_key="automation_rule.id", index=True)
    number: int = Field(default=1)
    trigger: str = Field(max_length=60)
    trigger_days: int | None = Field(default=None)
    conditions: list[dict[str, Any]] = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))
    steps: list[dict[str, Any]] = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    created_by_id: int | None = Field(default=None, foreign_key="staff_user.id")


class AutomationRun(SQLModel, table=True):
    __tablename__ = "automation_run"
    __table_args__ = (
        sa.UniqueConstraint("rule_id", "event_key", name="uq_automation_run_event"),
        sa.Index("ix_automation_run_rule", "rule_id", "id"),
    )

    id: int = Field(default=None, primary_key=True)
    public_id: str = Field(max_length=40, unique=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    rule_id: int = Field(foreign_key="automation_rule.id")
    version_id: int = Field(foreign_key="automation_rule_version.id")
    contact_id: int | None = Field(default=None, foreign_key="contact.id", index=True)
    event_kind: str = Field(max_length=60)
    event_key: str = Field(max_length=60)
    context: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    summary: str = Field(default="", max_length=limits.AUTOMATION_SUMMARY)
    status: str = Field(default="running", max_length=20)
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    finished_at: datetime | None = Field(default=None, sa_column=ts_column())

    @property
    def is_finished(self) -> bool:
        return self.status in RUN_FINISHED

    @property
    def can_cancel(self) -> bool:
        return self.status in ("running", "waiting")

    def move_to(self, status: str, now: datetime) -> None:
        if status != self.status and status not in RUN_TRANSITIONS.get(self.status, ()):
            raise StatusError(f"A run cannot go from {self.status} to {status}.")
        self.status, self.updated_at = status, now
        self.finished_at = now if status in RUN_FINISHED else None


class AutomationRunStep(SQLModel, table=True):
    __tablename__ = "automation_run_step"
    __table_args__ = (sa.UniqueConstraint("run_id", "position", name="uq_automation_step_position"),)

    id: int = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="automation_run.id", index=True)
    position: int = Field(default=0)
    step_type: str = Field(max_length=20)
    status: str = Field(default="pending", max_length=20)
    scheduled_for: datetime | None = Field(default=None, sa_column=ts_column())
    started_at: datetime | None = Field(default=None, sa_column=ts_column())
    finished_at: datetime | None = Field(default=None, sa_column=ts_column())
    attempts: int = Field(default=0)
    result: str = Field(default="", max_length=limits.AUTOMATION_RESULT)
    error: str = Field(default="", max_length=limits.AUTOMATION_RESULT)

    @property
    def can_retry(self) -> bool:
        return self.status == "failed"

    def move_to(self, status: str, now: datetime) -> None:
        if status != self.status and status not in STEP_TRANSITIONS.get(self.status, ()):
            raise StatusError(f"A step cannot go from {self.status} to {status}.")
        self.status = status
        if status == "running":
            self.started_at = now
        if status in ("done", "failed", "skipped", "cancelled"):
            self.finished_at = now


class ContactTag(SQLModel, table=True):
    __tablename__ = "contact_tag"
    __table_args__ = (sa.UniqueConstraint("contact_id", "tag", name="uq_contact_tag"),)

    id: int = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    tag: str = Field(max_length=limits.TAG)
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))

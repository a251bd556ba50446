"""Side effects written with the change that causes them, carried out by the worker.

`outbox_message` is the job queue (portal_app/jobs/): a row is a job, written in the caller's
transaction. `next_attempt_at` is when it may run (its run_at); a worker that claims it holds a
lease (`locked_by` until `locked_until`); it ends done (`done_at`) or dead (`dead_at`, after its
`max_attempts`th attempt failed). `unique_key`: at most one unfinished job per key.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from portal_app import limits
from portal_app.models.base import new_public_id, ts_column, utcnow

# A job that is neither done nor dead: pending, scheduled, claimed or waiting for a retry.
UNFINISHED_SQL = "done_at IS NULL AND dead_at IS NULL"
UNIQUE_KEY_MAX = 200
LAST_ERROR_MAX = 500


def _partial(sql: str) -> dict:
    return {"sqlite_where": sa.text(sql), "postgresql_where": sa.text(sql)}


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox_message"
    __table_args__ = (
        # what claims read: unfinished jobs in priority order, due first
        sa.Index("ix_outbox_due", "priority", "next_attempt_at", **_partial(UNFINISHED_SQL)),
        # one unfinished job per key (enqueue with a key already queued returns that job)
        sa.Index("ux_outbox_unique_key", "unique_key", unique=True,
                 **_partial(f"unique_key IS NOT NULL AND {UNFINISHED_SQL}")),
        # periodic jobs ask whether a time slot's job was ever enqueued, finished or not
        sa.Index("ix_outbox_unique_key", "unique_key"),
        # the staff Jobs page: a workspace's dead jobs, newest first
        sa.Index("ix_outbox_dead", "workspace_id", "dead_at"),
    )

    id: int = Field(default=None, primary_key=True)
    # None: a system job (periodic maintenance), of no workspace
    workspace_id: int | None = Field(default=None, foreign_key="workspace.id", index=True)
    kind: str = Field(max_length=60)
    payload: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))  # run at
    priority: int = Field(default=0)  # lower runs first
    attempts: int = Field(default=0)  # counted when claimed: a worker killed mid-job used one
    max_attempts: int = Field(default=8)
    unique_key: str | None = Field(default=None, max_length=UNIQUE_KEY_MAX)
    locked_by: str | None = Field(default=None, max_length=100)
    locked_until: datetime | None = Field(default=None, sa_column=ts_column())
    done_at: datetime | None = Field(default=None, sa_column=ts_column())
    dead_at: datetime | None = Field(default=None, sa_column=ts_column())
    last_error: str = Field(default="", max_length=LAST_ERROR_MAX)


class DevMail(SQLModel, table=True):
    """The dev outbox: mail 'sent' when PORTAL_MAIL=outbox, readable at /staff/outbox."""

    __tablename__ = "dev_mail"

    id: int = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    to_addr: str = Field(max_length=254)
    # the From and Reply-To an SMTP server would have received (mail.build_message): the
    # workspace's sender name (Configure Portal; its business name by default), the
    # deployment's PORTAL_MAIL_FROM, and its reply-to address ("" for none)
    from_name: str = Field(default="", max_length=limits.SENDER_NAME, sa_column_kwargs={"server_default": ""})
    from_addr: str = Field(default="", max_length=limits.EMAIL, sa_column_kwargs={"server_default": ""})
    reply_to: str = Field(default="", max_length=limits.EMAIL, sa_column_kwargs={"server_default": ""})
    subject: str = Field(max_length=200)
    text_body: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    html_body: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False, index=True))


class DevMailAttachment(SQLModel, table=True):
    """A file on a dev outbox mail (a calendar invitation's .ics), kept with it in the same
    transaction (bytes in the row: at most limits.MAIL_ATTACHMENTS_BYTES per mail, and a storage
    blob could outlive a rolled-back send). The outbox lists the names from (dev_mail_id,
    position) without reading `data`; the owner downloads one by its public id
    (GET /api/dev-outbox/attachments/{public_id})."""

    __tablename__ = "dev_mail_attachment"
    __table_args__ = (sa.Index("ix_dev_mail_attachment_mail", "dev_mail_id", "position"),)

    id: int = Field(default=None, primary_key=True)
    public_id: str = Field(default_factory=lambda: new_public_id("dma"), unique=True, max_length=40)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    dev_mail_id: int = Field(foreign_key="dev_mail.id")
    position: int = Field(default=0)  # the order the email carries them in
    filename: str = Field(max_length=limits.MAIL_ATTACHMENT_NAME)
    content_type: str = Field(max_length=limits.MAIL_CONTENT_TYPE)
    size: int = Field(default=0)
    data: bytes = Field(sa_column=sa.Column(sa.LargeBinary(), nullable=False))

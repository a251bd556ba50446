"""job_queue: the outbox becomes a job queue (leases, unique keys, dead jobs, priorities)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 11:00:00.000000

Written by hand (issue 14, "the job queue is ours"). outbox_message keeps its rows and its
`next_attempt_at` (now read as the job's run_at) and gains: priority, max_attempts,
unique_key (unique among unfinished jobs: a partial index, on SQLite and PostgreSQL), a lease
(locked_by, locked_until) and dead_at. workspace_id may be empty (system jobs: periodic
maintenance). Messages the old worker had given up on (attempts spent, not done) become dead,
so they show on the staff Jobs page with Retry. The claim index covers unfinished jobs only.
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

import portal_app.models.base


revision: str = '0014'
down_revision: Union[str, None] = '0013'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

UNFINISHED = "done_at IS NULL AND dead_at IS NULL"
UNIQUE_UNFINISHED = f"unique_key IS NOT NULL AND {UNFINISHED}"


def _where(sql: str) -> dict:
    return {"sqlite_where": sa.text(sql), "postgresql_where": sa.text(sql)}


def upgrade() -> None:
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_pending')
        batch_op.alter_column('workspace_id', existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column('priority', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('max_attempts', sa.Integer(), nullable=False, server_default='8'))
        batch_op.add_column(sa.Column('unique_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
        batch_op.add_column(sa.Column('locked_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))
        batch_op.add_column(sa.Column('locked_until', portal_app.models.base.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('dead_at', portal_app.models.base.UTCDateTime(timezone=True), nullable=True))
    outbox = sa.table('outbox_message', sa.column('attempts', sa.Integer()), sa.column('done_at'),
                      sa.column('dead_at'), sa.column('next_attempt_at'))
    # what the old worker had given up on (8 attempts spent, never done) is dead now
    op.execute(outbox.update().where(outbox.c.done_at.is_(None), outbox.c.attempts >= 8)
               .values(dead_at=outbox.c.next_attempt_at))
    op.create_index('ix_outbox_due', 'outbox_message', ['priority', 'next_attempt_at'], unique=False,
                    **_where(UNFINISHED))
    op.create_index('ux_outbox_unique_key', 'outbox_message', ['unique_key'], unique=True,
                    **_where(UNIQUE_UNFINISHED))
    op.create_index('ix_outbox_unique_key', 'outbox_message', ['unique_key'], unique=False)
    op.create_index('ix_outbox_dead', 'outbox_message', ['workspace_id', 'dead_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_outbox_dead', table_name='outbox_message')
    op.drop_index('ix_outbox_unique_key', table_name='outbox_message')
    op.drop_index('ux_outbox_unique_key', table_name='outbox_message')
    op.drop_index('ix_outbox_due', table_name='outbox_message')
    # system jobs have no workspace: the old table cannot hold them
    op.execute("DELETE FROM outbox_message WHERE workspace_id IS NULL")
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('dead_at')
        batch_op.drop_column('locked_until')
        batch_op.drop_column('locked_by')
        batch_op.drop_column('unique_key')
        batch_op.drop_column('max_attempts')
        batch_op.drop_column('priority')
        batch_op.alter_column('workspace_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_index('ix_outbox_pending', ['done_at', 'next_attempt_at'], unique=False)

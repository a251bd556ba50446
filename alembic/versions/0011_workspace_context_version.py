"""workspace.context_version: bumped when what an event's cached context is built from changes

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 04:30:00.000000

Written by hand. Every event reads it by primary key (issue 20: the per-event context cache),
so it needs no index of its own.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '0011'
down_revision: Union[str, None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('workspace', schema=None) as batch_op:
        batch_op.add_column(sa.Column('context_version', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('workspace', schema=None) as batch_op:
        batch_op.drop_column('context_version')

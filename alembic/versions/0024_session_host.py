"""auth_session.host: the hostname a session was signed in on (sessions are per host)

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 23:50:00.000000

Written by hand. Existing sessions keep NULL: they stay valid on any host of their
workspace until they end (idle or absolute expiry), as before.
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0024'
down_revision: Union[str, None] = '0023'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('auth_session', schema=None) as batch:
        batch.add_column(sa.Column('host', sqlmodel.sql.sqltypes.AutoString(length=253), nullable=True))
    op.create_index('ix_auth_session_host', 'auth_session', ['host'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_auth_session_host', table_name='auth_session')
    with op.batch_alter_table('auth_session', schema=None) as batch:
        batch.drop_column('host')

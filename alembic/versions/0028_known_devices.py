"""known_device: the devices (browser and OS family) each account has signed in from

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-08 03:30:00.000000

Written by hand. A sign-in from a device not listed for its account sends the "new sign-in"
email (services/accounts/devices.py). Existing accounts start with none listed: their next
sign-in from any device lists it without an email (an account's first device never sends one).
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

import portal_app.models.base


revision: str = '0028'
down_revision: Union[str, None] = '0027'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'known_device',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('workspace_id', sa.Integer(), nullable=False),
        sa.Column('account_kind', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('device', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column('first_seen_at', portal_app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('last_seen_at', portal_app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('account_kind', 'account_id', 'device', name='uq_known_device'),
    )
    with op.batch_alter_table('known_device', schema=None) as batch:
        batch.create_index(batch.f('ix_known_device_workspace_id'), ['workspace_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('known_device', schema=None) as batch:
        batch.drop_index(batch.f('ix_known_device_workspace_id'))
    op.drop_table('known_device')

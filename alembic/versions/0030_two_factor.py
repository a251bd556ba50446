"""Two-factor sign-in (TOTP): two_factor, two_factor_recovery_code, pending_sign_in, and
workspace.require_staff_two_factor

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-08 03:30:00.000000

Written by hand. Nobody has two-factor on after the upgrade; no workspace requires it.
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

from portal_app.models.base import UTCDateTime

revision: str = '0030'
down_revision: Union[str, None] = '0029'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('workspace', schema=None) as batch:
        batch.add_column(sa.Column('require_staff_two_factor', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    op.create_table(
        'two_factor',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('workspace_id', sa.Integer(), nullable=False),
        sa.Column('staff_user_id', sa.Integer(), nullable=True),
        sa.Column('client_account_id', sa.Integer(), nullable=True),
        sa.Column('secret_sealed', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('enabled_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('last_step', sa.Integer(), server_default='0', nullable=False),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id']),
        sa.ForeignKeyConstraint(['staff_user_id'], ['staff_user.id']),
        sa.ForeignKeyConstraint(['client_account_id'], ['client_account.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('staff_user_id'),
        sa.UniqueConstraint('client_account_id'),
    )
    op.create_index('ix_two_factor_workspace_id', 'two_factor', ['workspace_id'], unique=False)
    op.create_table(
        'two_factor_recovery_code',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('two_factor_id', sa.Integer(), nullable=False),
        sa.Column('code_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('used_at', UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['two_factor_id'], ['two_factor.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('code_hash'),
    )
    op.create_index('ix_two_factor_recovery_code_two_factor_id', 'two_factor_recovery_code', ['two_factor_id'],
                    unique=False)
    op.create_table(
        'pending_sign_in',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('workspace_id', sa.Integer(), nullable=False),
        sa.Column('staff_user_id', sa.Integer(), nullable=True),
        sa.Column('client_account_id', sa.Integer(), nullable=True),
        sa.Column('ip', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('user_agent', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column('host', sqlmodel.sql.sqltypes.AutoString(length=253), nullable=False),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('expires_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('used_at', UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id']),
        sa.ForeignKeyConstraint(['staff_user_id'], ['staff_user.id']),
        sa.ForeignKeyConstraint(['client_account_id'], ['client_account.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash'),
    )
    op.create_index('ix_pending_sign_in_workspace_id', 'pending_sign_in', ['workspace_id'], unique=False)
    op.create_index('ix_pending_sign_in_staff_user_id', 'pending_sign_in', ['staff_user_id'], unique=False)
    op.create_index('ix_pending_sign_in_client_account_id', 'pending_sign_in', ['client_account_id'], unique=False)
    op.create_index('ix_pending_sign_in_created_at', 'pending_sign_in', ['created_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_pending_sign_in_created_at', table_name='pending_sign_in')
    op.drop_index('ix_pending_sign_in_client_account_id', table_name='pending_sign_in')
    op.drop_index('ix_pending_sign_in_staff_user_id', table_name='pending_sign_in')
    op.drop_index('ix_pending_sign_in_workspace_id', table_name='pending_sign_in')
    op.drop_table('pending_sign_in')
    op.drop_index('ix_two_factor_recovery_code_two_factor_id', table_name='two_factor_recovery_code')
    op.drop_table('two_factor_recovery_code')
    op.drop_index('ix_two_factor_workspace_id', table_name='two_factor')
    op.drop_table('two_factor')
    with op.batch_alter_table('workspace', schema=None) as batch:
        batch.drop_column('require_staff_two_factor')

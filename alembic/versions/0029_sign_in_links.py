"""sign_in_link (clients sign in by an emailed link) and portal_settings.client_link_only

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-08 03:20:00.000000

Written by hand. Existing workspaces keep password sign-in for clients (client_link_only
false); no link exists before the first request.
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

import portal_app.models.base

revision: str = '0029'
down_revision: Union[str, None] = '0028'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _ts(name: str, nullable: bool) -> sa.Column:
    return sa.Column(name, portal_app.models.base.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        'sign_in_link',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('workspace_id', sa.Integer(), nullable=False),
        sa.Column('client_account_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('nonce_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        _ts('created_at', False),
        _ts('expires_at', False),
        _ts('used_at', True),
        _ts('revoked_at', True),
        sa.ForeignKeyConstraint(['client_account_id'], ['client_account.id'], ),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash'),
    )
    with op.batch_alter_table('sign_in_link', schema=None) as batch:
        batch.create_index(batch.f('ix_sign_in_link_client_account_id'), ['client_account_id'], unique=False)
        batch.create_index(batch.f('ix_sign_in_link_created_at'), ['created_at'], unique=False)
        batch.create_index(batch.f('ix_sign_in_link_workspace_id'), ['workspace_id'], unique=False)
    with op.batch_alter_table('portal_settings', schema=None) as batch:
        batch.add_column(sa.Column('client_link_only', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('portal_settings', schema=None) as batch:
        batch.drop_column('client_link_only')
    with op.batch_alter_table('sign_in_link', schema=None) as batch:
        batch.drop_index(batch.f('ix_sign_in_link_workspace_id'))
        batch.drop_index(batch.f('ix_sign_in_link_created_at'))
        batch.drop_index(batch.f('ix_sign_in_link_client_account_id'))
    op.drop_table('sign_in_link')

"""webhooks: outbound webhook endpoints and their delivery log

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 12:00:00.000000

Written by hand (issue 14, item 4). Endpoints are listed by workspace; the delivery log is
read per endpoint, newest first (endpoint_id, id).
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

import portal_app.models.base


revision: str = '0016'
down_revision: Union[str, None] = '0015'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _text(name: str, length: int) -> sa.Column:
    return sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=length), nullable=False)


def _ts(name: str) -> sa.Column:
    return sa.Column(name, portal_app.models.base.UTCDateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table('webhook_endpoint',
    sa.Column('id', sa.Integer(), nullable=False),
    _text('public_id', 40),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    _text('url', 500),
    _text('description', 200),
    _text('event_kinds', 1000),
    _text('secret_sealed', 1000),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    _text('disabled_reason', 500),
    _ts('created_at'),
    _ts('updated_at'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('public_id')
    )
    op.create_index('ix_webhook_endpoint_workspace_id', 'webhook_endpoint', ['workspace_id'], unique=False)
    op.create_table('webhook_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    _text('public_id', 40),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('endpoint_id', sa.Integer(), nullable=False),
    _text('message_id', 60),
    _text('event_id', 40),
    _text('event_kind', 60),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    _text('error', 500),
    _ts('created_at'),
    sa.ForeignKeyConstraint(['endpoint_id'], ['webhook_endpoint.id'], ),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('public_id')
    )
    op.create_index('ix_webhook_delivery_workspace_id', 'webhook_delivery', ['workspace_id'], unique=False)
    op.create_index('ix_webhook_delivery_endpoint', 'webhook_delivery', ['endpoint_id', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_webhook_delivery_endpoint', table_name='webhook_delivery')
    op.drop_index('ix_webhook_delivery_workspace_id', table_name='webhook_delivery')
    op.drop_table('webhook_delivery')
    op.drop_index('ix_webhook_endpoint_workspace_id', table_name='webhook_endpoint')
    op.drop_table('webhook_endpoint')

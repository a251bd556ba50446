"""custom domains: domain.public_id/source/status/assigned/is_primary/verification fields,
workspace.origin_base_url

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 23:50:00.000000

Written by hand. Existing domain rows are the names create_workspace mapped from a base URL:
they become source "base", status "verified" (from the old flag; an unverified row, which no
code wrote, becomes "pending"), assigned, each with a fresh public id. The old `verified`
flag is dropped: `status` is the one source of truth. workspace.origin_base_url is set to the
current base URL (what base_url returns to when a primary custom domain goes).
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

import portal_app.models.base


revision: str = '0023'
down_revision: Union[str, None] = '0022'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _ts(name: str) -> sa.Column:
    return sa.Column(name, portal_app.models.base.UTCDateTime(timezone=True), nullable=True)


def upgrade() -> None:
    with op.batch_alter_table('workspace', schema=None) as batch:
        batch.add_column(sa.Column('origin_base_url', sqlmodel.sql.sqltypes.AutoString(length=300),
                                   server_default='', nullable=False))
    op.execute("UPDATE workspace SET origin_base_url = base_url")

    with op.batch_alter_table('domain', schema=None) as batch:
        batch.add_column(sa.Column('public_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
        batch.add_column(sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=10), server_default='base',
                                   nullable=False))
        batch.add_column(sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), server_default='verified',
                                   nullable=False))
        batch.add_column(sa.Column('assigned', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.add_column(sa.Column('is_primary', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.add_column(sa.Column('verification_token', sqlmodel.sql.sqltypes.AutoString(length=64),
                                   server_default='', nullable=False))
        batch.add_column(sa.Column('last_result', sqlmodel.sql.sqltypes.AutoString(length=300), server_default='',
                                   nullable=False))
        batch.add_column(sa.Column('failed_checks', sa.Integer(), server_default='0', nullable=False))
        batch.add_column(_ts('last_checked_at'))
        batch.add_column(_ts('verified_at'))
        batch.add_column(_ts('next_check_at'))

    # plain SQL (the offline `alembic upgrade --sql` renders it too): a random public id per row
    if op.get_context().dialect.name == 'postgresql':
        op.execute("UPDATE domain SET public_id = 'dom_' || md5(random()::text || id::text)")
    else:
        op.execute("UPDATE domain SET public_id = 'dom_' || lower(hex(randomblob(16)))")
    op.execute("UPDATE domain SET status = CASE WHEN verified THEN 'verified' ELSE 'pending' END, "
               "assigned = (1 = 1)")

    with op.batch_alter_table('domain', schema=None) as batch:
        batch.alter_column('public_id', existing_type=sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False)
        batch.create_unique_constraint('uq_domain_public_id', ['public_id'])
        # from now on a row written without them is a pending custom domain, never a verified one
        batch.alter_column('source', existing_type=sqlmodel.sql.sqltypes.AutoString(length=10),
                           server_default='custom', existing_nullable=False)
        batch.alter_column('status', existing_type=sqlmodel.sql.sqltypes.AutoString(length=12),
                           server_default='pending', existing_nullable=False)
        batch.create_index(batch.f('ix_domain_next_check_at'), ['next_check_at'], unique=False)
        batch.drop_column('verified')


def downgrade() -> None:
    with op.batch_alter_table('domain', schema=None) as batch:
        batch.add_column(sa.Column('verified', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute("UPDATE domain SET verified = (status = 'verified')")
    # custom domains did not exist before this revision: their rows go (a host they reached
    # reaches nothing, as before)
    op.execute("DELETE FROM domain WHERE source = 'custom'")
    with op.batch_alter_table('domain', schema=None) as batch:
        batch.drop_index(batch.f('ix_domain_next_check_at'))
        batch.drop_constraint('uq_domain_public_id', type_='unique')
        for name in ('next_check_at', 'verified_at', 'last_checked_at', 'failed_checks', 'last_result',
                     'verification_token', 'is_primary', 'assigned', 'status', 'source', 'public_id'):
            batch.drop_column(name)
    # a primary custom domain's base URL returns to the workspace's own
    op.execute("UPDATE workspace SET base_url = origin_base_url WHERE origin_base_url <> ''")
    with op.batch_alter_table('workspace', schema=None) as batch:
        batch.drop_column('origin_base_url')

"""domain.unverified_since and domain.manual_check_at: automatic re-checks stop after 7 days
unverified; Verify is throttled per domain

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-08 10:00:00.000000

Written by hand. unverified_since is when a custom domain last became unverified: a pending
domain's creation, a failed domain's failure -- not stored before, so its last check stands
in (the latest it can have been: such a domain is re-checked for at most 7 more days).
Verified and base rows get none. manual_check_at (the last Verify a person pressed) starts
empty: nobody pressed one under the throttle yet.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import portal_app.models.base


revision: str = '0026'
down_revision: Union[str, None] = '0025'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _ts(name: str) -> sa.Column:
    return sa.Column(name, portal_app.models.base.UTCDateTime(timezone=True), nullable=True)


def upgrade() -> None:
    with op.batch_alter_table('domain', schema=None) as batch:
        batch.add_column(_ts('unverified_since'))
        batch.add_column(_ts('manual_check_at'))
    op.execute("UPDATE domain SET unverified_since = created_at WHERE source = 'custom' AND status = 'pending'")
    op.execute("UPDATE domain SET unverified_since = COALESCE(last_checked_at, created_at) "
               "WHERE source = 'custom' AND status = 'failed'")


def downgrade() -> None:
    with op.batch_alter_table('domain', schema=None) as batch:
        batch.drop_column('manual_check_at')
        batch.drop_column('unverified_since')
    # a domain whose automatic checks had stopped is re-checked again, as before this revision
    # (due at once: its creation time is in the past, and written in the column's own format)
    op.execute("UPDATE domain SET next_check_at = created_at "
               "WHERE source = 'custom' AND status <> 'verified' AND next_check_at IS NULL")

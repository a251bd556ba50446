"""payment_attempt: declined_at, for the failed-card-attempt limit on Pay Now

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-10 10:00:00.000000

Written by hand. A client's recent declines are counted per contact (contact_id is indexed;
a client has few attempts), so no new index.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import portal_app.models.base


revision: str = '0010'
down_revision: Union[str, None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('payment_attempt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('declined_at', portal_app.models.base.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('payment_attempt', schema=None) as batch_op:
        batch_op.drop_column('declined_at')

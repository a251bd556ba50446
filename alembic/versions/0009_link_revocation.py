"""links die when a newer one is asked for or one is redeemed: revoked_at on password
reset and email-change links (invitations and staff invitations already have it)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-10 10:00:00.000000
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import portal_app.models.base


revision: str = '0009'
down_revision: Union[str, None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('password_reset', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revoked_at', portal_app.models.base.UTCDateTime(timezone=True),
                                      nullable=True))
    with op.batch_alter_table('email_change', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revoked_at', portal_app.models.base.UTCDateTime(timezone=True),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('email_change', schema=None) as batch_op:
        batch_op.drop_column('revoked_at')
    with op.batch_alter_table('password_reset', schema=None) as batch_op:
        batch_op.drop_column('revoked_at')

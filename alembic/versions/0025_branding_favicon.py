"""portal_settings: favicon (derived from the logo or uploaded), email sender name and reply-to

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 23:50:00.000000

Written by hand. Existing workspaces get no favicon of their own (the neutral default is
served until a logo or favicon is uploaded), their business name as the sender (the empty
sender_name) and no Reply-To.
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0025'
down_revision: Union[str, None] = '0024'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('portal_settings', schema=None) as batch:
        batch.add_column(sa.Column('favicon_key', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True))
        batch.add_column(sa.Column('touch_icon_key', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True))
        batch.add_column(sa.Column('favicon_uploaded', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.add_column(sa.Column('favicon_version', sa.Integer(), server_default='0', nullable=False))
        batch.add_column(sa.Column('sender_name', sqlmodel.sql.sqltypes.AutoString(length=120), server_default='',
                                   nullable=False))
        batch.add_column(sa.Column('reply_to', sqlmodel.sql.sqltypes.AutoString(length=254), server_default='',
                                   nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('portal_settings', schema=None) as batch:
        for column in ('reply_to', 'sender_name', 'favicon_version', 'favicon_uploaded', 'touch_icon_key',
                       'favicon_key'):
            batch.drop_column(column)

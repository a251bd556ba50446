"""contact.time_zone: the IANA zone a client sees times in

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 21:00:00.000000

Written by hand. Empty until the client's browser reports its zone (or they choose one in
Profile); views fall back to the zone a time was made in.
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0022'
down_revision: Union[str, None] = '0021'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('contact', schema=None) as batch:
        batch.add_column(sa.Column('time_zone', sqlmodel.sql.sqltypes.AutoString(length=64), server_default='',
                                   nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('contact', schema=None) as batch:
        batch.drop_column('time_zone')

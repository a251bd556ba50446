"""dev_mail.from_name, from_addr, reply_to: the dev outbox keeps the From and Reply-To

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-08 10:30:00.000000

Written by hand. Mail already in the dev outbox was stored without them: it shows none.
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0027'
down_revision: Union[str, None] = '0026'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('dev_mail', schema=None) as batch:
        batch.add_column(sa.Column('from_name', sqlmodel.sql.sqltypes.AutoString(length=120), server_default='',
                                   nullable=False))
        batch.add_column(sa.Column('from_addr', sqlmodel.sql.sqltypes.AutoString(length=254), server_default='',
                                   nullable=False))
        batch.add_column(sa.Column('reply_to', sqlmodel.sql.sqltypes.AutoString(length=254), server_default='',
                                   nullable=False))


def downgrade() -> None:
    # not a batch (which would copy the table: SQLite refuses to drop a table
    # dev_mail_attachment's rows point at); DROP COLUMN works on SQLite 3.35+ and PostgreSQL
    for column in ('reply_to', 'from_addr', 'from_name'):
        op.execute(f"ALTER TABLE dev_mail DROP COLUMN {column}")

"""document_field.hint (help under a named field); workspace_payments.default_terms_days

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 08:00:00.000000

Written by hand (issue 13). document_field.label exists already; fields without a label are
shown by kind and page (DocumentField.shown_label). An invoice made without a due date (an
accepted estimate's) is due default_terms_days after its issue date, 14 unless set.
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0012'
down_revision: Union[str, None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('document_field', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hint', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False, server_default=''))
    with op.batch_alter_table('workspace_payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('default_terms_days', sa.Integer(), nullable=False, server_default='14'))


def downgrade() -> None:
    with op.batch_alter_table('workspace_payments', schema=None) as batch_op:
        batch_op.drop_column('default_terms_days')
    with op.batch_alter_table('document_field', schema=None) as batch_op:
        batch_op.drop_column('hint')

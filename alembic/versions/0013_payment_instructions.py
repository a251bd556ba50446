"""payment_instructions: a workspace's business details and its other ways to pay

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 08:00:00.000000

Written by hand (issue 13, item 2). One row per workspace, read by primary key (the client's
invoice page joins it into its one invoice statement), so no index beyond the key.
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

import portal_app.models.base


revision: str = '0013'
down_revision: Union[str, None] = '0012'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _text(name: str, length: int) -> sa.Column:
    return sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=length), nullable=False)


def upgrade() -> None:
    op.create_table('payment_instructions',
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    _text('legal_name', 120),
    _text('address', 300),
    _text('email', 254),
    _text('phone', 40),
    _text('tax_id', 40),
    sa.Column('bank_offered', sa.Boolean(), nullable=False),
    _text('bank_holder', 120),
    _text('bank_name', 120),
    _text('bank_account', 40),
    _text('bank_code', 20),
    _text('bank_reference', 200),
    sa.Column('cheque_offered', sa.Boolean(), nullable=False),
    _text('cheque_payable_to', 120),
    _text('cheque_address', 300),
    sa.Column('other_offered', sa.Boolean(), nullable=False),
    _text('other_text', 1000),
    sa.Column('updated_at', portal_app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ),
    sa.PrimaryKeyConstraint('workspace_id')
    )


def downgrade() -> None:
    op.drop_table('payment_instructions')

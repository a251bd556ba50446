"""dev_mail_attachment: the files a dev outbox mail carries (a calendar invitation's .ics)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 21:00:00.000000

Written by hand. A table of its own rather than a column on dev_mail: the outbox page lists
names and sizes of 50 mails without reading their bytes (dev_mail_id, position), and the
owner downloads one file by its random public id. Bytes live in the row (at most 1 MiB per
mail, written in the same transaction as the mail).
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0021'
down_revision: Union[str, None] = '0020'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _text(name: str, length: int) -> sa.Column:
    return sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=length), nullable=False)


def upgrade() -> None:
    op.create_table('dev_mail_attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    _text('public_id', 40),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('dev_mail_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    _text('filename', 100),
    _text('content_type', 100),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['dev_mail_id'], ['dev_mail.id'], ),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('public_id'),
    )
    op.create_index('ix_dev_mail_attachment_workspace_id', 'dev_mail_attachment', ['workspace_id'], unique=False)
    op.create_index('ix_dev_mail_attachment_mail', 'dev_mail_attachment', ['dev_mail_id', 'position'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_dev_mail_attachment_mail', table_name='dev_mail_attachment')
    op.drop_index('ix_dev_mail_attachment_workspace_id', table_name='dev_mail_attachment')
    op.drop_table('dev_mail_attachment')

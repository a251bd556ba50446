"""conversation.last_client_message_id: the staff nav's unread count in one statement

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 18:10:00.000000

Written by hand. A conversation remembers its newest client message's id, so "unread for this
staff member" is that id past their read marker (conversation_staff_read, by its unique key) and
the count reads no message. Existing conversations are filled from their messages.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '0019'
down_revision: Union[str, None] = '0018'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('conversation', schema=None) as batch:
        batch.add_column(sa.Column('last_client_message_id', sa.Integer(), server_default='0', nullable=False))
    op.execute(
        "UPDATE conversation SET last_client_message_id = COALESCE((SELECT MAX(m.id) FROM conversation_message m"
        " WHERE m.conversation_id = conversation.id AND m.author = 'client'), 0)")
    op.create_index('ix_conversation_unread', 'conversation', ['workspace_id', 'last_client_message_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_conversation_unread', table_name='conversation')
    with op.batch_alter_table('conversation', schema=None) as batch:
        batch.drop_column('last_client_message_id')

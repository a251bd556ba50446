"""conversations: threads, messages, staff read markers, canned replies, the client timeline;
chat settings on portal_settings, the chat email preference on staff_user

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 18:00:00.000000

Written by hand (issue 15). One conversation per (workspace, contact); messages are read per
thread in id order (conversation_id, id); the inbox lists a workspace's conversations by status,
most recent first; a client's timeline is read by (workspace_id, contact_id, at, id).
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

import portal_app.models.base


revision: str = '0018'
down_revision: Union[str, None] = '0017'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _text(name: str, length: int) -> sa.Column:
    return sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=length), nullable=False)


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, portal_app.models.base.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table('conversation',
    sa.Column('id', sa.Integer(), nullable=False),
    _text('public_id', 40),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    _text('status', 10),
    sa.Column('assigned_staff_id', sa.Integer(), nullable=True),
    _ts('last_message_at', True),
    _text('last_message_preview', 200),
    _text('last_message_from', 10),
    sa.Column('client_last_read_id', sa.Integer(), nullable=False),
    sa.Column('client_emailed_up_to', sa.Integer(), nullable=False),
    sa.Column('staff_emailed_up_to', sa.Integer(), nullable=False),
    _ts('created_at'),
    _ts('updated_at'),
    sa.ForeignKeyConstraint(['assigned_staff_id'], ['staff_user.id'], ),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('public_id'),
    sa.UniqueConstraint('workspace_id', 'contact_id', name='uq_conversation_contact'),
    )
    op.create_index('ix_conversation_contact_id', 'conversation', ['contact_id'], unique=False)
    op.create_index('ix_conversation_assigned_staff_id', 'conversation', ['assigned_staff_id'], unique=False)
    op.create_index('ix_conversation_inbox', 'conversation', ['workspace_id', 'status', 'last_message_at'],
                    unique=False)
    op.create_table('conversation_message',
    sa.Column('id', sa.Integer(), nullable=False),
    _text('public_id', 40),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    _text('author', 10),
    sa.Column('staff_user_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('internal', sa.Boolean(), nullable=False),
    _text('attachment_key', 300),
    _text('attachment_name', 255),
    _text('attachment_type', 100),
    sa.Column('attachment_size', sa.Integer(), nullable=False),
    _ts('created_at'),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversation.id'], ),
    sa.ForeignKeyConstraint(['staff_user_id'], ['staff_user.id'], ),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('public_id'),
    )
    op.create_index('ix_conversation_message_workspace_id', 'conversation_message', ['workspace_id'], unique=False)
    op.create_index('ix_conversation_message_thread', 'conversation_message', ['conversation_id', 'id'],
                    unique=False)
    op.create_table('conversation_staff_read',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('staff_user_id', sa.Integer(), nullable=False),
    sa.Column('last_read_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversation.id'], ),
    sa.ForeignKeyConstraint(['staff_user_id'], ['staff_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('conversation_id', 'staff_user_id', name='uq_conversation_staff_read'),
    )
    op.create_index('ix_conversation_staff_read_staff_user_id', 'conversation_staff_read', ['staff_user_id'],
                    unique=False)
    op.create_table('canned_reply',
    sa.Column('id', sa.Integer(), nullable=False),
    _text('public_id', 40),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    _text('title', 80),
    sa.Column('body', sa.Text(), nullable=False),
    _ts('created_at'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('public_id'),
    )
    op.create_index('ix_canned_reply_workspace_id', 'canned_reply', ['workspace_id'], unique=False)
    op.create_table('timeline_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    _ts('at'),
    _text('kind', 20),
    _text('title', 300),
    _text('detail', 500),
    _text('client_link', 300),
    _text('staff_link', 300),
    sa.Column('client_visible', sa.Boolean(), nullable=False),
    _text('ref', 100),
    _text('status', 20),
    sa.Column('body', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ),
    sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_timeline_entry_contact_id', 'timeline_entry', ['contact_id'], unique=False)
    op.create_index('ix_timeline_entry_ref', 'timeline_entry', ['ref'], unique=False)
    op.create_index('ix_timeline_contact', 'timeline_entry', ['workspace_id', 'contact_id', 'at', 'id'],
                    unique=False)
    with op.batch_alter_table('portal_settings') as batch:
        batch.add_column(sa.Column('chat_reply_time', sqlmodel.sql.sqltypes.AutoString(length=120),
                                   server_default='', nullable=False))
        batch.add_column(sa.Column('chat_hours', sqlmodel.sql.sqltypes.AutoString(length=200),
                                   server_default='', nullable=False))
        batch.add_column(sa.Column('chat_email_after_minutes', sa.Integer(), server_default='5', nullable=False))
    with op.batch_alter_table('staff_user') as batch:
        batch.add_column(sa.Column('chat_email', sqlmodel.sql.sqltypes.AutoString(length=10),
                                   server_default='all', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('staff_user') as batch:
        batch.drop_column('chat_email')
    with op.batch_alter_table('portal_settings') as batch:
        batch.drop_column('chat_email_after_minutes')
        batch.drop_column('chat_hours')
        batch.drop_column('chat_reply_time')
    op.drop_index('ix_timeline_contact', table_name='timeline_entry')
    op.drop_index('ix_timeline_entry_ref', table_name='timeline_entry')
    op.drop_index('ix_timeline_entry_contact_id', table_name='timeline_entry')
    op.drop_table('timeline_entry')
    op.drop_index('ix_canned_reply_workspace_id', table_name='canned_reply')
    op.drop_table('canned_reply')
    op.drop_index('ix_conversation_staff_read_staff_user_id', table_name='conversation_staff_read')
    op.drop_table('conversation_staff_read')
    op.drop_index('ix_conversation_message_thread', table_name='conversation_message')
    op.drop_index('ix_conversation_message_workspace_id', table_name='conversation_message')
    op.drop_table('conversation_message')
    op.drop_index('ix_conversation_inbox', table_name='conversation')
    op.drop_index('ix_conversation_assigned_staff_id', table_name='conversation')
    op.drop_index('ix_conversation_contact_id', table_name='conversation')
    op.drop_table('conversation')

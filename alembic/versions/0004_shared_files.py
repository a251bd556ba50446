"""shared files: folders, files and links (file_item), sharing, first downloads; client uploads switch

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 22:12:49.136856
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel
import portal_app.models.base


revision: str = '0004'
down_revision: Union[str, None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('file_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('url', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('storage_key', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('size', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('content_type', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('inherit_sharing', sa.Boolean(), nullable=False),
    sa.Column('shared_with_all', sa.Boolean(), nullable=False),
    sa.Column('owner_contact_id', sa.Integer(), nullable=True),
    sa.Column('created_by_user_id', sa.Integer(), nullable=True),
    sa.Column('created_by_contact_id', sa.Integer(), nullable=True),
    sa.Column('created_at', portal_app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', portal_app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_contact_id'], ['contact.id'], ),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['staff_user.id'], ),
    sa.ForeignKeyConstraint(['owner_contact_id'], ['contact.id'], ),
    sa.ForeignKeyConstraint(['parent_id'], ['file_item.id'], ),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('public_id')
    )
    with op.batch_alter_table('file_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_file_item_created_by_contact_id'), ['created_by_contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_file_item_created_by_user_id'), ['created_by_user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_file_item_owner_contact_id'), ['owner_contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_file_item_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_file_item_workspace_id'), ['workspace_id'], unique=False)
        batch_op.create_index('ix_file_item_ws_parent_kind_name', ['workspace_id', 'parent_id', 'kind', 'name'], unique=False)
        batch_op.create_index('ix_file_item_ws_parent_size', ['workspace_id', 'parent_id', 'size'], unique=False)
        batch_op.create_index('ix_file_item_ws_parent_updated', ['workspace_id', 'parent_id', 'updated_at'], unique=False)

    op.create_table('file_download',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('first_at', portal_app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_at', portal_app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ),
    sa.ForeignKeyConstraint(['item_id'], ['file_item.id'], ),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('item_id', 'contact_id', name='uq_file_download_item_contact')
    )
    with op.batch_alter_table('file_download', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_file_download_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_file_download_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_file_download_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('file_share',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('created_by_user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', portal_app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['staff_user.id'], ),
    sa.ForeignKeyConstraint(['item_id'], ['file_item.id'], ),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('item_id', 'contact_id', name='uq_file_share_item_contact')
    )
    with op.batch_alter_table('file_share', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_file_share_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_file_share_created_by_user_id'), ['created_by_user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_file_share_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_file_share_workspace_id'), ['workspace_id'], unique=False)

    with op.batch_alter_table('portal_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('allow_client_uploads', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))



def downgrade() -> None:
    with op.batch_alter_table('portal_settings', schema=None) as batch_op:
        batch_op.drop_column('allow_client_uploads')

    with op.batch_alter_table('file_share', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_file_share_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_file_share_item_id'))
        batch_op.drop_index(batch_op.f('ix_file_share_created_by_user_id'))
        batch_op.drop_index(batch_op.f('ix_file_share_contact_id'))

    op.drop_table('file_share')
    with op.batch_alter_table('file_download', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_file_download_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_file_download_item_id'))
        batch_op.drop_index(batch_op.f('ix_file_download_contact_id'))

    op.drop_table('file_download')
    with op.batch_alter_table('file_item', schema=None) as batch_op:
        batch_op.drop_index('ix_file_item_ws_parent_updated')
        batch_op.drop_index('ix_file_item_ws_parent_size')
        batch_op.drop_index('ix_file_item_ws_parent_kind_name')
        batch_op.drop_index(batch_op.f('ix_file_item_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_file_item_parent_id'))
        batch_op.drop_index(batch_op.f('ix_file_item_owner_contact_id'))
        batch_op.drop_index(batch_op.f('ix_file_item_created_by_user_id'))
        batch_op.drop_index(batch_op.f('ix_file_item_created_by_contact_id'))

    op.drop_table('file_item')

"""automations: rules, their immutable versions, runs and run steps; contact tags

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 14:00:00.000000

Written by hand (issue 14, items 1-3). A run is unique per (rule, event): a redelivered event
never starts a second run. Runs are listed per rule, newest first (rule_id, id).
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

import portal_app.models.base


revision: str = '0017'
down_revision: Union[str, None] = '0016'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _text(name: str, length: int) -> sa.Column:
    return sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=length), nullable=False)


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, portal_app.models.base.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table('automation_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    _text('public_id', 40),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    _text('name', 120),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('current_version_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    _ts('created_at'),
    _ts('updated_at'),
    _ts('deleted_at', True),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff_user.id'], ),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('public_id')
    )
    op.create_index('ix_automation_rule_workspace_id', 'automation_rule', ['workspace_id'], unique=False)
    op.create_table('automation_rule_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    _text('trigger', 60),
    sa.Column('trigger_days', sa.Integer(), nullable=True),
    sa.Column('conditions', sa.JSON(), nullable=False),
    sa.Column('steps', sa.JSON(), nullable=False),
    _ts('created_at'),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff_user.id'], ),
    sa.ForeignKeyConstraint(['rule_id'], ['automation_rule.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('rule_id', 'number', name='uq_automation_version_number')
    )
    op.create_index('ix_automation_rule_version_rule_id', 'automation_rule_version', ['rule_id'], unique=False)
    op.create_table('automation_run',
    sa.Column('id', sa.Integer(), nullable=False),
    _text('public_id', 40),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    _text('event_kind', 60),
    _text('event_key', 60),
    sa.Column('context', sa.JSON(), nullable=False),
    _text('summary', 300),
    _text('status', 20),
    _ts('created_at'),
    _ts('updated_at'),
    _ts('finished_at', True),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ),
    sa.ForeignKeyConstraint(['rule_id'], ['automation_rule.id'], ),
    sa.ForeignKeyConstraint(['version_id'], ['automation_rule_version.id'], ),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('public_id'),
    sa.UniqueConstraint('rule_id', 'event_key', name='uq_automation_run_event')
    )
    op.create_index('ix_automation_run_workspace_id', 'automation_run', ['workspace_id'], unique=False)
    op.create_index('ix_automation_run_contact_id', 'automation_run', ['contact_id'], unique=False)
    op.create_index('ix_automation_run_rule', 'automation_run', ['rule_id', 'id'], unique=False)
    op.create_table('automation_run_step',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    _text('step_type', 20),
    _text('status', 20),
    _ts('scheduled_for', True),
    _ts('started_at', True),
    _ts('finished_at', True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    _text('result', 500),
    _text('error', 500),
    sa.ForeignKeyConstraint(['run_id'], ['automation_run.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('run_id', 'position', name='uq_automation_step_position')
    )
    op.create_index('ix_automation_run_step_run_id', 'automation_run_step', ['run_id'], unique=False)
    op.create_table('contact_tag',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    _text('tag', 40),
    _ts('created_at'),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('contact_id', 'tag', name='uq_contact_tag')
    )
    op.create_index('ix_contact_tag_contact_id', 'contact_tag', ['contact_id'], unique=False)
    op.create_index('ix_contact_tag_workspace_id', 'contact_tag', ['workspace_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_contact_tag_workspace_id', table_name='contact_tag')
    op.drop_index('ix_contact_tag_contact_id', table_name='contact_tag')
    op.drop_table('contact_tag')
    op.drop_index('ix_automation_run_step_run_id', table_name='automation_run_step')
    op.drop_table('automation_run_step')
    op.drop_index('ix_automation_run_rule', table_name='automation_run')
    op.drop_index('ix_automation_run_contact_id', table_name='automation_run')
    op.drop_index('ix_automation_run_workspace_id', table_name='automation_run')
    op.drop_table('automation_run')
    op.drop_index('ix_automation_rule_version_rule_id', table_name='automation_rule_version')
    op.drop_table('automation_rule_version')
    op.drop_index('ix_automation_rule_workspace_id', table_name='automation_rule')
    op.drop_table('automation_rule')

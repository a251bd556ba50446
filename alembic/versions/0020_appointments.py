"""appointments: appointments and their slot claims, staff availability, booking types, calendar
feed tokens; the cancel cut-off and reminder times on portal_settings

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 21:00:00.000000

Written by hand (issue 16). A workspace's appointments are read by start (workspace_id,
starts_at), a contact's by (contact_id, starts_at), a staff member's by (staff_id, starts_at);
reminders due by (status, starts_at). One claim row per 5-minute cell an appointment covers,
unique per (staff_id, cell_start): two overlapping appointments of one staff member cannot both
commit. Feed tokens are stored hashed (unique).
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

import portal_app.models.base


revision: str = '0020'
down_revision: Union[str, None] = '0019'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _text(name: str, length: int) -> sa.Column:
    return sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=length), nullable=False)


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, portal_app.models.base.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table('booking_type',
    sa.Column('id', sa.Integer(), nullable=False),
    _text('public_id', 40),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    _text('name', 120),
    sa.Column('description', sa.Text(), nullable=False),
    _text('location', 500),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('buffer_minutes', sa.Integer(), nullable=False),
    sa.Column('min_notice_minutes', sa.Integer(), nullable=False),
    sa.Column('horizon_days', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    _ts('created_at'),
    _ts('updated_at'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_user.id'], ),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('public_id'),
    )
    op.create_index('ix_booking_type_staff_id', 'booking_type', ['staff_id'], unique=False)
    op.create_index('ix_booking_type_workspace', 'booking_type', ['workspace_id', 'active'], unique=False)
    op.create_table('appointment',
    sa.Column('id', sa.Integer(), nullable=False),
    _text('public_id', 40),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('booking_type_id', sa.Integer(), nullable=True),
    _text('title', 200),
    _ts('starts_at'),
    _ts('ends_at'),
    _text('zone', 64),
    _text('location', 500),
    sa.Column('client_notes', sa.Text(), nullable=False),
    sa.Column('internal_notes', sa.Text(), nullable=False),
    _text('status', 10),
    sa.Column('sequence', sa.Integer(), nullable=False),
    _text('created_by', 10),
    _ts('cancelled_at', True),
    _ts('reminder_24h_sent_at', True),
    _ts('reminder_1h_sent_at', True),
    _ts('created_at'),
    _ts('updated_at'),
    sa.ForeignKeyConstraint(['booking_type_id'], ['booking_type.id'], ),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_user.id'], ),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('public_id'),
    )
    op.create_index('ix_appointment_booking_type_id', 'appointment', ['booking_type_id'], unique=False)
    op.create_index('ix_appointment_workspace_start', 'appointment', ['workspace_id', 'starts_at'], unique=False)
    op.create_index('ix_appointment_contact_start', 'appointment', ['contact_id', 'starts_at'], unique=False)
    op.create_index('ix_appointment_staff_start', 'appointment', ['staff_id', 'starts_at'], unique=False)
    op.create_index('ix_appointment_due', 'appointment', ['status', 'starts_at'], unique=False)
    op.create_table('appointment_slot_claim',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    _ts('cell_start'),
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointment.id'], ),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('staff_id', 'cell_start', name='uq_appointment_slot_claim'),
    )
    op.create_index('ix_appointment_slot_claim_appointment_id', 'appointment_slot_claim', ['appointment_id'],
                    unique=False)
    op.create_table('staff_availability',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    _text('zone', 64),
    sa.Column('weekly_hours', sa.Text(), nullable=False),
    sa.Column('days_off', sa.Text(), nullable=False),
    _ts('updated_at'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_user.id'], ),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('staff_id'),
    )
    op.create_index('ix_staff_availability_workspace_id', 'staff_availability', ['workspace_id'], unique=False)
    op.create_table('calendar_feed_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    _text('owner', 10),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    _text('token_hash', 64),
    _ts('created_at'),
    _ts('revoked_at', True),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_user.id'], ),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash'),
    )
    op.create_index('ix_calendar_feed_token_workspace_id', 'calendar_feed_token', ['workspace_id'], unique=False)
    op.create_index('ix_calendar_feed_token_contact_id', 'calendar_feed_token', ['contact_id'], unique=False)
    op.create_index('ix_calendar_feed_token_staff_id', 'calendar_feed_token', ['staff_id'], unique=False)
    with op.batch_alter_table('portal_settings') as batch:
        batch.add_column(sa.Column('appointment_cancel_cutoff_hours', sa.Integer(), server_default='24',
                                   nullable=False))
        batch.add_column(sa.Column('appointment_reminders', sqlmodel.sql.sqltypes.AutoString(length=40),
                                   server_default='24h,1h', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('portal_settings') as batch:
        batch.drop_column('appointment_reminders')
        batch.drop_column('appointment_cancel_cutoff_hours')
    op.drop_index('ix_calendar_feed_token_staff_id', table_name='calendar_feed_token')
    op.drop_index('ix_calendar_feed_token_contact_id', table_name='calendar_feed_token')
    op.drop_index('ix_calendar_feed_token_workspace_id', table_name='calendar_feed_token')
    op.drop_table('calendar_feed_token')
    op.drop_index('ix_staff_availability_workspace_id', table_name='staff_availability')
    op.drop_table('staff_availability')
    op.drop_index('ix_appointment_slot_claim_appointment_id', table_name='appointment_slot_claim')
    op.drop_table('appointment_slot_claim')
    op.drop_index('ix_appointment_due', table_name='appointment')
    op.drop_index('ix_appointment_staff_start', table_name='appointment')
    op.drop_index('ix_appointment_contact_start', table_name='appointment')
    op.drop_index('ix_appointment_workspace_start', table_name='appointment')
    op.drop_index('ix_appointment_booking_type_id', table_name='appointment')
    op.drop_table('appointment')
    op.drop_index('ix_booking_type_workspace', table_name='booking_type')
    op.drop_index('ix_booking_type_staff_id', table_name='booking_type')
    op.drop_table('booking_type')

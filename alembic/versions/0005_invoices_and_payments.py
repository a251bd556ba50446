"""invoices and payments: invoice, invoice_line, ledger_entry, payment_attempt, stripe_event, workspace_payments

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 23:26:06.487431
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel
import portal_app.models.base


revision: str = '0005'
down_revision: Union[str, None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('stripe_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('type', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('received_at', portal_app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('workspace_id', 'event_id', name='uq_stripe_event_ws_event')
    )
    with op.batch_alter_table('stripe_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stripe_event_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('workspace_payments',
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('invoice_prefix', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('next_invoice_number', sa.Integer(), nullable=False),
    sa.Column('default_currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('allow_partial', sa.Boolean(), nullable=False),
    sa.Column('min_partial_minor', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('stripe_publishable_key', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('stripe_secret_sealed', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('stripe_webhook_secret_sealed', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('stripe_connected_at', portal_app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', portal_app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ),
    sa.PrimaryKeyConstraint('workspace_id')
    )
    op.create_table('invoice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('issue_date', sa.Date(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('discount_percent', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('discount_fixed_minor', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('notes', sqlmodel.sql.sqltypes.AutoString(length=5000), nullable=False),
    sa.Column('terms', sqlmodel.sql.sqltypes.AutoString(length=5000), nullable=False),
    sa.Column('subtotal_minor', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('discount_minor', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('tax_minor', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('total_minor', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('paid_minor', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('balance_minor', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('overpaid', sa.Boolean(), nullable=False),
    sa.Column('sent_at', portal_app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('first_viewed_at', portal_app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('paid_at', portal_app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('voided_at', portal_app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_by_user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', portal_app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', portal_app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['staff_user.id'], ),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('public_id'),
    sa.UniqueConstraint('workspace_id', 'number', name='uq_invoice_ws_number')
    )
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoice_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoice_created_by_user_id'), ['created_by_user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoice_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoice_workspace_id'), ['workspace_id'], unique=False)
        batch_op.create_index('ix_invoice_ws_contact_status', ['workspace_id', 'contact_id', 'status'], unique=False)
        batch_op.create_index('ix_invoice_ws_due', ['workspace_id', 'due_date'], unique=False)
        batch_op.create_index('ix_invoice_ws_status_due', ['workspace_id', 'status', 'due_date'], unique=False)

    op.create_table('invoice_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('quantity', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('unit_minor', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('tax_rate', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('invoice_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoice_line_invoice_id'), ['invoice_id'], unique=False)

    op.create_table('ledger_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('method', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('dedupe_key', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.Column('stripe_payment_intent_id', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('received_at', portal_app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', portal_app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['staff_user.id'], ),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], ),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('public_id'),
    sa.UniqueConstraint('workspace_id', 'dedupe_key', name='uq_ledger_ws_dedupe')
    )
    with op.batch_alter_table('ledger_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_entry_created_by_user_id'), ['created_by_user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_entry_invoice_id'), ['invoice_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_entry_stripe_payment_intent_id'), ['stripe_payment_intent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_entry_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('payment_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('stripe_payment_intent_id', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('created_at', portal_app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', portal_app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], ),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('public_id')
    )
    with op.batch_alter_table('payment_attempt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_attempt_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_attempt_invoice_id'), ['invoice_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_attempt_stripe_payment_intent_id'), ['stripe_payment_intent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_attempt_workspace_id'), ['workspace_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('payment_attempt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_attempt_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_payment_attempt_stripe_payment_intent_id'))
        batch_op.drop_index(batch_op.f('ix_payment_attempt_invoice_id'))
        batch_op.drop_index(batch_op.f('ix_payment_attempt_contact_id'))

    op.drop_table('payment_attempt')
    with op.batch_alter_table('ledger_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_entry_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_ledger_entry_stripe_payment_intent_id'))
        batch_op.drop_index(batch_op.f('ix_ledger_entry_invoice_id'))
        batch_op.drop_index(batch_op.f('ix_ledger_entry_created_by_user_id'))

    op.drop_table('ledger_entry')
    with op.batch_alter_table('invoice_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoice_line_invoice_id'))

    op.drop_table('invoice_line')
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.drop_index('ix_invoice_ws_status_due')
        batch_op.drop_index('ix_invoice_ws_due')
        batch_op.drop_index('ix_invoice_ws_contact_status')
        batch_op.drop_index(batch_op.f('ix_invoice_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_invoice_status'))
        batch_op.drop_index(batch_op.f('ix_invoice_created_by_user_id'))
        batch_op.drop_index(batch_op.f('ix_invoice_contact_id'))

    op.drop_table('invoice')
    op.drop_table('workspace_payments')
    with op.batch_alter_table('stripe_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stripe_event_workspace_id'))

    op.drop_table('stripe_event')

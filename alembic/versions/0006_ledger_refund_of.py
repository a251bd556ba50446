"""ledger_entry.refund_of_id: a refund row names the payment row it refunds

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 10:00:00.000000

Written by hand. Existing refund rows (booked from Stripe webhooks before this revision) are
linked to the payment of the same PaymentIntent, so what remains refundable of an older
card payment is right from the start; manual payments had no refunds before.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0006'
down_revision: Union[str, None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('ledger_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refund_of_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_ledger_entry_refund_of_id'), ['refund_of_id'], unique=False)
        batch_op.create_foreign_key('fk_ledger_entry_refund_of_id', 'ledger_entry', ['refund_of_id'], ['id'])
    # link refunds already booked to the payment of the same PaymentIntent
    op.execute(
        "UPDATE ledger_entry SET refund_of_id = ("
        " SELECT p.id FROM ledger_entry AS p"
        " WHERE p.workspace_id = ledger_entry.workspace_id AND p.kind = 'payment'"
        " AND p.stripe_payment_intent_id = ledger_entry.stripe_payment_intent_id"
        " ORDER BY p.id LIMIT 1)"
        " WHERE kind = 'refund' AND stripe_payment_intent_id IS NOT NULL AND refund_of_id IS NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table('ledger_entry', schema=None) as batch_op:
        batch_op.drop_constraint('fk_ledger_entry_refund_of_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_ledger_entry_refund_of_id'))
        batch_op.drop_column('refund_of_id')

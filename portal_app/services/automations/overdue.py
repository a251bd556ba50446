"""Periodic (worker: "invoices.overdue", every 15 minutes): each invoice past its due date
raises events.InvoiceOverdue once. The event's outbox row has the unique key
`invoice.overdue:<invoice id>`, and an invoice whose key was ever used is left out, so however
often the job runs and on however many workers, an invoice is overdue once (a later payment
and a new due date do not raise it again). Rules "overdue by N days" wait for due date + N
days themselves (engine.start_run).
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from portal_app.models import Invoice, OutboxMessage, utcnow
from portal_app.services import events, outbox

BATCH = 500


def unique_key(invoice_id: int) -> str:
    return f"invoice.overdue:{invoice_id}"


def raise_due(db: Session, limit: int = BATCH) -> int:
    """Raise the overdue event of up to `limit` invoices overdue now that never raised it; how many."""
    today = utcnow().date()
    done = select(OutboxMessage.unique_key).where(col(OutboxMessage.unique_key).like("invoice.overdue:%"))
    candidates = db.exec(select(Invoice).where(Invoice.overdue_clause(today))
                         .where(col(Invoice.id).not_in(
                             select(Invoice.id).where(sa_concat_key(Invoice.id).in_(done))))
                         .order_by(col(Invoice.id)).limit(limit)).all()
    for inv in candidates:
        event = events.InvoiceOverdue(workspace_id=inv.workspace_id, invoice=inv.public_id, number=inv.number,
                                      due_date=inv.due_date.isoformat())
        outbox.enqueue(db, inv.workspace_id, event.kind, event.payload(), unique_key=unique_key(inv.id))
    return len(candidates)


def sa_concat_key(column):
    import sqlalchemy as sa

    return sa.literal("invoice.overdue:") + sa.cast(column, sa.String)

"""Periodic (worker: "invoices.overdue", every 15 minutes): each invoice past its due date
raises events.InvoiceOverdue once. The event's outbox row has the unique key
`invoice.overdue:<invoice id>`, and an invoice whose key was ever used is left out, so however
often the job runs and on however many workers, an invoice is overdue once (a later payment
and a new due date do not raise it again). Rules "overdue by N days" wait for due date + N
days themselves (engine.start_run): the run starts when the invoice becomes overdue and its
first step is scheduled for due date + N days.

"Ever used" is read from the outbox (its full index on unique_key): these rows are events, which
the hourly pruning (jobs/prune.py, commands only) keeps.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, col, select

from portal_app.models import Invoice, OutboxMessage, utcnow
from portal_app.services import events, outbox

BATCH = 500
PREFIX = "invoice.overdue:"


def unique_key(invoice_id: int) -> str:
    return f"{PREFIX}{invoice_id}"


def raise_due(db: Session, limit: int = BATCH) -> int:
    """Raise the overdue event of up to `limit` invoices overdue today (UTC) that never raised
    it; how many."""
    today = utcnow().date()
    raised = sa.exists().where(col(OutboxMessage.unique_key) == sa.literal(PREFIX) + sa.cast(col(Invoice.id), sa.String))
    candidates = db.exec(select(Invoice).where(Invoice.overdue_clause(today), ~raised)
                         .order_by(col(Invoice.id)).limit(limit)).all()
    for inv in candidates:
        event = events.InvoiceOverdue(workspace_id=inv.workspace_id, invoice=inv.public_id, number=inv.number,
                                      due_date=inv.due_date.isoformat())
        # events.raise_event, with the unique key that makes it once per invoice
        outbox.enqueue(db, inv.workspace_id, event.kind, event.payload(), unique_key=unique_key(inv.id))
        events.record(db, event)  # the timeline's line, in this transaction
    return len(candidates)

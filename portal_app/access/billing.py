"""Payments and invoices: who configures payments and refunds, which invoices a client sees
(one invoice, or the SQL form) and pays."""

from __future__ import annotations

from portal_app.access.actors import ROLE_RANK, Actor, Client, Staff, require_client, require_staff
from portal_app.errors import Invalid, NotFound

# --- payments ------------------------------------------------------------------------------

def require_configure_payments(actor: Actor) -> Staff:
    """Stripe keys, invoice numbering, partial payments: owners and admins."""
    return require_staff(actor, "admin")


def client_may_see_invoice(client: Client, invoice) -> bool:
    """A client sees an invoice sent to them: in their workspace, billed to their own
    contact, and sent (a draft is nobody's but the business's)."""
    return (invoice.workspace_id == client.workspace_id and invoice.contact_id == client.contact_id
            and invoice.is_issued)


def client_invoice_clause(model, client: Client):
    """SQL form of `client_may_see_invoice` for listings and look-ups."""
    import sqlalchemy as sa

    return sa.and_(model.workspace_id == client.workspace_id, model.contact_id == client.contact_id,
                   model.issued_clause())


def require_pay_invoice(actor: Actor, invoice) -> Client:
    """A client pays only an invoice sent to them, and only while something is left to pay."""
    client = require_client(actor)
    if not client_may_see_invoice(client, invoice):
        raise NotFound("This invoice does not exist.")
    if not invoice.is_payable:
        raise Invalid("This invoice has nothing left to pay.")
    return client


def require_refund_payments(actor: Actor) -> Staff:
    """Giving money back (through Stripe for card payments): owners and admins."""
    return require_staff(actor, "admin")


def may_refund_payments(actor: Actor) -> bool:
    """The same rule, asked by a page deciding whether to offer a Refund button."""
    return isinstance(actor, Staff) and ROLE_RANK.get(actor.role, 0) >= ROLE_RANK["admin"]

"""What the client portal's home page summarizes, and section access."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from portal_app.access import (
    Actor,
    Client,
    client_invoice_clause,
    own_signer_clause,
    require_client,
    require_portal_section,
)
from portal_app.models import Contact
from portal_app.services.portal.portal_settings import SECTION_LABELS, portal_settings_for


@dataclass
class SectionSummary:
    key: str
    label: str
    count: int
    empty_text: str


EMPTY_TEXT = {
    "invoices": "No invoices have been shared with you yet.",
    "documents": "No documents are waiting for you.",
    "files": "No files have been shared with you yet.",
    "appointments": "You have no upcoming appointments.",
    "communications": "No messages yet.",
}


def home_summary(db: Session, actor: Actor) -> tuple[str, list[SectionSummary]]:
    """(greeting name, enabled sections with their counts). Counts are real: sections that
    later features fill hold nothing yet, so they say so."""
    client = require_client(actor)
    contact = db.get_one(Contact, client.contact_id)
    ps = portal_settings_for(db, client.workspace_id)
    sections = [SectionSummary(key, SECTION_LABELS[key], 0, EMPTY_TEXT[key])
                for key in SECTION_LABELS if ps.section_enabled(key)]
    for summary in sections:
        if summary.key == "invoices":
            summary.count, summary.empty_text = _invoices_card(db, client)
        if summary.key == "documents":
            summary.count, summary.empty_text = _documents_card(db, client)
        if summary.key == "files":
            from portal_app.services.files.file_views import client_item_count

            summary.count = client_item_count(db, client)
            if summary.count:  # (the card's text: what is there, or the honest empty state)
                summary.empty_text = ("1 file or link is shared with you." if summary.count == 1 else
                                      f"{summary.count} files and links are shared with you.")
    return (contact.first_name or contact.display_name), sections


def _invoices_card(db: Session, client: Client) -> tuple[int, str]:
    """(outstanding invoices, the card's text): "2 invoices to pay (1,250.00 USD)"; nothing
    to pay but invoices in the history says so; none at all is the honest empty state.
    Two queries, whatever the number of invoices."""
    import sqlalchemy as sa
    from sqlmodel import select

    from portal_app.models import Invoice
    from portal_app.services.billing.money import format_amount

    mine = client_invoice_clause(Invoice, client)
    rows = db.exec(select(Invoice.currency, sa.func.count(), sa.func.sum(Invoice.balance_minor))
                   .where(mine, Invoice.payable_clause())
                   .group_by(Invoice.currency).order_by(Invoice.currency)).all()
    count = sum(int(n) for _, n, _ in rows)
    if count:
        amounts = ", ".join(format_amount(int(total or 0), cur) for cur, _, total in rows)
        return count, f"{count} invoice{'s' if count != 1 else ''} to pay ({amounts})"
    sent = db.exec(select(sa.func.count()).select_from(Invoice).where(mine)).one()
    if sent:
        return 0, ("Nothing to pay right now. 1 invoice in your history." if sent == 1 else
                   f"Nothing to pay right now. {sent} invoices in your history.")
    return 0, EMPTY_TEXT["invoices"]


def _documents_card(db: Session, client: Client) -> tuple[int, str]:
    """(documents awaiting this client's signature, the card's text). One query."""
    import sqlalchemy as sa
    from sqlmodel import col, select

    from portal_app.models import Document, DocumentSigner

    waiting, total = db.exec(
        select(sa.func.count().filter(sa.and_(Document.open_clause(), col(DocumentSigner.status) == "pending")),
               sa.func.count())
        .select_from(Document).join(DocumentSigner, sa.and_(col(DocumentSigner.document_id) == Document.id,
                                                            own_signer_clause(DocumentSigner, client)))
        .where(Document.workspace_id == client.workspace_id, Document.issued_clause())).one()
    if waiting:
        return int(waiting), (f"{waiting} document{'s' if waiting != 1 else ''} waiting for your signature.")
    if total:
        return 0, f"Nothing to sign right now. {total} document{'s' if total != 1 else ''} in your history."
    return 0, EMPTY_TEXT["documents"]


def open_section(db: Session, actor: Actor, section: str) -> SectionSummary:
    client = require_client(actor)
    ps = portal_settings_for(db, client.workspace_id)
    require_portal_section(client, ps, section)
    return SectionSummary(section, SECTION_LABELS[section], 0, EMPTY_TEXT[section])

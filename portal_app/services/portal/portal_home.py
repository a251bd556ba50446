"""What the client portal's home page summarizes, and section access."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import Session

from portal_app.access import (
    Actor,
    bound_client,
    client_appointment_clause,
    client_invoice_clause,
    client_visible_clause,
    own_signer_clause,
    require_client,
    require_portal_section,
)
from portal_app.db import prebuilt, run
from portal_app.models import Contact, utcnow
from portal_app.services.billing.money import format_amount
from portal_app.services.files.file_views import client_context
from portal_app.services.portal.portal_settings import SECTION_LABELS, portal_settings_for
from portal_app.services.wording import plural


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


def home_summary(db: Session, actor: Actor, sections: Mapping[str, object] | None = None) -> tuple[str, list[SectionSummary]]:
    """(greeting name, enabled sections with their counts). Counts are real: sections that
    later features fill hold nothing yet, so they say so.

    Every event of the home page runs this, so it reads in at most three statements, each
    built once and run on the connection: the client's folders (files.client_context: what
    they may open), then every count, the next appointment and the greeting in one, then the amounts to pay by
    currency when there are any. `sections`: which sections are on, when the caller already
    has them (the event's cached branding); else they are read."""
    client = require_client(actor)
    if sections is None:
        ps = portal_settings_for(db, client.workspace_id)
        sections = {key: ps.section_enabled(key) for key in SECTION_LABELS}
    st = _statements()
    ids = {"ws": client.workspace_id, "contact": client.contact_id}
    visible = sorted(client_context(db, client)[1]) or [-1]
    (first_name, payable, sent, waiting, signed_total, files, history, unread, upcoming, next_title, next_start,
     next_end, zone) = run(db, st.counts, **ids, folders=visible, now=utcnow()).one()
    counts = {"invoices": int(payable or 0), "documents": int(waiting or 0), "files": int(files or 0),
              "appointments": int(upcoming or 0)}
    shown = [SectionSummary(key, SECTION_LABELS[key], counts.get(key, 0), EMPTY_TEXT[key])
             for key in SECTION_LABELS if sections.get(key)]
    for summary in shown:
        if summary.key == "invoices":
            summary.empty_text = _invoices_text(db, st, ids, int(payable or 0), int(sent or 0))
        elif summary.key == "documents":
            summary.empty_text = _documents_text(int(waiting or 0), int(signed_total or 0))
        elif summary.key == "communications":
            summary.count = int(unread or 0)
            summary.empty_text = _communications_text(int(unread or 0), int(history or 0))
        elif summary.key == "appointments" and next_start is not None:
            summary.empty_text = _appointments_text(int(upcoming or 0), next_title, next_start, next_end, zone)
        elif summary.key == "files" and summary.count:  # (the card's text: what is there, or the honest empty state)
            summary.empty_text = ("1 file or link is shared with you." if summary.count == 1 else
                                  f"{summary.count} files and links are shared with you.")
    return (first_name or getattr(actor, "name", "")), shown


@dataclass(frozen=True)
class _Statements:
    counts: sa.Select
    amounts: sa.Select


@prebuilt
def _statements() -> _Statements:
    """The home page's statements, built once from the same rules as everywhere else (the
    access clauses, the models' status clauses) with the client as bind parameters: SQLAlchemy
    then skips building, hashing and compiling them on every event."""
    from sqlmodel import col

    from portal_app.models import (
        Appointment,
        Conversation,
        ConversationMessage,
        Document,
        DocumentSigner,
        FileItem,
        FileShare,
        Invoice,
        TimelineEntry,
    )
    from portal_app.models.base import UTCDateTime

    client = bound_client()
    ws, contact = client.workspace_id, client.contact_id
    mine = client_invoice_clause(Invoice, client)
    count = sa.func.count()
    signer = sa.and_(col(DocumentSigner.document_id) == Document.id, own_signer_clause(DocumentSigner, client))
    documents = (sa.select(count).select_from(Document).join(DocumentSigner, signer)
                 .where(col(Document.workspace_id) == ws, Document.issued_clause()))
    files = sa.select(count).select_from(FileItem).where(
        client_visible_clause(FileItem, FileShare, client, sa.bindparam("folders", expanding=True)),
        col(FileItem.kind) != "folder")
    upcoming = sa.and_(client_appointment_clause(Appointment, client), col(Appointment.status) == "scheduled",
                       col(Appointment.ends_at) > sa.bindparam("now", type_=UTCDateTime()))

    def next_one(column):
        return (sa.select(column).where(upcoming).order_by(col(Appointment.starts_at), col(Appointment.id))
                .limit(1).scalar_subquery())

    counts = sa.select(
        sa.select(col(Contact.first_name)).where(col(Contact.id) == contact).scalar_subquery(),
        sa.select(count).select_from(Invoice).where(mine, Invoice.payable_clause()).scalar_subquery(),
        sa.select(count).select_from(Invoice).where(mine).scalar_subquery(),
        documents.where(Document.open_clause(), col(DocumentSigner.status) == "pending").scalar_subquery(),
        documents.scalar_subquery(),
        files.scalar_subquery(),
        sa.select(count).select_from(TimelineEntry).where(
            col(TimelineEntry.workspace_id) == ws, col(TimelineEntry.contact_id) == contact,
            col(TimelineEntry.client_visible).is_(True)).scalar_subquery(),
        sa.select(count).select_from(ConversationMessage).join(
            Conversation, col(Conversation.id) == ConversationMessage.conversation_id).where(
            col(Conversation.workspace_id) == ws, col(Conversation.contact_id) == contact,
            col(ConversationMessage.author) == "staff", col(ConversationMessage.internal).is_(False),
            col(ConversationMessage.id) > Conversation.client_last_read_id).scalar_subquery(),
        # the Appointments card: how many are coming and the next one (title, start, end), and the
        # client's zone to show it in
        sa.select(count).select_from(Appointment).where(upcoming).scalar_subquery(),
        next_one(col(Appointment.title)),
        next_one(col(Appointment.starts_at)),
        next_one(col(Appointment.ends_at)),
        sa.select(col(Contact.time_zone)).where(col(Contact.id) == contact).scalar_subquery(),
    )
    amounts = (sa.select(col(Invoice.currency), sa.func.sum(Invoice.balance_minor))
               .where(mine, Invoice.payable_clause()).group_by(Invoice.currency).order_by(Invoice.currency))
    return _Statements(counts, amounts)


def _invoices_text(db: Session, st: _Statements, ids: dict, payable: int, sent: int) -> str:
    """The invoices card: "2 invoices to pay (1,250.00 USD)"; nothing to pay but invoices in
    the history says so; none at all is the honest empty state."""
    if payable:
        amounts = ", ".join(format_amount(int(total or 0), cur) for cur, total in run(db, st.amounts, **ids))
        return f"{plural(payable, 'invoice')} to pay ({amounts})"
    if sent:
        return f"Nothing to pay right now. {plural(sent, 'invoice')} in your history."
    return EMPTY_TEXT["invoices"]


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _appointments_text(upcoming: int, title: str, start, end, zone: str) -> str:
    """The appointments card: the next one in the client's zone (UTC while unknown), and how
    many more are coming."""
    from portal_app.services.appointments.times import view_zone, when_text

    text = f"Next: {title}, {when_text(_aware(start), _aware(end), view_zone(zone or 'UTC'))}"
    more = upcoming - 1
    return text + (f" (and {plural(more, 'more appointment')})." if more > 0 else ".")


def _documents_text(waiting: int, total: int) -> str:
    """The documents card: documents awaiting this client's signature, or the history."""
    if waiting:
        return f"{plural(waiting, 'document')} waiting for your signature."
    if total:
        return f"Nothing to sign right now. {plural(total, 'document')} in your history."
    return EMPTY_TEXT["documents"]


def _communications_text(unread: int, history: int) -> str:
    """The communications card: unread chat messages first, else the size of the history."""
    if unread:
        return f"{plural(unread, 'unread message')} from the team."
    if history:
        return f"{plural(history, 'update')} in your history: messages, emails and what happened."
    return EMPTY_TEXT["communications"]


def open_section(db: Session, actor: Actor, section: str) -> SectionSummary:
    client = require_client(actor)
    ps = portal_settings_for(db, client.workspace_id)
    require_portal_section(client, ps, section)
    return SectionSummary(section, SECTION_LABELS[section], 0, EMPTY_TEXT[section])

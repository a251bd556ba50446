"""The staff inbox: the workspace's conversations (unread first, then the most recent), the
unread count of the staff navigation, the contact card beside a thread, assigning a
conversation to a colleague, resolving and reopening.

"Unread" is per staff member: a conversation whose newest client message is past this member's
read marker (ConversationStaffRead). Every list is bounded; every query is scoped by the
staff member's workspace (another workspace's conversation, contact or colleague: not found).
Changes publish the staff live hint after commit (adapters/hints.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from portal_app import limits
from portal_app.access import Actor, Staff, require_inbox
from portal_app.adapters import hints
from portal_app.errors import Invalid, NotFound
from portal_app.models import (
    Contact,
    Conversation,
    ConversationMessage,
    ConversationStaffRead,
    Document,
    Invoice,
    StaffUser,
    contact_name,
    utcnow,
)
from portal_app.models.conversations import ConversationStatusError
from portal_app.models.status import status_label
from portal_app.services.billing.money import format_amount
from portal_app.services.conversations import threads
from portal_app.services.validation import clean_text

PER_PAGE = 25
CARD_ITEMS = 5          # open invoices / documents awaiting signature on the contact card
COLLEAGUES_MAX = 200
WHO = ("all", "mine", "unassigned")
STATUS = ("open", "resolved", "all")


class InboxRow(TypedDict):
    id: str
    contact: str
    preview: str
    at: str               # ISO 8601, UTC ("" before the first message)
    when: str             # the same, for people: "07 Dec, 14:05 UTC"
    last_from: str        # client | staff | ""
    status: str           # open | resolved
    unread: bool
    assigned: str         # the colleague's name, "" when unassigned


class InboxPage(TypedDict):
    rows: list[InboxRow]
    total: int
    page: int
    pages: int


class CardItem(TypedDict):
    id: str
    label: str
    detail: str
    href: str


class ContactCard(TypedDict):
    contact_id: str
    name: str
    email: str
    company: str
    href: str                 # the contact record
    invoices: list[CardItem]  # open (sent / partly paid with a balance), newest first
    documents: list[CardItem]  # out for signature


class ThreadHead(TypedDict):
    id: str
    status: str
    assigned_id: str          # the colleague's public id, "" when unassigned
    assigned: str
    card: ContactCard


class Colleague(TypedDict):
    id: str
    name: str


def when(at: datetime | None) -> str:
    return at.strftime("%d %b, %H:%M UTC") if at else ""


def _read_marker():
    """This staff member's read marker of the conversation (outer-joined: none reads as 0)."""
    return aliased(ConversationStaffRead, name="my_read")


def _with_read(stmt, read, staff: Staff):
    return stmt.outerjoin(read, sa.and_(col(read.conversation_id) == Conversation.id,
                                        col(read.staff_user_id) == staff.user_id))


def _unread_clause(read):
    """True for a conversation with a client message past this staff member's read marker: the
    conversation carries its newest client message's id, so this reads no message."""
    return col(Conversation.last_client_message_id) > sa.func.coalesce(col(read.last_read_id), 0)


def _like(query: str) -> str:
    escaped = query.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def inbox(db: Session, actor: Actor, *, q: object = "", who: str = "all", status: str = "open",
          page: object = 1) -> InboxPage:
    """A page of the workspace's conversations: unread first, then the most recent. `q` finds a
    client by name, email or company, or a conversation by the text of its messages."""
    staff = require_inbox(actor)
    query = clean_text(q, "q", "Search", limits.SEARCH)
    if who not in WHO:
        raise Invalid("Choose mine, unassigned or all.", "who")
    if status not in STATUS:
        raise Invalid("Choose open, resolved or all.", "status")
    try:
        page_no = max(1, int(str(page or 1)))
    except ValueError:
        raise Invalid("The page number must be a whole number.", "page") from None
    read = _read_marker()
    unread_expr = _unread_clause(read)
    unread = unread_expr.label("unread")
    stmt = (sa.select(col(Conversation.public_id), col(Conversation.status), col(Conversation.last_message_at),
                      col(Conversation.last_message_preview), col(Conversation.last_message_from),
                      col(Conversation.assigned_staff_id), col(Contact.first_name), col(Contact.last_name),
                      col(Contact.email), unread)
            .join(Contact, col(Contact.id) == Conversation.contact_id))
    stmt = (_with_read(stmt, read, staff)
            .where(col(Conversation.workspace_id) == staff.workspace_id, col(Contact.workspace_id) == staff.workspace_id))
    if status != "all":
        stmt = stmt.where(col(Conversation.status) == status)
    if who == "mine":
        stmt = stmt.where(col(Conversation.assigned_staff_id) == staff.user_id)
    elif who == "unassigned":
        stmt = stmt.where(col(Conversation.assigned_staff_id).is_(None))
    if query:
        like = _like(query)
        text_hit = sa.exists().where(col(ConversationMessage.conversation_id) == Conversation.id,
                                     sa.func.lower(col(ConversationMessage.body)).like(like, escape="\\"))
        stmt = stmt.where(sa.or_(
            sa.func.lower(Contact.first_name + " " + Contact.last_name).like(like, escape="\\"),
            sa.func.lower(col(Contact.email)).like(like, escape="\\"),
            sa.func.lower(col(Contact.company)).like(like, escape="\\"),
            text_hit))
    total = int(db.execute(sa.select(sa.func.count()).select_from(stmt.subquery())).scalar_one())
    pages = max(1, -(-total // PER_PAGE))
    page_no = min(page_no, pages)
    recent = sa.func.coalesce(col(Conversation.last_message_at), col(Conversation.created_at))
    rows = db.execute(stmt.order_by(sa.case((unread_expr, 0), else_=1), recent.desc(), col(Conversation.id).desc())
                      .offset((page_no - 1) * PER_PAGE).limit(PER_PAGE)).all()
    names = _staff_names(db, staff, {r.assigned_staff_id for r in rows if r.assigned_staff_id})
    return InboxPage(rows=[InboxRow(id=r.public_id, contact=contact_name(r.first_name, r.last_name, r.email),
                                    preview=r.last_message_preview, at=r.last_message_at.isoformat() if r.last_message_at else "",
                                    when=when(r.last_message_at),
                                    last_from=r.last_message_from, status=r.status, unread=bool(r.unread),
                                    assigned=names.get(r.assigned_staff_id or 0, ""))
                             for r in rows],
                     total=total, page=page_no, pages=pages)


def unread_count(db: Session, actor: Actor) -> int:
    """Conversations of the workspace with client messages newer than this staff member's read
    marker (the number beside "Inbox" in the staff navigation). One statement: the workspace's
    conversations with a client message (ix_conversation_unread), each outer-joined to this member's
    read marker by its unique key; no message is read."""
    staff = require_inbox(actor)
    read = _read_marker()
    stmt = _with_read(sa.select(sa.func.count()).select_from(Conversation), read, staff).where(
        col(Conversation.workspace_id) == staff.workspace_id, col(Conversation.last_client_message_id) > 0,
        _unread_clause(read))
    return int(db.execute(stmt).scalar_one())


def _staff_names(db: Session, staff: Staff, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {u.id: u.name for u in db.exec(select(StaffUser).where(StaffUser.workspace_id == staff.workspace_id,
                                                                  col(StaffUser.id).in_(ids))).all()}


def colleagues(db: Session, actor: Actor) -> list[Colleague]:
    """Who a conversation can be assigned to: the workspace's staff members still active."""
    staff = require_inbox(actor)
    users = db.exec(select(StaffUser).where(StaffUser.workspace_id == staff.workspace_id,
                                            col(StaffUser.disabled).is_(False))
                    .order_by(col(StaffUser.name), col(StaffUser.id)).limit(COLLEAGUES_MAX)).all()
    return [Colleague(id=u.public_id, name=u.name) for u in users]


def contact_card(db: Session, staff: Staff, contact: Contact) -> ContactCard:
    """Who the client is, their open invoices and the documents waiting for their signature."""
    today = utcnow().date()
    invoices = db.exec(select(Invoice).where(Invoice.workspace_id == staff.workspace_id,
                                             Invoice.contact_id == contact.id, Invoice.payable_clause())
                       .order_by(col(Invoice.issue_date).desc(), col(Invoice.id).desc()).limit(CARD_ITEMS)).all()
    documents = db.exec(select(Document).where(Document.workspace_id == staff.workspace_id,
                                               Document.contact_id == contact.id, Document.open_clause())
                        .order_by(col(Document.updated_at).desc(), col(Document.id).desc()).limit(CARD_ITEMS)).all()
    inv_items = []
    for inv in invoices:
        shown = inv.shown_status(today)
        inv_items.append(CardItem(id=inv.public_id, label=inv.number or "Invoice",
                                  detail=f"{format_amount(inv.balance_minor, inv.currency)} due · "
                                         f"{status_label('invoice', shown)}",
                                  href=f"/staff/invoices/{inv.public_id}"))
    doc_items = [CardItem(id=d.public_id, label=d.title, detail=status_label("document", d.status),
                          href=f"/staff/documents/{d.public_id}") for d in documents]
    return ContactCard(contact_id=contact.public_id, name=contact.display_name, email=contact.email,
                       company=contact.company, href=f"/staff/contacts/{contact.public_id}",
                       invoices=inv_items, documents=doc_items)


def thread_head(db: Session, actor: Actor, conversation_public_id: str) -> ThreadHead:
    """What the inbox shows above and beside an open thread."""
    staff, conv = threads.staff_conversation(db, actor, conversation_public_id)
    contact = db.get(Contact, conv.contact_id)
    if contact is None or contact.workspace_id != staff.workspace_id:
        raise NotFound("This conversation does not exist.")
    assigned = _staff_names(db, staff, {conv.assigned_staff_id} if conv.assigned_staff_id else set())
    assigned_user = db.get(StaffUser, conv.assigned_staff_id) if conv.assigned_staff_id else None
    return ThreadHead(id=conv.public_id, status=conv.status,
                      assigned_id=assigned_user.public_id if assigned_user and conv.assigned_staff_id in assigned else "",
                      assigned=assigned.get(conv.assigned_staff_id or 0, ""), card=contact_card(db, staff, contact))


def assign(db: Session, actor: Actor, conversation_public_id: str, staff_public_id: object) -> str:
    """Give the conversation to a colleague of the same workspace ("" takes it off anyone).
    Returns the colleague's name ("" for nobody)."""
    staff, conv = threads.staff_conversation(db, actor, conversation_public_id, lock=True)
    wanted = str(staff_public_id or "")[:40]
    if not wanted:
        conv.assigned_staff_id = None
        name = ""
    else:
        user = db.exec(select(StaffUser).where(StaffUser.workspace_id == staff.workspace_id,
                                               StaffUser.public_id == wanted)).first()
        if user is None:
            raise NotFound("This team member does not exist.")
        if user.disabled:
            raise Invalid(f"{user.name} can no longer sign in: choose someone else.", "assignee")
        conv.assigned_staff_id, name = user.id, user.name
    conv.updated_at = utcnow()
    db.add(conv)
    db.flush()
    hints.publish_after_commit(db, hints.staff_topic(conv.workspace_id))
    return name


def _move(db: Session, actor: Actor, conversation_public_id: str, status: str) -> None:
    _staff, conv = threads.staff_conversation(db, actor, conversation_public_id, lock=True)
    if conv.status == status:
        raise Invalid("This conversation is resolved already." if status == "resolved"
                      else "This conversation is open already.")
    try:
        conv.move_to(status)
    except ConversationStatusError as exc:
        raise Invalid("This conversation cannot change that way.") from exc
    conv.updated_at = utcnow()
    db.add(conv)
    db.flush()
    hints.publish_after_commit(db, hints.staff_topic(conv.workspace_id))


def resolve(db: Session, actor: Actor, conversation_public_id: str) -> None:
    """Mark the conversation resolved (the client's next message opens it again)."""
    _move(db, actor, conversation_public_id, "resolved")


def reopen(db: Session, actor: Actor, conversation_public_id: str) -> None:
    _move(db, actor, conversation_public_id, "open")

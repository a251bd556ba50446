"""Canned replies: short texts any staff member drops into the inbox's composer (then edits and
sends as usual). Owners and admins write and delete them (access.require_manage_canned_replies);
every staff member of the workspace lists and uses them. At most MAX_REPLIES per workspace.
"""

from __future__ import annotations

from typing import TypedDict

from sqlalchemy import func
from sqlmodel import Session, col, select

from portal_app import limits
from portal_app.access import Actor, require_inbox, require_manage_canned_replies
from portal_app.errors import Invalid, NotFound, ServiceError
from portal_app.models import CannedReply
from portal_app.services.validation import clean_text

MAX_REPLIES = 100


class CannedView(TypedDict):
    id: str
    title: str
    body: str


def _view(r: CannedReply) -> CannedView:
    return CannedView(id=r.public_id, title=r.title, body=r.body)


def may_manage(actor: Actor) -> bool:
    """Whether the page offers writing and deleting canned replies (the services ask again)."""
    try:
        require_manage_canned_replies(actor)
    except ServiceError:
        return False
    return True


def list_replies(db: Session, actor: Actor) -> list[CannedView]:
    staff = require_inbox(actor)
    rows = db.exec(select(CannedReply).where(CannedReply.workspace_id == staff.workspace_id)
                   .order_by(col(CannedReply.title), col(CannedReply.id)).limit(MAX_REPLIES)).all()
    return [_view(r) for r in rows]


def _clean(title: object, body: object) -> tuple[str, str]:
    return (clean_text(title, "canned_title", "Title", limits.CANNED_REPLY_TITLE, required=True),
            clean_text(body, "canned_body", "Reply", limits.CHAT_MESSAGE, multiline=True, required=True))


def _find(db: Session, workspace_id: int, public_id: object) -> CannedReply:
    row = db.exec(select(CannedReply).where(CannedReply.workspace_id == workspace_id,
                                            CannedReply.public_id == str(public_id or "")[:40])).first()
    if row is None:
        raise NotFound("This canned reply does not exist.")
    return row


def create_reply(db: Session, actor: Actor, title: object, body: object) -> CannedView:
    staff = require_manage_canned_replies(actor)
    clean_title, clean_body = _clean(title, body)
    count = db.exec(select(func.count()).select_from(CannedReply)
                    .where(CannedReply.workspace_id == staff.workspace_id)).one()
    if count >= MAX_REPLIES:
        raise Invalid(f"A workspace can keep at most {MAX_REPLIES} canned replies: delete one first.", "canned_title")
    row = CannedReply(workspace_id=staff.workspace_id, title=clean_title, body=clean_body)
    db.add(row)
    db.flush()
    return _view(row)


def update_reply(db: Session, actor: Actor, public_id: object, title: object, body: object) -> CannedView:
    staff = require_manage_canned_replies(actor)
    row = _find(db, staff.workspace_id, public_id)
    row.title, row.body = _clean(title, body)
    db.add(row)
    db.flush()
    return _view(row)


def delete_reply(db: Session, actor: Actor, public_id: object) -> None:
    staff = require_manage_canned_replies(actor)
    db.delete(_find(db, staff.workspace_id, public_id))
    db.flush()


def reply_body(db: Session, actor: Actor, public_id: object) -> str:
    """The text a staff member picked, to put into their composer."""
    staff = require_inbox(actor)
    return _find(db, staff.workspace_id, public_id).body

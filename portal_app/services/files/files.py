"""Shared files, staff side: folders, resource links, rename, move, delete and sharing.

Uploads and downloads live in file_transfer.py, listings in file_views.py. Every function
takes the actor first; every query is scoped by the actor's workspace.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypedDict
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from portal_app import limits
from portal_app.access import Actor, FolderNode, Staff, require_manage_files
from portal_app.db import AnySelect, prebuilt, run
from portal_app.errors import Invalid, NotFound
from portal_app.models import Contact, FileDownload, FileItem, FileShare, Workspace, utcnow
from portal_app.services import audit, events, outbox
from portal_app.services.files.filetypes import clean_file_name
from portal_app.services.validation import clean_text

NAME_MAX = limits.FILE_NAME


def get_item(db: Session, workspace_id: int, public_id: str, kind: str | None = None) -> FileItem:
    item = db.exec(select(FileItem).where(FileItem.workspace_id == workspace_id,
                                          FileItem.public_id == str(public_id or ""))).first()
    if item is None or (kind is not None and item.kind != kind):
        raise NotFound("This file or folder no longer exists.")
    return item


def folder_nodes(db: Session, workspace_id: int) -> dict[int, FolderNode]:
    """Every folder of a workspace as a small tuple (one query): enough to resolve
    inheritance, breadcrumbs and move targets without one query per level."""
    # five columns: SQLAlchemy's select (sqlmodel's typed select() stops at four)
    rows = db.execute(sa.select(col(FileItem.id), col(FileItem.parent_id), col(FileItem.inherit_sharing),
                                col(FileItem.shared_with_all), col(FileItem.owner_contact_id))
                      .where(col(FileItem.workspace_id) == workspace_id, col(FileItem.kind) == "folder")).all()
    return {r[0]: FolderNode(*r) for r in rows}


def _clean_name(value: object, label: str = "Name") -> str:
    text = clean_text(value, "name", label, NAME_MAX, required=True)
    if "/" in text or "\\" in text:
        raise Invalid(f"{label} cannot contain / or \\.", "name")
    if text in (".", ".."):
        raise Invalid(f"{label} cannot be . or ..", "name")
    return text


def _parent(db: Session, staff: Staff, parent_public_id: str | None) -> FileItem | None:
    if not parent_public_id:
        return None
    return get_item(db, staff.workspace_id, parent_public_id, "folder")


def _record(db: Session, staff, action: str, item: FileItem, **detail) -> None:
    audit.record(db, item.workspace_id, staff, action, "file", item.public_id, {"name": item.name, **detail})


def create_folder(db: Session, actor: Actor, *, name: object, parent_public_id: str | None = None) -> FileItem:
    staff = require_manage_files(actor)
    parent = _parent(db, staff, parent_public_id)
    folder = FileItem(workspace_id=staff.workspace_id, parent_id=parent.id if parent else None, kind="folder",
                      name=_clean_name(name, "Folder name"), created_by_user_id=staff.user_id,
                      owner_contact_id=parent.owner_contact_id if parent else None)
    db.add(folder)
    db.flush()
    _record(db, staff, "folder.created", folder)
    return folder


def clean_url(value: object) -> str:
    url = clean_text(value, "url", "Link", limits.LINK_URL, required=True)
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # e.g. an unclosed [IPv6 bracket
        host = None
    if not host or parts.scheme.lower() not in ("http", "https"):
        raise Invalid("The link must be a web address starting with https:// or http://.", "url")
    return url


def add_link(db: Session, actor: Actor, *, title: object, url: object, description: object = "",
             parent_public_id: str | None = None) -> FileItem:
    staff = require_manage_files(actor)
    parent = _parent(db, staff, parent_public_id)
    link = FileItem(workspace_id=staff.workspace_id, parent_id=parent.id if parent else None, kind="link",
                    name=_clean_name(title, "Title"), url=clean_url(url),
                    description=clean_text(description, "description", "Description", limits.LINK_DESCRIPTION, multiline=True),
                    created_by_user_id=staff.user_id, owner_contact_id=parent.owner_contact_id if parent else None)
    db.add(link)
    db.flush()
    _record(db, staff, "link.added", link, url=link.url)
    return link


def rename_item(db: Session, actor: Actor, public_id: str, name: object) -> FileItem:
    staff = require_manage_files(actor)
    item = get_item(db, staff.workspace_id, public_id)
    new = _clean_name(name)
    if item.kind == "file":
        new = clean_file_name(new)
    old, item.name, item.updated_at = item.name, new, utcnow()
    db.add(item)
    _record(db, staff, "file.renamed", item, old_name=old)
    return item


def _descendant_ids(nodes_children: dict[int | None, list[int]], root: int) -> set[int]:
    out, todo = set(), [root]
    while todo:
        fid = todo.pop()
        if fid in out:
            continue
        out.add(fid)
        todo.extend(nodes_children.get(fid, []))
    return out


def _children_map(db: Session, workspace_id: int) -> dict[int | None, list[int]]:
    children: dict[int | None, list[int]] = {}
    for node in folder_nodes(db, workspace_id).values():
        children.setdefault(node.parent_id, []).append(node.id)
    return children


def move_item(db: Session, actor: Actor, public_id: str, target_public_id: str | None) -> FileItem:
    """Move into another folder (or the top level). A folder cannot go inside itself; a
    client's upload folder stays theirs: folders neither enter nor leave one."""
    staff = require_manage_files(actor)
    item = get_item(db, staff.workspace_id, public_id)
    target = _parent(db, staff, target_public_id)
    if item.kind == "folder":
        if item.owner_contact_id is not None and item.parent_id is None:
            raise Invalid("A client's upload folder stays at the top level.")
        if target is not None and target.id in _descendant_ids(_children_map(db, staff.workspace_id), item.id):
            raise Invalid("A folder cannot be moved into itself or one of its folders.")
        if (target.owner_contact_id if target else None) != item.owner_contact_id:
            raise Invalid("Folders cannot be moved into or out of a client's upload folder.")
    item.parent_id = target.id if target else None
    item.owner_contact_id = target.owner_contact_id if target else None
    item.updated_at = utcnow()
    db.add(item)
    _record(db, staff, "file.moved", item, to=target.name if target else "(top level)")
    return item


def delete_item(db: Session, actor: Actor, public_id: str) -> int:
    """Delete an item (a folder with everything in it). Stored blobs are removed by the
    worker after the transaction commits. Returns how many items went."""
    staff = require_manage_files(actor)
    item = get_item(db, staff.workspace_id, public_id)
    levels: list[list[int]] = [[item.id]] if item.kind == "folder" else []
    if levels:
        children = _children_map(db, staff.workspace_id)
        while levels[-1]:
            levels.append([c for fid in levels[-1] for c in children.get(fid, [])])
    folder_ids = {fid for level in levels for fid in level}
    leaves = set(db.exec(select(FileItem.id).where(
        FileItem.workspace_id == staff.workspace_id, FileItem.kind != "folder",
        col(FileItem.parent_id).in_(folder_ids))).all()) if folder_ids else {item.id}
    ids = folder_ids | leaves
    keys = db.exec(select(FileItem.storage_key).where(col(FileItem.id).in_(ids),
                                                      col(FileItem.storage_key).is_not(None))).all()
    db.execute(sa.delete(FileShare).where(col(FileShare.item_id).in_(ids)))
    db.execute(sa.delete(FileDownload).where(col(FileDownload.item_id).in_(ids)))
    db.execute(sa.delete(FileItem).where(col(FileItem.id).in_(leaves)))
    for level in reversed(levels):  # deepest folders first (parent_id foreign key)
        if level:
            db.execute(sa.delete(FileItem).where(col(FileItem.id).in_(level)))
    for key in keys:
        outbox.enqueue(db, staff.workspace_id, "storage.delete", {"key": key})
    _record(db, staff, "file.deleted", item, items=len(ids), kind=item.kind)
    return len(ids)


# --- sharing -------------------------------------------------------------------------------

class ContactChoice(TypedDict):
    public_id: str
    name: str
    email: str


class DownloadRow(TypedDict):
    """Who downloaded a file: first when, how often."""
    name: str
    email: str
    first: str
    count: int


class ShareSummary(TypedDict, total=False):
    """What the sharing dialog shows of an item (the Files page's `share`; {} until opened)."""
    name: str
    kind: str
    in_folder: bool
    folder_name: str
    client_folder: bool
    effective: str
    downloads: list[DownloadRow]


class SharedFile(TypedDict):
    """A file shared with a contact by name, on the contact record."""
    name: str
    kind: str
    href: str


class ContactFiles(TypedDict):
    shared: list[SharedFile]
    shared_total: int
    upload_folder: str


@dataclass
class SharingView:
    public_id: str
    name: str
    kind: str
    in_folder: bool
    folder_name: str
    inherit: bool
    all_clients: bool
    client_folder: bool
    contacts: list[ContactChoice]  # own shares
    effective: str                 # who can open it now, in words ("All clients, Casey Client")
    downloads: list[DownloadRow]   # who downloaded (files)


def sharing_view(db: Session, actor: Actor, public_id: str) -> SharingView:
    staff = require_manage_files(actor)
    item = get_item(db, staff.workspace_id, public_id)
    parent = db.get(FileItem, item.parent_id) if item.parent_id else None
    shared = _shared_contacts(db, staff.workspace_id, item.id)
    # who can open it while it follows its folder: the sharing of the nearest folder up the
    # tree that has its own (or the client whose upload folder it is in)
    source = item
    nodes = folder_nodes(db, staff.workspace_id) if item.parent_id and item.inherit_sharing else {}
    while source.parent_id is not None and source.inherit_sharing and source.owner_contact_id is None \
            and source.parent_id in nodes:
        source = db.get_one(FileItem, source.parent_id)
    if source.owner_contact_id is not None:
        owner = db.get(Contact, source.owner_contact_id)
        effective = f"Only {owner.display_name}" if owner else "Only the client"
    else:
        source_contacts = shared if source is item else _shared_contacts(db, staff.workspace_id, source.id)
        names = [c.display_name for c in source_contacts]
        parts = (["All clients"] if source.shared_with_all else []) + names[:10]
        effective = ", ".join(parts) + (f" and {len(names) - 10} more" if len(names) > 10 else "") or "Nobody yet"
    downloads = db.exec(select(FileDownload, Contact).join(Contact, col(FileDownload.contact_id) == Contact.id)
                        .where(FileDownload.item_id == item.id, FileDownload.workspace_id == staff.workspace_id)
                        .order_by(col(FileDownload.first_at))).all()
    return SharingView(
        public_id=item.public_id, name=item.name, kind=item.kind, in_folder=parent is not None,
        folder_name=parent.name if parent else "", inherit=bool(parent) and item.inherit_sharing,
        all_clients=item.shared_with_all, client_folder=item.owner_contact_id is not None,
        contacts=[{"public_id": c.public_id, "name": c.display_name, "email": c.email} for c in shared],
        effective=effective,
        downloads=[{"name": c.display_name, "email": c.email, "first": d.first_at.strftime("%d %b %Y, %H:%M UTC"),
                    "count": d.count}
                   for d, c in downloads],
    )


def _shared_contacts(db: Session, workspace_id: int, item_id: int) -> Sequence[Contact]:
    return db.exec(select(Contact).join(FileShare, col(FileShare.contact_id) == Contact.id)
                   .where(FileShare.item_id == item_id, FileShare.workspace_id == workspace_id)
                   .order_by(Contact.first_name, Contact.last_name)).all()


def set_sharing(db: Session, actor: Actor, public_id: str, *, inherit: bool, all_clients: bool,
                contact_public_ids: list[str], notify: bool = False) -> SharingView:
    """Replace an item's own sharing. Contacts newly given access get an outbox event (and,
    with `notify`, an email when they have a portal account)."""
    staff = require_manage_files(actor)
    item = get_item(db, staff.workspace_id, public_id)
    if item.owner_contact_id is not None:
        raise Invalid("Files in a client's own upload folder are shared only with that client.")
    inherit = bool(inherit) and item.parent_id is not None
    if inherit:  # "same as its folder" replaces the item's own sharing: nobody is told of access they lack
        contact_public_ids, all_clients = [], False
    wanted_ids = [str(p) for p in (contact_public_ids or [])][:500]
    contacts = db.exec(select(Contact).where(Contact.workspace_id == staff.workspace_id,
                                             col(Contact.public_id).in_(wanted_ids))).all() if wanted_ids else []
    if len(contacts) != len(set(wanted_ids)):
        raise NotFound("One of the chosen contacts no longer exists.")
    current = {s.contact_id: s for s in db.exec(select(FileShare).where(FileShare.item_id == item.id)).all()}
    wanted = {c.id: c for c in contacts}
    added = [c for cid, c in wanted.items() if cid not in current]
    removed = [cid for cid in current if cid not in wanted]
    for cid in removed:
        db.delete(current[cid])
    for c in added:
        db.add(FileShare(workspace_id=staff.workspace_id, item_id=item.id, contact_id=c.id,
                         created_by_user_id=staff.user_id))
    newly_all = bool(all_clients) and not item.shared_with_all
    item.inherit_sharing, item.shared_with_all, item.updated_at = inherit, bool(all_clients), utcnow()
    db.add(item)
    db.flush()
    _record(db, staff, "file.sharing_changed", item, inherit=inherit, all_clients=bool(all_clients),
            added=[c.email for c in added], removed=len(removed))
    for c in added:
        events.raise_event(db, events.FileShared(workspace_id=staff.workspace_id, item=item.public_id,
                                                 item_kind=item.kind, contact=c.public_id))
    if newly_all:
        events.raise_event(db, events.FileShared(workspace_id=staff.workspace_id, item=item.public_id,
                                                 item_kind=item.kind, audience="all_clients"))
    if notify and added:
        _notify_shared(db, staff, item, added)
    return sharing_view(db, staff, public_id)


def _notify_shared(db: Session, staff: Staff, item: FileItem, contacts: list[Contact]) -> None:
    from portal_app.models import ClientAccount
    from portal_app.services.emails import queue_branded_email

    ws = db.get_one(Workspace, staff.workspace_id)
    active = set(db.exec(select(ClientAccount.contact_id).where(
        ClientAccount.workspace_id == staff.workspace_id, ClientAccount.status == "active",
        col(ClientAccount.contact_id).in_([c.id for c in contacts]))).all())
    what = {"folder": "a folder", "link": "a link"}.get(item.kind, "a file")
    for c in contacts:
        if c.id in active:
            queue_branded_email(
                db, ws, to=c.email, subject=f"{ws.name} shared {what} with you",
                heading=f"Hello {c.first_name or c.display_name},",
                paragraphs=[f"{staff.name or ws.name} shared {what} with you in your client portal: {item.name}."],
                button_label="Open your files", button_url=f"{ws.base_url}/files",
                footer=f"Sent by the {ws.name} client portal.")


def contact_choices(db: Session, actor: Actor, query: str = "", limit: int = 30) -> list[ContactChoice]:
    """Contacts to pick when sharing (name or email match), at most `limit`."""
    staff = require_manage_files(actor)
    stmt = select(Contact).where(Contact.workspace_id == staff.workspace_id)
    q = clean_text(query, "q", "Search", limits.SEARCH)
    if q:
        escaped = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        like = f"%{escaped}%"
        stmt = stmt.where(sa.or_(*(sa.func.lower(column).like(like, escape="\\")
                                   for column in (Contact.email, Contact.first_name, Contact.last_name,
                                                  Contact.company))))
    rows = db.exec(stmt.order_by(Contact.first_name, Contact.last_name).limit(limit)).all()
    return [{"public_id": c.public_id, "name": c.display_name, "email": c.email} for c in rows]


def files_for_contact(db: Session, actor: Actor, contact_id: int, limit: int = 8) -> ContactFiles:
    """For the contact record: what is shared with this contact (the workspace's, by id) by
    name (at most `limit`, newest first, with their total) and their own upload folder, in
    one statement built once: a row per shared item, or one without an item."""
    staff = require_manage_files(actor)
    rows = run(db, _contact_files(), ws=staff.workspace_id, contact=contact_id, limit=limit).all()
    first = rows[0] if rows else None
    return {
        "shared": [{"name": r.name, "kind": r.kind,
                    "href": f"/staff/files?folder={r.public_id}" if r.kind == "folder"
                    else f"/staff/files?folder={r.parent_public_id or ''}" if r.parent_id else "/staff/files"}
                   for r in rows if r.public_id is not None],
        "shared_total": int(first.total) if first else 0,
        "upload_folder": (first.upload_folder or "") if first else "",
    }


@prebuilt
def _contact_files() -> AnySelect:
    ws: sa.BindParameter[int] = sa.bindparam("ws")
    contact: sa.BindParameter[int] = sa.bindparam("contact")
    parent = aliased(FileItem)
    shared = sa.and_(col(FileShare.workspace_id) == ws, col(FileShare.contact_id) == contact)
    total = sa.select(sa.func.count()).select_from(FileShare).join(FileItem, col(FileItem.id) == FileShare.item_id)
    upload_folder = sa.select(col(FileItem.public_id)).where(
        col(FileItem.workspace_id) == ws, col(FileItem.kind) == "folder", col(FileItem.owner_contact_id) == contact,
        col(FileItem.parent_id).is_(None)).limit(1)
    return (sa.select(col(FileItem.name), col(FileItem.kind), col(FileItem.public_id), col(FileItem.parent_id),
                      col(parent.public_id).label("parent_public_id"),
                      total.where(shared).correlate(None).scalar_subquery().label("total"),
                      upload_folder.correlate(None).scalar_subquery().label("upload_folder"))
            .select_from(Contact)
            .outerjoin(FileShare, sa.and_(col(FileShare.contact_id) == Contact.id, shared))
            .outerjoin(FileItem, col(FileItem.id) == FileShare.item_id)
            .outerjoin(parent, col(parent.id) == FileItem.parent_id)
            .where(col(Contact.id) == contact)
            .order_by(col(FileShare.created_at).desc(), col(FileShare.id).desc())
            .limit(sa.bindparam("limit", type_=sa.Integer)))

"""Uploads (streamed to a private temporary file, checked by size, quota and content, then
moved into storage) and authorized downloads."""

from __future__ import annotations

import hashlib
import os
import secrets
import tempfile
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, select

from portal_app.access import (
    Actor,
    Client,
    Staff,
    client_may_see,
    is_staff,
    require_client,
    require_client_files,
    require_client_upload,
    require_manage_files,
    roles_at_least,
)
from portal_app.adapters.storage import get_storage
from portal_app.errors import Forbidden, Invalid, NotFound
from portal_app.models import Contact, FileDownload, FileItem, FileShare, Workspace, utcnow
from portal_app.services import audit, events
from portal_app.services.files.file_views import client_context, usage
from portal_app.services.files.files import get_item
from portal_app.services.files.filetypes import HEAD_BYTES, PREVIEWABLE, check_content, clean_file_name, human_size
from portal_app.services.portal.portal_settings import portal_settings_for
from portal_app.settings import get_settings

MAX_FILES_PER_UPLOAD = 200


class TooLarge(Invalid):
    """Past the per-file limit: the rest of the body is not worth reading."""


def incoming_dir() -> str:
    """Where uploads collect before they are stored: beside local storage (so storing is a
    rename), never a public folder."""
    settings = get_settings()
    base = settings.storage_dir if settings.storage == "local" else tempfile.gettempdir()
    path = os.path.join(os.path.abspath(base), ".incoming")
    os.makedirs(path, exist_ok=True)
    return path


class IncomingFile:
    """One file arriving in pieces. Refuses as soon as it passes the size limit or its first
    bytes contradict its name, removing what had arrived; `discard()` (an upload cut off
    midway) leaves nothing behind either."""

    def __init__(self, raw_name: str, max_bytes: int | None = None):
        self.name = clean_file_name(raw_name)
        self.max_bytes = max_bytes if max_bytes is not None else get_settings().file_max_bytes
        fd, self.path = tempfile.mkstemp(dir=incoming_dir(), prefix="up-")
        self._fh = os.fdopen(fd, "wb")
        self._hash = hashlib.sha256()
        self._head = b""
        self.size = 0
        self.content_type = ""

    def write(self, data: bytes) -> None:
        if self.size + len(data) > self.max_bytes:
            self.discard()
            raise TooLarge(f"“{self.name}” is larger than the {human_size(self.max_bytes)} limit. Nothing was saved.",
                           "file")
        self.size += len(data)
        self._hash.update(data)
        self._fh.write(data)
        if not self.content_type and len(self._head) < HEAD_BYTES:
            self._head += data[: HEAD_BYTES - len(self._head)]
            if len(self._head) >= HEAD_BYTES:
                self._check()

    def finish(self) -> None:
        self._fh.close()
        if not self.content_type:
            self._check()

    def _check(self) -> None:
        try:
            self.content_type = check_content(self.name, self._head)
        except Invalid:
            self.discard()
            raise

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    def discard(self) -> None:
        if not self._fh.closed:
            self._fh.close()
        if os.path.exists(self.path):
            os.unlink(self.path)


def check_room(db: Session, workspace_id: int, incoming_bytes: int) -> None:
    quota = get_settings().file_quota_bytes
    used = usage(db, workspace_id)
    if used + incoming_bytes > quota:
        raise Invalid(f"Not enough storage left: {human_size(max(0, quota - used))} of {human_size(quota)} "
                      "remain for this workspace. Nothing was saved.", "file")


def check_declared(db: Session, actor: Actor, files: list[dict]) -> None:
    """Before any byte is sent: the sizes the browser declares, against the per-file limit
    and the quota (the stream is checked again as it arrives; a browser can lie)."""
    member: Staff | Client
    if is_staff(actor):
        member = require_manage_files(actor)
    else:
        member = client = require_client(actor)
        require_client_upload(client, portal_settings_for(db, client.workspace_id))
    limit = get_settings().file_max_bytes
    if not isinstance(files, (list, tuple)):
        raise Invalid("The list of files could not be read.", "file")
    total = 0
    for f in files[:MAX_FILES_PER_UPLOAD]:
        try:
            size = int(f.get("size") or 0)
        except (AttributeError, TypeError, ValueError):
            raise Invalid("The list of files could not be read.", "file") from None
        if size > limit:
            raise Invalid(f"“{clean_file_name(str(f.get('name', '')))}” is larger than the {human_size(limit)} limit. "
                          "Nothing was uploaded.", "file")
        total += max(0, size)
    if len(files) > MAX_FILES_PER_UPLOAD:
        raise Invalid(f"Upload at most {MAX_FILES_PER_UPLOAD} files at once.", "file")
    check_room(db, member.workspace_id, total)


def client_upload_folder(db: Session, client: Client) -> FileItem:
    folder = db.exec(select(FileItem).where(FileItem.workspace_id == client.workspace_id, FileItem.kind == "folder",
                                            FileItem.owner_contact_id == client.contact_id,
                                            col(FileItem.parent_id).is_(None)).order_by(col(FileItem.id))).first()
    if folder is None:
        contact = db.get_one(Contact, client.contact_id)
        folder = FileItem(workspace_id=client.workspace_id, kind="folder", name=f"From {contact.display_name}"[:255],
                          owner_contact_id=client.contact_id, created_by_contact_id=client.contact_id)
        db.add(folder)
        db.flush()
    return folder


def store_upload(db: Session, actor: Actor, incoming: IncomingFile, folder_public_id: str | None = None) -> FileItem:
    """Store a finished upload and list it. Staff choose the folder; a client's upload always
    lands in their own "From <client>" folder. The row appears only once the blob is stored;
    whatever is refused, the temporary file is removed."""
    try:
        member: Staff | Client
        if is_staff(actor):
            member = staff = require_manage_files(actor)
            folder = get_item(db, staff.workspace_id, folder_public_id, "folder") if folder_public_id else None
            owner = folder.owner_contact_id if folder else None
            by_user, by_contact = staff.user_id, None
        else:
            member = client = require_client(actor)
            require_client_upload(client, portal_settings_for(db, client.workspace_id))
            owner, by_user, by_contact = client.contact_id, None, client.contact_id
        incoming.finish()
        check_room(db, member.workspace_id, incoming.size)
        if by_contact is not None:  # only now: a refused upload creates no folder
            folder = client_upload_folder(db, client)
        ws = db.get_one(Workspace, member.workspace_id)
        key = f"{ws.public_id}/files/{secrets.token_urlsafe(18)}"
        get_storage().put_file(key, incoming.path, incoming.content_type)
    except BaseException:
        incoming.discard()
        raise
    try:
        # Two uploads finishing at once must not both fit in the last free space: the
        # workspace row is locked (PostgreSQL; SQLite has one writer) and the room checked
        # again, briefly, after the slow part (storing the blob) is done.
        db.exec(select(Workspace.id).where(Workspace.id == member.workspace_id).with_for_update()).one()
        check_room(db, member.workspace_id, incoming.size)
    except BaseException:
        get_storage().delete(key)
        raise
    item = FileItem(workspace_id=member.workspace_id, parent_id=folder.id if folder else None, kind="file",
                    name=incoming.name, storage_key=key, size=incoming.size, content_type=incoming.content_type,
                    sha256=incoming.sha256, owner_contact_id=owner, created_by_user_id=by_user,
                    created_by_contact_id=by_contact)
    db.add(item)
    try:
        db.flush()
    except Exception:
        get_storage().delete(key)
        raise
    detail = {"name": item.name, "size": item.size, "folder": folder.name if folder else ""}
    audit.record(db, member.workspace_id, actor, "file.uploaded", "file", item.public_id, detail)
    if by_contact is not None:
        events.raise_event(db, events.FileUploadedByClient(
            workspace_id=member.workspace_id, item=item.public_id,
            contact=db.get_one(Contact, by_contact).public_id, name=item.name, size=item.size,
            folder=folder.name if folder else ""))
        _tell_staff(db, ws, client, item)
    return item


def _tell_staff(db: Session, ws: Workspace, client: Client, item: FileItem) -> None:
    from portal_app.models import StaffUser
    from portal_app.services.emails import staff_notice_email

    admins = db.exec(select(StaffUser).where(StaffUser.workspace_id == ws.id, col(StaffUser.disabled).is_(False),
                                             col(StaffUser.role).in_(roles_at_least("admin")))).all()
    for user in admins:
        staff_notice_email(db, ws, to=user.email, subject=f"{client.name or client.email} uploaded a file",
                           text=f"{client.name or client.email} uploaded “{item.name}” ({human_size(item.size)}) "
                                "to their folder in the client portal.",
                           link=f"{ws.base_url}/staff/files")


@dataclass
class Download:
    name: str
    key: str
    size: int
    content_type: str
    previewable: bool
    sha256: str = ""


def open_file(db: Session, actor: Actor, public_id: str, *, preview: bool = False, count: bool = True) -> Download:
    """Check that the actor may have this file; for a client, remember the first download
    (audit log + outbox) and count the rest."""
    item: FileItem | None
    if is_staff(actor):
        staff = require_manage_files(actor)
        item = get_item(db, staff.workspace_id, public_id, "file")
    else:
        client = require_client(actor)
        require_client_files(client, portal_settings_for(db, client.workspace_id))
        item = db.exec(select(FileItem).where(FileItem.workspace_id == client.workspace_id,
                                              FileItem.public_id == str(public_id or ""),
                                              FileItem.kind == "file")).first()
        if item is None:
            raise NotFound()
        _nodes, visible, _ = client_context(db, client)
        shared = set(db.exec(select(FileShare.item_id).where(
            FileShare.workspace_id == client.workspace_id, FileShare.contact_id == client.contact_id,
            FileShare.item_id == item.id)).all())
        if not client_may_see(client, item, visible, shared):
            raise NotFound()
        if count and not preview:  # (a HEAD request is not a download)
            _count_download(db, client, item)
    if preview and item.content_type not in PREVIEWABLE:
        raise Forbidden("This file cannot be previewed; download it instead.")
    if item.storage_key is None:  # a file always has its blob (only folders and links have none)
        raise NotFound()
    return Download(item.name, item.storage_key, item.size, item.content_type, item.content_type in PREVIEWABLE,
                    item.sha256)


def _count_download(db: Session, client: Client, item: FileItem) -> None:
    row = db.exec(select(FileDownload).where(FileDownload.item_id == item.id,
                                             FileDownload.contact_id == client.contact_id)).first()
    now = utcnow()
    if row is not None:  # one atomic UPDATE: concurrent downloads never lose a count
        db.execute(sa.update(FileDownload).where(col(FileDownload.id) == row.id)
                   .values(count=FileDownload.count + 1, last_at=now))
        return
    db.add(FileDownload(workspace_id=client.workspace_id, item_id=item.id, contact_id=client.contact_id,
                        first_at=now, last_at=now))
    db.flush()
    audit.record(db, client.workspace_id, client, "file.downloaded", "file", item.public_id, {"name": item.name})
    events.raise_event(db, events.FileDownloaded(workspace_id=client.workspace_id, item=item.public_id,
                                                 contact=db.get_one(Contact, client.contact_id).public_id))

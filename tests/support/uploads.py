"""Uploads through services/files/file_transfer.py as the upload handlers make them, and what they
left behind (blobs, temporary files, outbox and audit rows). The `store` fixture (local storage
in the test's folder) is in tests/unit/conftest.py."""

from __future__ import annotations

import json

from sqlmodel import select

from portal_app.models import SECTIONS, AuditEvent, FileItem, OutboxMessage
from portal_app.services.files import file_transfer as ft
from portal_app.services.portal import portal_settings as ps
from portal_app.settings import reset_settings_cache
from tests.support.file_samples import PDF


def blobs(root) -> list[str]:
    """Stored blobs (relative keys), not counting uploads still arriving."""
    if not root.exists():
        return []
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")
                  if p.is_file() and ".incoming" not in p.parts)


def temps(root) -> list[str]:
    incoming = root / ".incoming"
    return sorted(p.name for p in incoming.iterdir()) if incoming.exists() else []


def pdf(n: int = 0) -> bytes:
    """A PDF-looking file of len(PDF) + n bytes (content is judged by its first bytes)."""
    return PDF + b"%" * n


def upload(db, actor, name: str, data: bytes, folder=None, chunk: int = 1000) -> FileItem:
    """What an upload handler does: stream the pieces, then store."""
    incoming = ft.IncomingFile(name)
    for i in range(0, len(data), chunk):
        incoming.write(data[i:i + chunk])
    return ft.store_upload(db, actor, incoming, folder.public_id if folder is not None else None)


def set_portal(db, world, *, uploads: bool = True, files_on: bool = True, staff=None) -> None:
    ps.update_portal_settings(db, staff or world.staff_a, portal_title="Portal", accent_color="#112233",
                              brand_primary=None, brand_secondary=None,
                              sections={**dict.fromkeys(SECTIONS, True), "files": files_on},
                              chat_widget=False, allow_client_uploads=uploads)


def outbox_of(db, kind: str, workspace_id: int | None = None) -> list[dict]:
    q = select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
    if workspace_id is not None:
        q = q.where(OutboxMessage.workspace_id == workspace_id)
    return [json.loads(m.payload) for m in db.exec(q).all()]


def audit_of(db, action: str) -> list[AuditEvent]:
    return db.exec(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


def file_rows(db) -> list[FileItem]:
    return db.exec(select(FileItem).where(FileItem.kind == "file").order_by(FileItem.id)).all()


def limits(monkeypatch, *, max_bytes: int | None = None, quota: int | None = None) -> None:
    if max_bytes is not None:
        monkeypatch.setenv("PORTAL_FILE_MAX_BYTES", str(max_bytes))
    if quota is not None:
        monkeypatch.setenv("PORTAL_FILE_QUOTA_BYTES", str(quota))
    reset_settings_cache()

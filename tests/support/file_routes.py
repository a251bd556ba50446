"""Files over the api/ routes (test_file_routes.py, test_file_ranges.py): uploads and sharing
through the services, download checks. Documents and invoices use NOT_FOUND too. The TestClient
(`http`) and the actors' sessions (`sessions`) are fixtures in tests/integration/conftest.py."""

from __future__ import annotations

import hashlib

from sqlmodel import Session, select

from portal_app.adapters.storage import content_disposition
from portal_app.models import FileDownload

NOT_FOUND = (404, "Not found")
MB = 1024 * 1024
NAME = "Résumé – final.pdf"


def fresh_db() -> Session:
    from portal_app.db import get_engine

    return Session(get_engine(), expire_on_commit=False)


def upload(db, actor, name: str, data: bytes, folder: str | None = None, piece: int = 64 * 1024):
    """Through the upload service, in pieces as a browser's stream arrives."""
    from portal_app.services.files.file_transfer import IncomingFile, store_upload

    incoming = IncomingFile(name)
    for i in range(0, len(data), piece):
        incoming.write(data[i:i + piece])
    item = store_upload(db, actor, incoming, folder)
    db.commit()
    return item


def share(db, world, item, *who: str, all_clients: bool = False, inherit: bool = False) -> None:
    from portal_app.services.files.files import set_sharing

    contacts = {"alice": world.contact_a1, "bob": world.contact_a2}
    set_sharing(db, world.staff_a, item.public_id, inherit=inherit, all_clients=all_clients,
                contact_public_ids=[contacts[w].public_id for w in who])
    db.commit()


def pdf_bytes(size: int) -> bytes:
    """A PDF header then non-repeating bytes (a misplaced chunk changes the content)."""
    head = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
    body = b"".join(hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(size // 32 + 1))
    return (head + body)[:size]


def is_not_found(resp) -> bool:
    return (resp.status_code, resp.text) == NOT_FOUND and resp.headers["content-type"].startswith("text/plain")


def assert_download_headers(resp, name: str, size: int) -> None:
    h = resp.headers
    assert h["content-type"] == "application/octet-stream"
    assert h["content-disposition"] == content_disposition(name)
    assert h["content-disposition"].startswith("attachment;")
    assert h["content-length"] == str(size)
    assert h["x-content-type-options"] == "nosniff"
    assert "no-store" in h["cache-control"]
    csp = h["content-security-policy"]
    assert "default-src 'none'" in csp and "sandbox" in csp and "frame-ancestors 'none'" in csp
    assert h["x-frame-options"] == "DENY"


def downloads(item) -> list[FileDownload]:
    with fresh_db() as s:
        return s.exec(select(FileDownload).where(FileDownload.item_id == item.id)
                      .order_by(FileDownload.contact_id)).all()

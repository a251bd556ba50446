"""services/conversations/attachments.py: what a chat attachment may be (judged by its bytes),
the blob kept only while a message refers to it (a refused send or a rolled-back transaction
removes it), and who may read it (the conversation's client, never a note's file; staff of the
workspace). The routes over HTTP: tests/integration/test_conversation_routes.py."""

from __future__ import annotations

import io
import os

import pytest

from portal_app.adapters.storage import get_storage
from portal_app.errors import Invalid, NotFound
from portal_app.services.conversations import attachments, messages, threads
from portal_app.services.portal.portal_settings import portal_settings_for
from portal_app.services.rate_limit import RateLimiter


def _image(fmt: str) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 10, 10)).save(out, format=fmt)
    return out.getvalue()


PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF\n"


@pytest.fixture
def chat(db, world):
    portal_settings_for(db, world.ws_a.id).chat_widget = True
    db.commit()
    messages.RATE.reset()
    yield world
    messages.RATE.reset()


def _blobs(ws) -> list[str]:
    folder = os.path.join(get_storage().root, ws.public_id, "chat")  # type: ignore[attr-defined]
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


@pytest.mark.parametrize("name,fmt,want", [
    ("a.png", "PNG", "image/png"), ("a.jpg", "JPEG", "image/jpeg"), ("a.gif", "GIF", "image/gif"),
    ("a.webp", "WEBP", "image/webp"), ("no extension", "PNG", "image/png"),
])
def test_images_are_recognized_by_their_bytes(name, fmt, want):
    assert attachments.judge(name, _image(fmt)) == (name, want)


def test_a_pdf_and_a_clean_name():
    assert attachments.judge("../../etc/Invoice\u202e.pdf", PDF) == ("Invoice.pdf", "application/pdf")


@pytest.mark.parametrize("name,data,says", [
    ("fake.png", b"<html><script>alert(1)</script></html>", "not a real .png file"),
    ("fake.png", b"GIF89a" + b"\0" * 30, "not a real .png file"),
    ("fake.jpg", b"\x89PNG\r\n\x1a\n" + b"\0" * 30, "not a real .jpg file"),
    ("page.html", b"<!doctype html><p>hi</p>", "cannot be attached"),
    ("drawing.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "cannot be attached"),
    ("notes.txt", b"hello", "cannot be attached"),
    ("empty.png", b"", "is empty"),
])
def test_anything_else_is_refused_with_a_sentence(name, data, says):
    with pytest.raises(Invalid) as err:
        attachments.judge(name, data)
    assert says in err.value.message and err.value.field == "file" and "Nothing was sent" in err.value.message


def test_too_large(monkeypatch):
    monkeypatch.setattr(messages, "ATTACHMENT_MAX_BYTES", 2 * 1024 * 1024)
    png = _image("PNG")
    with pytest.raises(Invalid, match="at most 2 MB"):
        attachments.judge("big.png", png + b"\0" * (2 * 1024 * 1024 + 1 - len(png)))
    assert attachments.too_large_message() == "An attachment can be at most 2 MB. Nothing was sent."


def test_a_sent_file_is_kept_and_readable_by_the_conversation_only(db, chat):
    world = chat
    png = _image("PNG")
    view = attachments.send_with_file(db, world.client_a1, "look", "shot.png", png)
    db.commit()
    assert view["attachment"] and view["attachment"]["type"] == "image/png"
    assert len(_blobs(world.ws_a)) == 1
    for reader in (world.client_a1, world.staff_a, world.member_a):
        found = attachments.open_attachment(db, reader, view["id"])
        assert (found.name, found.content_type, found.size, found.inline) == ("shot.png", "image/png", len(png), True)
        assert get_storage().get(found.key) == png
    for stranger in (world.client_a2, world.client_b1, world.staff_b, world.anon):
        with pytest.raises(Exception) as err:
            attachments.open_attachment(db, stranger, view["id"])
        assert isinstance(err.value, NotFound) or type(err.value).__name__ == "NotSignedIn"


def test_a_notes_file_is_not_found_to_the_client(db, chat):
    world = chat
    conv = threads.get_or_create(db, world.ws_a.id, world.contact_a1.id)
    note = attachments.send_with_file(db, world.staff_a, "internal", "n.pdf", PDF, conversation=conv.public_id,
                                      internal=True)
    plain = attachments.send_with_file(db, world.staff_a, "no file", conversation=conv.public_id)
    db.commit()
    with pytest.raises(NotFound):
        attachments.open_attachment(db, world.client_a1, note["id"])
    assert attachments.open_attachment(db, world.member_a, note["id"]).content_type == "application/pdf"
    with pytest.raises(NotFound):  # a message without a file
        attachments.open_attachment(db, world.staff_a, plain["id"])


def test_a_refused_send_removes_its_blob_at_once(db, chat, monkeypatch):
    world = chat
    monkeypatch.setattr(messages, "RATE", RateLimiter(limit=1, window=60))
    attachments.send_with_file(db, world.client_a1, "one", "a.png", _image("PNG"))
    db.commit()
    with pytest.raises(Invalid, match="very fast"):
        attachments.send_with_file(db, world.client_a1, "two", "b.png", _image("PNG"))
    db.rollback()
    assert len(_blobs(world.ws_a)) == 1


def test_a_rolled_back_transaction_removes_its_blob(db, chat):
    world = chat
    attachments.send_with_file(db, world.client_a1, "gone", "a.pdf", PDF)
    assert len(_blobs(world.ws_a)) == 1
    db.rollback()  # e.g. the commit failed after the send
    assert _blobs(world.ws_a) == []
    attachments.send_with_file(db, world.client_a1, "kept", "a.pdf", PDF)
    db.commit()
    db.rollback()  # a later rollback of the same session leaves committed files alone
    assert len(_blobs(world.ws_a)) == 1


def test_nothing_is_stored_for_someone_who_may_not_send(db, world):
    # chat off: a client is refused before a byte is stored
    with pytest.raises(NotFound):
        attachments.send_with_file(db, world.client_a1, "hi", "a.png", _image("PNG"))
    # staff of workspace B naming A's conversation
    portal_settings_for(db, world.ws_a.id).chat_widget = True
    conv = threads.get_or_create(db, world.ws_a.id, world.contact_a1.id)
    db.commit()
    with pytest.raises(NotFound):
        attachments.send_with_file(db, world.staff_b, "hi", "a.png", _image("PNG"), conversation=conv.public_id)
    db.rollback()
    assert _blobs(world.ws_a) == [] and _blobs(world.ws_b) == []


def test_a_reflex_upload_handler_reads_at_most_one_byte_past_the_limit(monkeypatch):
    import asyncio

    from portal_app.state import chat_upload

    class Upload:
        def __init__(self, name, data):
            self.name, self.filename, self.data, self.asked = name, name, data, None

        async def read(self, n=-1):
            self.asked = n
            return self.data if n < 0 else self.data[:n]

    monkeypatch.setattr(messages, "ATTACHMENT_MAX_BYTES", 10)
    big = Upload("a.png", b"x" * 100)
    assert asyncio.run(chat_upload.read_one([big])) == ("a.png", b"x" * 11) and big.asked == 11
    assert asyncio.run(chat_upload.read_one([])) == (None, b"")
    assert asyncio.run(chat_upload.read_one([Upload("", b"")])) == (None, b"")

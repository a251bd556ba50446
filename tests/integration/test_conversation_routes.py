"""POST /api/conversations/messages and GET /api/conversations/attachments/<message>: the chat
attachment routes inside SecurityHeaders, over Starlette's TestClient (as test_file_routes.py),
on SQLite and PostgreSQL, with local storage and with S3 storage on moto's HTTP server.

The world (tests/conftest.py): workspace A (owner staff_a, member member_a, clients alice and
bob), workspace B (owner staff_b, client carol), each with the chat widget switched on here.
`sessions` (tests/integration/conftest.py) are real server-side sessions per actor, sent as the
browser's cookie to the host it would send it to; `*_on_a` / `*_on_b` are a cookie taken to the
other workspace's host.

The tables GET_MATRIX / POST_MATRIX are the authorization matrix of both routes: every kind of
actor with the outcome it gets; each refusal is also checked to have written nothing (no
message row, no blob).
"""

from __future__ import annotations

import io
import os

import pytest
from sqlmodel import func, select

from portal_app.adapters.storage import content_disposition, get_storage
from portal_app.models import ConversationMessage
from portal_app.services.conversations import messages
from portal_app.services.portal.portal_settings import portal_settings_for
from portal_app.services.rate_limit import RateLimiter
from portal_app.services.sessions import SESSION_COOKIE
from tests.support.file_routes import fresh_db, is_not_found, pdf_bytes

# --- fixtures and helpers -----------------------------------------------------------------------


@pytest.fixture(autouse=True)
def chat_on(db, world):
    for ws in (world.ws_a, world.ws_b):
        portal_settings_for(db, ws.id).chat_widget = True
    db.commit()
    messages.RATE.reset()
    yield
    messages.RATE.reset()


def png_bytes() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (30, 20), (10, 120, 200)).save(out, format="PNG")
    return out.getvalue()


def _headers(sessions, who: str, origin: bool = True) -> dict[str, str]:
    host, token = sessions[who]
    headers = {"host": host}
    if token:
        headers["cookie"] = f"theme=dark; {SESSION_COOKIE}={token}"
    if origin:
        headers["origin"] = f"https://{host}"
    return headers


@pytest.fixture
def send(http, sessions):
    def do(who: str, body: str = "", file: tuple[str, bytes, str] | None = None, *, conversation: str | None = None,
           internal: bool = False, origin: bool = True):
        data = {"body": body}
        if conversation is not None:
            data["conversation"] = conversation
        if internal:
            data["internal"] = "1"
        files = {"file": file} if file else {"file": ("", b"", "application/octet-stream")}
        return http.post("/api/conversations/messages", data=data, files=files,
                         headers=_headers(sessions, who, origin))
    return do


@pytest.fixture
def fetch(http, sessions):
    def do(who: str, message_id: str, **extra):
        return http.get(f"/api/conversations/attachments/{message_id}",
                        headers={**_headers(sessions, who, origin=False), **extra})
    return do


def message_count() -> int:
    with fresh_db() as db:
        return db.exec(select(func.count()).select_from(ConversationMessage)).one()


def chat_blobs(ws) -> list[str]:
    """The chat blobs stored for workspace `ws` (local storage: files; S3: keys)."""
    store = get_storage()
    prefix = f"{ws.public_id}/chat/"
    if hasattr(store, "root"):
        folder = os.path.join(store.root, prefix)
        return sorted(os.listdir(folder)) if os.path.isdir(folder) else []
    listed = store.client.list_objects_v2(Bucket=store.bucket, Prefix=prefix)  # type: ignore[attr-defined]
    return sorted(o["Key"] for o in listed.get("Contents", []))


def conversation_of(world, contact) -> str:
    from portal_app.services.conversations import threads

    with fresh_db() as db:
        conv = threads.get_or_create(db, contact.workspace_id, contact.id)
        db.commit()
        return conv.public_id


PNG_FILE = ("Screenshot – 1.png", png_bytes(), "image/png")


# --- sending ------------------------------------------------------------------------------------

def test_a_client_sends_a_message_with_an_image_and_reads_it_back(send, fetch, world):
    resp = send("alice", "Here is the screenshot", PNG_FILE)
    assert resp.status_code == 200, resp.text
    view = resp.json()["message"]
    assert resp.json()["ok"] is True and view["body"] == "Here is the screenshot" and view["mine"] is True
    att = view["attachment"]
    assert att["name"] == "Screenshot – 1.png" and att["type"] == "image/png" and att["image"] is True
    assert att["url"] == f"/api/conversations/attachments/{view['id']}"
    assert att["size"] == len(PNG_FILE[1])
    assert len(chat_blobs(world.ws_a)) == 1

    got = fetch("alice", view["id"])
    assert got.status_code == 200 and got.content == PNG_FILE[1]
    assert got.headers["content-type"] == "image/png"
    assert got.headers["content-disposition"] == content_disposition("Screenshot – 1.png", "inline")
    assert "sandbox" in got.headers["content-security-policy"]
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["cache-control"] == "private, no-store"
    part = fetch("alice", view["id"], range="bytes=0-7")
    assert part.status_code == 206 and part.content == PNG_FILE[1][:8]


def test_the_type_comes_from_the_bytes_not_the_browser(send, fetch):
    # a real PDF the browser calls an image, with no extension: stored and served as a PDF
    resp = send("alice", "", ("contract", pdf_bytes(3000), "image/png"))
    assert resp.status_code == 200, resp.text
    att = resp.json()["message"]["attachment"]
    assert att["type"] == "application/pdf" and att["image"] is False
    got = fetch("staff_a", resp.json()["message"]["id"])
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'self'"


def test_staff_send_to_a_conversation_and_a_note_never_reaches_the_client(send, fetch, world):
    conv = conversation_of(world, world.contact_a1)
    reply = send("staff_a", "The signed copy", ("signed.pdf", pdf_bytes(2000), "application/pdf"), conversation=conv)
    note = send("member_a", "Internal: check this", PNG_FILE, conversation=conv, internal=True)
    assert reply.status_code == 200 and note.status_code == 200, (reply.text, note.text)
    assert note.json()["message"]["internal"] is True
    assert fetch("alice", reply.json()["message"]["id"]).status_code == 200
    assert is_not_found(fetch("alice", note.json()["message"]["id"]))  # a note's file: not found to the client
    assert fetch("staff_a", note.json()["message"]["id"]).status_code == 200
    assert fetch("member_a", note.json()["message"]["id"]).content == PNG_FILE[1]


# --- the authorization matrix -------------------------------------------------------------------

# actor -> status of GET for a file alice sent in workspace A (staff: any of its staff)
GET_MATRIX = {
    "anon": 404, "alice": 200, "bob": 404, "carol_on_a": 404, "carol_on_b": 404, "alice_on_b": 404,
    "staff_a": 200, "member_a": 200, "staff_b_on_a": 404, "staff_b_on_b": 404,
}


def test_get_matrix(send, fetch, world):
    sent = send("alice", "", PNG_FILE).json()["message"]["id"]
    for who, want in GET_MATRIX.items():
        got = fetch(who, sent)
        assert got.status_code == want, f"GET as {who}: {got.status_code}"
        if want == 404:
            assert is_not_found(got), who  # the plain 404, nothing of the file
    # junk ids: the same 404, never a 500
    for junk in ("msg_" + "x" * 300, "fi_abc", "msg_%00", "msg_a..b"):
        assert fetch("staff_a", junk).status_code == 404


# actor -> (status, field) of POST "hello" + a PNG, as a client (no conversation field)
POST_CLIENT_MATRIX = {
    "anon": 401, "alice": 200, "bob": 200, "carol_on_a": 401, "carol_on_b": 200, "alice_on_b": 401,
    # staff without a conversation: there is none to write to
    "staff_a": 404, "staff_b_on_a": 401,
}


def test_post_matrix(send, world):
    for who, want in POST_CLIENT_MATRIX.items():
        before, blobs = message_count(), chat_blobs(world.ws_a) + chat_blobs(world.ws_b)
        resp = send(who, "hello", PNG_FILE)
        assert resp.status_code == want, f"POST as {who}: {resp.status_code} {resp.text}"
        if want != 200:
            assert resp.json()["error"], who
            assert message_count() == before and chat_blobs(world.ws_a) + chat_blobs(world.ws_b) == blobs, who


def test_staff_post_matrix_for_a_conversation_of_workspace_a(send, world):
    conv = conversation_of(world, world.contact_a2)
    want = {"staff_a": 200, "member_a": 200, "staff_b_on_b": 404, "staff_b_on_a": 401, "anon": 401}
    for who, status in want.items():
        before, blobs = message_count(), chat_blobs(world.ws_a) + chat_blobs(world.ws_b)
        resp = send(who, "from staff", PNG_FILE, conversation=conv)
        assert resp.status_code == status, f"POST as {who}: {resp.status_code} {resp.text}"
        if status != 200:
            assert message_count() == before and chat_blobs(world.ws_a) + chat_blobs(world.ws_b) == blobs, who
    # a client naming another conversation still writes only in their own
    resp = send("alice", "mine", None, conversation=conv)
    assert resp.status_code == 200
    with fresh_db() as db:
        msg = db.exec(select(ConversationMessage).where(ConversationMessage.public_id == resp.json()["message"]["id"])).one()
        from portal_app.models import Conversation

        assert db.get(Conversation, msg.conversation_id).contact_id == world.contact_a1.id


def test_chat_switched_off_is_not_found_to_a_client(send, db, world):
    portal_settings_for(db, world.ws_a.id).chat_widget = False
    db.commit()
    resp = send("alice", "hello", PNG_FILE)
    assert resp.status_code == 404 and "not available" in resp.json()["error"]
    assert chat_blobs(world.ws_a) == []


def test_another_site_cannot_post(send, http, sessions, world):
    resp = send("alice", "hello", PNG_FILE, origin=False)
    assert resp.status_code == 403 and "Reload the page" in resp.json()["error"]
    headers = {**_headers(sessions, "alice"), "origin": "http://evil.example"}
    resp = http.post("/api/conversations/messages", data={"body": "x"}, files={"file": PNG_FILE}, headers=headers)
    assert resp.status_code == 403
    assert message_count() == 0 and chat_blobs(world.ws_a) == []


# --- refusals: each a sentence for the user, nothing stored --------------------------------------

def test_an_oversized_file_is_refused_with_a_human_message(send, world, monkeypatch):
    monkeypatch.setattr(messages, "ATTACHMENT_MAX_BYTES", 4000)
    png = png_bytes()
    big = png + b"\0" * (4001 - len(png))
    resp = send("alice", "big one", ("big.png", big, "image/png"))
    assert resp.status_code == 400 and resp.json()["field"] == "file"
    assert "too large" in resp.json()["error"] and "3.9 KB" in resp.json()["error"]
    # past the whole body's limit: refused before the form is parsed
    huge = png + b"\0" * (200_000)
    resp = send("alice", "huge", ("huge.png", huge, "image/png"))
    assert resp.status_code == 413 and "at most" in resp.json()["error"] and resp.json()["field"] == "file"
    assert message_count() == 0 and chat_blobs(world.ws_a) == []


def test_the_real_limit_is_ten_megabytes(send, world):
    png = png_bytes()
    resp = send("alice", "", ("big.png", png + b"\0" * (messages.ATTACHMENT_MAX_BYTES + 1 - len(png)), "image/png"))
    assert resp.status_code == 400 and "10 MB" in resp.json()["error"]
    assert chat_blobs(world.ws_a) == []


@pytest.mark.parametrize("name,data", [
    ("photo.png", b"<!DOCTYPE html><html><script>alert(1)</script></html>"),   # a page named .png
    ("photo.png", b"GIF89a" + b"\0" * 64),                                      # another image named .png
    ("photo.png", b"\x00\x01\x02not an image at all" * 10),                      # no magic at all
    ("notes.txt", b"just some text"),                                           # not an image or PDF
    ("archive.zip", b"PK\x03\x04" + b"\0" * 64),
])
def test_a_file_that_is_not_what_it_claims_is_refused(send, world, name, data):
    resp = send("alice", "look", (name, data, "image/png"))
    assert resp.status_code == 400 and resp.json()["field"] == "file", resp.text
    assert name in resp.json()["error"] and "Nothing was sent" in resp.json()["error"]
    assert message_count() == 0 and chat_blobs(world.ws_a) == []


def test_an_empty_message_without_a_file_is_refused(send):
    resp = send("alice", "   ")
    assert resp.status_code == 400 and resp.json() == {"error": "Write a message or attach a file.", "field": "body"}


def test_the_rate_limit_says_when_to_try_again_and_keeps_no_blob(send, world, monkeypatch):
    monkeypatch.setattr(messages, "RATE", RateLimiter(limit=2, window=60))
    assert send("alice", "one", PNG_FILE).status_code == 200
    assert send("alice", "two", PNG_FILE).status_code == 200
    resp = send("alice", "three", PNG_FILE)
    assert resp.status_code == 400 and resp.json()["field"] == "body"
    assert "sending messages very fast" in resp.json()["error"] and "seconds" in resp.json()["error"]
    assert len(chat_blobs(world.ws_a)) == 2 and message_count() == 2  # the refused one's blob is gone


def test_not_a_form_is_refused(http, sessions):
    resp = http.post("/api/conversations/messages", json={"body": "hi"}, headers=_headers(sessions, "alice"))
    assert resp.status_code == 400 and "form" in resp.json()["error"]


# --- S3 ------------------------------------------------------------------------------------------

def test_round_trip_on_s3(s3_store, send, fetch, world):
    resp = send("alice", "on S3", ("scan.pdf", pdf_bytes(70_000), "application/pdf"))
    assert resp.status_code == 200, resp.text
    msg_id = resp.json()["message"]["id"]
    keys = chat_blobs(world.ws_a)
    assert len(keys) == 1 and keys[0].startswith(f"{world.ws_a.public_id}/chat/")
    got = fetch("staff_a", msg_id)
    assert got.status_code == 200 and got.content == pdf_bytes(70_000)  # streamed by us: shown inline
    assert got.headers["content-disposition"] == content_disposition("scan.pdf", "inline")
    part = fetch("alice", msg_id, range="bytes=100-199")
    assert part.status_code == 206 and part.content == pdf_bytes(70_000)[100:200]
    assert is_not_found(fetch("bob", msg_id))
    # a refused send on S3 leaves no object either
    resp = send("alice", "", ("fake.png", b"nope" * 100, "image/png"))
    assert resp.status_code == 400 and chat_blobs(world.ws_a) == keys


def test_a_file_past_the_default_body_limit_gets_through_the_apps_guard(sessions, world):
    """In the app, BodyLimits sits in front of the api/ routes (1 MB for other requests):
    this route has its own limit there (body_limits.route_limits)."""
    import warnings

    from portal_app.api.body_limits import BodyLimits
    from portal_app.api.routes import build_api
    from portal_app.api.security_headers import SecurityHeaders

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient
    scan = pdf_bytes(3 * 1024 * 1024)
    app = SecurityHeaders(BodyLimits(build_api(), upload_limits=lambda: {}))
    with TestClient(app, base_url=f"https://{sessions['alice'][0]}", follow_redirects=False) as c:
        resp = c.post("/api/conversations/messages", data={"body": "the scan"},
                      files={"file": ("scan.pdf", scan, "application/pdf")}, headers=_headers(sessions, "alice"))
        assert resp.status_code == 200, resp.text
        got = c.get(resp.json()["message"]["attachment"]["url"], headers=_headers(sessions, "alice", origin=False))
        assert got.status_code == 200 and got.content == scan

"""GET /api/files/{file}/download and /preview: the api/ routes inside SecurityHeaders, over
Starlette's TestClient (as test_api_routes.py), on SQLite and PostgreSQL, with local storage
and with S3 storage on moto's HTTP server.

The world (tests/conftest.py): workspace A at alpha.example.test (owner staff_a, member
member_a, clients alice and bob), workspace B at beta.example.test (owner staff_b, client
carol). Files are uploaded and shared through the services; sessions are real server-side
sessions, sent as the HttpOnly cookie a browser would send, on the host it would send it to.
Helpers shared with test_file_ranges.py are in tests/support/file_routes.py.
"""

from __future__ import annotations

import io
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlmodel import select

from portal_app.adapters.storage import content_disposition, get_storage
from portal_app.api.routes import build_api
from portal_app.api.security_headers import SecurityHeaders
from portal_app.models import OutboxMessage
from portal_app.services.sessions import SESSION_COOKIE
from tests.support.file_routes import (
    MB,
    NAME,
    assert_download_headers,
    downloads,
    fresh_db,
    is_not_found,
    pdf_bytes,
    share,
    upload,
)
from tests.support.s3 import BUCKET, SECRET_KEY, sigv4_verify
from tests.support.world import HOST_A

# --- fixtures and helpers (`http`, `sessions`, `s3_store`: tests/integration/conftest.py) ---

@pytest.fixture
def get(http, sessions):
    def do(who: str, file_id: str, what: str = "download"):
        host, token = sessions[who]
        headers = {"host": host}
        if token:
            headers["cookie"] = f"theme=dark; {SESSION_COOKIE}={token}"
        return http.get(f"/api/files/{file_id}/{what}", headers=headers)
    return do


def png_bytes() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (30, 20), (10, 120, 200)).save(out, format="PNG")
    return out.getvalue()


def docx_bytes() -> bytes:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)"><script>alert(1)</script></svg>'
HTML = b"<!DOCTYPE html><html><body><script>fetch('/api/files').then(r=>r.text())</script></body></html>"


def is_signin(resp) -> bool:
    return resp.status_code == 303 and resp.headers["location"] == "/login?next=/files" and not resp.content


# --- who gets a file -----------------------------------------------------------------------

def test_staff_download_any_file_of_their_workspace(world, db, get):
    data = pdf_bytes(3 * MB + 123)  # several storage chunks
    item = upload(db, world.staff_a, "Quarterly report.pdf", data)  # shared with nobody
    for who in ("staff_a", "member_a"):
        resp = get(who, item.public_id)
        assert resp.status_code == 200, who
        assert resp.content == data
        assert_download_headers(resp, "Quarterly report.pdf", len(data))
    assert downloads(item) == []  # staff downloads are not client downloads


def test_client_downloads_a_file_shared_with_her_and_no_one_else_does(world, db, get):
    data = pdf_bytes(2 * MB + 5)
    item = upload(db, world.staff_a, NAME, data)
    share(db, world, item, "alice")

    resp = get("alice", item.public_id)
    assert resp.status_code == 200
    assert resp.content == data
    assert_download_headers(resp, NAME, len(data))
    disposition = resp.headers["content-disposition"]
    assert disposition == ("attachment; filename=\"R_sum_ _ final.pdf\"; "
                           "filename*=UTF-8''R%C3%A9sum%C3%A9%20%E2%80%93%20final.pdf")

    unknown = get("alice", "fi_" + "x" * 22)
    assert is_not_found(unknown)
    # same workspace, not shared; and the other workspace's people, whatever host they use
    for who in ("bob", "carol_on_b", "staff_b_on_b"):
        for what in ("download", "preview"):
            resp = get(who, item.public_id, what)
            assert is_not_found(resp), (who, what, resp.status_code)
            assert (resp.status_code, resp.content, resp.headers["content-type"]) == \
                (unknown.status_code, unknown.content, unknown.headers["content-type"])  # no leak
            assert "no-store" in resp.headers["cache-control"]
    # A session of workspace B is no session at all on A's host: signed out, like anyone
    # else, and the same answer as for an id that does not exist.
    for who in ("carol_on_a", "staff_b_on_a", "alice_on_b", "anon"):
        for what in ("download", "preview"):
            assert is_signin(get(who, item.public_id, what)), (who, what)
            assert is_signin(get(who, "fi_doesnotexist", what)), (who, what)
    assert [d.contact_id for d in downloads(item)] == [world.contact_a1.id]


def test_guessed_and_wrong_kind_ids_are_not_found(world, db, get):
    from portal_app.services.files.files import add_link, create_folder

    item = upload(db, world.staff_a, "a.pdf", pdf_bytes(100))
    folder = create_folder(db, world.staff_a, name="Shared")
    link = add_link(db, world.staff_a, title="Site", url="https://example.org/")
    db.commit()
    share(db, world, folder, all_clients=True)
    share(db, world, link, all_clients=True)
    guesses = ["fi_" + "A" * 22, item.public_id[:-1], item.public_id + "x", item.public_id.upper(),
               folder.public_id, link.public_id, "1", str(item.id), "%00", item.public_id + "%00",
               item.public_id + "%0A", "fi_%27%20OR%201%3D1--", "fi_" + "a" * 5000]
    for who in ("staff_a", "alice"):
        for guess in guesses:
            for what in ("download", "preview"):
                resp = get(who, guess, what)
                assert is_not_found(resp), (who, guess, what, resp.status_code)
    assert get("staff_a", item.public_id).status_code == 200  # the real id is fine
    # a path that decodes to another path is no file route at all
    assert get("staff_a", "..%2F..%2F..%2Fetc%2Fpasswd").status_code == 404


def test_anonymous_is_sent_to_sign_in(world, db, get, http):
    item = upload(db, world.staff_a, "a.pdf", pdf_bytes(100))
    share(db, world, item, all_clients=True)
    for what in ("download", "preview"):
        assert is_signin(get("anon", item.public_id, what))
    # a forged or expired token is no session either
    forged = http.get(f"/api/files/{item.public_id}/download",
                      headers={"host": HOST_A, "cookie": f"{SESSION_COOKIE}=forged-token"})
    assert is_signin(forged)
    nowhere = http.get(f"/api/files/{item.public_id}/download", headers={"host": "elsewhere.test"})
    assert is_signin(nowhere)


def test_shared_with_all_clients_means_the_workspace_clients_only(world, db, get):
    data = b"%PDF-1.4 everyone"
    item = upload(db, world.staff_a, "Price list.pdf", data)
    assert is_not_found(get("alice", item.public_id))  # not shared yet
    share(db, world, item, all_clients=True)
    for who in ("alice", "bob"):
        resp = get(who, item.public_id)
        assert resp.status_code == 200 and resp.content == data, who
    for who in ("carol_on_b", "staff_b_on_b"):
        assert is_not_found(get(who, item.public_id)), who
    assert is_signin(get("carol_on_a", item.public_id))
    # unsharing takes effect at once
    share(db, world, item, all_clients=False)
    assert is_not_found(get("alice", item.public_id))


def test_a_file_in_a_shared_folder_inherits_its_sharing(world, db, get):
    from portal_app.services.files.files import create_folder

    folder = create_folder(db, world.staff_a, name="For Alice")
    db.commit()
    share(db, world, folder, "alice")
    item = upload(db, world.staff_a, "inside.pdf", b"%PDF-1.5 inside", folder=folder.public_id)
    assert get("alice", item.public_id).content == b"%PDF-1.5 inside"
    assert is_not_found(get("bob", item.public_id))
    # its own sharing instead of the folder's: now only Bob
    share(db, world, item, "bob", inherit=False)
    assert is_not_found(get("alice", item.public_id))
    assert get("bob", item.public_id).status_code == 200


def configure_portal(db, world, *, files: bool = True, client_uploads: bool = False) -> None:
    from portal_app.models.workspace import SECTIONS
    from portal_app.services.portal.portal_settings import update_portal_settings

    update_portal_settings(db, world.staff_a, portal_title="Alpha Portal", accent_color="#2563eb",
                           brand_primary=None, brand_secondary=None,
                           sections={s: (files if s == "files" else True) for s in SECTIONS},
                           chat_widget=False, allow_client_uploads=client_uploads)
    db.commit()


def test_files_section_switched_off_hides_files_from_clients(world, db, get):
    item = upload(db, world.staff_a, "a.pdf", b"%PDF-1.4 x")
    share(db, world, item, "alice")
    assert get("alice", item.public_id).status_code == 200
    configure_portal(db, world, files=False)
    assert is_not_found(get("alice", item.public_id))
    assert is_not_found(get("alice", item.public_id, "preview"))
    assert get("staff_a", item.public_id).status_code == 200
    configure_portal(db, world, files=True)
    assert get("alice", item.public_id).status_code == 200


def test_a_clients_own_upload_is_hers_and_the_staffs_only(world, db, get):
    configure_portal(db, world, client_uploads=True)
    data = pdf_bytes(300_000)
    item = upload(db, world.client_a1, "my tax return.pdf", data)
    assert item.owner_contact_id == world.contact_a1.id
    assert get("alice", item.public_id).content == data
    assert get("staff_a", item.public_id).content == data
    assert is_not_found(get("bob", item.public_id))
    assert is_not_found(get("bob", item.public_id, "preview"))
    assert is_not_found(get("carol_on_b", item.public_id))


def test_a_listed_file_whose_blob_is_gone_is_not_found(world, db, get):
    item = upload(db, world.staff_a, "gone.pdf", b"%PDF-1.4 gone")
    share(db, world, item, "alice")
    get_storage().delete(item.storage_key)
    for who in ("staff_a", "alice"):
        for what in ("download", "preview"):
            assert is_not_found(get(who, item.public_id, what)), (who, what)


# --- previews ------------------------------------------------------------------------------

def test_pdf_preview_is_inline_and_only_framable_by_the_portal(world, db, get):
    data = pdf_bytes(MB + 17)
    item = upload(db, world.staff_a, NAME, data)
    share(db, world, item, "alice")
    for who in ("staff_a", "alice"):
        resp = get(who, item.public_id, "preview")
        assert resp.status_code == 200, who
        assert resp.content == data
        h = resp.headers
        assert h["content-type"] == "application/pdf"
        assert h["content-disposition"] == content_disposition(NAME, "inline")
        assert h["content-disposition"].startswith('inline; filename="R_sum_ _ final.pdf"')
        assert h["content-length"] == str(len(data))
        csp = h["content-security-policy"]
        assert "default-src 'none'" in csp and "frame-ancestors 'self'" in csp
        assert "frame-ancestors 'none'" not in csp
        assert h["x-frame-options"] == "SAMEORIGIN"
        assert h["x-content-type-options"] == "nosniff" and "no-store" in h["cache-control"]
    assert downloads(item) == []  # looking is not downloading
    assert is_not_found(get("bob", item.public_id, "preview"))


def test_image_preview_is_sandboxed(world, db, get):
    data = png_bytes()
    item = upload(db, world.staff_a, "photo.png", data)
    share(db, world, item, "alice")
    resp = get("alice", item.public_id, "preview")
    assert resp.status_code == 200 and resp.content == data
    assert resp.headers["content-type"] == "image/png"
    csp = resp.headers["content-security-policy"]
    assert "sandbox" in csp and "default-src 'none'" in csp and "frame-ancestors 'self'" in csp
    assert "script-src" not in csp
    assert resp.headers["x-frame-options"] == "SAMEORIGIN"


@pytest.mark.parametrize("name, data", [
    ("notes.txt", b"just some notes\nline two\n"),
    ("contract.docx", None),  # a real zip container, built below
    ("archive.bin", bytes(range(256)) * 4),
])
def test_files_other_than_pdfs_and_images_have_no_preview(world, db, get, name, data):
    data = docx_bytes() if data is None else data
    item = upload(db, world.staff_a, name, data)
    share(db, world, item, "alice")
    for who in ("staff_a", "alice"):
        assert is_not_found(get(who, item.public_id, "preview")), who
        resp = get(who, item.public_id)  # they download fine
        assert resp.status_code == 200 and resp.content == data
        assert_download_headers(resp, name, len(data))


@pytest.mark.parametrize("name, data", [("drawing.svg", SVG), ("page.html", HTML), ("page.htm", HTML),
                                        ("pic.svg", b"<?xml version='1.0'?>" + SVG)])
def test_markup_is_stored_but_never_served_as_markup(world, db, get, name, data):
    item = upload(db, world.staff_a, name, data)
    share(db, world, item, "alice")
    for who in ("staff_a", "alice"):
        resp = get(who, item.public_id)
        assert resp.status_code == 200 and resp.content == data
        assert_download_headers(resp, name, len(data))
        assert "html" not in resp.headers["content-type"] and "svg" not in resp.headers["content-type"]
        assert is_not_found(get(who, item.public_id, "preview")), who


# --- download counting ---------------------------------------------------------------------

def test_first_client_download_is_recorded_and_later_ones_counted(world, db, get):
    item = upload(db, world.staff_a, "count.pdf", b"%PDF-1.4 count me")
    share(db, world, item, "alice", "bob")

    assert get("alice", item.public_id).status_code == 200
    [first] = downloads(item)
    assert (first.contact_id, first.workspace_id, first.count) == (world.contact_a1.id, world.ws_a.id, 1)

    assert get("alice", item.public_id).status_code == 200
    [second] = downloads(item)
    assert second.count == 2 and second.first_at == first.first_at and second.last_at >= first.last_at

    assert get("alice", item.public_id, "preview").status_code == 200  # a preview is not a download
    assert get("bob", item.public_id).status_code == 200
    rows = downloads(item)
    assert [(r.contact_id, r.count) for r in rows] == [(world.contact_a1.id, 2), (world.contact_a2.id, 1)]
    with fresh_db() as s:  # the first download of each client is announced once
        kinds = [m.kind for m in s.exec(select(OutboxMessage).where(OutboxMessage.kind == "file.downloaded"))]
    assert len(kinds) == 2


def test_refused_downloads_are_not_counted(world, db, get):
    item = upload(db, world.staff_a, "private.pdf", b"%PDF-1.4 private")
    for who in ("bob", "carol_on_b", "anon", "carol_on_a"):
        assert get(who, item.public_id).status_code in (303, 404)
    assert downloads(item) == []


# --- S3 storage: a redirect to a short-lived presigned link --------------------------------

def test_s3_download_redirects_to_a_presigned_attachment_link(world, db, get, s3_store, s3_endpoint):
    data = pdf_bytes(2 * MB + 99)
    item = upload(db, world.staff_a, NAME, data)
    share(db, world, item, "alice")
    assert s3_store.get(item.storage_key) == data  # the upload went to the S3 server

    for who in ("alice", "staff_a"):
        resp = get(who, item.public_id)
        assert resp.status_code == 302, who
        assert "no-store" in resp.headers["cache-control"] and not resp.content
        url = resp.headers["location"]
        assert url.startswith(f"{s3_endpoint}/{BUCKET}/{item.storage_key}?")
        params = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        assert params["response-content-disposition"] == content_disposition(NAME)
        assert params["response-content-disposition"].startswith("attachment;")
        assert params["response-content-type"] == "application/octet-stream"
        assert params["X-Amz-Expires"] == "45"  # PORTAL_DOWNLOAD_LINK_SECONDS
        assert sigv4_verify(url, SECRET_KEY)
        followed = httpx.get(url, timeout=30)  # what the browser does with the redirect
        assert followed.status_code == 200 and followed.content == data
        assert followed.headers["content-type"] == "application/octet-stream"
        assert followed.headers["content-disposition"] == content_disposition(NAME)

    # the access check runs before every link, as with local storage
    assert is_not_found(get("bob", item.public_id))
    assert is_not_found(get("carol_on_b", item.public_id))
    assert is_signin(get("anon", item.public_id))
    assert is_not_found(get("alice", "fi_" + "z" * 22))
    [row] = downloads(item)
    assert row.contact_id == world.contact_a1.id and row.count == 1


def test_s3_markup_download_is_forced_to_an_octet_stream_attachment(world, db, get, s3_store):
    item = upload(db, world.staff_a, "page.html", HTML)
    share(db, world, item, "alice")
    resp = get("alice", item.public_id)
    assert resp.status_code == 302
    followed = httpx.get(resp.headers["location"], timeout=30)
    assert followed.status_code == 200 and followed.content == HTML
    assert followed.headers["content-type"] == "application/octet-stream"
    assert followed.headers["content-disposition"] == 'attachment; filename="page.html"'
    assert is_not_found(get("alice", item.public_id, "preview"))


def test_s3_pdf_preview_is_streamed_by_the_app(world, db, get, s3_store):
    data = pdf_bytes(MB + 500)
    item = upload(db, world.staff_a, "s3 preview.pdf", data)
    share(db, world, item, "alice")
    resp = get("alice", item.public_id, "preview")
    assert resp.status_code == 200 and resp.content == data
    assert resp.headers["content-type"] == "application/pdf"
    assert resp.headers["x-frame-options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in resp.headers["content-security-policy"]


# --- the server keeps serving while a download is looked up --------------------------------

def test_slow_lookups_do_not_block_other_requests(world, db, sessions, monkeypatch):
    """The access check and the storage lookup are blocking calls (database, S3); they run in
    worker threads, so one slow lookup (a locked SQLite file, a distant PostgreSQL or S3)
    does not stall every other request and websocket event of the server process."""
    import asyncio
    import threading

    from portal_app.services.files import file_transfer

    item = upload(db, world.staff_a, "a.pdf", b"%PDF-1.4 concurrent")
    real_open = file_transfer.open_file
    # Ordering, not a wall-clock bound: each lookup waits, as a slow database would, until all
    # five are inside it at once, which only happens if none blocks the others.
    all_in = threading.Barrier(5, timeout=30)
    waited: list[bool] = []

    def slow_open(*args, **kwargs):
        try:
            all_in.wait()
            waited.append(True)
        except threading.BrokenBarrierError:
            waited.append(False)
        return real_open(*args, **kwargs)

    monkeypatch.setattr(file_transfer, "open_file", slow_open)
    cookie = f"{SESSION_COOKIE}={sessions['staff_a'][1]}"

    async def run() -> list:
        transport = httpx.ASGITransport(app=SecurityHeaders(build_api()))
        async with httpx.AsyncClient(transport=transport, base_url=f"http://{HOST_A}") as c:
            return await asyncio.gather(*(c.get(f"/api/files/{item.public_id}/{what}", headers={"cookie": cookie})
                                          for what in ("download", "preview", "download", "preview", "download")))

    results = asyncio.run(run())
    assert [r.status_code for r in results] == [200] * 5
    assert all(r.content == b"%PDF-1.4 concurrent" for r in results)
    assert waited == [True] * 5, "the 5 lookups never ran at the same time: they ran one after another"


def test_concurrent_downloads_never_lose_a_count(world, db, sessions):
    """Ten downloads at once (five by each client): the counter is one atomic UPDATE, so no
    increment is lost, and each client's first download is recorded once."""
    import asyncio

    item = upload(db, world.staff_a, "busy.pdf", b"%PDF-1.4 busy")
    share(db, world, item, "alice", "bob")
    cookies = {who: f"{SESSION_COOKIE}={sessions[who][1]}" for who in ("alice", "bob")}

    async def run() -> list:
        transport = httpx.ASGITransport(app=SecurityHeaders(build_api()))
        async with httpx.AsyncClient(transport=transport, base_url=f"http://{HOST_A}") as c:
            # the first download of each client first (the row exists), then the rush
            for who in cookies:
                resp = await c.get(f"/api/files/{item.public_id}/download", headers={"cookie": cookies[who]})
                assert resp.status_code == 200
            return await asyncio.gather(*(c.get(f"/api/files/{item.public_id}/download",
                                                headers={"cookie": cookies[who]})
                                          for who in ("alice", "bob") * 4))

    results = asyncio.run(run())
    assert [r.status_code for r in results] == [200] * 8
    counts = sorted((r.contact_id, r.count) for r in downloads(item))
    assert counts == sorted([(world.contact_a1.id, 5), (world.contact_a2.id, 5)])


def test_a_head_request_is_not_a_download(world, db, get, http, sessions):
    item = upload(db, world.staff_a, "head.pdf", b"%PDF-1.4 head")
    share(db, world, item, "alice")
    host, token = sessions["alice"]
    resp = http.head(f"/api/files/{item.public_id}/download",
                     headers={"host": host, "cookie": f"{SESSION_COOKIE}={token}"})
    assert resp.status_code == 200
    assert downloads(item) == []
    assert get("alice", item.public_id).status_code == 200
    assert [r.count for r in downloads(item)] == [1]

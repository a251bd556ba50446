"""Byte ranges on /api/files/{file}/download and /preview: a browser resuming a cut-off
download, a PDF viewer fetching part of a file. Local storage streams the range itself; on
S3 the download is the presigned link's business (S3 answers ranges), the preview is
streamed by the app with the range passed on to the S3 server. The world and helpers are
test_file_routes.py's (tests/support/file_routes.py; `http`, `sessions`, `s3_store` are
fixtures in tests/integration/conftest.py).
"""

from __future__ import annotations

import pytest

from portal_app.services.sessions import SESSION_COOKIE
from tests.support.file_routes import (
    MB,
    NAME,
    assert_download_headers,
    downloads,
    is_not_found,
    pdf_bytes,
    share,
    upload,
)


@pytest.fixture
def fetch(http, sessions):
    def do(who: str, file_id: str, what: str = "download", **headers):
        host, token = sessions[who]
        h = {"host": host, **{k.replace("_", "-"): v for k, v in headers.items()}}
        if token:
            h["cookie"] = f"{SESSION_COOKIE}={token}"
        return http.get(f"/api/files/{file_id}/{what}", headers=h)
    return do


@pytest.fixture
def shared(world, db):
    data = pdf_bytes(3 * MB + 123)  # several storage chunks, the last one short
    item = upload(db, world.staff_a, NAME, data)
    share(db, world, item, "alice")
    return item, data


def test_whole_download_advertises_ranges_and_a_strong_etag(shared, fetch):
    item, data = shared
    resp = fetch("alice", item.public_id)
    assert resp.status_code == 200 and resp.content == data
    assert_download_headers(resp, NAME, len(data))
    assert resp.headers["accept-ranges"] == "bytes"
    assert resp.headers["etag"] == f'"{item.sha256}"' and len(item.sha256) == 64
    assert "content-range" not in resp.headers


@pytest.mark.parametrize("header, first, last", [
    ("bytes=0-99", 0, 99),
    ("bytes=1048570-1048585", 1048570, 1048585),  # across a storage chunk boundary
    ("bytes=3000000-", 3000000, 3 * MB + 122),
    ("bytes=-500", 3 * MB + 123 - 500, 3 * MB + 122),
    ("bytes=3145800-99999999", 3145800, 3 * MB + 122),
])
def test_one_range_is_sent_as_206_with_exactly_those_bytes(shared, fetch, header, first, last):
    item, data = shared
    resp = fetch("alice", item.public_id, range=header)
    assert resp.status_code == 206, resp.text
    assert resp.content == data[first:last + 1]
    assert resp.headers["content-range"] == f"bytes {first}-{last}/{len(data)}"
    assert resp.headers["content-length"] == str(last - first + 1)
    assert resp.headers["content-disposition"].startswith("attachment;")
    assert resp.headers["content-type"] == "application/octet-stream"
    assert resp.headers["x-content-type-options"] == "nosniff"


def test_a_resumed_download_is_not_another_download(shared, fetch):
    item, data = shared
    assert fetch("alice", item.public_id, range="bytes=0-1023").status_code == 206  # the start: counted
    etag = f'"{item.sha256}"'
    rest = fetch("alice", item.public_id, range="bytes=1024-", if_range=etag)  # the browser resumes
    assert rest.status_code == 206 and rest.content == data[1024:]
    [row] = downloads(item)
    assert row.count == 1


def test_a_stale_if_range_gets_the_whole_file(shared, fetch):
    item, data = shared
    for if_range in ('"0000"', "Wed, 21 Oct 2026 07:28:00 GMT"):
        resp = fetch("alice", item.public_id, range="bytes=1024-", if_range=if_range)
        assert resp.status_code == 200 and resp.content == data


@pytest.mark.parametrize("header", ["bytes=0-9,20-29", "bytes=50-10", "pages=1-2", "bytes=x-"])
def test_several_or_bad_ranges_get_the_whole_file(shared, fetch, header):
    item, data = shared
    resp = fetch("alice", item.public_id, range=header)
    assert resp.status_code == 200 and resp.content == data


def test_a_range_past_the_end_is_416_and_sends_nothing(shared, fetch):
    item, data = shared
    resp = fetch("alice", item.public_id, range=f"bytes={len(data)}-")
    assert resp.status_code == 416 and resp.content == b""
    assert resp.headers["content-range"] == f"bytes */{len(data)}"
    assert downloads(item) == []  # nothing was downloaded


@pytest.mark.parametrize("who", ["bob", "carol_on_b", "carol_on_a", "staff_b_on_a", "anon"])
def test_a_range_changes_nothing_about_who_may_have_the_file(shared, fetch, who):
    item, _ = shared
    for what in ("download", "preview"):
        resp = fetch(who, item.public_id, what, range="bytes=0-99")
        if who in ("bob", "carol_on_b"):  # signed in, not theirs / another workspace's host
            assert is_not_found(resp)
        else:  # no session valid on this host: sign in first
            assert resp.status_code == 303 and not resp.content
    assert downloads(item) == []


def test_preview_ranges_for_a_pdf_viewer(shared, fetch):
    item, data = shared
    resp = fetch("alice", item.public_id, "preview", range="bytes=-1024")
    assert resp.status_code == 206 and resp.content == data[-1024:]
    assert resp.headers["content-type"] == "application/pdf"
    assert resp.headers["content-disposition"].startswith("inline;")
    assert "frame-ancestors 'self'" in resp.headers["content-security-policy"]
    assert downloads(item) == []  # previews are never counted


def test_s3_preview_range_is_fetched_from_the_s3_server(world, db, fetch, s3_store):
    data = pdf_bytes(2 * MB + 77)
    item = upload(db, world.staff_a, "s3 range.pdf", data)
    share(db, world, item, "alice")
    resp = fetch("alice", item.public_id, "preview", range="bytes=1048000-1049999")
    assert resp.status_code == 206 and resp.content == data[1048000:1050000]
    assert resp.headers["content-range"] == f"bytes 1048000-1049999/{len(data)}"
    resp = fetch("alice", item.public_id, "preview")
    assert resp.status_code == 200 and resp.content == data

"""Shared-file storage against real backends: local disk and moto's S3 HTTP server.

`put_file` (a finished temporary upload moved into storage, the source consumed) and
`iter_chunks` (streamed back in pieces), then presigned S3 download links.

moto serves presigned URLs without checking their signature or their expiry (it verifies
neither unless IAM auth is switched on, and not X-Amz-Expires at all), so expiry and
tampering are judged by the independent SigV4 verifier of test_storage_s3.py, written from
the AWS specification: the same check S3, MinIO or R2 make before answering 403.
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import os
import secrets
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from portal_app.adapters import storage as storage_module
from portal_app.adapters.storage import CHUNK, UPLOAD_PART, LocalStorage, S3Storage, StorageError, content_disposition
from tests.support.s3 import BUCKET, SECRET_KEY, s3_storage, sigv4_verify, tamper

MB = 1024 * 1024


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    if request.param == "local":
        return LocalStorage(str(tmp_path / "blobs"))
    return s3_storage(request.getfixturevalue("s3_endpoint"))


def _key(name: str = "blob") -> str:
    return f"ws_{secrets.token_hex(6)}/files/{name}-{secrets.token_hex(4)}"


def _temp_file(tmp_path, size: int) -> tuple[str, bytes]:
    """A finished upload waiting in a temporary file: non-repeating binary content, so a
    chunk out of place or dropped changes the bytes."""
    data = b"".join(hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(size // 32 + 1))[:size]
    path = tmp_path / f"up-{secrets.token_hex(4)}"
    path.write_bytes(data)
    return str(path), data


# --- put_file / iter_chunks on both backends ----------------------------------------------

def test_put_file_of_a_multi_megabyte_file_streams_back_identically(store, tmp_path):
    # Two parts and a short last one: a real multipart upload on S3 (parts sent in parallel
    # must land in order), and several CHUNKs when read back.
    path, data = _temp_file(tmp_path, 2 * UPLOAD_PART + MB // 2 + 7)
    key = _key("big.bin")
    assert store.exists(key) is False
    store.put_file(key, path, "application/pdf")
    assert not os.path.exists(path)  # the temporary upload is consumed
    assert store.exists(key) is True
    if isinstance(store, S3Storage):  # a multipart object's ETag ends in its part count
        assert store.client.head_object(Bucket=BUCKET, Key=key)["ETag"].endswith('-3"')
    chunks = list(store.iter_chunks(key))
    assert len(chunks) >= 2 and all(len(c) <= CHUNK for c in chunks)
    assert b"".join(chunks) == data
    assert store.get(key) == data
    store.delete(key)
    assert store.exists(key) is False
    with pytest.raises(StorageError):
        store.iter_chunks(key)


def test_put_file_replaces_an_existing_blob(store, tmp_path):
    key = _key("doc")
    first, _ = _temp_file(tmp_path, 1000)
    store.put_file(key, first, "application/octet-stream")
    second = tmp_path / "second"
    second.write_bytes(b"second version")
    store.put_file(key, str(second), "application/octet-stream")
    assert b"".join(store.iter_chunks(key)) == b"second version"
    assert not os.path.exists(first) and not second.exists()


@pytest.mark.parametrize("start, end", [(0, 0), (5, 99), (CHUNK - 3, CHUNK + 3), (CHUNK, None),
                                        (2 * CHUNK + 10, 3 * CHUNK), (3 * CHUNK - 1, None)])
def test_iter_chunks_of_a_byte_range(store, tmp_path, start, end):
    path, data = _temp_file(tmp_path, 3 * CHUNK)
    key = _key("ranged")
    store.put_file(key, path, "application/pdf")
    chunks = list(store.iter_chunks(key, start, end))
    assert b"".join(chunks) == data[start:None if end is None else end + 1]
    assert all(len(c) <= CHUNK for c in chunks)


def test_empty_file_round_trips(store, tmp_path):
    key = _key("empty")
    path = tmp_path / "empty"
    path.write_bytes(b"")
    store.put_file(key, str(path), "application/octet-stream")
    assert store.exists(key) and b"".join(store.iter_chunks(key)) == b""
    assert not path.exists()


def test_iter_chunks_of_a_missing_key_raises_storage_error(store):
    # raised when asked, not later while a response is already being streamed
    with pytest.raises(StorageError):
        store.iter_chunks(_key("never-written"))


@pytest.mark.parametrize("bad", ["../etc/passwd", "/abs/key", "ws/../../x", "", "ws//double", "ws/a b", ".."])
def test_put_file_and_iter_chunks_refuse_bad_keys(store, tmp_path, bad):
    path, _ = _temp_file(tmp_path, 100)
    with pytest.raises(StorageError):
        store.put_file(bad, path, "text/plain")
    assert os.path.exists(path)  # refused before anything happened: the caller still owns it
    with pytest.raises(StorageError):
        store.iter_chunks(bad)


def test_s3_put_file_keeps_the_content_type_and_really_reaches_the_server(s3_endpoint, tmp_path):
    store = s3_storage(s3_endpoint)
    path, data = _temp_file(tmp_path, 3 * MB)
    key = _key("typed")
    store.put_file(key, path, "application/pdf")
    head = store.client.head_object(Bucket=BUCKET, Key=key)
    assert head["ContentType"] == "application/pdf" and head["ContentLength"] == len(data)
    # a separate client (no shared state with the one that uploaded) reads the same bytes
    assert s3_storage(s3_endpoint).get(key) == data


def test_local_put_file_leaves_nothing_but_the_blob(tmp_path):
    root = tmp_path / "blobs"
    store = LocalStorage(str(root))
    path, data = _temp_file(tmp_path, 2 * MB)
    store.put_file("ws_1/files/abc", path, "application/pdf")
    blobs = [p for p in root.rglob("*") if p.is_file()]
    assert blobs == [root / "ws_1" / "files" / "abc"] and blobs[0].read_bytes() == data


def test_local_put_file_across_filesystems_copies_then_renames(tmp_path, monkeypatch):
    """When the temporary upload sits on another disk, the rename fails with EXDEV: the file
    is copied to a temporary name beside the target, renamed into place, and the source removed."""
    root = tmp_path / "blobs"
    store = LocalStorage(str(root))
    path, data = _temp_file(tmp_path, MB + 3)
    real_replace = os.replace

    def replace(src, dst, *a, **kw):
        if os.fspath(src) == path:
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        return real_replace(src, dst, *a, **kw)

    monkeypatch.setattr(storage_module.os, "replace", replace)
    store.put_file("ws_1/files/moved", path, "application/pdf")
    assert not os.path.exists(path)
    assert b"".join(store.iter_chunks("ws_1/files/moved")) == data
    assert [p.name for p in root.rglob("*") if p.is_file()] == ["moved"]  # no .part- left behind


def test_local_put_file_of_a_missing_source_fails_and_leaves_nothing(tmp_path):
    root = tmp_path / "blobs"
    store = LocalStorage(str(root))
    with pytest.raises(OSError):
        store.put_file("ws_1/files/x", str(tmp_path / "no-such-upload"), "application/pdf")
    assert store.exists("ws_1/files/x") is False
    assert [p for p in root.rglob("*") if p.is_file()] == []


# --- presigned download links (S3) --------------------------------------------------------

NAME = "Résumé – final.pdf"


def _stored(s3_endpoint, tmp_path, size=2 * MB + 11) -> tuple[S3Storage, str, bytes]:
    store = s3_storage(s3_endpoint)
    path, data = _temp_file(tmp_path, size)
    key = _key("doc")
    store.put_file(key, path, "application/pdf")  # stored with its own type...
    return store, key, data


def test_presigned_link_downloads_the_bytes_as_an_octet_stream_attachment(s3_endpoint, tmp_path):
    store, key, data = _stored(s3_endpoint, tmp_path)
    url = store.presigned_url(key, expires=60, filename=NAME)
    params = dict(parse_qsl(urlsplit(url).query))
    assert params["response-content-disposition"] == content_disposition(NAME)
    assert params["response-content-type"] == "application/octet-stream"
    assert params["X-Amz-Expires"] == "60"
    assert sigv4_verify(url, SECRET_KEY)
    # a plain HTTP client, as the browser following the link
    resp = httpx.get(url, timeout=30)
    assert resp.status_code == 200
    assert resp.content == data
    assert resp.headers["content-type"] == "application/octet-stream"  # ...but never served as it
    disposition = resp.headers["content-disposition"]
    assert disposition == content_disposition(NAME)
    assert disposition.startswith('attachment; filename="R_sum_ _ final.pdf"')
    assert disposition.endswith("filename*=UTF-8''R%C3%A9sum%C3%A9%20%E2%80%93%20final.pdf")


def _signed_at(url: str) -> dt.datetime:
    stamp = dict(parse_qsl(urlsplit(url).query))["X-Amz-Date"]
    return dt.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)


def test_presigned_link_expires(s3_endpoint, tmp_path):
    """Checked at given instants, not after a sleep: a 1 s link checked "now" on a loaded
    machine could already be past its lifetime."""
    store, key, data = _stored(s3_endpoint, tmp_path, size=1000)
    url = store.presigned_url(key, expires=1, filename=NAME)
    signed_at = _signed_at(url)
    assert sigv4_verify(url, SECRET_KEY, now=signed_at)  # good when issued
    assert sigv4_verify(url, SECRET_KEY, now=signed_at + dt.timedelta(seconds=1))  # ...for its 1 s lifetime
    assert httpx.get(url, timeout=10).content == data
    # moto would still serve it (it does not check X-Amz-Expires); S3/MinIO/R2 answer 403,
    # which is exactly what the specification-based verifier decides here.
    assert not sigv4_verify(url, SECRET_KEY, now=signed_at + dt.timedelta(seconds=1, microseconds=1))
    # a fresh link for the same object is good again
    fresh = store.presigned_url(key, expires=1, filename=NAME)
    assert sigv4_verify(fresh, SECRET_KEY, now=_signed_at(fresh))


def test_altered_links_are_rejected(s3_endpoint, tmp_path):
    store, key, _ = _stored(s3_endpoint, tmp_path, size=1000)
    url = store.presigned_url(key, expires=60, filename=NAME)
    assert sigv4_verify(url, SECRET_KEY)
    other_key = url.replace(urlsplit(url).path, urlsplit(url).path + "x")
    sig = tamper(url, "X-Amz-Signature", lambda v: ("0" if v[0] != "0" else "1") + v[1:])
    inline = tamper(url, "response-content-disposition", lambda v: v.replace("attachment", "inline"))
    renamed = tamper(url, "response-content-disposition", lambda v: v.replace("final", "evil"))
    as_html = tamper(url, "response-content-type", lambda v: "text/html")
    longer = tamper(url, "X-Amz-Expires", lambda v: "604800")
    for altered in (other_key, sig, inline, renamed, as_html, longer):
        assert altered != url
        assert not sigv4_verify(altered, SECRET_KEY), altered
    assert not sigv4_verify(url, "another-secret")
    # dropping the forced disposition is an alteration too
    parts = urlsplit(url)
    stripped = parts._replace(query="&".join(p for p in parts.query.split("&")
                                             if not p.startswith("response-content-disposition="))).geturl()
    assert stripped != url and not sigv4_verify(stripped, SECRET_KEY)


"""Blob storage against real backends: the local disk and moto's S3 HTTP server.

moto runs in this process (ThreadedMotoServer) on a free loopback port; boto3 speaks plain
HTTP to it through `endpoint_url`, exactly as it would to MinIO or R2.

moto serves presigned URLs but does not check their signatures (it verifies only
`Authorization` headers, and only with IAM auth switched on), so tampering is detected
here by an independent SigV4 query-string verifier written from the AWS specification
(`sigv4_verify` in tests/support/s3.py), the same check S3, MinIO or R2 make before they answer 403.
"""

from __future__ import annotations

import datetime as dt
import secrets
import urllib.error
import urllib.request
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from portal_app.adapters.storage import (
    LocalStorage,
    S3Storage,
    StorageError,
    content_disposition,
    get_storage,
    make_storage,
)
from portal_app.settings import get_settings, reset_settings_cache
from tests.support.s3 import ACCESS_KEY, BUCKET, REGION, SECRET_KEY, s3_storage, sigv4_verify, tamper


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    if request.param == "local":
        return LocalStorage(str(tmp_path / "blobs"))
    return s3_storage(request.getfixturevalue("s3_endpoint"))


def _key(name: str) -> str:
    return f"ws_{secrets.token_hex(6)}/files/{name}"


# --- both backends -----------------------------------------------------------------------

def test_put_get_exists_delete_round_trip(store):
    key = _key("report.pdf")
    data = bytes(range(256)) * 40  # binary, not text
    assert store.exists(key) is False
    store.put(key, data, "application/pdf")
    assert store.exists(key) is True
    assert store.get(key) == data
    store.put(key, b"second version", "application/pdf")  # overwrite replaces
    assert store.get(key) == b"second version"
    store.delete(key)
    assert store.exists(key) is False
    store.delete(key)  # deleting twice is not an error


def test_keys_are_isolated(store):
    a, b = _key("a.txt"), _key("a.txt")
    store.put(a, b"alpha", "text/plain")
    store.put(b, b"beta", "text/plain")
    assert (store.get(a), store.get(b)) == (b"alpha", b"beta")


def test_get_of_missing_key_raises_storage_error(store):
    with pytest.raises(StorageError):
        store.get(_key("never-written.bin"))


@pytest.mark.parametrize("bad", [
    "../etc/passwd", "ws/../../etc/passwd", "ws/a/../../x", "/etc/passwd", "/abs/key",
    "", "ws//double", "ws/a b", "ws\\win", "..", "ws/..",
])
def test_bad_keys_are_refused_everywhere(store, bad):
    for call in (lambda: store.put(bad, b"x", "text/plain"), lambda: store.get(bad),
                 lambda: store.exists(bad), lambda: store.delete(bad)):
        with pytest.raises(StorageError):
            call()


def test_local_files_stay_under_root_and_no_partial_files_remain(tmp_path):
    root = tmp_path / "blobs"
    store = LocalStorage(str(root))
    store.put("ws_1/branding/logo", b"png", "image/png")
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert written == [root / "ws_1" / "branding" / "logo"]


def test_local_key_naming_a_folder_is_not_a_blob(tmp_path):
    store = LocalStorage(str(tmp_path / "blobs"))
    store.put("ws_1/a/b", b"x", "text/plain")
    assert store.exists("ws_1/a") is False
    for key in ("ws_1/a", "ws_1/a/b/c"):
        with pytest.raises(StorageError):
            store.get(key)
    store.delete("ws_1/a")  # not a blob: nothing to delete, no crash
    assert store.get("ws_1/a/b") == b"x"


# --- presigned URLs (S3 only) ------------------------------------------------------------

def test_presigned_url_downloads_as_attachment(s3_endpoint):
    store = s3_storage(s3_endpoint)
    key = _key("doc-1")
    store.put(key, b"%PDF-1.7 sealed", "application/pdf")
    url = store.presigned_url(key, expires=120, filename="Contract 2026.pdf")
    assert url.startswith(s3_endpoint + f"/{BUCKET}/")
    # Plain HTTP clients, no AWS SDK: what a browser following the link does.
    with urllib.request.urlopen(url, timeout=10) as resp:
        assert resp.status == 200
        assert resp.read() == b"%PDF-1.7 sealed"
        assert resp.headers["Content-Disposition"] == 'attachment; filename="Contract 2026.pdf"'
    resp = httpx.get(url, timeout=10)
    assert resp.status_code == 200 and resp.content == b"%PDF-1.7 sealed"
    assert resp.headers["content-disposition"].startswith("attachment;")


def test_presigned_url_is_sigv4_and_tampering_is_detected(s3_endpoint):
    store = s3_storage(s3_endpoint)
    key = _key("doc-2")
    store.put(key, b"data", "application/pdf")
    url = store.presigned_url(key, expires=60, filename="a.pdf")
    params = dict(parse_qsl(urlsplit(url).query))
    assert params["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"  # not SigV2 (AWSAccessKeyId=...)
    assert params["X-Amz-Expires"] == "60"
    assert "response-content-disposition" in params  # covered by the signature
    assert sigv4_verify(url, SECRET_KEY)
    assert not sigv4_verify(url, "another-secret")
    flipped = tamper(url, "X-Amz-Signature", lambda v: ("0" if v[0] != "0" else "1") + v[1:])
    assert not sigv4_verify(flipped, SECRET_KEY)
    inline = tamper(url, "response-content-disposition", lambda v: v.replace("attachment", "inline"))
    assert not sigv4_verify(inline, SECRET_KEY)
    other_key = url.replace("/doc-2?", "/doc-3?")
    assert other_key != url and not sigv4_verify(other_key, SECRET_KEY)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=61)
    assert not sigv4_verify(url, SECRET_KEY, now=later)


def test_presigned_url_of_missing_key_is_not_served(s3_endpoint):
    url = s3_storage(s3_endpoint).presigned_url(_key("missing"), filename="x.pdf")
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(url, timeout=10)
    # S3 answers 404, or 403 when the key's owner lacks s3:ListBucket (moto: 403).
    assert err.value.code in (403, 404)


def test_presigned_url_with_awkward_filename_keeps_a_valid_header(s3_endpoint):
    store = s3_storage(s3_endpoint)
    key = _key("doc-3")
    store.put(key, b"x", "application/pdf")
    name = 'Résumé "final"\r\nX-Evil: 1.pdf'
    resp = httpx.get(store.presigned_url(key, filename=name), timeout=10)
    assert resp.status_code == 200
    assert "x-evil" not in resp.headers
    disposition = resp.headers["content-disposition"]
    assert disposition == content_disposition(name)
    assert disposition.startswith('attachment; filename="R_sum_ _final___X-Evil: 1.pdf"')
    assert "filename*=UTF-8''R%C3%A9sum%C3%A9%20%22final%22%0D%0AX-Evil%3A%201.pdf" in disposition


def test_content_disposition_plain_ascii_name_is_unchanged():
    assert content_disposition("invoice-42.pdf") == 'attachment; filename="invoice-42.pdf"'
    assert content_disposition("") == 'attachment; filename="download"'


# --- configuration -----------------------------------------------------------------------

def test_make_storage_from_environment_builds_s3(s3_endpoint, monkeypatch):
    monkeypatch.setenv("PORTAL_STORAGE", "s3")
    monkeypatch.setenv("PORTAL_S3_BUCKET", BUCKET)
    monkeypatch.setenv("PORTAL_S3_ENDPOINT_URL", s3_endpoint)
    monkeypatch.setenv("PORTAL_S3_REGION", REGION)
    monkeypatch.setenv("PORTAL_S3_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("PORTAL_S3_SECRET_ACCESS_KEY", SECRET_KEY)
    reset_settings_cache()
    store = make_storage(get_settings())
    assert isinstance(store, S3Storage) and store.bucket == BUCKET
    key = _key("via-settings")
    store.put(key, b"configured", "text/plain")
    assert s3_storage(s3_endpoint).get(key) == b"configured"  # really went to the moto server
    assert isinstance(get_storage(), S3Storage)


def test_make_storage_s3_without_bucket_is_refused(monkeypatch):
    monkeypatch.setenv("PORTAL_STORAGE", "s3")
    monkeypatch.delenv("PORTAL_S3_BUCKET", raising=False)
    reset_settings_cache()
    with pytest.raises(StorageError):
        make_storage(get_settings())


def test_make_storage_defaults_to_local(monkeypatch, tmp_path):
    monkeypatch.delenv("PORTAL_STORAGE", raising=False)
    monkeypatch.setenv("PORTAL_STORAGE_DIR", str(tmp_path / "store"))
    reset_settings_cache()
    store = make_storage(get_settings())
    assert isinstance(store, LocalStorage) and store.root == str(tmp_path / "store")

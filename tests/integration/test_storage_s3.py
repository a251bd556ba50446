"""Blob storage against real backends: the local disk and moto's S3 HTTP server.

moto runs in this process (ThreadedMotoServer) on a free loopback port; boto3 speaks plain
HTTP to it through `endpoint_url`, exactly as it would to MinIO or R2.

moto serves presigned URLs but does not check their signatures (it verifies only
`Authorization` headers, and only with IAM auth switched on), so tampering is detected
here by an independent SigV4 query-string verifier written from the AWS specification
(`sigv4_verify` below), the same check S3, MinIO or R2 make before they answer 403.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import socket
import urllib.error
import urllib.request
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import httpx
import pytest

from portal_app.adapters.storage import (LocalStorage, S3Storage, StorageError, content_disposition,
                                         get_storage, make_storage)
from portal_app.settings import get_settings, reset_settings_cache

BUCKET = "portal-test"
REGION = "us-east-1"
ACCESS_KEY = "AKIAPORTALTEST000001"
SECRET_KEY = "portal-test-secret-key-not-real"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    import boto3
    from moto.server import ThreadedMotoServer

    with pytest.MonkeyPatch.context() as mp:
        # Nothing may look for credentials or metadata outside this machine.
        mp.setenv("AWS_EC2_METADATA_DISABLED", "true")
        mp.setenv("AWS_CONFIG_FILE", "/dev/null")
        mp.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        port = _free_port()
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        server.start()
        endpoint = f"http://127.0.0.1:{port}"
        try:
            boto3.client("s3", endpoint_url=endpoint, region_name=REGION, aws_access_key_id=ACCESS_KEY,
                         aws_secret_access_key=SECRET_KEY).create_bucket(Bucket=BUCKET)
            yield endpoint
        finally:
            server.stop()


def _s3(endpoint: str) -> S3Storage:
    return S3Storage(BUCKET, endpoint, REGION, ACCESS_KEY, SECRET_KEY)


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    if request.param == "local":
        return LocalStorage(str(tmp_path / "blobs"))
    return _s3(request.getfixturevalue("s3_endpoint"))


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

def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def sigv4_verify(url: str, secret: str, now: dt.datetime | None = None) -> bool:
    """Server-side check of a SigV4 presigned GET (AWS 'Authenticating Requests: Using
    Query Parameters'): recompute the signature from the URL and the secret."""
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    params = dict(pairs)
    if params.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" or params.get("X-Amz-SignedHeaders") != "host":
        return False
    signed_at = dt.datetime.strptime(params["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.timezone.utc)
    if (now or dt.datetime.now(dt.timezone.utc)) > signed_at + dt.timedelta(seconds=int(params["X-Amz-Expires"])):
        return False
    _access, date, region, service, term = params["X-Amz-Credential"].split("/")
    query = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}"
                     for k, v in sorted(pairs) if k != "X-Amz-Signature")
    path = quote(unquote(parts.path), safe="/-_.~")
    canonical = f"GET\n{path}\n{query}\nhost:{parts.netloc}\n\nhost\nUNSIGNED-PAYLOAD"
    scope = f"{date}/{region}/{service}/{term}"
    to_sign = f"AWS4-HMAC-SHA256\n{params['X-Amz-Date']}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    key = _hmac(_hmac(_hmac(_hmac(f"AWS4{secret}".encode(), date), region), service), term)
    expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, params.get("X-Amz-Signature", ""))


def _tamper(url: str, name: str, change) -> str:
    parts = urlsplit(url)
    pairs = [(k, change(v) if k == name else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return parts._replace(query="&".join(f"{k}={quote(v, safe='')}" for k, v in pairs)).geturl()


def test_presigned_url_downloads_as_attachment(s3_endpoint):
    store = _s3(s3_endpoint)
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
    store = _s3(s3_endpoint)
    key = _key("doc-2")
    store.put(key, b"data", "application/pdf")
    url = store.presigned_url(key, expires=60, filename="a.pdf")
    params = dict(parse_qsl(urlsplit(url).query))
    assert params["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"  # not SigV2 (AWSAccessKeyId=...)
    assert params["X-Amz-Expires"] == "60"
    assert "response-content-disposition" in params  # covered by the signature
    assert sigv4_verify(url, SECRET_KEY)
    assert not sigv4_verify(url, "another-secret")
    flipped = _tamper(url, "X-Amz-Signature", lambda v: ("0" if v[0] != "0" else "1") + v[1:])
    assert not sigv4_verify(flipped, SECRET_KEY)
    inline = _tamper(url, "response-content-disposition", lambda v: v.replace("attachment", "inline"))
    assert not sigv4_verify(inline, SECRET_KEY)
    other_key = url.replace("/doc-2?", "/doc-3?")
    assert other_key != url and not sigv4_verify(other_key, SECRET_KEY)
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=61)
    assert not sigv4_verify(url, SECRET_KEY, now=later)


def test_presigned_url_of_missing_key_is_not_served(s3_endpoint):
    url = _s3(s3_endpoint).presigned_url(_key("missing"), filename="x.pdf")
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(url, timeout=10)
    # S3 answers 404, or 403 when the key's owner lacks s3:ListBucket (moto: 403).
    assert err.value.code in (403, 404)


def test_presigned_url_with_awkward_filename_keeps_a_valid_header(s3_endpoint):
    store = _s3(s3_endpoint)
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
    assert _s3(s3_endpoint).get(key) == b"configured"  # really went to the moto server
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

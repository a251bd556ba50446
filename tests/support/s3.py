"""S3 for the tests: moto's S3 HTTP server with the test bucket, and an independent SigV4
query-string verifier written from the AWS specification (moto serves presigned URLs but does
not check their signatures; S3, MinIO or R2 make this check before they answer 403).
The module-scoped `s3_endpoint` fixture (tests/integration/conftest.py) runs the server."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import pytest

from portal_app.adapters.storage import S3Storage
from tests.support.services import free_port

BUCKET = "portal-test"
REGION = "us-east-1"
ACCESS_KEY = "AKIAPORTALTEST000001"
SECRET_KEY = "portal-test-secret-key-not-real"


def s3_storage(endpoint: str) -> S3Storage:
    return S3Storage(BUCKET, endpoint, REGION, ACCESS_KEY, SECRET_KEY)


@contextlib.contextmanager
def run_moto_s3():
    """moto's S3 HTTP server in this process on a free loopback port, with the test bucket;
    yields its endpoint URL."""
    import boto3
    from moto.server import ThreadedMotoServer

    with pytest.MonkeyPatch.context() as mp:
        # Nothing may look for credentials or metadata outside this machine.
        mp.setenv("AWS_EC2_METADATA_DISABLED", "true")
        mp.setenv("AWS_CONFIG_FILE", "/dev/null")
        mp.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        port = free_port()
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        server.start()
        endpoint = f"http://127.0.0.1:{port}"
        try:
            boto3.client("s3", endpoint_url=endpoint, region_name=REGION, aws_access_key_id=ACCESS_KEY,
                         aws_secret_access_key=SECRET_KEY).create_bucket(Bucket=BUCKET)
            yield endpoint
        finally:
            server.stop()


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
    signed_at = dt.datetime.strptime(params["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
    if (now or dt.datetime.now(dt.UTC)) > signed_at + dt.timedelta(seconds=int(params["X-Amz-Expires"])):
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


def tamper(url: str, name: str, change) -> str:
    parts = urlsplit(url)
    pairs = [(k, change(v) if k == name else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return parts._replace(query="&".join(f"{k}={quote(v, safe='')}" for k, v in pairs)).geturl()

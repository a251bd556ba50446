"""TLS on demand, the whole chain offline: Chromium -> Caddy (deploy/Caddyfile as shipped, on-demand
TLS) -> Pebble (a real ACME server) for the certificate, after Caddy asked the app's
`/api/domains/allowed`, then Caddy -> the app (`cli serve`, production build) for the page.

- Pebble runs with PEBBLE_VA_ALWAYS_VALID=1 (no DNS, no port 80); Caddy and Pebble listen on free
  loopback ports (Caddy's https_port), Caddy's admin API is off; both are processes this module
  starts and stops (tests/support/tls_stack.py).
- Chromium resolves *.test to 127.0.0.1 (--host-resolver-rules) and trusts exactly the
  certificates Pebble's intermediate signed this run (--ignore-certificate-errors-spki-list with
  that intermediate's key, fetched from Pebble's management API): no blanket ignore of errors. The
  served certificate is also checked by Python's ssl against Pebble's root: name and issuer.
- portal.acme.test is added, verified (its DNS records answered as created) and assigned to the
  Client Portal through the domain services; portal.unverified.test is added but never verified;
  portal.unknown.test is in no table. The last two get no certificate: the handshake fails.

Cost (2 shared cores, other work running, load 5-9): about 110 s for the module, of which 85-95 s
are the app's start in its copy (migrate, seed, the frontend build: 25-30 s of it when the machine
is idle) and the rest Chromium, Caddy and Pebble; the certificate itself takes well under a
second. The first visit's time to the page and the next visit's are printed;
bench/caddy_tls.py measures them for several fresh hosts.
"""

from __future__ import annotations

import base64
import hashlib
import ssl
import time
from pathlib import Path

import httpx
import pytest

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.services import REQUIRE_SERVICES
from tests.support.tls_stack import Caddy, Pebble, Portal, binaries_missing, handshake, issuer_cn, names_of, websocket_open

ALLOWED = "portal.acme.test"
PENDING = "portal.unverified.test"
UNKNOWN = "portal.unknown.test"
BASE_HOST = "base.portal.test"


def _require_binaries() -> None:
    missing = binaries_missing() + ([CHROMIUM] if not Path(CHROMIUM).exists() else [])
    if not missing:
        return
    message = (f"{', '.join(missing)} missing: `make install-dev` installs caddy, pebble and chromium "
               "(Debian packages)")
    if REQUIRE_SERVICES:
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    _require_binaries()
    from tests.support.custom_domains import connect_domain

    started = time.monotonic()
    tmp = tmp_path_factory.mktemp("caddy-tls")
    stops = []
    try:
        portal = Portal(tmp / "app")
        stops.append(portal.stop)
        app_ready = time.monotonic()
        connect_domain(portal.database_url, ALLOWED)
        connect_domain(portal.database_url, PENDING, verify=False)
        pebble = Pebble(tmp / "pebble")
        stops.append(pebble.stop)
        caddy = Caddy(tmp / "caddy", upstream=portal.upstream, client_build=portal.client_build,
                      base_host=BASE_HOST, pebble=pebble)
        stops.append(caddy.stop)
        root = tmp / "pebble-issuing-root.pem"
        root.write_text(pebble.issuing_root_pem())
        yield {"portal": portal, "pebble": pebble, "caddy": caddy, "root": root, "started": started,
               "app_s": app_ready - started}
    finally:
        for stop in reversed(stops):
            stop()


def _spki_hash(pem: str) -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    key = x509.load_pem_x509_certificate(pem.encode()).public_key()
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


@pytest.fixture(scope="module")
def chromium(stack):
    from playwright.sync_api import sync_playwright

    pin = _spki_hash(stack["pebble"].issuing_intermediate_pem())
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
            *CHROMIUM_ARGS, "--host-resolver-rules=MAP *.test 127.0.0.1",
            f"--ignore-certificate-errors-spki-list={pin}"])
        yield browser
        browser.close()


def test_a_verified_domain_gets_a_certificate_on_its_first_visit_and_the_portal_page(stack, chromium):
    caddy = stack["caddy"]
    url = f"https://{ALLOWED}:{caddy.https_port}/login"
    page = chromium.new_page()
    bundles: list = []
    page.on("response", lambda r: bundles.append(r) if "/assets/" in r.url else None)
    try:
        t0 = time.perf_counter()
        response = page.goto(url)  # the first https request for this name: the certificate is obtained now
        page.get_by_role("heading", name="Sign in to your portal").wait_for()
        first_visit = time.perf_counter() - t0
        assert response is not None and response.status == 200
        details = response.security_details() or {}
        assert details.get("subjectName") == ALLOWED and details.get("issuer", "").startswith("Pebble Intermediate CA")
        assert response.headers.get("strict-transport-security") == "max-age=31536000"
        # the bundles came from Caddy's file server (the shipped /assets/ block), not the app
        assert bundles and all(b.status == 200 for b in bundles), [(b.url, b.status) for b in bundles]
        assert bundles[0].headers.get("cache-control") == "public, max-age=31536000, immutable"

        t0 = time.perf_counter()
        page.goto(url)  # the same page again: the certificate is Caddy's already
        page.get_by_role("heading", name="Sign in to your portal").wait_for()
        second_visit = time.perf_counter() - t0
    finally:
        page.close()

    # what Python's TLS stack sees, verified against the root Pebble made this run
    cert = handshake(caddy.https_port, ALLOWED, cafile=str(stack["root"]))
    assert names_of(cert) == [ALLOWED]
    assert issuer_cn(cert).startswith("Pebble Intermediate CA")

    # Reflex's websocket through the proxy on the custom host (what a tab opens on port 443: the
    # page's socket URL keeps the https default port, so here it is opened by hand on Caddy's port),
    # with the base URL as its origin (which origins the app accepts is tested elsewhere)
    status, first = websocket_open(caddy.https_port, ALLOWED, "/_event/?EIO=4&transport=websocket",
                                   f"http://localhost:{stack['portal'].port}", str(stack["root"]))
    assert status.startswith("HTTP/1.1 101"), status
    assert first.startswith(b'0{"sid"'), first  # engine.io's open packet, from the app

    # the same request over plain http: a redirect to https, without HSTS (it is for https only)
    plain = httpx.get(f"http://127.0.0.1:{caddy.http_port}/login", headers={"host": ALLOWED}, timeout=10)
    assert plain.status_code in (301, 308) and plain.headers["location"].startswith(f"https://{ALLOWED}")
    assert "strict-transport-security" not in plain.headers

    total = time.monotonic() - stack["started"]
    print(f"\nTLS on demand: first https visit to the served page {first_visit * 1000:.0f} ms "
          f"(certificate issued by Pebble on the way), the next visit {second_visit * 1000:.0f} ms; "
          f"app start with its frontend build {stack['app_s']:.1f} s, module so far {total:.1f} s")


@pytest.mark.parametrize("host", [PENDING, UNKNOWN])
def test_a_domain_not_verified_and_assigned_gets_no_certificate(stack, chromium, host):
    caddy = stack["caddy"]
    # the app says no to the ask ...
    asked = httpx.get(f"http://{stack['portal'].upstream}/api/domains/allowed", params={"domain": host}, timeout=10)
    assert asked.status_code == 404
    # ... so Caddy has no certificate to offer: the handshake fails, in Python and in Chromium
    with pytest.raises(ssl.SSLError):
        handshake(caddy.https_port, host)
    page = chromium.new_page()
    try:
        with pytest.raises(Exception, match="ERR_SSL_PROTOCOL_ERROR"):
            page.goto(f"https://{host}:{caddy.https_port}/login")
    finally:
        page.close()
    assert not list((caddy.folder / "storage").rglob(f"{host}.crt"))  # nothing issued, nothing stored

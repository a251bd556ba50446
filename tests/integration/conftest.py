"""Fixtures shared by the integration tests (helpers are in tests/support/):

- the api/ route tests: a workspace at http://portal.test built through the services, and a
  TestClient on build_api() inside SecurityHeaders;
- the file, document and invoice route tests: a TestClient for the workspace hosts, and real
  sessions for every kind of actor;
- moto's S3 server (per module) and S3 storage pointed at it;
- the card payment tests: the api/ routes served over HTTP, workspace A connected to
  localstripe (`localstripe_url` is tests/conftest.py's), a StripeGateway and the SDK.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
import warnings

import httpx
import pytest
import stripe

with warnings.catch_warnings():  # Starlette 1.x nudges toward httpx2; httpx is what is installed
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from portal_app.adapters.payments import StripeGateway
from portal_app.adapters.storage import S3Storage, set_storage
from portal_app.api.routes import build_api
from portal_app.api.security_headers import SecurityHeaders
from portal_app.models import StaffUser
from portal_app.services.billing.invoices import payments_settings
from portal_app.services.secret_box import seal
from portal_app.settings import reset_settings_cache
from tests.support.api import ORIGIN, PW, Portal
from tests.support.s3 import ACCESS_KEY, BUCKET, REGION, SECRET_KEY, run_moto_s3
from tests.support.services import free_port
from tests.support.stripe import TEST_SECRET_KEY
from tests.support.world import HOST_A, HOST_B


@pytest.fixture
def base_url(monkeypatch):
    def use(url: str) -> None:
        monkeypatch.setenv("PORTAL_BASE_URL", url)
        reset_settings_cache()
    use(ORIGIN)
    return use


@pytest.fixture
def portal(db, base_url) -> Portal:
    from portal_app.services.portal.workspaces import create_workspace

    ws, owner = create_workspace(db, name="Portal Test Co", base_url=ORIGIN, owner_email="owner@portal.example",
                                 owner_name="Olive Owner", owner_password=PW, is_default=True)
    db.commit()
    return Portal(ws, owner)


@pytest.fixture
def client():
    with TestClient(SecurityHeaders(build_api()), base_url=ORIGIN, follow_redirects=False) as c:
        yield c


# --- the file, document and invoice routes: the workspace hosts, every kind of actor's session ---

@pytest.fixture
def http():
    with TestClient(SecurityHeaders(build_api()), base_url=f"http://{HOST_A}", follow_redirects=False) as c:
        yield c


@pytest.fixture
def sessions(world, db) -> dict[str, tuple[str, str]]:
    """actor name -> (host, session token), made by the auth service as sign-in does."""
    from portal_app.services.accounts.auth import start_client_session, start_staff_session

    tokens = {
        "staff_a": (HOST_A, start_staff_session(db, world.owner_user)),
        "member_a": (HOST_A, start_staff_session(db, db.get(StaffUser, world.member_a.user_id))),
        "alice": (HOST_A, start_client_session(db, world.account_a1)),
        "bob": (HOST_A, start_client_session(db, world.account_a2)),
        "carol_on_b": (HOST_B, start_client_session(db, world.account_b1)),
        "staff_b_on_b": (HOST_B, start_staff_session(db, db.get(StaffUser, world.staff_b.user_id))),
    }
    # the same cookies sent to the other workspace's host (a browser would not, an attacker may)
    tokens["carol_on_a"] = (HOST_A, tokens["carol_on_b"][1])
    tokens["staff_b_on_a"] = (HOST_A, tokens["staff_b_on_b"][1])
    tokens["alice_on_b"] = (HOST_B, tokens["alice"][1])
    tokens["anon"] = (HOST_A, "")
    db.commit()
    return tokens


# --- S3: moto's server, once per module -------------------------------------------------------

@pytest.fixture(scope="module")
def s3_endpoint():
    with run_moto_s3() as endpoint:
        yield endpoint


@pytest.fixture
def s3_store(s3_endpoint, monkeypatch):
    for name, value in {"PORTAL_STORAGE": "s3", "PORTAL_S3_BUCKET": BUCKET, "PORTAL_S3_ENDPOINT_URL": s3_endpoint,
                        "PORTAL_S3_REGION": REGION, "PORTAL_S3_ACCESS_KEY_ID": ACCESS_KEY,
                        "PORTAL_S3_SECRET_ACCESS_KEY": SECRET_KEY, "PORTAL_DOWNLOAD_LINK_SECONDS": "45"}.items():
        monkeypatch.setenv(name, value)
    reset_settings_cache()
    store = S3Storage(BUCKET, s3_endpoint, REGION, ACCESS_KEY, SECRET_KEY)
    set_storage(store)
    return store


# --- card payments against localstripe --------------------------------------------------------

@pytest.fixture
def app_url(db_url):
    """The api/ routes over HTTP on a free port, served by granian in a thread."""
    from granian.constants import Interfaces
    from granian.server.embed import Server

    port = free_port()
    server = Server(SecurityHeaders(build_api()), address="127.0.0.1", port=port, interface=Interfaces.ASGINL,
                    log_enabled=False)
    loop = asyncio.new_event_loop()
    failure: list[BaseException] = []

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(server.serve())
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=run, name="granian-app", daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    while True:
        try:
            if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if failure or time.monotonic() > deadline:
            pytest.fail(f"the app server did not start on {base}: {failure}")
        time.sleep(0.05)
    try:
        yield base
    finally:
        loop.call_soon_threadsafe(server.stop)
        thread.join(15)
        assert not thread.is_alive(), "the app server did not stop"
        loop.close()


@pytest.fixture
def shop(db, world, app_url, localstripe_url, monkeypatch):
    """Workspace A connected to localstripe: its webhook secret sealed at rest, and the same
    secret registered at localstripe for the workspace's webhook URL on our server."""
    monkeypatch.setenv("PORTAL_SECRET_KEY", "integration-secret-key")
    reset_settings_cache()
    secret = "whsec_" + secrets.token_hex(16)
    settings = payments_settings(db, world.ws_a.id)
    settings.stripe_secret_sealed = seal(TEST_SECRET_KEY)
    settings.stripe_webhook_secret_sealed = seal(secret)
    db.commit()
    endpoint = f"{localstripe_url}/_config/webhooks/portal-flow-{secrets.token_hex(4)}"
    url = f"{app_url}/api/stripe/webhook/{world.ws_a.public_id}"
    r = httpx.post(endpoint, json={"url": url, "secret": secret,
                                   "events": ["payment_intent.succeeded", "payment_intent.payment_failed"]})
    assert r.status_code == 200, r.text
    try:
        yield world, secret, url
    finally:
        # localstripe keeps endpoints for its whole session: stop sending to this one
        httpx.post(endpoint, json={"url": url, "secret": secret, "events": []})


@pytest.fixture
def gateway(localstripe_url) -> StripeGateway:
    return StripeGateway(TEST_SECRET_KEY, localstripe_url)


@pytest.fixture
def sdk(localstripe_url) -> stripe.StripeClient:
    return stripe.StripeClient(TEST_SECRET_KEY, base_addresses={"api": localstripe_url})

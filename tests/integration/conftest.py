"""Fixtures for the api/ route tests: a workspace at http://portal.test built through the
services, and a TestClient on build_api() inside SecurityHeaders."""

from __future__ import annotations

import warnings

import pytest

with warnings.catch_warnings():  # Starlette 1.x nudges toward httpx2; httpx is what is installed
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from portal_app.api.routes import build_api
from portal_app.api.security_headers import SecurityHeaders
from portal_app.settings import reset_settings_cache
from tests.integration.api_helpers import ORIGIN, PW, Portal


@pytest.fixture
def base_url(monkeypatch):
    def use(url: str) -> None:
        monkeypatch.setenv("PORTAL_BASE_URL", url)
        reset_settings_cache()
    use(ORIGIN)
    return use


@pytest.fixture
def portal(db, base_url) -> Portal:
    from portal_app.services.workspaces import create_workspace

    ws, owner = create_workspace(db, name="Portal Test Co", base_url=ORIGIN, owner_email="owner@portal.example",
                                 owner_name="Olive Owner", owner_password=PW, is_default=True)
    db.commit()
    return Portal(ws, owner)


@pytest.fixture
def client():
    with TestClient(SecurityHeaders(build_api()), base_url=ORIGIN, follow_redirects=False) as c:
        yield c

from tests.integration.stripe_fixtures import localstripe_url  # noqa: E402,F401  (session fixture)

"""The client IP behind a reverse proxy: the api/ routes and Reflex events (the signing page
records it on the certificate) read X-Forwarded-For the same way, only as far as
PORTAL_TRUSTED_PROXY_HOPS allows, so a client cannot choose the address written for it."""
from __future__ import annotations

import pytest


def _event_ip(monkeypatch, hops: str | None, xff: str | None, peer: str = "10.0.0.5") -> str:
    """The client_ip Reflex hands to every event of a websocket opened with these headers."""
    from reflex.app import EventNamespace
    from reflex_base.config import reload_config
    from reflex_base.constants import RouteVar

    from portal_app.settings import reset_settings_cache

    if hops is None:
        monkeypatch.delenv("PORTAL_TRUSTED_PROXY_HOPS", raising=False)
    else:
        monkeypatch.setenv("PORTAL_TRUSTED_PROXY_HOPS", hops)
    reset_settings_cache()
    reload_config()
    headers = [(b"host", b"alpha.example")] + ([(b"x-forwarded-for", xff.encode())] if xff else [])
    # the socket's connect handler (it reads nothing else from its namespace)
    data = EventNamespace._build_static_router_data(None, "sid-1",
                                                    {"asgi.scope": {"client": (peer, 5555), "headers": headers}})
    return data[RouteVar.CLIENT_IP]


@pytest.fixture
def restore(monkeypatch):
    yield
    from reflex_base.config import reload_config

    from portal_app.settings import reset_settings_cache

    monkeypatch.undo()
    reset_settings_cache()
    reload_config()


def test_without_proxies_the_peer_is_the_client_whatever_it_claims(monkeypatch, restore):
    assert _event_ip(monkeypatch, None, "203.0.113.9") == "10.0.0.5"


def test_one_trusted_proxy_gives_the_address_it_saw(monkeypatch, restore):
    # the client forged "1.2.3.4"; the proxy appended the real address last
    assert _event_ip(monkeypatch, "1", "1.2.3.4, 203.0.113.9") == "203.0.113.9"


def test_two_hops_read_from_the_right(monkeypatch, restore):
    assert _event_ip(monkeypatch, "2", "1.2.3.4, 203.0.113.9, 10.0.0.2") == "203.0.113.9"


def test_a_short_chain_falls_back_to_the_peer(monkeypatch, restore):
    assert _event_ip(monkeypatch, "2", "203.0.113.9") == "10.0.0.5"
    assert _event_ip(monkeypatch, "1", None) == "10.0.0.5"


def test_the_api_routes_agree(monkeypatch, restore):
    from types import SimpleNamespace

    from portal_app.api.forms import client_ip as _client_ip
    from portal_app.settings import reset_settings_cache

    monkeypatch.setenv("PORTAL_TRUSTED_PROXY_HOPS", "1")
    reset_settings_cache()
    request = SimpleNamespace(client=SimpleNamespace(host="10.0.0.5"),
                              headers={"x-forwarded-for": "1.2.3.4, 203.0.113.9"})
    assert _client_ip(request) == "203.0.113.9" == _event_ip(monkeypatch, "1", "1.2.3.4, 203.0.113.9")

"""The real ASGI app over a real socket (granian): unknown paths under /_… and /assets/
answered 404 by the frontend mount through the security headers middleware (it used to hold the 404 page's start while the server was
told to send the file by path: a 500)."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.real_app import NOT_FOUND_PAGE, Served, build_real_app


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    with Served(build_real_app(tmp_path_factory.mktemp("real-app"))) as s:
        yield s


def _handler(state_cls, name: str) -> str:
    from reflex_base.utils.format import format_event_handler

    return format_event_handler(getattr(state_cls, name))


@pytest.mark.parametrize("path", ["/_upload", "/assets/nonexistent.js", "/_next/x", "/no/such/page"])
def test_unknown_paths_answer_404_with_the_security_headers(served, path):
    resp = httpx.get(served.url + path, headers={"accept-encoding": "gzip, br"})
    assert resp.status_code == 404
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in resp.headers["content-security-policy"]
    assert "404: Page not found" in resp.text
    if resp.headers["content-type"].startswith("text/html"):  # the page's scripts carry the nonce
        nonce = resp.headers["content-security-policy"].split("'nonce-")[1].split("'")[0]
        assert f'<script nonce="{nonce}">' in resp.text
        assert int(resp.headers["content-length"]) == len(resp.content) > len(NOT_FOUND_PAGE)

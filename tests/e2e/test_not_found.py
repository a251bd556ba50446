"""The production build answers unknown paths with its 404 page, security headers included —
also under /_… and /assets/, where the server sends static files by path (pathsend) and the
security headers middleware used to turn the 404 page into a 500."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest


@pytest.mark.parametrize("path", ["/_upload", "/assets/nonexistent.js", "/_next/x"])
def test_unknown_paths_answer_404_not_500(server, path):
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(server.url + path, timeout=10)
    resp = caught.value
    assert resp.code == 404, server.log_tail()
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in resp.headers["content-security-policy"]

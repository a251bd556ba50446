"""GET /api/documents/{id}/pages/{n}, /original and /completed: the api/ routes inside
SecurityHeaders, over Starlette's TestClient, on SQLite and PostgreSQL. Documents are made
and signed through the services; sessions are real, sent as the browser's HttpOnly cookie.
Anyone but the document's staff and its client signer gets the same plain 404."""

from __future__ import annotations

import io
import warnings

import pytest
from PIL import Image

with warnings.catch_warnings():  # as in tests/integration/conftest.py
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from portal_app.api.routes import build_api
from portal_app.api.security_headers import SecurityHeaders
from portal_app.services.documents import sealing
from portal_app.services.sessions import SESSION_COOKIE
from tests.support.docs import draft, sent, sign_as_client
from tests.support.file_routes import NOT_FOUND
from tests.support.world import HOST_A

OUTSIDERS = ["bob", "carol_on_b", "staff_b_on_b"]
# another workspace's session on this host is no session here: sign in (as the file routes)
FOREIGN = ["carol_on_a", "staff_b_on_a", "alice_on_b", "anon"]


@pytest.fixture
def get(sessions):
    with TestClient(SecurityHeaders(build_api()), base_url=f"http://{HOST_A}", follow_redirects=False) as http:
        def do(who: str, path: str):
            host, token = sessions[who]
            headers = {"host": host}
            if token:
                headers["cookie"] = f"theme=dark; {SESSION_COOKIE}={token}"
            return http.get(path, headers=headers)
        yield do


def test_page_images_for_staff_and_the_signer_only(db, world, get):
    doc = sent(db, world)
    for who in ("staff_a", "member_a", "alice"):
        r = get(who, f"/api/documents/{doc.public_id}/pages/1")
        assert r.status_code == 200 and r.headers["content-type"] == "image/png", who
        assert r.headers["x-content-type-options"] == "nosniff" and "sandbox" in r.headers["content-security-policy"]
        width, height = Image.open(io.BytesIO(r.content)).size
        assert width > 600 and abs(height / width - 11 / 8.5) < 0.02  # a US Letter page, upright
    for who in OUTSIDERS:
        assert (get(who, f"/api/documents/{doc.public_id}/pages/1").status_code, who) == (404, who)
    for who in FOREIGN:
        assert (get(who, f"/api/documents/{doc.public_id}/pages/1").status_code, who) == (303, who)
    for bad in ("/pages/0", "/pages/3", "/pages/x", "/pages/99999999999999999999"):
        assert get("staff_a", f"/api/documents/{doc.public_id}{bad}").status_code == 404, bad
    for forged in ("doc_doesnotexist", "doc_%00", "x" * 300):
        r = get("staff_a", f"/api/documents/{forged}/pages/1")
        assert (r.status_code, r.text) == NOT_FOUND


def test_a_draft_is_never_shown_to_the_client(db, world, get):
    doc = draft(db, world)
    db.commit()
    assert get("staff_a", f"/api/documents/{doc.public_id}/pages/1").status_code == 200
    assert get("alice", f"/api/documents/{doc.public_id}/pages/1").status_code == 404


def test_the_original_is_for_staff_and_the_sealed_copy_for_the_signer_once_complete(db, world, get):
    doc = sent(db, world)
    r = get("staff_a", f"/api/documents/{doc.public_id}/original")
    assert r.status_code == 200 and r.content.startswith(b"%PDF-")
    assert r.headers["content-disposition"].startswith("attachment")
    assert get("alice", f"/api/documents/{doc.public_id}/original").status_code == 404
    assert get("alice", f"/api/documents/{doc.public_id}/completed").status_code == 404  # not signed yet
    sign_as_client(db, world, doc)
    db.commit()
    sealing.complete(db, doc.public_id)
    db.commit()
    for who in ("alice", "staff_a"):
        r = get(who, f"/api/documents/{doc.public_id}/completed")
        assert r.status_code == 200 and r.content.startswith(b"%PDF-"), who
        assert "(signed).pdf" in r.headers["content-disposition"]
    for who in OUTSIDERS:
        assert get(who, f"/api/documents/{doc.public_id}/completed").status_code == 404, who
    for who in FOREIGN:
        assert get(who, f"/api/documents/{doc.public_id}/completed").status_code == 303, who

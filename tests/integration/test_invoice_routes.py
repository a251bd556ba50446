"""GET /api/invoices/{invoice}/pdf: the api/ route inside SecurityHeaders, over Starlette's
TestClient (`http`, as test_file_routes.py: tests/integration/conftest.py), on SQLite and PostgreSQL.

The world (tests/conftest.py): workspace A at alpha.example.test (owner staff_a, member
member_a, clients alice and bob), workspace B at beta.example.test (owner staff_b, client
carol). Invoices are created and sent through the services; sessions are real server-side
sessions, sent as the HttpOnly cookie a browser would send, on the host it would send it to.
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from pypdf import PdfReader

from portal_app.models import base, utcnow
from portal_app.services.sessions import SESSION_COOKIE
from tests.support.clock import Clock
from tests.support.file_routes import NOT_FOUND
from tests.support.world import HOST_A

TODAY = utcnow().date()


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    """Today as each test starts, and the services' today for the whole test: time stands
    still (models.base.clock), so a test that crosses midnight UTC does not see two days."""
    global TODAY
    monkeypatch.setattr(base, "clock", Clock())
    TODAY = utcnow().date()


LINES = [{"description": "Quarterly bookkeeping", "quantity": "3", "unit_minor": 25_000, "tax_rate": "0"}]


@pytest.fixture
def get(http, sessions):
    def do(who: str, invoice_id: str, method: str = "GET"):
        host, token = sessions[who]
        headers = {"host": host}
        if token:
            headers["cookie"] = f"theme=dark; {SESSION_COOKIE}={token}"
        return http.request(method, f"/api/invoices/{invoice_id}/pdf", headers=headers)
    return do


def invoice(db, world, *, contact=None, send: bool = True, staff=None):
    from portal_app.services.billing.invoices import create_invoice, send_invoice

    staff = staff or world.staff_a
    inv = create_invoice(db, staff, contact_public_id=(contact or world.contact_a1).public_id, lines=LINES,
                         issue_date=TODAY, due_date=TODAY + timedelta(days=30))
    if send:
        send_invoice(db, staff, inv.public_id)
    db.commit()
    return inv


def is_not_found(resp) -> bool:
    return ((resp.status_code, resp.text) == NOT_FOUND and resp.headers["content-type"].startswith("text/plain")
            and "no-store" in resp.headers["cache-control"])


def is_signin(resp) -> bool:
    return resp.status_code == 303 and resp.headers["location"] == "/login?next=/invoices" and not resp.content


def assert_pdf(resp, number: str) -> str:
    assert resp.status_code == 200, resp.text[:200]
    h = resp.headers
    assert h["content-type"] == "application/pdf"
    assert h["content-disposition"] == f'attachment; filename="{number}.pdf"'
    assert h["content-length"] == str(len(resp.content))
    assert h["x-content-type-options"] == "nosniff"
    assert "no-store" in h["cache-control"] and "private" in h["cache-control"]
    csp = h["content-security-policy"]
    assert "default-src 'none'" in csp and "sandbox" in csp and "frame-ancestors 'none'" in csp
    assert h["x-frame-options"] == "DENY"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(resp.content)).pages)
    assert number in text
    return text


def test_alice_downloads_her_invoice_and_staff_of_a_too(world, db, get):
    inv = invoice(db, world)
    text = assert_pdf(get("alice", inv.public_id), "INV-0001")
    assert "Quarterly bookkeeping" in text and "750.00 USD" in text
    for who in ("staff_a", "member_a"):
        assert_pdf(get(who, inv.public_id), "INV-0001")


def test_nobody_else_gets_it_and_cannot_tell_it_exists(world, db, get):
    inv = invoice(db, world)
    unknown = get("alice", "in_" + "x" * 16)
    assert is_not_found(unknown)
    for who in ("bob", "carol_on_b", "staff_b_on_b"):
        resp = get(who, inv.public_id)
        assert is_not_found(resp), (who, resp.status_code)
        assert (resp.status_code, resp.content) == (unknown.status_code, unknown.content)
    # a session of workspace B is no session on A's host (and A's is none on B's): signed out
    for who in ("carol_on_a", "staff_b_on_a", "alice_on_b", "anon"):
        assert is_signin(get(who, inv.public_id)), who
        assert is_signin(get(who, "in_doesnotexist")), who


def test_a_draft_is_staff_only(world, db, get):
    draft = invoice(db, world, send=False)
    assert is_not_found(get("alice", draft.public_id))
    assert_pdf(get("staff_a", draft.public_id), draft.number)


def test_another_workspaces_invoice_is_not_found_for_its_neighbours(world, db, get):
    carols = invoice(db, world, contact=world.contact_b1, staff=world.staff_b)
    assert carols.number == "INV-0001"  # numbers are per workspace
    for who in ("alice", "staff_a", "member_a"):
        assert is_not_found(get(who, carols.public_id)), who
    assert_pdf(get("carol_on_b", carols.public_id), "INV-0001")
    assert_pdf(get("staff_b_on_b", carols.public_id), "INV-0001")


def test_guessed_ids_are_not_found(world, db, get):
    inv = invoice(db, world)
    guesses = ["in_" + "A" * 16, inv.public_id[:-1], inv.public_id + "x", inv.public_id.upper(), "1",
               str(inv.id), inv.number, "%00", inv.public_id + "%00", inv.public_id + "%0A",
               "in_%27%20OR%201%3D1--", "in_" + "a" * 5000]
    for who in ("staff_a", "alice"):
        for guess in guesses:
            resp = get(who, guess)
            assert is_not_found(resp) or resp.status_code == 404, (who, guess, resp.status_code)
    assert get("alice", inv.public_id).status_code == 200


def test_a_forged_cookie_or_unknown_host_is_signed_out(world, db, http):
    inv = invoice(db, world)
    forged = http.get(f"/api/invoices/{inv.public_id}/pdf",
                      headers={"host": HOST_A, "cookie": f"{SESSION_COOKIE}=forged-token"})
    assert is_signin(forged)
    assert is_signin(http.get(f"/api/invoices/{inv.public_id}/pdf", headers={"host": "elsewhere.test"}))


def test_the_invoices_section_off_hides_pdfs_from_clients(world, db, get):
    from portal_app.models.workspace import SECTIONS
    from portal_app.services.portal.portal_settings import update_portal_settings

    inv = invoice(db, world)
    update_portal_settings(db, world.staff_a, portal_title="Alpha Portal", accent_color="#2563eb",
                           brand_primary=None, brand_secondary=None,
                           sections={s: s != "invoices" for s in SECTIONS}, chat_widget=False)
    db.commit()
    assert is_not_found(get("alice", inv.public_id))
    assert get("staff_a", inv.public_id).status_code == 200


def test_a_payment_shows_in_the_next_download(world, db, get):
    from portal_app.services.billing.invoices import record_manual_payment

    inv = invoice(db, world)
    first = get("alice", inv.public_id)
    assert "PAID" not in assert_pdf(first, "INV-0001")
    assert get("alice", inv.public_id).content == first.content  # cached: the same bytes
    record_manual_payment(db, world.staff_a, inv.public_id, amount_minor=75_000, method="bank_transfer")
    db.commit()
    paid = get("alice", inv.public_id)
    assert paid.content != first.content
    assert "PAID" in assert_pdf(paid, "INV-0001")


def test_head_answers_like_get(world, db, get):
    inv = invoice(db, world)
    resp = get("alice", inv.public_id, "HEAD")
    assert resp.status_code == 200 and resp.headers["content-type"] == "application/pdf"
    assert is_not_found(get("bob", inv.public_id)) and get("bob", inv.public_id, "HEAD").status_code == 404

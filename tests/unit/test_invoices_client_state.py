"""The client's Invoices pages, through their States (state/portal/invoices.py), run as the
authorization matrix runs them: a real State tree whose router carries the Host and the
HttpOnly session cookie. Also the home card that counts what is left to pay.

The world (tests/conftest.py): workspace A (owner staff_a, clients alice = contact_a1 and
bob = contact_a2), workspace B (owner staff_b, client carol).
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import select

from portal_app.errors import NotFound
from portal_app.models import AuditEvent, Invoice, OutboxMessage, base, utcnow
from portal_app.services.billing.invoices import create_invoice, record_manual_payment, send_invoice, void_invoice
from tests.support.clock import Clock
from tests.support.states import HOST_A, run_handler

TODAY = utcnow().date()


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    """Today as each test starts, and the services' today for the whole test: time stands
    still (models.base.clock), so a test that crosses midnight UTC does not see two days."""
    global TODAY
    monkeypatch.setattr(base, "clock", Clock())
    TODAY = utcnow().date()


def lines(amount_minor: int, text: str = "Consulting") -> list[dict]:
    return [{"description": text, "quantity": "1", "unit_minor": amount_minor, "tax_rate": "0"}]


def make(db, world, amount_minor: int, *, contact=None, send: bool = True, due_in: int = 30, currency="USD",
         text="Consulting"):
    inv = create_invoice(db, world.staff_a, contact_public_id=(contact or world.contact_a1).public_id,
                         lines=lines(amount_minor, text), currency=currency, issue_date=TODAY - timedelta(days=40),
                         due_date=TODAY + timedelta(days=due_in))
    if send:
        send_invoice(db, world.staff_a, inv.public_id)
    db.commit()
    return inv


@pytest.fixture
def cookies(world, db) -> dict[str, str]:
    from portal_app.models import StaffUser
    from portal_app.services.accounts.auth import start_client_session, start_staff_session

    out = {"alice": start_client_session(db, world.account_a1), "bob": start_client_session(db, world.account_a2),
           "staff_a": start_staff_session(db, db.get(StaffUser, world.staff_a.user_id))}
    db.commit()
    return out


def list_as(cookies, who: str, path: str = "/invoices"):
    from portal_app.state.portal.invoices import ClientInvoicesState

    state, result = run_handler(ClientInvoicesState, "load", (), HOST_A, cookies.get(who), path)
    return state, result


def detail_as(cookies, who: str, public_id: str):
    from portal_app.state.portal.invoices import ClientInvoiceState

    state, result = run_handler(ClientInvoiceState, "load", (), HOST_A, cookies.get(who), f"/invoices/{public_id}")
    return state, result


def test_the_list_shows_her_invoices_outstanding_first_with_totals(world, db, cookies):
    paid = make(db, world, 20_000, text="Paid work")
    later = make(db, world, 30_000, due_in=30)
    overdue = make(db, world, 12_500, due_in=-5)
    make(db, world, 99_900, send=False)                      # a draft: never listed
    voided = make(db, world, 7_000)
    void_invoice(db, world.staff_a, voided.public_id)
    record_manual_payment(db, world.staff_a, paid.public_id, amount_minor=20_000, method="cash")
    bobs = make(db, world, 55_500, contact=world.contact_a2)
    db.commit()

    state, _ = list_as(cookies, "alice")
    assert state._outcome == "ok" and state.loaded and state.refusal == ""
    numbers = [r["number"] for r in state.rows]
    assert numbers[:2] == [overdue.number, later.number]      # outstanding first, oldest due first
    assert set(numbers) == {overdue.number, later.number, paid.number, voided.number}
    assert state.total == 4 and state.pages == 1
    by_number = {r["number"]: r for r in state.rows}
    assert by_number[overdue.number]["status"] == "overdue" and by_number[overdue.number]["status_label"] == "Overdue"
    assert by_number[paid.number]["status"] == "paid" and by_number[paid.number]["balance"] == "0.00 USD"
    assert state.outstanding == [{"currency": "USD", "amount": "425.00 USD"}]
    assert set(state.rows[0]) == {"id", "number", "status", "status_label", "issue_date", "due_date", "total",
                                  "balance"}
    assert "555.00" not in json.dumps(state.dict(), default=str)  # nothing of Bob's

    bob, _ = list_as(cookies, "bob")
    assert [r["number"] for r in bob.rows] == [bobs.number] and bob.total == 1
    assert bob.outstanding == [{"currency": "USD", "amount": "555.00 USD"}]


def test_an_empty_list_is_honest(world, db, cookies):
    make(db, world, 10_000, send=False)  # only a draft
    state, _ = list_as(cookies, "alice")
    assert state._outcome == "ok" and state.loaded and state.rows == [] and state.total == 0
    assert state.outstanding == []


def test_the_list_pages_through(world, db, cookies, monkeypatch):
    from portal_app.services.billing import invoice_views

    monkeypatch.setattr(invoice_views, "PER_PAGE", 2)
    for i in range(5):
        make(db, world, 1_000 * (i + 1))
    state, _ = list_as(cookies, "alice", "/invoices?page=2")
    assert (state.page, state.pages, state.total, len(state.rows)) == (2, 3, 5, 2)
    state, _ = list_as(cookies, "alice", "/invoices?page=99")   # past the end: the last page
    assert (state.page, len(state.rows)) == (3, 1)
    state, _ = list_as(cookies, "alice", "/invoices?page=abc")  # nonsense: the first
    assert state.page == 1


def test_opening_an_invoice_shows_it_and_records_the_first_view_once(world, db, cookies):
    inv = make(db, world, 12_345, text="Garden design\nsecond line")
    record_manual_payment(db, world.staff_a, inv.public_id, amount_minor=2_345, method="bank_transfer",
                          reference="TR-1")
    db.commit()
    for _ in range(2):
        state, _ = detail_as(cookies, "alice", inv.public_id)
        assert state._outcome == "ok" and state.loaded and state.refusal == ""
    assert state.invoice["number"] == inv.number
    assert (state.invoice["status"], state.invoice["status_label"]) == ("partially_paid", "Partially paid")
    assert (state.invoice["total"], state.invoice["paid"], state.invoice["balance"]) == \
        ("123.45 USD", "23.45 USD", "100.00 USD")
    assert state.lines == [{"description": "Garden design\nsecond line", "quantity": "1", "unit": "123.45 USD",
                            "tax_rate": "0 %", "amount": "123.45 USD"}]
    assert state.payments == [{"method": "Bank transfer", "amount": "23.45 USD",
                               "date": TODAY.strftime("%d %b %Y"), "reference": "TR-1"}]
    assert state.business["name"] == "Alpha Studio"
    assert state.client["name"] == "Alice Client" and state.client["email"] == "alice@client.example"
    assert state.payable  # the page explains how to pay
    # the vars carry exactly what their view types name; nothing staff-only or Stripe reaches the browser
    from portal_app.services.billing.invoice_views import InvoiceText
    from portal_app.state.portal.invoices import CheckoutView, Party

    assert set(state.invoice) == set(InvoiceText.__annotations__)
    assert set(state.checkout) == set(CheckoutView.__annotations__)
    assert set(state.business) == set(state.client) == set(Party.__annotations__)
    dumped = json.dumps(state.invoice)
    for hidden in ("publishable_key", "viewed", "overpaid", "contact_id"):
        assert hidden not in dumped

    db.expire_all()
    viewed = db.exec(select(AuditEvent).where(AuditEvent.action == "invoice.viewed")).all()
    assert len(viewed) == 1
    assert db.get(Invoice, inv.id).first_viewed_at is not None
    events = db.exec(select(OutboxMessage).where(OutboxMessage.kind == "invoice.viewed")).all()
    assert len(events) == 1


def test_a_paid_invoice_has_nothing_to_pay(world, db, cookies):
    inv = make(db, world, 5_000)
    record_manual_payment(db, world.staff_a, inv.public_id, amount_minor=5_000, method="cash")
    db.commit()
    state, _ = detail_as(cookies, "alice", inv.public_id)
    assert state.invoice["status"] == "paid" and not state.payable


def test_someone_elses_invoice_does_not_exist(world, db, cookies):
    alices = make(db, world, 10_000)
    draft = make(db, world, 10_000, send=False)
    for who, public_id in [("bob", alices.public_id), ("alice", draft.public_id), ("alice", "in_guessed123"),
                           ("alice", "../../etc")]:
        state, _ = detail_as(cookies, who, public_id)
        assert state._outcome == "denied", (who, public_id)
        assert state.refusal == "This invoice does not exist."
        assert state.invoice == {} and state.lines == [] and state.business == {} and not state.loaded
        assert "alice@client.example" not in json.dumps(state.dict(), default=str)
    db.expire_all()
    assert db.get(Invoice, alices.id).first_viewed_at is None  # Bob's look is not Alice's view
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "invoice.viewed")).all() == []


def test_a_disabled_section_is_not_available(world, db, cookies):
    from portal_app.models.workspace import SECTIONS
    from portal_app.services.portal.portal_settings import update_portal_settings

    inv = make(db, world, 10_000)
    update_portal_settings(db, world.staff_a, portal_title="P", accent_color="#123456", brand_primary=None,
                           brand_secondary=None, sections={s: s != "invoices" for s in SECTIONS}, chat_widget=False)
    db.commit()
    state, _ = list_as(cookies, "alice")
    assert state._outcome == "denied" and "not available" in state.refusal and state.rows == []
    state, _ = detail_as(cookies, "alice", inv.public_id)
    assert state._outcome == "denied" and "not available" in state.refusal and state.invoice == {}


def test_staff_and_strangers_are_sent_elsewhere(world, db, cookies):
    inv = make(db, world, 10_000)
    state, result = detail_as(cookies, "staff_a", inv.public_id)
    assert state._outcome == "ok" and state.invoice == {} and result is not None  # a redirect to /staff
    state, result = detail_as(cookies, "anon", inv.public_id)
    assert state._outcome == "signin" and state.invoice == {}


def test_the_home_card_counts_what_is_left_to_pay(world, db):
    from portal_app.services.portal.portal_home import home_summary

    def card() -> tuple[int, str]:
        [summary] = [s for s in home_summary(db, world.client_a1)[1] if s.key == "invoices"]
        return summary.count, summary.empty_text

    assert card() == (0, "No invoices have been shared with you yet.")
    make(db, world, 10_000, send=False)
    assert card() == (0, "No invoices have been shared with you yet.")  # a draft is not shared
    first = make(db, world, 100_000)
    assert card() == (1, "1 invoice to pay (1,000.00 USD)")
    make(db, world, 25_000)
    make(db, world, 4_000, currency="EUR")
    make(db, world, 70_000, contact=world.contact_a2)  # Bob's: not Alice's to pay
    assert card() == (3, "3 invoices to pay (40.00 EUR, 1,250.00 USD)")
    record_manual_payment(db, world.staff_a, first.public_id, amount_minor=100_000, method="cash")
    db.commit()
    assert card() == (2, "2 invoices to pay (40.00 EUR, 250.00 USD)")


@pytest.mark.parametrize("connected", [True, False])
def test_the_page_reads_what_the_detail_checkout_and_payment_check_say(world, db, connected):
    """billing/client_invoice.py reads the page in three prebuilt statements: it must say what
    invoice_detail, card_payments.checkout / payment_on_its_way and invoice_pdf.invoice_parties
    say of the same invoice (a Stripe account connected or not, partial payments on, a
    payment on its way, overdue, paid, with a discount and taxes)."""
    from portal_app.models import Contact, PaymentAttempt
    from portal_app.services.billing import card_payments, client_invoice, invoice_pdf, invoice_views
    from portal_app.services.billing.invoices import mark_viewed, payments_settings
    from portal_app.services.secret_box import seal

    alice = world.client_a1
    if connected:
        row = payments_settings(db, world.ws_a.id)
        row.stripe_publishable_key, row.stripe_secret_sealed = "pk_test_x", seal("sk_test_x")
        row.stripe_webhook_secret_sealed, row.allow_partial, row.min_partial_minor = seal("whsec_x"), True, 1_000
    contact = db.get(Contact, world.contact_a1.id)
    contact.company, contact.address_line1, contact.city, contact.postal_code = "Alice & Co", "1 Main St", "Springfield", "12345"
    db.commit()
    taxed = create_invoice(db, world.staff_a, contact_public_id=world.contact_a1.public_id, currency="EUR",
                           lines=[{"description": "Design", "quantity": "2.5", "unit_minor": 10_000, "tax_rate": "8.5"},
                                  {"description": "Travel", "quantity": "1", "unit_minor": 3_300, "tax_rate": "0"}],
                           issue_date=TODAY - timedelta(days=40), due_date=TODAY - timedelta(days=3),
                           discount_percent="10", notes="Thanks", terms="Net 30")
    send_invoice(db, world.staff_a, taxed.public_id)
    record_manual_payment(db, world.staff_a, taxed.public_id, amount_minor=5_000, method="bank_transfer",
                          reference="TR-9")
    paid = make(db, world, 8_000)
    record_manual_payment(db, world.staff_a, paid.public_id, amount_minor=8_000, method="cash")
    tiny = make(db, world, 30)  # below Stripe's smallest charge
    db.add(PaymentAttempt(workspace_id=world.ws_a.id, invoice_id=taxed.id, contact_id=world.contact_a1.id,
                          kind="payment", amount_minor=1_000, currency="EUR", status="processing"))
    db.commit()
    for inv in (taxed, paid, tiny):
        for _ in range(2):  # before and after the first view
            page = client_invoice.client_invoice_page(db, alice, inv.public_id)
            assert page.detail == invoice_views.invoice_detail(db, alice, inv.public_id)
            assert page.checkout == card_payments.checkout(db, alice, inv.public_id)
            parties = invoice_pdf.invoice_parties(db, alice, inv.public_id)
            assert (page.business, page.client) == (parties["business"], parties["client"])
            assert page.on_its_way == card_payments.payment_on_its_way(db, alice, inv.public_id) == (inv is taxed)
            assert page.first_view == (db.get(Invoice, inv.id).first_viewed_at is None)
            mark_viewed(db, alice, inv.public_id)
            db.commit()
    taxed_page = client_invoice.client_invoice_page(db, alice, taxed.public_id, {"invoices": True})
    assert taxed_page.detail["status"] == "overdue" and taxed_page.detail["payable"]
    assert taxed_page.client["company"] == "Alice & Co" and "Springfield, 12345" in taxed_page.client["lines"]
    assert taxed_page.checkout.available is connected and taxed_page.checkout.allow_partial is connected
    # the same refusals as invoice_detail: another client's invoice, a draft, a section turned off
    draft = make(db, world, 10_000, send=False)
    for actor, public_id, sections in [(world.client_a2, taxed.public_id, None), (alice, draft.public_id, None),
                                       (world.client_b1, taxed.public_id, None), (alice, "in_nope", None),
                                       (alice, taxed.public_id, {"invoices": False})]:
        with pytest.raises(NotFound):
            client_invoice.client_invoice_page(db, actor, public_id, sections)

"""Invoices, staff side and the client's first view (services/billing/invoices.py, services/billing/ledger.py),
built through the services on SQLite and PostgreSQL.

The world (tests/conftest.py): workspace A (owner staff_a, member_a, clients alice =
contact_a1 and bob = contact_a2), workspace B (owner staff_b, client carol).
"""

from __future__ import annotations

import json
import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlmodel import Session, func, select

from portal_app.db import get_engine, unit_of_work
from portal_app.errors import Forbidden, Invalid, NotFound, NotSignedIn
from portal_app.models import (
    AuditEvent,
    Invoice,
    InvoiceLine,
    LedgerEntry,
    OutboxMessage,
    WorkspacePayments,
    base,
    utcnow,
)
from portal_app.services import audit
from portal_app.services.billing import ledger
from portal_app.services.billing.invoices import (
    MAX_LINES,
    create_invoice,
    mark_viewed,
    payments_settings,
    record_manual_payment,
    send_invoice,
    void_invoice,
)
from portal_app.services.billing.money import Discount, Line, compute
from tests.support.clock import Clock

TODAY = utcnow().date()


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    """Today as each test starts, and the services' today for the whole test: time stands
    still (models.base.clock), so a test that crosses midnight UTC does not see two days."""
    global TODAY
    monkeypatch.setattr(base, "clock", Clock())
    TODAY = utcnow().date()

LINES = [
    {"description": "Design work", "quantity": "2.5", "unit_minor": 12_345, "tax_rate": "8.875"},
    {"description": "Hosting", "quantity": "1", "unit_minor": 999, "tax_rate": "0"},
    {"description": "Workshop\nhalf day", "quantity": "3", "unit_minor": 33_333, "tax_rate": "20"},
]
SIMPLE = [{"description": "Consulting", "quantity": "1", "unit_minor": 10_000, "tax_rate": "0"}]


def make(db, world, *, actor=None, contact=None, lines=SIMPLE, **kw) -> Invoice:
    return create_invoice(db, actor or world.staff_a, contact_public_id=(contact or world.contact_a1).public_id,
                          lines=lines, **kw)


def sent(db, world, lines=SIMPLE, **kw) -> Invoice:
    inv = make(db, world, lines=lines, **kw)
    send_invoice(db, world.staff_a, inv.public_id)
    db.commit()
    return inv


def counts(db) -> dict[str, int]:
    return {m.__tablename__: db.exec(select(func.count()).select_from(m)).one()
            for m in (Invoice, InvoiceLine, LedgerEntry, AuditEvent, OutboxMessage)}


def outbox(db, kind: str | None = None) -> list[dict]:
    q = select(OutboxMessage).order_by(OutboxMessage.id)
    if kind:
        q = q.where(OutboxMessage.kind == kind)
    return [json.loads(m.payload) for m in db.exec(q).all()]


def audit_actions(db, inv: Invoice) -> list[str]:
    return [e.action for e in db.exec(select(AuditEvent).where(AuditEvent.subject_type == "invoice",
                                                               AuditEvent.subject_id == inv.public_id)
                                      .order_by(AuditEvent.seq)).all()]


def fresh(db_url: str, public_id: str) -> Invoice:
    """The invoice as another request would read it (nothing cached in the test's session)."""
    with Session(get_engine(db_url)) as other:
        return other.exec(select(Invoice).where(Invoice.public_id == public_id)).one()


# --- numbering -------------------------------------------------------------------------------

def test_numbers_are_per_workspace_sequential_and_prefixed(db, world):
    a = [make(db, world).number for _ in range(3)]
    b = create_invoice(db, world.staff_b, contact_public_id=world.contact_b1.public_id, lines=SIMPLE).number
    assert a == ["INV-0001", "INV-0002", "INV-0003"]
    assert b == "INV-0001"  # workspace B counts on its own

    payments_settings(db, world.ws_a.id).invoice_prefix = "ACME-"  # Settings › Payments
    db.commit()
    assert make(db, world).number == "ACME-0004"
    db.commit()
    assert db.get(WorkspacePayments, world.ws_a.id).next_invoice_number == 5
    assert db.get(WorkspacePayments, world.ws_b.id).next_invoice_number == 2


def test_a_number_is_never_reused(db, world, db_url):
    first = sent(db, world)
    second = make(db, world)
    db.commit()
    void_invoice(db, world.staff_a, second.public_id)
    db.commit()
    assert make(db, world).number == "INV-0003"  # voiding does not give INV-0002 back
    db.commit()

    # An invoice that was refused never existed: its number goes to the next one.
    with pytest.raises(Invalid):
        with unit_of_work() as uow:
            create_invoice(uow, world.staff_a, contact_public_id=world.contact_a1.public_id,
                           lines=[{"description": "x", "quantity": "-1", "unit_minor": 100}])
    nxt = make(db, world)
    db.commit()
    assert nxt.number == "INV-0004"
    numbers = db.exec(select(Invoice.number).where(Invoice.workspace_id == world.ws_a.id)).all()
    assert sorted(numbers) == ["INV-0001", "INV-0002", "INV-0003", "INV-0004"]
    assert fresh(db_url, first.public_id).number == "INV-0001"


def test_concurrent_drafts_never_share_a_number(db, world):
    """Two staff creating invoices at the same moment, each in its own unit of work (as the
    app's handlers do): every invoice gets its own number, none is skipped."""
    staff, contact = world.staff_a, world.contact_a1.public_id
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def worker():
        try:
            start.wait()
            for _ in range(5):
                with unit_of_work() as uow:
                    create_invoice(uow, staff, contact_public_id=contact, lines=SIMPLE)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    numbers = db.exec(select(Invoice.number).where(Invoice.workspace_id == world.ws_a.id)).all()
    assert sorted(numbers) == [f"INV-{n:04d}" for n in range(1, 21)]


# --- totals --------------------------------------------------------------------------------

@pytest.mark.parametrize("discount", [{}, {"discount_percent": "12.5"}, {"discount_fixed_minor": 1_001}])
def test_stored_totals_are_money_compute(db, world, db_url, discount):
    inv = make(db, world, lines=LINES, currency="eur", **discount)
    db.commit()
    expected = compute([Line(Decimal(ln["quantity"]), ln["unit_minor"], Decimal(ln["tax_rate"])) for ln in LINES],
                       Discount(percent=Decimal(discount["discount_percent"])) if "discount_percent" in discount
                       else Discount(amount_minor=discount.get("discount_fixed_minor")))
    stored = fresh(db_url, inv.public_id)
    assert (stored.subtotal_minor, stored.discount_minor, stored.tax_minor, stored.total_minor) == (
        expected.subtotal, expected.discount, expected.tax, expected.total)
    assert stored.balance_minor == expected.total and stored.paid_minor == 0
    assert stored.currency == "EUR" and stored.status == "draft" and stored.number == "INV-0001"
    lines = db.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == inv.id).order_by(InvoiceLine.position)).all()
    assert [ln.amount_minor for ln in lines] == list(expected.line_amounts)
    assert [ln.description for ln in lines] == ["Design work", "Hosting", "Workshop\nhalf day"]
    assert [Decimal(ln.quantity) for ln in lines] == [Decimal("2.5"), Decimal(1), Decimal(3)]
    assert [Decimal(ln.tax_rate) for ln in lines] == [Decimal("8.875"), Decimal(0), Decimal(20)]
    # worked by hand for the plain case: 30862.5 → 30863 (half up), 999, 99999
    if not discount:
        assert expected.subtotal == 30_863 + 999 + 99_999
        assert expected.tax == 2_739 + 0 + 20_000  # 30863 × 8.875 % = 2739.09 → 2739
    created = db.exec(select(AuditEvent).where(AuditEvent.action == "invoice.created")).all()
    assert [json.loads(e.detail) for e in created] == [{"number": "INV-0001", "total": expected.total,
                                                         "currency": "EUR"}]


def test_dates_default_to_today_and_are_kept(db, world):
    inv = make(db, world)
    assert inv.issue_date == TODAY and inv.due_date == TODAY
    later = make(db, world, issue_date=date(2026, 3, 1), due_date=date(2026, 3, 31), notes="Thanks!", terms="Net 30")
    assert (later.issue_date, later.due_date, later.notes, later.terms) == (date(2026, 3, 1), date(2026, 3, 31),
                                                                            "Thanks!", "Net 30")


# --- bad input -----------------------------------------------------------------------------

def _line(**kw) -> dict:
    return {"description": "Work", "quantity": "1", "unit_minor": 1_000, "tax_rate": "0", **kw}


BAD = {
    "no lines": ({"lines": []}, "lines", "at least one line"),
    "too many lines": ({"lines": [_line()] * (MAX_LINES + 1)}, "lines", "at most 500 lines"),
    "negative quantity": ({"lines": [_line(quantity="-1")]}, "quantity", "Quantity"),
    "zero quantity": ({"lines": [_line(quantity="0")]}, "quantity", "Quantity"),
    "absurd quantity": ({"lines": [_line(quantity="1e9")]}, "quantity", "Quantity"),
    "quantity not a number": ({"lines": [_line(quantity="two")]}, "quantity", "must be a number"),
    "quantity NaN": ({"lines": [_line(quantity="NaN")]}, "quantity", "must be a number"),
    "quantity infinite": ({"lines": [_line(quantity="Infinity")]}, "quantity", "must be a number"),
    "quantity too precise": ({"lines": [_line(quantity="1.0001")]}, "quantity", "3 decimals"),
    "negative price": ({"lines": [_line(unit_minor=-1)]}, "unit_price", "Unit price"),
    "absurd price": ({"lines": [_line(unit_minor=10 ** 13)]}, "unit_price", "Unit price"),
    "price as text": ({"lines": [_line(unit_minor="1000")]}, "unit_price", "unit price"),
    "price missing": ({"lines": [{"description": "Work", "quantity": "1"}]}, "unit_price", "unit price"),
    "absurd total": ({"lines": [_line(quantity="1000000", unit_minor=10 ** 12)] * 10}, "lines", "too large"),
    "tax above 100": ({"lines": [_line(tax_rate="150")]}, "tax_rate", "Tax rate"),
    "negative tax": ({"lines": [_line(tax_rate="-5")]}, "tax_rate", "Tax rate"),
    "tax too precise": ({"lines": [_line(tax_rate="8.8750000000001")]}, "tax_rate", "decimals"),
    "no description": ({"lines": [_line(description="  ")]}, "description", "required"),
    "control characters": ({"lines": [_line(description="a\x00b")]}, "description", "not allowed"),
    "bad currency": ({"currency": "XXX"}, "currency", "currency"),
    "empty currency": ({"currency": ""}, "currency", "currency"),
    "due before issue": ({"issue_date": date(2026, 5, 2), "due_date": date(2026, 5, 1)}, "due_date", "before"),
    "discount above 100 %": ({"discount_percent": "150"}, "discount", "between 0 and 100"),
    "discount too precise": ({"discount_percent": "12.34567890123"}, "discount", "decimals"),
    "discount above subtotal": ({"discount_fixed_minor": 1_000_000}, "discount", "larger"),
    "notes too long": ({"notes": "x" * 5001}, "notes", "at most 5000 characters"),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_bad_input_is_refused_with_a_message_and_nothing_is_saved(db, world, db_url, case):
    kwargs, field, words = BAD[case]
    kwargs = {"lines": [_line()], **kwargs}
    before = counts(db)
    with pytest.raises(Invalid) as caught:
        with unit_of_work() as uow:  # as a handler runs it: the error rolls everything back
            create_invoice(uow, world.staff_a, contact_public_id=world.contact_a1.public_id, **kwargs)
    assert caught.value.field == field, caught.value.message
    assert words.lower() in caught.value.message.lower()
    with Session(get_engine(db_url)) as other:
        assert counts(other) == before
        assert other.get(WorkspacePayments, world.ws_a.id) is None or \
            other.get(WorkspacePayments, world.ws_a.id).next_invoice_number == 1
    assert make(db, world).number == "INV-0001"


def test_an_unknown_or_foreign_contact_is_not_found(db, world):
    with pytest.raises(NotFound):
        create_invoice(db, world.staff_a, contact_public_id="ct_nope", lines=SIMPLE)
    with pytest.raises(NotFound):  # carol is workspace B's
        create_invoice(db, world.staff_a, contact_public_id=world.contact_b1.public_id, lines=SIMPLE)


# --- send and void ---------------------------------------------------------------------------

def test_send_then_resend(db, world):
    inv = make(db, world)
    assert inv.status == "draft" and inv.sent_at is None
    send_invoice(db, world.staff_a, inv.public_id)
    db.commit()
    assert inv.status == "sent" and inv.sent_at is not None
    first_sent = inv.sent_at
    send_invoice(db, world.staff_a, inv.public_id)  # resend: the email again, nothing else moves
    db.commit()
    assert inv.status == "sent" and inv.sent_at == first_sent
    assert audit_actions(db, inv) == ["invoice.created", "invoice.sent", "invoice.resent"]
    assert outbox(db, "invoice.sent") == [{"invoice": inv.public_id, "number": "INV-0001"}] * 2


def test_a_zero_invoice_cannot_be_sent(db, world):
    inv = make(db, world, lines=[_line(unit_minor=0)])
    with pytest.raises(Invalid):
        send_invoice(db, world.staff_a, inv.public_id)
    assert inv.status == "draft"


def test_void_while_unpaid_then_nothing_more(db, world):
    draft, inv = make(db, world), sent(db, world)
    for target in (draft, inv):
        void_invoice(db, world.staff_a, target.public_id)
        db.commit()
        assert target.status == "void" and target.voided_at is not None
    assert audit_actions(db, inv) == ["invoice.created", "invoice.sent", "invoice.voided"]
    assert outbox(db, "invoice.voided") == [{"invoice": draft.public_id, "number": "INV-0001"},
                                            {"invoice": inv.public_id, "number": "INV-0002"}]
    before = counts(db)
    assert void_invoice(db, world.staff_a, inv.public_id).status == "void"  # again: a no-op
    assert counts(db) == before

    with pytest.raises(Invalid) as caught:
        send_invoice(db, world.staff_a, inv.public_id)
    assert "void" in caught.value.message
    with pytest.raises(Invalid):
        record_manual_payment(db, world.staff_a, inv.public_id, amount_minor=100, method="cash")
    db.rollback()
    assert counts(db) == before
    assert inv.status == "void" and inv.paid_minor == 0


@pytest.mark.parametrize("paid", [4_000, 10_000])
def test_an_invoice_with_payments_cannot_be_voided(db, world, paid):
    inv = sent(db, world)
    record_manual_payment(db, world.staff_a, inv.public_id, amount_minor=paid, method="bank_transfer")
    db.commit()
    before = counts(db)
    with pytest.raises(Invalid) as caught:
        void_invoice(db, world.staff_a, inv.public_id)
    assert "refund" in caught.value.message
    db.rollback()
    assert counts(db) == before
    assert fresh_status(db, inv) == ("partially_paid" if paid < 10_000 else "paid")


def fresh_status(db, inv) -> str:
    db.refresh(inv)
    return inv.status


def test_refunded_partial_payment_can_then_be_voided(db, world):
    inv = sent(db, world)
    record_manual_payment(db, world.staff_a, inv.public_id, amount_minor=4_000, method="cash")
    ledger.book(db, inv, "refund", 4_000, dedupe_key=None, method="cash")
    db.commit()
    assert (inv.paid_minor, inv.balance_minor, inv.status) == (0, 10_000, "partially_paid")
    void_invoice(db, world.staff_a, inv.public_id)
    assert inv.status == "void"


# --- payments --------------------------------------------------------------------------------

def test_manual_payments_partial_then_paid(db, world, db_url):
    inv = sent(db, world)
    first = record_manual_payment(db, world.staff_a, inv.public_id, amount_minor=3_000, method="check",
                                  reference="Check #123")
    db.commit()
    got = fresh(db_url, inv.public_id)
    assert (got.status, got.paid_minor, got.balance_minor, got.overpaid, got.paid_at) == (
        "partially_paid", 3_000, 7_000, False, None)
    assert (first.kind, first.method, first.amount_minor, first.currency, first.reference) == (
        "payment", "check", 3_000, "USD", "Check #123")
    assert first.created_by_user_id == world.staff_a.user_id and first.invoice_id == inv.id

    record_manual_payment(db, world.staff_a, inv.public_id, amount_minor=7_000, method="bank_transfer")
    db.commit()
    got = fresh(db_url, inv.public_id)
    assert (got.status, got.paid_minor, got.balance_minor, got.overpaid) == ("paid", 10_000, 0, False)
    assert got.paid_at is not None
    assert audit_actions(db, inv) == ["invoice.created", "invoice.sent", "invoice.payment_recorded",
                                      "invoice.payment_recorded"]
    details = [json.loads(e.detail) for e in db.exec(select(AuditEvent).where(
        AuditEvent.action == "invoice.payment_recorded").order_by(AuditEvent.seq)).all()]
    assert details == [{"amount": 3_000, "method": "check"}, {"amount": 7_000, "method": "bank_transfer"}]
    assert outbox(db, "invoice.payment") == [{"invoice": inv.public_id, "number": "INV-0001", "paid": 3_000,
                                              "balance": 7_000, "overpaid": False}]
    assert outbox(db, "invoice.paid") == [{"invoice": inv.public_id, "number": "INV-0001", "paid": 10_000,
                                           "balance": 0, "overpaid": False}]
    assert audit.verify_chain(db, world.ws_a.id) == (True, None)


def test_the_date_a_payment_was_received_is_kept(db, world):
    inv = sent(db, world)
    entry = record_manual_payment(db, world.staff_a, inv.public_id, amount_minor=500, method="cash",
                                  received_on=date(2026, 1, 5))
    db.commit()
    db.refresh(entry)
    assert entry.received_at.date() == date(2026, 1, 5)
    today = record_manual_payment(db, world.staff_a, inv.public_id, amount_minor=500, method="cash")
    assert today.received_at.date() == TODAY


def test_status_only_moves_forward_a_refund_after_paid_shows_in_the_balance(db, world, db_url):
    inv = sent(db, world)
    record_manual_payment(db, world.staff_a, inv.public_id, amount_minor=10_000, method="cash")
    db.commit()
    paid_at = fresh(db_url, inv.public_id).paid_at
    ledger.book(db, inv, "refund", 2_500, dedupe_key="re:manual-1", method="cash")
    assert ledger.book(db, inv, "refund", 2_500, dedupe_key="re:manual-1", method="cash") is None  # once
    db.commit()
    got = fresh(db_url, inv.public_id)
    assert (got.status, got.paid_minor, got.balance_minor, got.paid_at) == ("paid", 7_500, 2_500, paid_at)
    assert got.is_overdue(TODAY + timedelta(days=365)) is False  # paid is paid
    kinds = db.exec(select(LedgerEntry.kind, LedgerEntry.amount_minor).where(LedgerEntry.invoice_id == inv.id)
                    .order_by(LedgerEntry.id)).all()
    assert [tuple(k) for k in kinds] == [("payment", 10_000), ("refund", 2_500)]  # never edited in place


def test_overpayment_is_flagged(db, world, db_url):
    inv = sent(db, world)
    record_manual_payment(db, world.staff_a, inv.public_id, amount_minor=10_250, method="bank_transfer")
    db.commit()
    got = fresh(db_url, inv.public_id)
    assert (got.status, got.paid_minor, got.balance_minor, got.overpaid) == ("paid", 10_250, -250, True)
    assert outbox(db, "invoice.paid")[-1]["overpaid"] is True


@pytest.mark.parametrize("amount, method, field", [
    (0, "cash", "amount"), (-100, "cash", "amount"), ("100", "cash", "amount"), (1.5, "cash", "amount"),
    (True, "cash", "amount"), (100, "card", "method"), (100, "bitcoin", "method"), (100, "", "method"),
])
def test_bad_manual_payments_are_refused(db, world, amount, method, field):
    inv = sent(db, world)
    before = counts(db)
    with pytest.raises(Invalid) as caught:
        record_manual_payment(db, world.staff_a, inv.public_id, amount_minor=amount, method=method)
    assert caught.value.field == field and caught.value.message
    db.rollback()
    assert counts(db) == before


def test_a_draft_takes_no_payment(db, world):
    inv = make(db, world)
    with pytest.raises(Invalid):
        record_manual_payment(db, world.staff_a, inv.public_id, amount_minor=100, method="cash")


# --- overdue -----------------------------------------------------------------------------------

def test_overdue_is_derived_from_the_due_date(db, world):
    past = dict(issue_date=TODAY - timedelta(days=30), due_date=TODAY - timedelta(days=1))
    late = sent(db, world, **past)
    due_today = sent(db, world, issue_date=TODAY, due_date=TODAY)
    draft = make(db, world, **past)
    partly = sent(db, world, **past)
    record_manual_payment(db, world.staff_a, partly.public_id, amount_minor=1, method="cash")
    paid = sent(db, world, **past)
    record_manual_payment(db, world.staff_a, paid.public_id, amount_minor=10_000, method="cash")
    void = sent(db, world, **past)
    void_invoice(db, world.staff_a, void.public_id)
    db.commit()

    assert late.is_overdue() is True
    assert late.is_overdue(today=TODAY - timedelta(days=1)) is False  # due that day: not yet
    assert due_today.is_overdue() is False
    assert due_today.is_overdue(today=TODAY + timedelta(days=1)) is True
    assert partly.is_overdue() is True
    assert [i.is_overdue() for i in (draft, paid, void)] == [False, False, False]
    assert "overdue" not in {c.name for c in Invoice.__table__.columns}  # derived, never stored


# --- authorization -----------------------------------------------------------------------------

def _attempts(world, inv):
    contact = world.contact_a1.public_id
    return {
        "create": lambda db, actor: create_invoice(db, actor, contact_public_id=contact, lines=SIMPLE),
        "send": lambda db, actor: send_invoice(db, actor, inv.public_id),
        "void": lambda db, actor: void_invoice(db, actor, inv.public_id),
        "pay": lambda db, actor: record_manual_payment(db, actor, inv.public_id, amount_minor=100, method="cash"),
    }


@pytest.mark.parametrize("who, error", [("anon", NotSignedIn), ("client_a1", Forbidden), ("client_a2", Forbidden),
                                        ("client_b1", Forbidden), ("staff_b", NotFound)])
@pytest.mark.parametrize("action", ["create", "send", "void", "pay"])
def test_only_the_workspaces_staff_bill(db, world, db_url, who, error, action):
    inv = make(db, world)
    db.commit()
    if action == "pay":
        send_invoice(db, world.staff_a, inv.public_id)
        db.commit()
    before, status = counts(db), inv.status
    with pytest.raises(error):
        _attempts(world, inv)[action](db, getattr(world, who))
    db.rollback()
    assert counts(db) == before
    got = fresh(db_url, inv.public_id)
    assert (got.status, got.paid_minor) == (status, 0)


def test_a_member_of_the_workspace_may_bill(db, world):
    inv = make(db, world, actor=world.member_a)
    send_invoice(db, world.member_a, inv.public_id)
    record_manual_payment(db, world.member_a, inv.public_id, amount_minor=10_000, method="cash")
    assert inv.status == "paid"
    assert inv.created_by_user_id == world.member_a.user_id


# --- the client's first view ---------------------------------------------------------------------

def test_first_view_by_the_invoices_own_client_is_recorded_once(db, world, db_url):
    inv = sent(db, world)
    mark_viewed(db, world.client_a1, inv.public_id)
    db.commit()
    seen = fresh(db_url, inv.public_id).first_viewed_at
    assert seen is not None
    viewed = db.exec(select(AuditEvent).where(AuditEvent.action == "invoice.viewed")).all()
    assert [(e.actor_kind, e.actor_label, e.subject_id) for e in viewed] == [
        ("client", "alice@client.example", inv.public_id)]
    assert outbox(db, "invoice.viewed") == [{"invoice": inv.public_id}]

    before = counts(db)
    mark_viewed(db, world.client_a1, inv.public_id)  # again: nothing new
    db.commit()
    assert counts(db) == before
    assert fresh(db_url, inv.public_id).first_viewed_at == seen


@pytest.mark.parametrize("who, error", [("client_a2", NotFound), ("client_b1", NotFound), ("staff_a", Forbidden),
                                        ("staff_b", Forbidden), ("anon", NotSignedIn)])
def test_nobody_else_marks_an_invoice_viewed(db, world, db_url, who, error):
    inv = sent(db, world)
    before = counts(db)
    with pytest.raises(error):
        mark_viewed(db, getattr(world, who), inv.public_id)
    db.rollback()
    assert counts(db) == before
    assert fresh(db_url, inv.public_id).first_viewed_at is None


def test_a_draft_is_not_there_for_the_client(db, world):
    inv = make(db, world)
    db.commit()
    with pytest.raises(NotFound):
        mark_viewed(db, world.client_a1, inv.public_id)
    with pytest.raises(NotFound):
        mark_viewed(db, world.client_a1, "in_doesnotexist")

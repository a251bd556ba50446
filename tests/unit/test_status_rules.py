"""The status rules on the models (models/billing.py, models/documents.py): each property at
its boundaries, each SQL clause selecting exactly the rows its property accepts, and the
label table (models/status.py) covering every status each model can show.

Rows are written straight to the tables here (not through services): the rules are about
every combination of status, balance and due date, including ones the services only reach
by a long road (a void invoice with a balance, a paid one with money refunded).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import product

import pytest
from sqlmodel import select

from portal_app.models import (
    DOCUMENT_STATUSES,
    INVOICE_SHOWN_STATUSES,
    INVOICE_STATUSES,
    LEDGER_KINDS,
    OVERDUE,
    ClientStatus,
    Document,
    Invoice,
    base,
)
from portal_app.models.status import STATUS_STYLES, status_label, status_labels
from portal_app.models.workspace import DOMAIN_SHOWN_STATUSES
from tests.support.clock import Clock

TODAY = date(2026, 3, 10)
DUE = {"yesterday": TODAY - timedelta(days=1), "today": TODAY, "tomorrow": TODAY + timedelta(days=1)}
BALANCES = (-500, 0, 1, 10_000)


def invoice(status: str = "sent", balance: int = 10_000, due: date = TODAY) -> Invoice:
    return Invoice(workspace_id=1, contact_id=1, number="X", status=status, issue_date=TODAY - timedelta(days=30),
                   due_date=due, total_minor=10_000, balance_minor=balance, paid_minor=10_000 - balance)


# --- Invoice: each rule at its boundaries ---------------------------------------------------

@pytest.mark.parametrize("status", INVOICE_STATUSES)
def test_payable_is_sent_or_partly_paid_with_something_left(status):
    open_ = status in ("sent", "partially_paid")
    assert invoice(status, balance=1).is_payable is open_
    assert invoice(status, balance=0).is_payable is False          # balance zero: nothing to pay
    assert invoice(status, balance=-500).is_payable is False       # overpaid
    assert invoice(status).is_issued is (status != "draft")
    assert invoice(status).takes_payments is (status not in ("draft", "void"))


@pytest.mark.parametrize("status", INVOICE_STATUSES)
def test_overdue_starts_the_day_after_the_due_date(status):
    open_ = status in ("sent", "partially_paid")
    assert invoice(status, due=DUE["yesterday"]).is_overdue(TODAY) is open_
    assert invoice(status, due=DUE["today"]).is_overdue(TODAY) is False    # due today: not yet
    assert invoice(status, due=DUE["tomorrow"]).is_overdue(TODAY) is False
    assert invoice(status, balance=0, due=DUE["yesterday"]).is_overdue(TODAY) is False
    shown = invoice(status, due=DUE["yesterday"]).shown_status(TODAY)
    assert shown == (OVERDUE if open_ else status)
    assert invoice(status, due=DUE["today"]).shown_status(TODAY) == status


def test_partly_paid_past_its_due_date_is_overdue():
    late = invoice("partially_paid", balance=2_500, due=DUE["yesterday"])
    assert late.is_payable and late.is_overdue(TODAY) and late.shown_status(TODAY) == "overdue"


def test_today_is_the_utc_date(monkeypatch):
    """Without `today`, the rule reads the UTC date: due on the 10th is overdue from
    00:00 UTC on the 11th, whatever the server's own time zone says."""
    due = invoice("sent", due=TODAY)
    clock = Clock(datetime(2026, 3, 10, 23, 59, 59, tzinfo=UTC))
    monkeypatch.setattr(base, "clock", clock)
    assert due.is_overdue() is False
    clock.advance(seconds=1)
    assert due.is_overdue() is True


# --- Invoice: each clause selects the rows its property accepts -----------------------------

@pytest.fixture
def invoices(db, world) -> list[Invoice]:
    rows = []
    for n, (status, balance, due) in enumerate(product(INVOICE_STATUSES, BALANCES, DUE.values())):
        row = invoice(status, balance, due)
        row.workspace_id, row.contact_id, row.number = world.ws_a.id, world.contact_a1.id, f"R-{n:03d}"
        rows.append(row)
    db.add_all(rows)
    db.commit()
    return rows


def _selected(db, model, clause) -> set[int]:
    return set(db.exec(select(model.id).where(clause)).all())


def test_invoice_clauses_select_what_the_properties_accept(db, invoices):
    assert len(invoices) == len(INVOICE_STATUSES) * len(BALANCES) * len(DUE)
    assert _selected(db, Invoice, Invoice.payable_clause()) == {i.id for i in invoices if i.is_payable}
    assert _selected(db, Invoice, Invoice.issued_clause()) == {i.id for i in invoices if i.is_issued}
    for today in (TODAY - timedelta(days=1), TODAY, TODAY + timedelta(days=1), TODAY + timedelta(days=2)):
        overdue = {i.id for i in invoices if i.is_overdue(today)}
        assert _selected(db, Invoice, Invoice.overdue_clause(today)) == overdue
        shown = dict(db.exec(select(Invoice.id, Invoice.shown_status_clause(today))).all())
        assert shown == {i.id: i.shown_status(today) for i in invoices}
    assert {i.id for i in invoices if i.is_overdue(TODAY)}                 # the sets are not trivially empty
    assert {i.id for i in invoices if i.is_payable} - {i.id for i in invoices if i.is_overdue(TODAY)}


# --- Document -------------------------------------------------------------------------------

def document(status: str) -> Document:
    return Document(workspace_id=1, contact_id=1, title="T", status=status, original_key="k", original_sha256="0" * 64)


@pytest.mark.parametrize("status", DOCUMENT_STATUSES)
def test_document_rules(status):
    doc = document(status)
    assert doc.is_open is (status in ("sent", "viewed", "partially_signed"))
    assert doc.is_issued is (status != "draft")
    assert doc.is_voidable is (status in ("draft", "sent", "viewed", "partially_signed"))


def test_document_clauses_select_what_the_properties_accept(db, world):
    docs = [document(s) for s in DOCUMENT_STATUSES]
    for doc in docs:
        doc.workspace_id, doc.contact_id = world.ws_a.id, world.contact_a1.id
    db.add_all(docs)
    db.commit()
    assert _selected(db, Document, Document.open_clause()) == {d.id for d in docs if d.is_open}
    assert _selected(db, Document, Document.issued_clause()) == {d.id for d in docs if d.is_issued}


# --- the label table ------------------------------------------------------------------------

def test_the_table_covers_every_status_of_each_model():
    assert set(STATUS_STYLES["invoice"]) == set(INVOICE_SHOWN_STATUSES)
    assert set(STATUS_STYLES["document"]) == set(DOCUMENT_STATUSES)
    assert set(STATUS_STYLES["payment"]) == set(LEDGER_KINDS)
    assert set(STATUS_STYLES["contact"]) == {s.value for s in ClientStatus} | {"none"}
    assert set(STATUS_STYLES["staff"]) == {"active", "invited", "disabled"}
    assert set(STATUS_STYLES["domain"]) == set(DOMAIN_SHOWN_STATUSES)  # and "stopped", shown only


def test_every_style_is_one_the_badge_can_draw():
    for kind, styles in STATUS_STYLES.items():
        for status, style in styles.items():
            assert style.label and style.label[0].isupper(), (kind, status)
            assert style.color in ("gray", "blue", "cyan", "amber", "green", "red"), (kind, status)
            assert style.variant in ("soft", "outline"), (kind, status)


def test_the_pdf_words_each_invoice_status_as_the_pages_do():
    """The PDF adapter imports nothing of ours (test_invoice_pdf checks it), so it keeps its
    own list of statuses and print colors; its words must be the table's."""
    from portal_app.adapters.pdf import STATUS_STYLE, STATUSES

    assert set(STATUSES) == set(STATUS_STYLE) == set(INVOICE_SHOWN_STATUSES)
    assert {s: label for s, (label, _rgb) in STATUS_STYLE.items()} == status_labels("invoice")


def test_labels_read_the_same_everywhere():
    assert status_label("invoice", "partially_paid") == "Partially paid"
    assert status_label("invoice", "overdue") == "Overdue"
    assert status_label("document", "nonsense") == "nonsense"       # unknown: shown as itself
    assert list(status_labels("invoice")) == ["draft", "sent", "partially_paid", "paid", "overdue", "void"]

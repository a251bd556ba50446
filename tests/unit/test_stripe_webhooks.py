"""Stripe webhooks (services/billing/stripe_webhooks.py and POST /api/stripe/webhook/{workspace} in
api/payments.py), on SQLite and PostgreSQL.

Every event is signed the way Stripe signs it (the SDK's WebhookSignature over the raw,
pretty-printed body) with the workspace's webhook secret, which is sealed at rest as
Settings › Payments stores it. Behaviour is checked through the service (in a unit of work,
as the route runs it) and through the route (Starlette's TestClient on build_api() inside
SecurityHeaders); refusals are checked to write nothing at all, by comparing every row of
the billing tables, the audit log and the outbox before and after.

The chaos test posts 200 signed events for 50 invoices, 30 % of them delivered again,
shuffled, from 4 threads at once (one TestClient each: each runs the app on its own event
loop and thread pool, so requests really overlap; the test measures that they did).
"""

from __future__ import annotations

import json
import queue
import random
import secrets
import threading
import time
import warnings
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa
import stripe
from sqlmodel import Session, select

with warnings.catch_warnings():  # as in tests/integration/conftest.py
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from portal_app.api.routes import build_api
from portal_app.api.security_headers import SecurityHeaders
from portal_app.db import get_engine, unit_of_work
from portal_app.errors import Forbidden, Invalid, NotFound
from portal_app.models import (
    AuditEvent,
    Invoice,
    InvoiceLine,
    LedgerEntry,
    OutboxMessage,
    PaymentAttempt,
    StripeEvent,
    WorkspacePayments,
)
from portal_app.services.billing import stripe_webhooks
from portal_app.services.billing.invoices import create_invoice, payments_settings, send_invoice
from portal_app.services.secret_box import seal
from portal_app.settings import reset_settings_cache

SECRET_A = "whsec_test_alpha_0123456789abcdef"
SECRET_B = "whsec_test_beta_fedcba9876543210"
TABLES = (WorkspacePayments, Invoice, InvoiceLine, LedgerEntry, PaymentAttempt, StripeEvent, AuditEvent,
          OutboxMessage)
RANK = {"draft": 0, "sent": 1, "partially_paid": 2, "paid": 3}


# --- building invoices and events ---------------------------------------------------------------

@pytest.fixture
def billing(db, world, monkeypatch):
    """Both workspaces have a webhook secret, sealed as Settings › Payments stores it."""
    monkeypatch.setenv("PORTAL_SECRET_KEY", "unit-test-secret-key")
    reset_settings_cache()
    payments_settings(db, world.ws_a.id).stripe_webhook_secret_sealed = seal(SECRET_A)
    payments_settings(db, world.ws_b.id).stripe_webhook_secret_sealed = seal(SECRET_B)
    db.commit()
    return world


def invoice(db, staff, contact, total: int, currency: str = "USD") -> Invoice:
    inv = create_invoice(db, staff, contact_public_id=contact.public_id, currency=currency,
                         lines=[{"description": "Services", "quantity": "1", "unit_minor": total, "tax_rate": "0"}])
    send_invoice(db, staff, inv.public_id)
    db.commit()
    return inv


def attempt(db, inv: Invoice, amount: int) -> PaymentAttempt:
    """The row Pay Now writes before it calls Stripe (no service writes one yet)."""
    row = PaymentAttempt(workspace_id=inv.workspace_id, invoice_id=inv.id, contact_id=inv.contact_id,
                         amount_minor=amount, currency=inv.currency)
    db.add(row)
    db.commit()
    return row


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"


def event(kind: str, obj: dict, evt_id: str | None = None) -> dict:
    return {"id": evt_id or new_id("evt"), "object": "event", "api_version": "2024-06-20",
            "created": int(time.time()), "livemode": False, "type": kind, "data": {"object": obj}}


def meta(ws, inv, att: PaymentAttempt | None = None) -> dict:
    m = {"workspace": ws.public_id, "invoice": inv.public_id}
    if att is not None:
        m["attempt"] = att.public_id
    return m


def succeeded(ws, inv, amount: int, *, pi: str | None = None, currency: str | None = None,
              att: PaymentAttempt | None = None, metadata: dict | None = None, evt_id: str | None = None) -> dict:
    pi = pi or new_id("pi")
    return event("payment_intent.succeeded", {
        "id": pi, "object": "payment_intent", "amount": amount, "amount_received": amount,
        "currency": (currency or inv.currency).lower(), "status": "succeeded", "latest_charge": "ch_" + pi[3:],
        "metadata": meta(ws, inv, att) if metadata is None else metadata}, evt_id)


def failed(ws, inv, amount: int, att: PaymentAttempt, pi: str | None = None) -> dict:
    return event("payment_intent.payment_failed", {
        "id": pi or new_id("pi"), "object": "payment_intent", "amount": amount, "amount_received": 0,
        "currency": inv.currency.lower(), "status": "requires_payment_method",
        "last_payment_error": {"code": "card_declined", "message": "Your card was declined."},
        "metadata": meta(ws, inv, att)})


def refunded(ws, inv, pi: str, amount: int, refunds: list[tuple[str, int]] | None,
             amount_refunded: int | None = None, metadata: dict | None = None) -> dict:
    """charge.refunded: the charge with its refunds so far (`refunds` None: a newer API
    version that leaves the list out, only amount_refunded)."""
    charge = "ch_" + pi[3:]
    total = amount_refunded if amount_refunded is not None else sum(a for _, a in refunds or [])
    obj = {"id": charge, "object": "charge", "amount": amount, "amount_refunded": total,
           "currency": inv.currency.lower(), "payment_intent": pi, "refunded": total >= amount,
           "metadata": meta(ws, inv) if metadata is None else metadata}
    if refunds is not None:
        obj["refunds"] = {"object": "list", "has_more": False, "data": [
            {"id": rid, "object": "refund", "amount": a, "charge": charge, "payment_intent": pi,
             "currency": inv.currency.lower(), "status": "succeeded"} for rid, a in refunds]}
    return event("charge.refunded", obj)


def dispute(inv, pi: str, dp: str, amount: int, status: str) -> dict:
    kind = "charge.dispute.created" if status == "needs_response" else "charge.dispute.closed"
    return event(kind, {"id": dp, "object": "dispute", "amount": amount, "charge": "ch_" + pi[3:],
                        "payment_intent": pi, "currency": inv.currency.lower(), "status": status,
                        "reason": "fraudulent", "metadata": {}})


def raw(evt: dict) -> bytes:
    return json.dumps(evt, indent=2).encode()  # as Stripe sends it


def sign(body: bytes, secret: str = SECRET_A, ts: int | None = None) -> str:
    return stripe.WebhookSignature.generate_signature_header(body.decode(), secret,
                                                             timestamp=int(time.time()) if ts is None else ts)


def snapshot(db_url: str) -> dict[str, list[tuple]]:
    """Every row of every billing table, the audit log and the outbox, read afresh."""
    with Session(get_engine(db_url)) as s:
        return {m.__tablename__: [tuple(r) for r in s.execute(
            sa.select(m.__table__).order_by(*m.__table__.primary_key.columns)).all()] for m in TABLES}


def state(db_url: str, inv: Invoice) -> tuple:
    with Session(get_engine(db_url)) as s:
        got = s.get(Invoice, inv.id)
        return got.status, got.paid_minor, got.balance_minor, got.overpaid


def ledger_rows(db_url: str, inv: Invoice) -> list[tuple]:
    with Session(get_engine(db_url)) as s:
        query = (sa.select(LedgerEntry.kind, LedgerEntry.amount_minor, LedgerEntry.dedupe_key)
                 .where(LedgerEntry.invoice_id == inv.id).order_by(LedgerEntry.id))
        return [tuple(r) for r in s.execute(query).all()]


def outbox(db_url: str, kind: str) -> list[dict]:
    with Session(get_engine(db_url)) as s:
        return [json.loads(p) for p in s.exec(select(OutboxMessage.payload).where(OutboxMessage.kind == kind)
                                               .order_by(OutboxMessage.id)).all()]


# --- the two ways in ---------------------------------------------------------------------------

@dataclass
class Answer:
    status: int
    outcome: str = ""
    error: type | None = None   # the service's exception (service path)


@pytest.fixture
def http():
    with TestClient(SecurityHeaders(build_api()), base_url="http://alpha.example.test") as c:
        yield c


def post(client: TestClient, ws_public_id: str, body: bytes, header: str | None) -> Answer:
    headers = {"content-type": "application/json; charset=utf-8"}
    if header is not None:
        headers["stripe-signature"] = header
    r = client.post(f"/api/stripe/webhook/{ws_public_id}", content=body, headers=headers)
    data = r.json()
    assert r.headers["x-content-type-options"] == "nosniff"  # SecurityHeaders wraps it
    if r.status_code == 200:
        assert data["received"] is True
        return Answer(200, data["outcome"])
    return Answer(r.status_code, data.get("error", ""))


def through_service(ws_public_id: str, body: bytes, header: str | None) -> Answer:
    try:
        with unit_of_work() as s:  # what the route runs: commit on success, roll back on error
            return Answer(200, stripe_webhooks.handle_webhook(s, ws_public_id, body, header))
    except NotFound as exc:
        return Answer(404, exc.message, NotFound)
    except (Invalid, Forbidden) as exc:
        return Answer(400, exc.message, type(exc))


@pytest.fixture(params=["service", "route"])
def deliver(request, billing):
    """deliver(evt) signs and delivers an event to workspace A (or `ws`), returns an Answer."""
    client = request.getfixturevalue("http") if request.param == "route" else None

    def do(evt: dict | None = None, *, ws=None, body: bytes | None = None, header: str | None = "sign",
           secret: str = SECRET_A) -> Answer:
        body = raw(evt) if body is None else body
        header = sign(body, secret) if header == "sign" else header
        target = (ws or billing.ws_a).public_id
        return post(client, target, body, header) if client else through_service(target, body, header)

    do.via = request.param
    return do


# --- payments ------------------------------------------------------------------------------------

def test_a_signed_payment_books_it_and_marks_the_invoice_paid(db, billing, db_url, deliver):
    w = billing
    inv = invoice(db, w.staff_a, w.contact_a1, 12_500)
    att = attempt(db, inv, 12_500)
    evt = succeeded(w.ws_a, inv, 12_500, att=att)
    pi = evt["data"]["object"]["id"]

    assert deliver(evt) == Answer(200, "booked")

    assert state(db_url, inv) == ("paid", 12_500, 0, False)
    with Session(get_engine(db_url)) as s:
        [entry] = s.exec(select(LedgerEntry).where(LedgerEntry.invoice_id == inv.id)).all()
        assert (entry.kind, entry.method, entry.amount_minor, entry.currency, entry.dedupe_key,
                entry.stripe_payment_intent_id) == ("payment", "card", 12_500, "USD", f"pi:{pi}", pi)
        assert s.get(Invoice, inv.id).paid_at is not None
        got = s.get(PaymentAttempt, att.id)
        assert (got.status, got.stripe_payment_intent_id) == ("succeeded", pi)
        [rec] = s.exec(select(StripeEvent)).all()
        assert (rec.workspace_id, rec.event_id, rec.type, rec.outcome) == (
            w.ws_a.id, evt["id"], "payment_intent.succeeded", "booked")
    assert outbox(db_url, "invoice.paid") == [{"invoice": inv.public_id, "number": inv.number, "paid": 12_500,
                                               "balance": 0, "overpaid": False}]


def test_a_duplicate_event_answers_200_and_changes_nothing(db, billing, db_url, deliver):
    w = billing
    inv = invoice(db, w.staff_a, w.contact_a1, 5_000)
    evt = succeeded(w.ws_a, inv, 5_000)
    body = raw(evt)
    header = sign(body)
    assert deliver(body=body, header=header) == Answer(200, "booked")
    before = snapshot(db_url)

    assert deliver(body=body, header=header) == Answer(200, "duplicate")   # the same request again
    assert deliver(body=body) == Answer(200, "duplicate")                  # Stripe's retry, signed anew
    assert snapshot(db_url) == before

    # The same PaymentIntent in another event (e.g. replayed from the dashboard): recorded, not booked.
    again = succeeded(w.ws_a, inv, 5_000, pi=evt["data"]["object"]["id"])
    assert deliver(again) == Answer(200, "already booked")
    assert ledger_rows(db_url, inv) == [("payment", 5_000, f"pi:{evt['data']['object']['id']}")]
    assert state(db_url, inv) == ("paid", 5_000, 0, False)
    assert len(snapshot(db_url)["stripe_event"]) == 2


def test_a_partial_payment_then_the_rest(db, billing, db_url, deliver):
    w = billing
    inv = invoice(db, w.staff_a, w.contact_a2, 10_000, currency="EUR")
    assert deliver(succeeded(w.ws_a, inv, 4_000)) == Answer(200, "booked")
    assert state(db_url, inv) == ("partially_paid", 4_000, 6_000, False)
    assert deliver(succeeded(w.ws_a, inv, 6_000)) == Answer(200, "booked")
    assert state(db_url, inv) == ("paid", 10_000, 0, False)
    assert [p["paid"] for p in outbox(db_url, "invoice.payment")] == [4_000]
    assert [p["paid"] for p in outbox(db_url, "invoice.paid")] == [10_000]


def test_an_overpayment_is_flagged(db, billing, db_url, deliver):
    w = billing
    inv = invoice(db, w.staff_a, w.contact_a1, 1_000)
    deliver(succeeded(w.ws_a, inv, 600))
    deliver(succeeded(w.ws_a, inv, 600))
    assert state(db_url, inv) == ("paid", 1_200, -200, True)
    assert outbox(db_url, "invoice.paid")[-1]["overpaid"] is True


def test_a_failed_payment_marks_the_attempt_and_nothing_else(db, billing, db_url, deliver):
    w = billing
    inv = invoice(db, w.staff_a, w.contact_a1, 3_000)
    att = attempt(db, inv, 3_000)
    assert deliver(failed(w.ws_a, inv, 3_000, att)) == Answer(200, "payment failed")
    with Session(get_engine(db_url)) as s:
        got = s.get(PaymentAttempt, att.id)
        assert (got.status, got.error) == ("failed", "Your card was declined.")
    assert state(db_url, inv) == ("sent", 0, 3_000, False)
    assert ledger_rows(db_url, inv) == []


# --- refunds and disputes ------------------------------------------------------------------------

def test_refunds_listed_on_the_charge_are_booked_once_each(db, billing, db_url, deliver):
    w = billing
    inv = invoice(db, w.staff_a, w.contact_a1, 10_000)
    pay = succeeded(w.ws_a, inv, 10_000)
    pi = pay["data"]["object"]["id"]
    deliver(pay)

    first = refunded(w.ws_a, inv, pi, 10_000, [("re_1" + pi[3:], 2_500)])
    assert deliver(first) == Answer(200, "1 refund(s) booked")
    assert state(db_url, inv) == ("paid", 7_500, 2_500, False)   # status stays; the balance shows it

    second = refunded(w.ws_a, inv, pi, 10_000, [("re_1" + pi[3:], 2_500), ("re_2" + pi[3:], 1_500)])
    assert deliver(second) == Answer(200, "1 refund(s) booked")
    assert deliver(body=raw(second)) == Answer(200, "duplicate")
    assert deliver(refunded(w.ws_a, inv, pi, 10_000, [("re_1" + pi[3:], 2_500), ("re_2" + pi[3:], 1_500)])
                   ) == Answer(200, "0 refund(s) booked")
    assert state(db_url, inv) == ("paid", 6_000, 4_000, False)
    assert ledger_rows(db_url, inv) == [("payment", 10_000, f"pi:{pi}"), ("refund", 2_500, f"re:re_1{pi[3:]}"),
                                        ("refund", 1_500, f"re:re_2{pi[3:]}")]
    assert [p["balance"] for p in outbox(db_url, "invoice.refunded")] == [2_500, 4_000]


def test_refunds_without_a_list_book_what_amount_refunded_adds(db, billing, db_url, deliver):
    w = billing
    inv = invoice(db, w.staff_a, w.contact_a1, 10_000)
    pay = succeeded(w.ws_a, inv, 10_000)
    pi = pay["data"]["object"]["id"]
    deliver(pay)
    assert deliver(refunded(w.ws_a, inv, pi, 10_000, None, amount_refunded=1_000)) == Answer(200, "1 refund(s) booked")
    assert deliver(refunded(w.ws_a, inv, pi, 10_000, None, amount_refunded=3_000)) == Answer(200, "1 refund(s) booked")
    # an older event arriving late adds nothing
    assert deliver(refunded(w.ws_a, inv, pi, 10_000, None, amount_refunded=1_000)) == Answer(200, "0 refund(s) booked")
    assert state(db_url, inv) == ("paid", 7_000, 3_000, False)
    assert sum(a for k, a, _ in ledger_rows(db_url, inv) if k == "refund") == 3_000


def _wait_for_a_lock_waiter(session: Session, timeout: float = 30) -> None:
    """PostgreSQL: until another backend of this database waits on a lock (the statement sent
    is then really blocked, not just about to be)."""
    deadline = time.monotonic() + timeout
    query = sa.text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()")
    while not session.connection().execute(query).scalar():
        assert time.monotonic() < deadline, "no backend waits on the invoice lock"
        time.sleep(0.01)


def test_two_refund_events_of_one_charge_at_once_count_each_refund_once(db, billing, db_url):
    """Without a refund list, each event says how much of the charge is refunded so far. Two
    such events applied at the same moment must not both book from the same starting point."""
    w = billing
    inv = invoice(db, w.staff_a, w.contact_a1, 10_000)
    pay = succeeded(w.ws_a, inv, 10_000)
    pi = pay["data"]["object"]["id"]
    assert through_service(w.ws_a.public_id, raw(pay), sign(raw(pay))).outcome == "booked"
    e1 = raw(refunded(w.ws_a, inv, pi, 10_000, None, amount_refunded=1_000))
    e2 = raw(refunded(w.ws_a, inv, pi, 10_000, None, amount_refunded=3_000))

    answers: list[Answer] = []
    blocked = threading.Event()  # the second event has asked for the lock the first one holds
    other = threading.Thread(target=lambda: answers.append(through_service(w.ws_a.public_id, e2, sign(e2))))

    def asks_for_the_lock(conn, cursor, statement, parameters, context, executemany):
        if threading.current_thread() is other and ("BEGIN IMMEDIATE" in statement or "FOR UPDATE" in statement):
            blocked.set()

    engine = get_engine()
    sa.event.listen(engine, "before_cursor_execute", asks_for_the_lock)
    try:
        with unit_of_work() as first:
            assert stripe_webhooks.handle_webhook(first, w.ws_a.public_id, e1, sign(e1)) == "1 refund(s) booked"
            other.start()
            # wait for that, not a fixed second: on a loaded machine the thread may not have got there yet
            assert blocked.wait(30), "the second event never reached the invoice lock"
            if engine.dialect.name == "postgresql":
                _wait_for_a_lock_waiter(first)
        other.join(30)
    finally:
        sa.event.remove(engine, "before_cursor_execute", asks_for_the_lock)
    assert answers and answers[0].status == 200, answers
    assert state(db_url, inv) == ("paid", 7_000, 3_000, False)
    assert sum(a for k, a, _ in ledger_rows(db_url, inv) if k == "refund") == 3_000


def test_a_dispute_takes_the_money_back_until_it_is_won(db, billing, db_url, deliver):
    w = billing
    lost, won = invoice(db, w.staff_a, w.contact_a1, 8_000), invoice(db, w.staff_a, w.contact_a1, 9_000)
    pays = {inv.id: succeeded(w.ws_a, inv, inv.total_minor) for inv in (lost, won)}
    for evt in pays.values():
        deliver(evt)
    pi_lost, pi_won = (pays[i.id]["data"]["object"]["id"] for i in (lost, won))

    assert deliver(dispute(lost, pi_lost, "dp_lost", 8_000, "needs_response")) == Answer(200, "dispute booked")
    assert state(db_url, lost) == ("paid", 0, 8_000, False)
    assert deliver(dispute(lost, pi_lost, "dp_lost", 8_000, "lost")) == Answer(200, "dispute closed: lost")
    assert state(db_url, lost) == ("paid", 0, 8_000, False)

    assert deliver(dispute(won, pi_won, "dp_won", 9_000, "needs_response")) == Answer(200, "dispute booked")
    assert deliver(dispute(won, pi_won, "dp_won", 9_000, "won")) == Answer(200, "dispute won")
    assert deliver(dispute(won, pi_won, "dp_won", 9_000, "won")) == Answer(200, "already booked")
    assert state(db_url, won) == ("paid", 9_000, 0, False)
    assert [k for k, _, _ in ledger_rows(db_url, won)] == ["payment", "dispute", "dispute_won"]
    assert outbox(db_url, "invoice.disputed") == [{"invoice": lost.public_id, "amount": 8_000},
                                                  {"invoice": won.public_id, "amount": 9_000}]


def test_an_unknown_event_type_is_acknowledged_and_recorded(db, billing, db_url, deliver):
    before = snapshot(db_url)
    evt = event("customer.created", {"id": "cus_1", "object": "customer"})
    assert deliver(evt) == Answer(200, "ignored")
    after = snapshot(db_url)
    assert {k: v for k, v in after.items() if k != "stripe_event"} == {
        k: v for k, v in before.items() if k != "stripe_event"}
    with Session(get_engine(db_url)) as s:
        [rec] = s.exec(select(StripeEvent)).all()
        assert (rec.event_id, rec.type, rec.outcome) == (evt["id"], "customer.created", "ignored")


# --- refusals: nothing written ---------------------------------------------------------------------

def _flip(header: str) -> str:
    t, v1 = header.split(",")
    digest = v1.split("=", 1)[1]
    return f"{t},v1={'0' if digest[0] != '0' else '1'}{digest[1:]}"


REFUSALS = {
    # name: (what is posted, expected service error, words in the message)
    "bad signature": (lambda w, inv, inv_b: dict(header=_flip(sign(raw(succeeded(w.ws_a, inv, 100))))), Invalid,
                      "does not match"),
    "missing header": (lambda w, inv, inv_b: dict(header=None), Invalid, "no Stripe-Signature"),
    "empty header": (lambda w, inv, inv_b: dict(header=""), Invalid, "no Stripe-Signature"),
    "stale timestamp": (lambda w, inv, inv_b: dict(stale=-301), Invalid, "too old"),
    "dated in the future": (lambda w, inv, inv_b: dict(stale=+301), Invalid, "too old"),
    "re-serialized body": (lambda w, inv, inv_b: dict(reserialize=True), Invalid, "does not match"),
    "another workspace's secret": (lambda w, inv, inv_b: dict(secret=SECRET_B), Invalid, "does not match"),
    "metadata names another workspace": (
        lambda w, inv, inv_b: dict(evt=succeeded(w.ws_a, inv, 100, metadata={"workspace": w.ws_b.public_id,
                                                                              "invoice": inv.public_id})),
        Forbidden, "another workspace"),
    "metadata names another workspace's invoice": (
        lambda w, inv, inv_b: dict(evt=succeeded(w.ws_a, inv, 100, metadata={"workspace": w.ws_a.public_id,
                                                                              "invoice": inv_b.public_id})),
        Forbidden, "not this workspace's"),
    "B's event posted to B naming A's invoice": (
        lambda w, inv, inv_b: dict(ws=w.ws_b, secret=SECRET_B, evt=succeeded(w.ws_b, inv, 100, metadata={
            "workspace": w.ws_a.public_id, "invoice": inv.public_id})),
        Forbidden, "another workspace"),
    "control: B's own event at B's url": (
        lambda w, inv, inv_b: dict(ws=w.ws_b, secret=SECRET_B, evt=succeeded(w.ws_b, inv_b, 100)),
        None, ""),  # the control: a correct event for B is accepted (see the test)
    "no invoice in the metadata": (
        lambda w, inv, inv_b: dict(evt=succeeded(w.ws_a, inv, 100, metadata={})), Forbidden, "not this workspace's"),
    "currency mismatch": (lambda w, inv, inv_b: dict(evt=succeeded(w.ws_a, inv, 100, currency="eur")), Forbidden,
                          "currency"),
    "refund of another workspace's invoice": (
        lambda w, inv, inv_b: dict(evt=refunded(w.ws_a, inv_b, "pi_unknown", 100, [("re_x", 100)],
                                                metadata={"workspace": w.ws_b.public_id,
                                                          "invoice": inv_b.public_id})),
        Forbidden, "another workspace"),
    "dispute of an unknown payment": (
        lambda w, inv, inv_b: dict(evt=dispute(inv, "pi_unknown", "dp_x", 100, "needs_response")),
        Forbidden, "not this workspace's"),
    "signed, but not an event": (lambda w, inv, inv_b: dict(body=b'{"hello": "world"}'), Invalid, "not a Stripe event"),
    "signed, but not JSON": (lambda w, inv, inv_b: dict(body=b"hello"), Invalid, "not JSON"),
}


@pytest.mark.parametrize("case", list(REFUSALS), ids=list(REFUSALS))
def test_refused_events_write_nothing(db, billing, db_url, deliver, case, monkeypatch):
    from portal_app.adapters import payments

    w = billing
    now = int(time.time())
    monkeypatch.setattr(payments, "clock", lambda: now)  # a busy machine's second ticks do not count
    inv = invoice(db, w.staff_a, w.contact_a1, 4_000)
    inv_b = invoice(db, w.staff_b, w.contact_b1, 4_000)
    make, error, words = REFUSALS[case]
    spec = make(w, inv, inv_b)
    evt = spec.get("evt") or succeeded(w.ws_a, inv, 4_000)
    body = spec.get("body") or raw(evt)
    secret = spec.get("secret", SECRET_A)
    header = spec.get("header", "sign")
    if "stale" in spec:
        header = sign(body, secret, now + spec["stale"])
    if spec.get("reserialize"):
        header = sign(body, secret)
        body = json.dumps(json.loads(body), separators=(",", ":")).encode()
    before = snapshot(db_url)

    answer = deliver(body=body, header=header, secret=secret, ws=spec.get("ws"))

    if error is None:  # the control case
        assert answer == Answer(200, "booked")
        assert state(db_url, inv_b) == ("partially_paid", 100, 3_900, False)
        return
    assert answer.status == 400, answer
    assert words.lower() in answer.outcome.lower()
    if deliver.via == "service":
        assert answer.error is error
    assert snapshot(db_url) == before
    assert state(db_url, inv) == ("sent", 0, 4_000, False)
    assert state(db_url, inv_b) == ("sent", 0, 4_000, False)


def test_a_refused_event_is_applied_when_stripe_retries_it_later(db, billing, db_url, deliver):
    """Stripe retries anything but a 2xx. A dispute of a payment not booked yet is refused; the
    refusal must leave no trace, or the retry would be taken for a duplicate and lost."""
    w = billing
    inv = invoice(db, w.staff_a, w.contact_a1, 7_000)
    pay = succeeded(w.ws_a, inv, 7_000)
    pi = pay["data"]["object"]["id"]
    early = dispute(inv, pi, "dp_early", 7_000, "needs_response")
    assert deliver(early).status == 400
    assert deliver(pay) == Answer(200, "booked")
    assert deliver(early) == Answer(200, "dispute booked")  # the same event id, retried
    assert state(db_url, inv) == ("paid", 0, 7_000, False)


def test_unknown_workspace_is_404_and_writes_nothing(db, billing, db_url, deliver):
    inv = invoice(db, billing.staff_a, billing.contact_a1, 1_000)
    before = snapshot(db_url)
    body = raw(succeeded(billing.ws_a, inv, 1_000))
    if deliver.via == "route":
        client = TestClient(SecurityHeaders(build_api()), base_url="http://alpha.example.test")
        answer = post(client, "ws_doesnotexist", body, sign(body))
        assert answer == Answer(404, "unknown workspace")
    else:
        assert through_service("ws_doesnotexist", body, sign(body)).error is NotFound
    assert snapshot(db_url) == before


def test_a_workspace_without_a_webhook_secret_refuses_everything(db, billing, db_url, deliver):
    w = billing
    payments_settings(db, w.ws_b.id).stripe_webhook_secret_sealed = ""
    db.commit()
    inv_b = invoice(db, w.staff_b, w.contact_b1, 1_000)
    before = snapshot(db_url)
    answer = deliver(succeeded(w.ws_b, inv_b, 1_000), ws=w.ws_b, secret=SECRET_B)
    assert answer.status == 400 and "not configured" in answer.outcome
    assert snapshot(db_url) == before


def test_a_secret_the_server_can_no_longer_read_refuses_with_a_message(db, billing, db_url, deliver, monkeypatch):
    inv = invoice(db, billing.staff_a, billing.contact_a1, 1_000)
    monkeypatch.setenv("PORTAL_SECRET_KEY", "a-new-server-key")  # the key changed, the sealed secret did not
    reset_settings_cache()
    before = snapshot(db_url)
    answer = deliver(succeeded(billing.ws_a, inv, 1_000))
    assert answer.status == 400 and "Enter the secret again" in answer.outcome
    assert snapshot(db_url) == before


def test_a_huge_body_is_refused_before_it_is_read(db, billing, http, db_url):
    before = snapshot(db_url)
    body = b'{"pad": "' + b"x" * (600 * 1024) + b'"}'
    r = http.post(f"/api/stripe/webhook/{billing.ws_a.public_id}", content=body,
                  headers={"stripe-signature": sign(body)})
    assert r.status_code == 413
    assert snapshot(db_url) == before


# --- chaos ------------------------------------------------------------------------------------------

@dataclass
class Plan:
    """One invoice's story, in the order it happened at Stripe."""
    inv: Invoice
    scenario: str
    movements: list[tuple[str, int, str]] = field(default_factory=list)  # (kind, amount, dedupe key)
    events: list[dict] = field(default_factory=list)
    attempts: dict[int, str] = field(default_factory=dict)               # attempt id -> final status
    refunded_total: dict[str, int] = field(default_factory=dict)          # charge -> refunded (no-list form)

    def expected(self) -> tuple:
        """Replay the movements in the order they happened: paid/balance from the ledger, the
        status moving forward only."""
        total, net, status = self.inv.total_minor, 0, "sent"
        for kind, amount, _ in self.movements:
            net += amount if kind in ("payment", "dispute_won") else -amount
            derived = "paid" if net >= total else "partially_paid" if net > 0 else status
            status = derived if RANK[derived] > RANK[status] else status
        for amount in self.refunded_total.values():
            net -= amount
        return status, net, total - net, net > total


SHOULD = {"full": "paid", "split": "paid", "partial": "partially_paid", "overpay": "paid",
          "overpay_refund": "paid", "partial_refund_list": "partially_paid",
          "partial_refund_total": "partially_paid", "dispute_won": "paid", "failed_then_paid": "paid",
          "untouched": "sent"}


def _plan(db, rng: random.Random, ws, inv: Invoice, scenario: str) -> Plan:
    """Scenarios whose final state does not depend on the order the events arrive in (the
    status moves only forward, so e.g. a refund of a fully paid invoice arriving *before*
    its payment would leave it partially paid: real, but order-dependent; that case is
    tested in order above)."""
    plan, total = Plan(inv, scenario), inv.total_minor

    def pay(amount: int, att: PaymentAttempt | None = None) -> str:
        evt = succeeded(ws, inv, amount, att=att)
        pi = evt["data"]["object"]["id"]
        plan.events.append(evt)
        plan.movements.append(("payment", amount, f"pi:{pi}"))
        return pi

    if scenario == "full":
        pay(total)
    elif scenario == "split":
        cuts = sorted(rng.sample(range(1, total), rng.randint(1, 3)))
        for a, b in zip([0, *cuts], [*cuts, total], strict=True):
            pay(b - a)
    elif scenario == "partial":
        pay(total * 3 // 10)
        if rng.random() < 0.5:
            pay(total // 5)
    elif scenario == "overpay":
        pay(total + rng.randint(1, 500))
    elif scenario == "overpay_refund":  # paid a bit too much; the excess is refunded
        extra = rng.randint(1, 500)
        pay(total // 2)
        pi = pay(total - total // 2 + extra)
        rid = "re_" + pi[3:]
        plan.events.append(refunded(ws, inv, pi, total - total // 2 + extra, [(rid, extra)]))
        # a second event, same refund
        plan.events.append(refunded(ws, inv, pi, total - total // 2 + extra, [(rid, extra)]))
        plan.movements.append(("refund", extra, f"re:{rid}"))
    elif scenario == "partial_refund_list":
        amount = total // 2
        pi = pay(amount)
        r1, r2 = amount // 5, amount // 10
        plan.events.append(refunded(ws, inv, pi, amount, [("re_1" + pi[3:], r1)]))
        plan.events.append(refunded(ws, inv, pi, amount, [("re_1" + pi[3:], r1), ("re_2" + pi[3:], r2)]))
        plan.movements += [("refund", r1, f"re:re_1{pi[3:]}"), ("refund", r2, f"re:re_2{pi[3:]}")]
    elif scenario == "partial_refund_total":
        amount = total * 6 // 10
        pi = pay(amount)
        r1, r2 = amount // 4, amount // 8
        plan.events.append(refunded(ws, inv, pi, amount, None, amount_refunded=r1))
        plan.events.append(refunded(ws, inv, pi, amount, None, amount_refunded=r1 + r2))
        plan.refunded_total["ch_" + pi[3:]] = r1 + r2   # booked as one or two rows, by arrival order
    elif scenario == "dispute_won":
        pi = pay(total)
        dp = "dp_" + pi[3:]
        plan.events += [dispute(inv, pi, dp, total, "needs_response"), dispute(inv, pi, dp, total, "won")]
        plan.movements += [("dispute", total, f"dp:{dp}"), ("dispute_won", total, f"dpw:{dp}")]
    elif scenario == "failed_then_paid":
        declined, ok = attempt(db, inv, total), attempt(db, inv, total)
        plan.events.append(failed(ws, inv, total, declined))
        pay(total, ok)
        plan.attempts = {declined.id: "failed", ok.id: "succeeded"}
    return plan


def _companions(rng: random.Random, plans: list[Plan], needed: int) -> list[dict]:
    """Events Stripe also sends that the app does not handle (acknowledged, recorded)."""
    pis = [e["data"]["object"] for p in plans for e in p.events if e["type"] == "payment_intent.succeeded"]
    out = []
    while len(out) < needed:
        obj = rng.choice(pis)
        kind = rng.choice(["payment_intent.created", "charge.succeeded", "charge.updated"])
        out.append(event(kind, {"id": obj["id"] if kind.startswith("payment_intent") else obj["latest_charge"],
                                "object": kind.split(".")[0], "metadata": obj["metadata"]}))
    return out


def test_chaos_200_events_50_invoices_30_percent_duplicates_4_threads(db, billing, db_url, monkeypatch, request):
    w, rng = billing, random.Random(20261128)
    scenarios = list(SHOULD) * 5
    plans = []
    for i, scenario in enumerate(scenarios):
        inv = invoice(db, w.staff_a, w.contact_a1 if i % 2 else w.contact_a2, rng.randrange(2_000, 90_000))
        plans.append(_plan(db, rng, w.ws_a, inv, scenario))
    handled = [e for p in plans for e in p.events]
    assert 100 <= len(handled) <= 200
    events = handled + _companions(rng, plans, 200 - len(handled))
    assert len({e["id"] for e in events}) == 200

    # 30 % more deliveries of events already in the list: half the same bytes and header
    # (a proxy resending), half signed anew (Stripe's own retry).
    deliveries = [(e, raw(e), None) for e in events]
    for e in rng.choices(events, k=60):
        deliveries.append((e, raw(e), sign(raw(e)) if rng.random() < 0.5 else None))
    rng.shuffle(deliveries)

    # measure real overlap inside the service
    in_flight, peak, gauge = [0], [0], threading.Lock()
    real = stripe_webhooks.handle_webhook

    def counted(*args, **kwargs):
        with gauge:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        try:
            return real(*args, **kwargs)
        finally:
            with gauge:
                in_flight[0] -= 1

    monkeypatch.setattr(stripe_webhooks, "handle_webhook", counted)

    answers: dict[str, list[Answer]] = {}
    record = threading.Lock()
    work: queue.Queue = queue.Queue()
    crashes: list[BaseException] = []

    def sender():
        try:
            with TestClient(SecurityHeaders(build_api()), base_url="http://alpha.example.test") as client:
                while True:
                    item = work.get()
                    if item is None:
                        return
                    evt, body, header = item
                    answer = post(client, w.ws_a.public_id, body, header or sign(body))
                    with record:
                        answers.setdefault(evt["id"], []).append(answer)
        except BaseException as exc:
            crashes.append(exc)

    started = time.perf_counter()
    rounds, pending = 0, deliveries
    while pending and rounds < 10:
        rounds += 1
        for item in pending:
            work.put(item)
        threads = [threading.Thread(target=sender) for _ in range(4)]
        for t in threads:
            t.start()
        for _ in threads:
            work.put(None)
        for t in threads:
            t.join(300)
        assert not crashes, crashes
        # Stripe retries what was not acknowledged (here: a dispute that came before its payment)
        refused = {eid for eid, got in answers.items() if got[-1].status != 200}
        pending = [(e, raw(e), None) for e in events if e["id"] in refused]
    elapsed = time.perf_counter() - started
    print(f"\nchaos[{request.node.callspec.id}]: {len(deliveries)} deliveries, {rounds} round(s), "
          f"peak {peak[0]} in flight, {elapsed:.2f} s")

    assert not pending, f"still refused after {rounds} rounds: {pending[:3]}"
    assert peak[0] >= 2, "the deliveries never overlapped"
    statuses = {a.status for got in answers.values() for a in got}
    assert statuses <= {200, 400}, statuses
    refusals = [a for got in answers.values() for a in got if a.status == 400]
    assert all("not this workspace's" in a.outcome for a in refusals), refusals[:3]
    # each event applied exactly once; every other delivery of it answered "duplicate"
    for eid, got in answers.items():
        applied = [a for a in got if a.status == 200 and a.outcome != "duplicate"]
        assert len(applied) == 1, (eid, got)

    with Session(get_engine(db_url)) as s:
        recorded = s.exec(select(StripeEvent.event_id)).all()
        assert len(recorded) == 200 and set(recorded) == {e["id"] for e in events}
        rows = s.exec(select(LedgerEntry)).all()
        assert len({r.dedupe_key for r in rows}) == len(rows) and None not in {r.dedupe_key for r in rows}
        for plan in plans:
            got = s.get(Invoice, plan.inv.id)
            want = plan.expected()
            assert want[0] == SHOULD[plan.scenario]
            have = (got.status, got.paid_minor, got.balance_minor, got.overpaid)
            assert have == want, (plan.scenario, plan.inv.number)
            mine = [r for r in rows if r.invoice_id == plan.inv.id]
            keyed = sorted((r.kind, r.amount_minor, r.dedupe_key) for r in mine if not r.dedupe_key.startswith("rt:"))
            assert keyed == sorted(plan.movements), (plan.scenario, plan.inv.number)
            by_total = sum(r.amount_minor for r in mine if r.dedupe_key.startswith("rt:"))
            assert by_total == sum(plan.refunded_total.values())
            for att_id, status in plan.attempts.items():
                assert s.get(PaymentAttempt, att_id).status == status
        payments = sum(1 for p in plans for m in p.movements if m[0] == "payment")
        notices = s.exec(select(sa.func.count()).select_from(OutboxMessage).where(
            OutboxMessage.kind.in_(["invoice.paid", "invoice.payment"]))).one()
        assert notices == payments  # one notice per payment booked, none for a duplicate

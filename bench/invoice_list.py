#!/usr/bin/env python3
"""Invoice pages with 10,000 invoices for one client and 100,000 in the workspace, on SQLite
and on PostgreSQL: SQL statements per page load and the server time of the load event.

    .venv/bin/python bench/invoice_list.py [--runs 30] [--backend sqlite|postgresql|both]
        [--invoices 100000] [--client-invoices 10000] [--small 100] [--json PATH]

Per backend a throwaway database (a SQLite file in a temp dir; a PostgreSQL database of its
own on 127.0.0.1:5432, dropped at exit) gets the tables from the models (as tests/conftest.py
does) and one workspace built through the services: the owner, 40 contacts, client accounts
for three of them, Stripe keys and the webhook secret saved through Settings › Payments.
Two invoices of the big client are made through the services (create, send, manual
payments): the ones the detail pages open. The rest is bulk-inserted (Core executemany, in
chunks): a realistic mix of status (paid 55 %, sent 27 %, partially paid 10 %, draft 4 %,
void 4 %), dates (open ones recent, some overdue), currencies, 1-6 lines priced by
services/money.compute, and ledger rows for every payment (one or two; a few refunds), with
paid/balance/overpaid/status/paid_at set as services/ledger.settle derives them: checked for
every invoice against its ledger rows by the bench, and by running ledger.settle itself on a
sample (rolled back). PostgreSQL gets ANALYZE after loading (autovacuum would); SQLite none
(the app never runs it).

First with `--small` invoices (a tenth of them the big client's), then topped up to
`--invoices`; both are measured and a page whose statement count differs between them fails
the run (docs/design.md §7). Each page's load handler runs as the tests run handlers
(tests/support/states.py run_handler): a fresh State tree per call whose router carries the Host header and the
session cookie. One warm-up call (the client's first view of an invoice writes), then
`--runs` calls; the time is wall clock around the handler alone (the unit of work: host →
workspace, session → actor, branding, the page's queries, view models), not building the
tree or Reflex's delta/serialisation. Statements are counted with a `before_cursor_execute`
listener on the engine (the lowest count over the runs: the session's last-seen touch adds
one UPDATE at most once a minute). Median and p95 (nearest rank) in ms.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal as D
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    HOST,
    ROOT,
    bench_env,
    build_shop,
    count_statements,
    load_line,
    machine,
    make_pg_database,
    server_version,
    sqlite_url,
    state_for,
    summary,
    temp_dir,
    use_database,
    write_json,
)

DEFAULT_JSON = ROOT / "test-artifacts" / "bench" / "invoice_list.json"
CHUNK = 5_000
STATUS_MIX = (("paid", 55), ("sent", 27), ("partially_paid", 10), ("draft", 4), ("void", 4))
CURRENCY_MIX = (("USD", 80), ("EUR", 15), ("GBP", 5))
ITEMS = ("Consulting", "Design work", "Website maintenance", "Copywriting", "Photography session",
         "Hosting (monthly)", "Workshop", "Travel expenses", "Project management", "Support retainer")
SIGN = {"payment": 1, "refund": -1, "dispute": -1, "dispute_won": 1}


def pick(rng: random.Random, mix) -> str:
    return rng.choices([k for k, _ in mix], weights=[w for _, w in mix])[0]


def at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, dtime(hour), tzinfo=UTC)


class Filler:
    """Bulk-inserts invoices, lines and ledger rows for one workspace; remembers what the
    pages should then show (counts per filter)."""

    def __init__(self, engine, shop, big_contact_id: int, seed: int = 42):
        import sqlalchemy as sa

        from portal_app.models import Invoice, InvoiceLine, LedgerEntry, utcnow

        self.sa, self.engine, self.shop, self.big = sa, engine, shop, big_contact_id
        self.tables = Invoice.__table__, InvoiceLine.__table__, LedgerEntry.__table__
        self.rng = random.Random(seed)
        self.today = utcnow().date()
        self.others = [c.id for c in shop.contacts if c.id != big_contact_id]
        self.refund_of = "refund_of_id" in LedgerEntry.__table__.c  # a refund names the payment it refunds
        with engine.connect() as conn:
            self.next_id = [conn.execute(sa.select(sa.func.coalesce(sa.func.max(t.c.id), 0))).scalar() + 1
                            for t in self.tables]
        self.expected = {"all": 0, "overdue": 0, "paid": 0, "big_all": 0, "big_sent": 0}

    def _one(self, contact_id: int, number: int, ids: list[int]) -> tuple[dict, list[dict], list[dict]]:
        from portal_app.models import new_public_id
        from portal_app.services.billing.money import Discount, Line, compute

        rng, today = self.rng, self.today
        status = pick(rng, STATUS_MIX)
        ago = {"draft": 20, "sent": 120, "partially_paid": 120}.get(status, 1000)
        issue = today - timedelta(days=rng.randint(0, ago))
        due = issue + timedelta(days=rng.choice((14, 30, 30, 45, 60)))
        raw = [(rng.choice(ITEMS), rng.choice(("1", "1", "2", "3", "0.5", "10", "7.5")), rng.randint(5, 2500) * 100,
                rng.choice(("0", "0", "10", "20", "8.875"))) for _ in range(rng.choice((1, 1, 2, 2, 3, 4, 6)))]
        pct = rng.choice(("", "", "", "", "5", "10"))
        totals = compute([Line(D(q), u, D(r)) for _, q, u, r in raw], Discount(percent=D(pct)) if pct else None)
        total, inv_id = totals.total, ids[0]
        ids[0] += 1
        lines = []
        for pos, ((desc, q, u, r), amount) in enumerate(zip(raw, totals.line_amounts, strict=True)):
            lines.append({"id": ids[1], "invoice_id": inv_id, "position": pos, "description": desc, "quantity": q,
                          "unit_minor": u, "tax_rate": r, "amount_minor": amount})
            ids[1] += 1
        moves: list[tuple[str, int]] = []
        if status == "paid":
            first = total if rng.random() < 0.8 else rng.randint(1, total - 1)
            moves = [("payment", first)] + ([("payment", total - first)] if first < total else [])
            if rng.random() < 0.02:
                moves.append(("refund", rng.randint(1, max(1, total // 2))))
        elif status == "partially_paid":
            moves = [("payment", rng.randint(max(1, total * 2 // 10), max(1, total * 8 // 10)))]
        ledger, when, paid_at, gross, net = [], at(issue, 10), None, 0, 0
        card = rng.random() < 0.7
        for kind, amount in moves:
            refund_of = {"refund_of_id": ledger[-1]["id"] if kind == "refund" else None} if self.refund_of else {}
            when = min(when + timedelta(days=rng.randint(0, 20), hours=rng.randint(0, 8)), at(today, 8))
            pi = f"pi_bench{ids[2]:09d}" if card else None
            ledger.append({"id": ids[2], "public_id": new_public_id("pay"), "workspace_id": self.shop.ws.id,
                           "invoice_id": inv_id, "kind": kind, "method": "card" if card else "bank_transfer",
                           "amount_minor": amount, "currency": "", "dedupe_key": f"pi:{pi}" if pi and kind == "payment"
                           else (f"re:re_bench{ids[2]:09d}" if card else None), "stripe_payment_intent_id": pi,
                           "reference": pi or "", "note": "", "received_at": when,
                           "created_by_user_id": None if card else self.shop.owner.id, "created_at": when, **refund_of})
            ids[2] += 1
            gross += amount if kind == "payment" else 0
            net += SIGN[kind] * amount
            if kind == "payment" and gross >= total and paid_at is None:
                paid_at = when
        currency = pick(rng, CURRENCY_MIX)
        for row in ledger:
            row["currency"] = currency
        sent_at = at(issue) if status != "draft" else None
        inv = {"id": inv_id, "public_id": new_public_id("in"), "workspace_id": self.shop.ws.id,
               "contact_id": contact_id, "number": f"INV-{number:04d}", "status": status, "currency": currency,
               "issue_date": issue, "due_date": due, "discount_percent": pct, "discount_fixed_minor": 0,
               "notes": "Thank you for your business." if rng.random() < 0.3 else "", "terms": "Net 30",
               "subtotal_minor": totals.subtotal, "discount_minor": totals.discount, "tax_minor": totals.tax,
               "total_minor": total, "paid_minor": net, "balance_minor": total - net, "overpaid": net > total,
               "sent_at": sent_at, "first_viewed_at": at(issue, 15) if sent_at and rng.random() < 0.6 else None,
               "paid_at": paid_at, "voided_at": at(issue + timedelta(days=3)) if status == "void" else None,
               "created_by_user_id": self.shop.owner.id, "created_at": at(issue, 8),
               "updated_at": max([at(issue, 9)] + [r["received_at"] for r in ledger])}
        e = self.expected
        e["all"] += 1
        e["paid"] += status == "paid"
        e["overdue"] += status in ("sent", "partially_paid") and total - net > 0 and due < today
        if contact_id == self.big:
            e["big_all"] += 1
            e["big_sent"] += status != "draft"
        return inv, lines, ledger

    def add(self, count: int, for_big: int) -> float:
        """count more invoices, for_big of them the big client's; returns seconds taken."""
        from portal_app.models import WorkspacePayments

        sa, started = self.sa, time.perf_counter()
        big_positions = set(self.rng.sample(range(count), for_big))
        wp = WorkspacePayments.__table__
        with self.engine.begin() as conn:
            number = conn.execute(sa.select(wp.c.next_invoice_number)
                                  .where(wp.c.workspace_id == self.shop.ws.id)).scalar()
        for start in range(0, count, CHUNK):
            batch = ([], [], [])
            for i in range(start, min(count, start + CHUNK)):
                contact = self.big if i in big_positions else self.others[i % len(self.others)]
                for rows, made in zip(batch, self._one(contact, number, self.next_id), strict=True):
                    rows.extend(made if isinstance(made, list) else [made])
                number += 1
            with self.engine.begin() as conn:
                for table, rows in zip(self.tables, batch, strict=True):
                    if rows:
                        conn.execute(table.insert(), rows)
                conn.execute(wp.update().where(wp.c.workspace_id == self.shop.ws.id).values(next_invoice_number=number))
        with self.engine.begin() as conn:
            if self.engine.dialect.name == "postgresql":
                for table in self.tables:
                    conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                         f"(SELECT max(id) FROM {table.name}))"))
        if self.engine.dialect.name == "postgresql":
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("ANALYZE"))
        return time.perf_counter() - started


def check_ledger(engine, ws_id: int, rng: random.Random) -> tuple[int, int]:
    """Every invoice's derived fields against its ledger rows; then ledger.settle itself on a
    sample of invoices with payments (rolled back). Returns (invoices checked, sample size)."""
    import sqlalchemy as sa
    from sqlmodel import Session, select

    from portal_app.models import Invoice, LedgerEntry
    from portal_app.services.billing import ledger

    sign = sa.case((LedgerEntry.kind.in_(("payment", "dispute_won")), LedgerEntry.amount_minor),
                   else_=-LedgerEntry.amount_minor)
    sums = (sa.select(LedgerEntry.invoice_id, sa.func.sum(sign).label("net"),
                      sa.func.sum(sa.case((LedgerEntry.kind == "payment", LedgerEntry.amount_minor), else_=0))
                      .label("gross"), sa.func.count().label("n"))
            .group_by(LedgerEntry.invoice_id).subquery())
    with engine.connect() as conn:
        rows = conn.execute(sa.select(Invoice.id, Invoice.status, Invoice.total_minor, Invoice.paid_minor,
                                      Invoice.balance_minor, Invoice.overpaid, Invoice.paid_at, sums.c.net,
                                      sums.c.gross).outerjoin(sums, sums.c.invoice_id == Invoice.id)
                            .where(Invoice.workspace_id == ws_id)).all()
    bad = []
    for r in rows:
        net, gross = int(r.net or 0), int(r.gross or 0)
        want = ("paid" if gross >= r.total_minor else "partially_paid" if gross > 0 else None)
        ok = (r.paid_minor == net and r.balance_minor == r.total_minor - net
              and bool(r.overpaid) == (net > r.total_minor)
              and (r.status == want if want else r.status in ("draft", "sent", "void"))
              and (r.paid_at is not None) == (r.status == "paid"))
        if not ok:
            bad.append(r)
    if bad:
        raise SystemExit(f"{len(bad)} invoices disagree with their ledger, e.g. {bad[:3]}")
    paid_ids = [r.id for r in rows if r.gross]
    sample = rng.sample(paid_ids, min(200, len(paid_ids)))
    with Session(engine) as db:
        for inv in db.exec(select(Invoice).where(Invoice.id.in_(sample))).all():
            before = (inv.status, inv.paid_minor, inv.balance_minor, inv.overpaid)
            ledger.settle(db, inv)
            if (inv.status, inv.paid_minor, inv.balance_minor, inv.overpaid) != before:
                raise SystemExit(f"ledger.settle changes invoice {inv.id}: {before} -> {inv.status, inv.paid_minor}")
        db.rollback()
    return len(rows), len(sample)


def measure(engine, page: dict, runs: int) -> dict:
    fn = page["cls"].event_handlers["load"].fn
    times, counts = [], []
    for i in range(runs + 1):
        state = state_for(page["cls"], HOST, page["cookie"], page["path"])
        with count_statements(engine) as counter:
            started = time.perf_counter()
            fn(state)
            elapsed = (time.perf_counter() - started) * 1000
        if state._outcome != "ok":
            raise SystemExit(f"{page['name']}: outcome {state._outcome!r} ({state.refusal or state.notice})")
        if i == 0:
            page["check"](state)
            continue
        times.append(elapsed)
        counts.append(counter["n"])
    return {"page": page["name"], "path": page["path"], "statements": min(counts), "statements_max": max(counts),
            **summary(times)}


def pages(shop, cookies: dict, details: dict, big, expected: dict) -> list[dict]:
    from portal_app.state.portal.invoices import ClientInvoicesState, ClientInvoiceState
    from portal_app.state.staff.invoice_detail import StaffInvoiceState
    from portal_app.state.staff.invoice_list import StaffInvoicesState

    def rows(total: int, page: int = 1):
        def check(state):
            want = max(0, min(25, total - (state.page - 1) * 25))
            assert state.total == total and len(state.rows) == want, (state.total, total, len(state.rows))
            assert state.page == min(page, max(1, -(-total // 25))), state.page
        return check

    def detail(public_id: str, var: str):
        def check(state):
            got = getattr(state, var)
            assert got.get("id") == public_id and state.lines and state.payments, got
        return check

    s, c = cookies["staff"], cookies["client"]
    return [
        dict(name="staff list", cls=StaffInvoicesState, cookie=s, path="/staff/invoices", check=rows(expected["all"])),
        dict(name="staff list ?status=overdue", cls=StaffInvoicesState, cookie=s, path="/staff/invoices?status=overdue",
             check=rows(expected["overdue"])),
        dict(name="staff list ?status=paid", cls=StaffInvoicesState, cookie=s, path="/staff/invoices?status=paid",
             check=rows(expected["paid"])),
        dict(name="staff list ?contact=(10k client)", cls=StaffInvoicesState, cookie=s,
             path=f"/staff/invoices?contact={big.public_id}", check=rows(expected["big_all"])),
        dict(name="staff list ?page=50", cls=StaffInvoicesState, cookie=s, path="/staff/invoices?page=50",
             check=rows(expected["all"], 50)),
        dict(name="staff invoice detail", cls=StaffInvoiceState, cookie=s,
             path=f"/staff/invoices/{details['paid']}", check=detail(details["paid"], "inv")),
        dict(name="client list", cls=ClientInvoicesState, cookie=c, path="/invoices", check=rows(expected["big_sent"])),
        dict(name="client list ?page=50", cls=ClientInvoicesState, cookie=c, path="/invoices?page=50",
             check=rows(expected["big_sent"], 50)),
        dict(name="client invoice detail", cls=ClientInvoiceState, cookie=c,
             path=f"/invoices/{details['partial']}", check=detail(details["partial"], "invoice")),
    ]


def run_backend(backend: str, args, tmp: Path) -> dict:
    from sqlmodel import Session

    from portal_app.models import StaffUser
    from portal_app.services.accounts.auth import start_client_session, start_staff_session
    from portal_app.services.billing.invoices import create_invoice, record_manual_payment, send_invoice

    url = sqlite_url(tmp) if backend == "sqlite" else make_pg_database()
    engine = use_database(url)
    with Session(engine, expire_on_commit=False) as db:
        shop = build_shop(db, n_contacts=40, n_accounts=3)
        big = shop.contacts[0]
        details = {}
        for name, parts in (("partial", (30_000,)), ("paid", (100_000, None))):
            lines = [{"description": "Brand workshop", "quantity": "2", "unit_minor": 45_000, "tax_rate": "20"},
                     {"description": "Logo design", "quantity": "1", "unit_minor": 24_000, "tax_rate": "20"},
                     {"description": "Hosting, 12 months", "quantity": "12", "unit_minor": 2_500, "tax_rate": "0"}]
            inv = create_invoice(db, shop.staff, contact_public_id=big.public_id, lines=lines, currency="USD",
                                 notes="Thank you!", terms="Net 30")
            send_invoice(db, shop.staff, inv.public_id)
            for amount in parts:  # None: the rest
                record_manual_payment(db, shop.staff, inv.public_id, method="bank_transfer",
                                      amount_minor=amount or inv.total_minor - inv.paid_minor)
            details[name] = inv.public_id
        assert db.get(type(inv), inv.id).status == "paid"
        cookies = {"staff": start_staff_session(db, db.get(StaffUser, shop.owner.id)),
                   "client": start_client_session(db, shop.accounts[big.id])}
        db.commit()
    filler = Filler(engine, shop, big.id)
    filler.expected.update(all=2, paid=1, big_all=2, big_sent=2)  # the two made through the services
    result = {"backend": backend, "server": server_version(engine), "datasets": []}
    small_big = args.small // 10 if args.small >= 20 else 2
    for target, for_big in ((args.small, small_big), (args.invoices, args.client_invoices)):
        have, have_big = filler.expected["all"], filler.expected["big_all"]
        print(f"[{backend}] loading {target - have:,} invoices ({for_big - have_big:,} for the big client) ...",
              file=sys.stderr, flush=True)
        seconds = filler.add(target - have, for_big - have_big)
        checked, sample = check_ledger(engine, shop.ws.id, filler.rng)
        print(f"[{backend}] loaded in {seconds:.1f} s; ledger consistent for {checked:,} invoices "
              f"(ledger.settle agrees on {sample}); measuring {args.runs} runs per page ...",
              file=sys.stderr, flush=True)
        rows = [measure(engine, page, args.runs) for page in pages(shop, cookies, details, big, filler.expected)]
        result["datasets"].append({"invoices": target, "client_invoices": filler.expected["big_all"],
                                   "load_seconds": round(seconds, 1), "expected": dict(filler.expected),
                                   "pages": rows})
    from portal_app.db import reset_engines

    reset_engines()
    return result


def print_backend(res: dict, runs: int) -> list[str]:
    small, big = res["datasets"]
    print(f"\n{res['server']}: {big['invoices']:,} invoices in the workspace, {big['client_invoices']:,} for one "
          f"client (small: {small['invoices']:,} / {small['client_invoices']:,}); {runs} runs per page")
    head = (f"{'page':<34}{'statements':>12}{'median ms':>11}{'p95 ms':>9}{'min ms':>9}"
            f"{'| small: stmts':>15}{'median ms':>11}")
    print(head)
    print("-" * len(head))
    problems = []
    for s, b in zip(small["pages"], big["pages"], strict=True):
        stm = str(b["statements"]) + (f"-{b['statements_max']}" if b["statements_max"] != b["statements"] else "")
        print(f"{b['page']:<34}{stm:>12}{b['median_ms']:>11.1f}{b['p95_ms']:>9.1f}{b['min_ms']:>9.1f}"
              f"{s['statements']:>15}{s['median_ms']:>11.1f}")
        if s["statements"] != b["statements"]:
            problems.append(f"{res['backend']}: {b['page']}: {s['statements']} statements with {small['invoices']} "
                            f"invoices, {b['statements']} with {big['invoices']}")
    print(f"bulk load: {small['load_seconds']} s + {big['load_seconds']} s")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--client-invoices", type=int, default=10_000)
    parser.add_argument("--small", type=int, default=100, help="the small dataset statements are compared with")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON)
    args = parser.parse_args()
    if not (args.runs >= 1 and 20 <= args.small < args.invoices
            and args.small // 10 < args.client_invoices <= args.invoices):
        parser.error("need runs >= 1, 20 <= small < invoices, small/10 < client-invoices <= invoices")
    os.chdir(ROOT)
    tmp = temp_dir("portal-bench-invoices-")
    bench_env(tmp)
    import logging

    import portal_app.portal_app  # noqa: F401  (registers every state, as the matrix test does)

    logging.getLogger().setLevel(logging.WARNING)
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    results = [run_backend(b, args, tmp) for b in backends]
    problems = [p for res in results for p in print_backend(res, args.runs)]
    line, load = load_line()
    if line:
        print(f"\n{line} at the end")
    write_json(args.json, {"benchmark": "invoice_list", "machine": machine(), "load_average": load,
                           "runs": args.runs, "results": results})
    if problems:
        print("\nSTATEMENTS GROW WITH THE DATA:\n  " + "\n  ".join(problems))
        return 1
    print("statements per load: the same with the small and the big dataset on every page")
    return 0


if __name__ == "__main__":
    sys.exit(main())

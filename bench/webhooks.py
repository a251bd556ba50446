#!/usr/bin/env python3
"""Stripe webhooks processed per second on one worker, PostgreSQL.

    .venv/bin/python bench/webhooks.py [--events 2000] [--duplicates 0.3] [--clients 4]
        [--invoices 500] [--json PATH]

A PostgreSQL database of its own (127.0.0.1:5432, dropped at exit) gets the tables from the
models and one workspace built through the services: the owner, 20 contacts, Stripe keys and
a webhook signing secret saved through Settings › Payments (sealed at rest), and
`--invoices` invoices created and sent through services/billing/invoices.py (1-3 lines, USD or EUR).

The app's api/ routes (SecurityHeaders(build_api())) are served by granian's embedded
server, one worker, on a free loopback port, as tests/integration/conftest.py's
`app_url` fixture serves them, but in a child process of its own (this script with
--serve), so the client threads do not share its interpreter. Then `--events` signed
payment_intent.succeeded events are POSTed to /api/stripe/webhook/{workspace} from
`--clients` threads (one keep-alive httpx client each) over a shared, shuffled queue:
(1 - duplicates) of them are distinct events, one to five per invoice (an invoice's payments
add up to its total, to part of it, or a little more), some invoices get none; the rest are
re-deliveries of random ones (same body, signed again with a fresh timestamp, as Stripe's
retries are), so some duplicates race their original. Bodies are pretty-printed JSON and
signed with stripe.WebhookSignature.generate_signature_header, as Stripe sends them.
Twenty `customer.created` events (acknowledged and ignored by the app) warm the server up
first and are not counted.

Throughput is events answered per second of wall clock (first request sent to last answer
received); latency is each request's round trip on the client (p50, p95 nearest rank, max).
A request that fails is delivered again afterwards (at most 3 more rounds, as Stripe
retries), and reported. Then the database is checked: every invoice's status, paid amount,
balance and overpaid flag exactly as its distinct events add up; one ledger row per
distinct event, no dedupe key twice; one stripe_event row per event id; "booked" answered
once per distinct event. The load average is printed: on a shared 2-core machine the
figures follow it.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import random
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    ROOT,
    STRIPE_KEYS,
    bench_env,
    build_shop,
    load_line,
    machine,
    make_pg_database,
    server_version,
    summary,
    temp_dir,
    use_database,
    write_json,
)

DEFAULT_JSON = ROOT / "test-artifacts" / "bench" / "webhooks.json"
SECRET = STRIPE_KEYS["webhook_secret"]
WARMUP = 20
ROUNDS = 3          # re-delivery rounds for failed requests
TIMEOUT = 30.0      # per request


# --- the server (child process) -------------------------------------------------------------------

def serve(port: int) -> None:
    """One granian worker serving the api/ routes until SIGTERM (as the app_url fixture)."""
    import asyncio
    import logging

    from granian.constants import Interfaces
    from granian.server.embed import Server

    from portal_app.api.routes import build_api
    from portal_app.api.security_headers import SecurityHeaders

    logging.basicConfig(level=logging.WARNING)
    server = Server(SecurityHeaders(build_api()), address="127.0.0.1", port=port, interface=Interfaces.ASGINL,
                    log_enabled=False)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    loop.add_signal_handler(signal.SIGTERM, server.stop)
    loop.run_until_complete(server.serve())


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int) -> subprocess.Popen:
    import httpx

    proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--serve", str(port)], cwd=ROOT,
                            env=os.environ.copy(), stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with {proc.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    stop_server(proc)
    raise SystemExit(f"the server did not answer on 127.0.0.1:{port} within 30 s")


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


# --- data and events ------------------------------------------------------------------------------

def make_invoices(db, shop, n: int, rng: random.Random) -> list:
    from portal_app.services.billing.invoices import create_invoice, send_invoice

    made = []
    for i in range(n):
        lines = [{"description": rng.choice(("Consulting", "Design", "Hosting", "Support")),
                  "quantity": rng.choice(("1", "2", "3", "0.5")), "unit_minor": rng.randint(10, 3000) * 100,
                  "tax_rate": rng.choice(("0", "10", "20"))} for _ in range(rng.randint(1, 3))]
        contact = shop.contacts[i % len(shop.contacts)]
        inv = create_invoice(db, shop.staff, contact_public_id=contact.public_id, lines=lines,
                             currency=rng.choice(("USD", "USD", "EUR")))
        send_invoice(db, shop.staff, inv.public_id)
        made.append(inv)
        if i % 100 == 99:
            db.commit()
    db.commit()
    return made


def event(kind: str, obj: dict) -> dict:
    return {"id": f"evt_{secrets.token_hex(12)}", "object": "event", "api_version": "2024-06-20",
            "created": int(time.time()), "livemode": False, "type": kind, "data": {"object": obj}}


def succeeded(ws, inv, amount: int) -> dict:
    pi = f"pi_{secrets.token_hex(12)}"
    return event("payment_intent.succeeded", {
        "id": pi, "object": "payment_intent", "amount": amount, "amount_received": amount,
        "currency": inv.currency.lower(), "status": "succeeded", "latest_charge": "ch_" + pi[3:],
        "metadata": {"workspace": ws.public_id, "invoice": inv.public_id}})


def split(total: int, k: int, rng: random.Random) -> list[int]:
    if k == 1 or total < k:
        return [total]
    cuts = sorted(rng.sample(range(1, total), k - 1))
    return [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]


def plan(ws, invoices: list, unique: int, rng: random.Random) -> tuple[list[dict], dict[int, tuple]]:
    """The distinct events, and what each invoice must show afterwards: (status, paid,
    balance, overpaid), the status following gross payments (services/ledger.settle)."""
    per = Counter(rng.randrange(len(invoices)) for _ in range(unique))
    events, expected = [], {}
    for i, inv in enumerate(invoices):
        k, total = per.get(i, 0), inv.total_minor
        amounts: list[int] = []
        if k:
            roll = rng.random()
            target = total if roll < 0.6 else (total * rng.randint(30, 90) // 100 if roll < 0.85
                                               else total + rng.randint(1, 5_000))
            amounts = split(max(target, k), k, rng)
        events += [succeeded(ws, inv, a) for a in amounts]
        paid = sum(amounts)
        status = "paid" if paid >= total else "partially_paid" if paid else "sent"
        expected[inv.id] = (status, paid, total - paid, paid > total)
    rng.shuffle(events)
    return events, expected


# --- delivering -----------------------------------------------------------------------------------

def deliver(base: str, path: str, bodies: list[bytes], clients: int) -> tuple[list[dict], float]:
    """POSTs every body once, from `clients` threads over a shared queue; each request is
    signed when it is sent. Returns one record per request and the wall time."""
    import httpx
    import stripe

    work: queue.Queue = queue.Queue()
    for i, body in enumerate(bodies):
        work.put((i, body))
    records: list[dict] = []
    lock = threading.Lock()

    def run() -> None:
        with httpx.Client(base_url=base, timeout=TIMEOUT) as http:
            while True:
                try:
                    i, body = work.get_nowait()
                except queue.Empty:
                    return
                header = stripe.WebhookSignature.generate_signature_header(body.decode(), SECRET,
                                                                           timestamp=int(time.time()))
                started = time.perf_counter()
                try:
                    r = http.post(path, content=body, headers={"stripe-signature": header,
                                                               "content-type": "application/json"})
                    rec = {"i": i, "status": r.status_code,
                           "outcome": r.json().get("outcome", r.text[:200]) if r.status_code == 200 else r.text[:200]}
                except httpx.HTTPError as exc:
                    rec = {"i": i, "status": 0, "outcome": f"{type(exc).__name__}: {exc}"[:200]}
                rec["start"], rec["end"] = started, time.perf_counter()
                with lock:
                    records.append(rec)

    threads = [threading.Thread(target=run, name=f"client-{n}") for n in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return records, time.perf_counter() - started


def check(engine, ws_id: int, expected: dict[int, tuple], distinct: list[dict]) -> list[str]:
    import sqlalchemy as sa

    from portal_app.models import Invoice, LedgerEntry, StripeEvent

    problems = []
    with engine.connect() as conn:
        got = {r.id: (r.status, r.paid_minor, r.balance_minor, bool(r.overpaid)) for r in conn.execute(
            sa.select(Invoice.id, Invoice.status, Invoice.paid_minor, Invoice.balance_minor, Invoice.overpaid)
            .where(Invoice.workspace_id == ws_id))}
        wrong = [(i, got.get(i), want) for i, want in expected.items() if got.get(i) != want]
        if wrong:
            problems.append(f"{len(wrong)} invoices wrong, e.g. (id, got, expected) {wrong[:3]}")
        keys = [k for (k,) in conn.execute(sa.select(LedgerEntry.dedupe_key).where(LedgerEntry.workspace_id == ws_id))]
        dupes = [k for k, n in Counter(keys).items() if n > 1]
        if dupes:
            problems.append(f"{len(dupes)} dedupe keys booked more than once, e.g. {dupes[:3]}")
        want_keys = {f"pi:{e['data']['object']['id']}" for e in distinct}
        if set(keys) != want_keys:
            problems.append(f"ledger rows: {len(keys)}, expected {len(want_keys)} (missing "
                            f"{len(want_keys - set(keys))}, unexpected {len(set(keys) - want_keys)})")
        ids = [i for (i,) in conn.execute(sa.select(StripeEvent.event_id).where(
            StripeEvent.workspace_id == ws_id, StripeEvent.type == "payment_intent.succeeded"))]
        if sorted(ids) != sorted(e["id"] for e in distinct):
            problems.append(f"stripe_event rows: {len(ids)} ({len(set(ids))} distinct), expected {len(distinct)}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--duplicates", type=float, default=0.3, help="share of deliveries that are re-deliveries")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--invoices", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return 0
    if not (1 <= args.clients <= 64 and args.invoices >= 1 and 10 <= args.events <= 1_000_000
            and 0 <= args.duplicates < 1):
        parser.error("need 1-64 clients, invoices >= 1, 10-1,000,000 events, 0 <= duplicates < 1")
    os.chdir(ROOT)
    tmp = temp_dir("portal-bench-webhooks-")
    bench_env(tmp)
    from sqlmodel import Session

    rng = random.Random(args.seed)
    engine = use_database(make_pg_database())
    print("[webhooks] building the workspace and invoices through the services ...", file=sys.stderr, flush=True)
    with Session(engine, expire_on_commit=False) as db:
        shop = build_shop(db, n_contacts=20, n_accounts=0)
        invoices = make_invoices(db, shop, args.invoices, rng)
    distinct, expected = plan(shop.ws, invoices, round(args.events * (1 - args.duplicates)), rng)
    bodies = [json.dumps(e, indent=2).encode() for e in distinct]
    deliveries = bodies + [rng.choice(bodies) for _ in range(args.events - len(bodies))]
    rng.shuffle(deliveries)
    warmup = [json.dumps(event("customer.created", {"id": f"cus_{n}", "object": "customer"}), indent=2).encode()
              for n in range(WARMUP)]

    port = free_port()
    proc = start_server(port)
    base, path = f"http://127.0.0.1:{port}", f"/api/stripe/webhook/{shop.ws.public_id}"
    try:
        records, _ = deliver(base, path, warmup, args.clients)
        if any(r["status"] != 200 for r in records):
            raise SystemExit(f"warm-up failed: {[r for r in records if r['status'] != 200][:3]}")
        print(f"[webhooks] posting {len(deliveries):,} events from {args.clients} threads ...", file=sys.stderr,
              flush=True)
        records, wall = deliver(base, path, deliveries, args.clients)
        retried, pending = [], [r for r in records if r["status"] != 200]
        for _ in range(ROUNDS):
            if not pending:
                break
            again, _ = deliver(base, path, [deliveries[r["i"]] for r in pending], args.clients)
            retried += again
            pending = [r for r in again if r["status"] != 200]
    finally:
        stop_server(proc)

    ok = [r for r in records if r["status"] == 200]
    latencies = [(r["end"] - r["start"]) * 1000 for r in records]
    outcomes = Counter(r["outcome"] if r["status"] == 200 else f"HTTP {r['status']}: {r['outcome']}"
                       for r in records + retried)
    first, last = min(r["start"] for r in records), max(r["end"] for r in records)
    rate = len(records) / (last - first)
    problems = check(engine, shop.ws.id, expected, distinct)
    if outcomes.get("booked", 0) != len(distinct):
        problems.append(f"'booked' answered {outcomes.get('booked', 0)} times for {len(distinct)} distinct events")
    if pending:
        problems.append(f"{len(pending)} events still failing after {ROUNDS} re-delivery rounds")
    lat = summary(latencies)
    lat["max_ms"] = round(max(latencies), 2)
    states = Counter(v[0] for v in expected.values())

    print(f"\nStripe webhooks on one granian worker (embedded server, own process), {server_version(engine)}")
    print(f"{len(invoices):,} sent invoices ({', '.join(f'{n} end {s}' for s, n in sorted(states.items()))}); "
          f"{len(deliveries):,} payment_intent.succeeded deliveries: {len(distinct):,} distinct + "
          f"{len(deliveries) - len(distinct):,} re-deliveries, from {args.clients} client threads")
    print(f"\n{'events/s':>10}{'wall s':>9}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'HTTP 200':>10}{'retried':>9}")
    print(f"{rate:>10.1f}{last - first:>9.2f}{lat['median_ms']:>9.1f}{lat['p95_ms']:>9.1f}{lat['max_ms']:>9.1f}"
          f"{len(ok):>10}{len(retried):>9}")
    print("\nanswers: " + ", ".join(f"{k} {n}" for k, n in outcomes.most_common()))
    line, load = load_line()
    if line:
        print(f"{line} at the end")
    write_json(args.json, {"benchmark": "webhooks", "machine": machine(), "load_average": load,
                           "server": server_version(engine), "invoices": len(invoices), "clients": args.clients,
                           "deliveries": len(deliveries), "distinct": len(distinct), "events_per_s": round(rate, 1),
                           "wall_s": round(last - first, 3), "latency": lat, "answers": dict(outcomes),
                           "retried": len(retried), "problems": problems, "wall_with_threads_s": round(wall, 3)})
    if problems:
        print("\nCHECK FAILED:\n  " + "\n  ".join(problems))
        return 1
    print(f"check: all {len(invoices)} invoices' status/paid/balance/overpaid exact; {len(distinct)} ledger rows, "
          f"one per distinct event, no dedupe key twice; one stripe_event row per event id")
    return 0


if __name__ == "__main__":
    sys.exit(main())

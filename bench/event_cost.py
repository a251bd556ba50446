#!/usr/bin/env python3
"""What one event of each journey page costs the server: CPU and SQL statements of its on_load
handler, run in-process as Reflex runs it (tests/support/states.py run_handler: the session
guard first, then the handler), against a freshly migrated and seeded demo workspace.

    .venv/bin/python bench/event_cost.py [--runs 300] [--database sqlite|postgresql] [--json out.json]
                                         [--profile /path/prefix]   # cProfile of each page, for flame summaries

The pages are the load generator's journeys (bench/loadgen): a client's home, invoices, one
invoice, documents, files; a staff member's contacts, a contact record, invoices list. CPU is
process time per event (all threads: the handler's database work runs in an event thread), the
median of `--rounds` rounds of `--runs` events each; the handler runs on one event loop as in
the server. Also printed: the cost of the thread hop every handler now pays (`off_loop`), and
the same handler with the hop taken out, so the two can be told apart.

Not a timed test: it prints figures. Compare two trees by running this file from each.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, load_line, machine, make_pg_database, temp_dir, write_json

HOST = "localhost:3000"
CLIENT = ("client", "client@demo.example", "casey-client-1")
STAFF = ("staff", "owner@demo.example", "northwind-owner")


def prepare(database: str) -> dict:
    """A seeded demo workspace (as `make run` makes it) and a session for each demo account."""
    tmp = temp_dir("portal-event-cost-")
    url = f"sqlite:///{tmp / 'portal.db'}" if database == "sqlite" else make_pg_database("portal_event_cost")
    os.environ.update({"PORTAL_DATABASE_URL": url, "PORTAL_DEMO": "1", "PORTAL_BASE_URL": "http://localhost:3000",
                       "PORTAL_STORAGE_DIR": str(tmp / "files"), "PORTAL_SECRET_KEY_FILE": str(tmp / "secret.key"),
                       "PORTAL_MAIL": "outbox", "PORTAL_STRIPE_API_BASE": "http://127.0.0.1:9"})
    for command in ("migrate", "seed"):
        subprocess.run([sys.executable, "-m", "portal_app.cli", command], check=True, cwd=ROOT, env=os.environ,
                       capture_output=True)
    from sqlmodel import select

    from portal_app.db import unit_of_work
    from portal_app.models import Contact, Invoice
    from portal_app.services.accounts import auth
    from portal_app.services.portal import workspaces

    with unit_of_work() as db:
        ws = workspaces.workspace_for_host(db, HOST)
        tokens = {kind: auth.sign_in(db, ws.id, kind, email, password) for kind, email, password in (CLIENT, STAFF)}
        casey = db.exec(select(Contact).where(Contact.email == CLIENT[1])).one()
        invoice = db.exec(select(Invoice).where(Invoice.contact_id == casey.id, Invoice.status != "draft")).first()
        return {"tokens": tokens, "invoice": invoice.public_id, "contact": casey.public_id}


def journey(seed: dict) -> list[tuple[str, str, str, str, dict]]:
    """(who, path, state class name, handler, route query) of each step."""
    return [
        ("client", "/", "HomeState", "load", {}),
        ("client", "/invoices", "ClientInvoicesState", "load", {}),
        ("client", f"/invoices/{seed['invoice']}", "ClientInvoiceState", "load", {"invoice_id": seed["invoice"]}),
        ("client", "/documents", "ClientDocumentsState", "load", {}),
        ("client", "/files", "ClientFilesState", "load", {}),
        ("staff", "/staff/contacts", "ContactsState", "load", {}),
        ("staff", f"/staff/contacts/{seed['contact']}", "ContactRecordState", "load", {"contact_id": seed["contact"]}),
        ("staff", "/staff/invoices", "StaffInvoicesState", "load", {}),
        # a write: bench/page_load.py's round trip (Company alternates, so every save writes)
        ("client", "/profile", "ProfileState", "save", {}),
    ]


_COMPANIES = ("Acme Bakery", "Acme Bakery Ltd")


def handler_args(state, handler: str, i: int) -> tuple:
    """The event's payload: the profile form as the browser submits it (every field as loaded),
    Company alternating."""
    if (type(state).__name__, handler) != ("ProfileState", "save"):
        return ()
    return ({**state.values, "company": _COMPANIES[i % 2]},)


def find_state(name: str):
    from portal_app.state.base import BaseState

    todo = [BaseState]
    while todo:
        cls = todo.pop()
        if cls.__name__ == name:
            return cls
        todo.extend(cls.__subclasses__())
    raise LookupError(name)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=300, help="events per round (default 300)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds per page; the median round is reported (default 3)")
    ap.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--profile", help="write a cProfile file per page to PREFIX-<page>.prof")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    seed = prepare(args.database)

    import sqlalchemy as sa

    import portal_app.portal_app  # noqa: F401  (registers every state)
    import portal_app.state.base as base
    from portal_app.db import get_engine
    from tests.support.states import run_handler

    statements = [0]
    sa.event.listen(get_engine(), "before_cursor_execute", lambda *_a: statements.__setitem__(0, statements[0] + 1))
    loop = asyncio.new_event_loop()
    hop = getattr(base, "off_loop", None)

    async def inline(fn, *a, **k):  # the handler without the thread hop
        return fn(*a, **k)

    rows = []
    print(f"Event cost per page, {args.database}, {args.runs} events x {args.rounds} rounds; {load_line()[0]}")
    print(f"{'page':44s} {'handler':34s} {'cpu ms':>8s} {'no hop':>8s} {'SQL':>5s}")
    for who, path, state_name, handler, query in journey(seed):
        cls = find_state(state_name)
        turn = [0]
        state, _ = run_handler(cls, "load" if handler == "save" else handler, (), HOST, seed["tokens"][who], path)
        if query:
            state.router_data["query"] = query
        fn = cls.event_handlers[handler].fn

        def once(fn=fn, state=state, handler=handler, turn=turn):
            turn[0] += 1
            result = fn(state, *handler_args(state, handler, turn[0]))
            if asyncio.iscoroutine(result):
                loop.run_until_complete(result)

        def measure(runs: int) -> tuple[float, float]:
            statements[0] = 0
            start = time.process_time()
            for _ in range(runs):
                once()
            return (time.process_time() - start) / runs * 1000, statements[0] / runs

        once()
        assert state._outcome == "ok", f"{path}: {state._outcome} {state.notice}"
        cpu = statistics.median(measure(args.runs)[0] for _ in range(args.rounds))
        no_hop = cpu
        if hop is not None:
            base.off_loop = inline
            no_hop = statistics.median(measure(args.runs)[0] for _ in range(args.rounds))
            base.off_loop = hop
        sql = measure(10)[1]
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            measure(args.runs)
            profiler.disable()
            profiler.dump_stats(f"{args.profile}-{state_name}.prof")
        rows.append({"path": path, "handler": f"{state_name}.{handler}", "cpu_ms": round(cpu, 3),
                     "cpu_ms_no_hop": round(no_hop, 3), "sql": sql})
        print(f"{path[:44]:44s} {state_name + '.' + handler:34s} {cpu:8.3f} {no_hop:8.3f} {sql:5.1f}")
    total = sum(r["cpu_ms"] for r in rows)
    print(f"{'journeys, all steps':79s} {total:8.3f}")
    if args.json:
        write_json(args.json, {"database": args.database, "runs": args.runs, "pages": rows, "total_cpu_ms": total,
                               "load": load_line()[1], "machine": machine()})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

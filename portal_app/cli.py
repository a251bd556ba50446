"""Command line: `python -m portal_app.cli migrate|seed|serve|worker|verify-audit|reconcile-payments`."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC


def migrate() -> None:
    from alembic.config import Config

    from alembic import command

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    cfg = Config(os.path.join(root, "alembic.ini"))
    cfg.set_main_option("script_location", os.path.join(root, "alembic"))
    command.upgrade(cfg, "head")


DEMO_STAFF_PASSWORD = "northwind-owner"
DEMO_CLIENT_PASSWORD = "casey-client-1"


def seed() -> None:
    from portal_app.db import unit_of_work
    from portal_app.services.billing import demo_payments
    from portal_app.services.portal import workspaces
    from portal_app.services.portal.demo import DEMO_CLIENT_EMAIL, DEMO_STAFF_EMAIL, seed_demo
    from portal_app.settings import get_settings

    s = get_settings()
    with unit_of_work() as db:
        if not s.demo:
            if workspaces.needs_setup(db):
                print(f"No workspace yet: open {s.base_url}/setup to create yours.")
            return
        created = seed_demo(db, s.base_url, DEMO_STAFF_PASSWORD, DEMO_CLIENT_PASSWORD)
        test_payments = demo_payments.demo_workspace_in_test_mode(db)
    print("")
    print("  Demo workspace " + ("created" if created else "already present") + ". Sign in at:")
    print(f"    Staff:  {s.base_url}/staff/login   {DEMO_STAFF_EMAIL} / {DEMO_STAFF_PASSWORD}")
    print(f"    Client: {s.base_url}/login         {DEMO_CLIENT_EMAIL} / {DEMO_CLIENT_PASSWORD}")
    if test_payments:
        print("  Test payments: pay an invoice with card 4242 4242 4242 4242 (no real money moves).")
    print("  (Demo passwords are public: run with PORTAL_DEMO=0 for a real install.)")
    print("")


def verify_audit() -> int:
    from sqlmodel import select

    from portal_app.db import unit_of_work
    from portal_app.models import Workspace
    from portal_app.services import audit

    bad = 0
    with unit_of_work() as db:
        for ws in db.exec(select(Workspace)):
            ok, seq = audit.verify_chain(db, ws.id)
            print(f"{ws.public_id} {ws.name}: {'intact' if ok else f'BROKEN at event {seq}'}")
            bad += 0 if ok else 1
    return 1 if bad else 0


def reconcile_payments(since: str, workspace: str | None) -> int:
    from datetime import datetime

    from sqlmodel import select

    from portal_app.adapters.payments import PaymentsError
    from portal_app.db import unit_of_work
    from portal_app.models import Workspace
    from portal_app.services.billing.reconcile import reconcile_workspace

    try:
        start = datetime.strptime(since, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        print("--since must be a date like 2026-11-01", file=sys.stderr)
        return 2
    failed = 0
    with unit_of_work() as db:
        query = select(Workspace) if not workspace else select(Workspace).where(Workspace.public_id == workspace)
        workspaces_found = db.exec(query).all()
    if not workspaces_found:
        print("No such workspace.", file=sys.stderr)
        return 2
    for ws in workspaces_found:
        try:
            with unit_of_work() as db:
                r = reconcile_workspace(db, ws, start)
        except PaymentsError as exc:
            print(f"{ws.public_id} {ws.name}: Stripe answered: {exc.message}")
            failed += 1
            continue
        summary = f"{r.checked} PaymentIntents checked, {r.repaired} payments repaired, {r.skipped} not ours"
        print(f"{ws.public_id} {ws.name}: {r.note or summary}")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="portal_app.cli")
    parser.add_argument("command", choices=["migrate", "seed", "serve", "worker", "verify-audit", "reconcile-payments"])
    parser.add_argument("--since", help="reconcile-payments: first day to check (YYYY-MM-DD)")
    parser.add_argument("--workspace", help="reconcile-payments: one workspace's public id (default: all)")
    parser.add_argument("--host", help="serve: address to listen on (default: Reflex's backend_host, 0.0.0.0)")
    parser.add_argument("--port", type=int, help="serve: port (default: PORTAL_PORT)")
    parser.add_argument("--build", choices=["auto", "always", "never"], default="auto",
                        help="serve: build the frontend when its sources changed (auto), every time, or never")
    parser.add_argument("--concurrency", type=int, default=1, help="worker: jobs run at once (threads; default 1)")
    parser.add_argument("--lease", type=float, default=120.0,
                        help="worker: seconds a claimed job stays this worker's without a heartbeat (default 120)")
    parser.add_argument("--grace", type=float, default=30.0,
                        help="worker: on SIGTERM/SIGINT, seconds running jobs get to finish (default 30)")
    parser.add_argument("--poll", type=float, help="worker: seconds between polls when idle (default PORTAL_WORKER_INTERVAL)")
    args = parser.parse_args(argv)
    from portal_app.settings import SettingsError, get_settings

    try:
        get_settings()  # a configuration the app refuses is refused here too, before any work
    except SettingsError as exc:
        print(f"Client Portal will not start: {exc}", file=sys.stderr)
        return 2
    if args.command == "reconcile-payments":
        if not args.since:
            parser.error("reconcile-payments needs --since YYYY-MM-DD")
        return reconcile_payments(args.since, args.workspace)
    if args.command == "migrate":
        migrate()
    elif args.command == "seed":
        seed()
    elif args.command == "serve":
        from portal_app.serve import serve

        serve(args.host, args.port, args.build)
    elif args.command == "worker":
        from portal_app.worker import main as worker_main

        if not 1 <= args.concurrency <= 12:  # the database pool holds 15 connections
            parser.error("--concurrency is 1 to 12")
        worker_main(args.concurrency, args.lease, args.grace, args.poll)
    elif args.command == "verify-audit":
        return verify_audit()
    return 0


if __name__ == "__main__":
    sys.exit(main())

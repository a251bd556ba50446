"""Command line: `python -m portal_app.cli migrate|seed|worker|verify-audit`."""

from __future__ import annotations

import argparse
import os
import sys


def migrate() -> None:
    from alembic import command
    from alembic.config import Config

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    cfg = Config(os.path.join(root, "alembic.ini"))
    cfg.set_main_option("script_location", os.path.join(root, "alembic"))
    command.upgrade(cfg, "head")


DEMO_STAFF_PASSWORD = "northwind-owner"
DEMO_CLIENT_PASSWORD = "casey-client-1"


def seed() -> None:
    from .db import unit_of_work
    from .services import workspaces
    from .services.demo import DEMO_CLIENT_EMAIL, DEMO_STAFF_EMAIL, seed_demo
    from .settings import get_settings

    s = get_settings()
    with unit_of_work() as db:
        if not s.demo:
            if workspaces.needs_setup(db):
                print(f"No workspace yet: open {s.base_url}/setup to create yours.")
            return
        created = seed_demo(db, s.base_url, DEMO_STAFF_PASSWORD, DEMO_CLIENT_PASSWORD)
    print("")
    print("  Demo workspace " + ("created" if created else "already present") + ". Sign in at:")
    print(f"    Staff:  {s.base_url}/staff/login   {DEMO_STAFF_EMAIL} / {DEMO_STAFF_PASSWORD}")
    print(f"    Client: {s.base_url}/login         {DEMO_CLIENT_EMAIL} / {DEMO_CLIENT_PASSWORD}")
    print("  (Demo passwords are public: run with PORTAL_DEMO=0 for a real install.)")
    print("")


def verify_audit() -> int:
    from sqlmodel import select

    from .db import unit_of_work
    from .models import Workspace
    from .services import audit

    bad = 0
    with unit_of_work() as db:
        for ws in db.exec(select(Workspace)):
            ok, seq = audit.verify_chain(db, ws.id)
            print(f"{ws.public_id} {ws.name}: {'intact' if ok else f'BROKEN at event {seq}'}")
            bad += 0 if ok else 1
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="portal_app.cli")
    parser.add_argument("command", choices=["migrate", "seed", "worker", "verify-audit"])
    args = parser.parse_args(argv)
    if args.command == "migrate":
        migrate()
    elif args.command == "seed":
        seed()
    elif args.command == "worker":
        from .worker import main as worker_main

        worker_main()
    elif args.command == "verify-audit":
        return verify_audit()
    return 0


if __name__ == "__main__":
    sys.exit(main())

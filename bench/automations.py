#!/usr/bin/env python3
"""Automations on PostgreSQL with real worker processes and a real SMTP server (aiosmtpd):

    .venv/bin/python bench/automations.py [--runs 50] [--emails 1000] [--concurrency 4]

(a) Sign → welcome email: the demo workspace (services/portal/demo.py, with its enabled
    "Onboarding sequence") on a database of its own; 2 worker processes
    (tests/support/job_worker.py = `python -m portal_app.cli worker`, the default idle poll of
    1 s, PORTAL_MAIL=smtp into aiosmtpd on 127.0.0.1). For each of --runs contracts, sent to the
    demo client one at a time: the client's last (only) signature is committed, and the clock
    stops when aiosmtpd has accepted the "Welcome aboard" email (its DATA handler's time). The
    path is: document.seal job (stamp, certificate page, PAdES seal) → document.completed
    event → the rule's run → step 1 job → email job → SMTP. p50/p95 (nearest rank).
(b) Email jobs per second: --emails branded emails queued in one transaction; the clock runs
    from its commit until aiosmtpd accepted the last, with 1 and then 2 worker processes of
    --concurrency threads (idle poll 0.1 s so a worker wakes at once).

The load average is printed: on a shared 2-core machine the figures follow it.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import bench_env, load_line, make_pg_database, p95, server_version, temp_dir, use_database
from jobs import _start, _stop


class Collector:
    """aiosmtpd handler: (accepted at, subject) of every message."""

    def __init__(self):
        self.got: list[tuple[float, str]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        import email

        msg = email.message_from_bytes(envelope.content)
        with self.lock:
            self.got.append((time.perf_counter(), str(msg["subject"])))
        return "250 OK"

    def count(self, prefix: str) -> int:
        with self.lock:
            return sum(1 for _, s in self.got if s.startswith(prefix))

    def nth_time(self, prefix: str, n: int) -> float:
        with self.lock:
            return [t for t, s in self.got if s.startswith(prefix)][n]


def _smtp() -> tuple[object, Collector, int]:
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    handler = Collector()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, handler, port


def _wait(cond, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.005)


def sign_to_welcome(engine, url, runs, concurrency, logs, smtp: Collector) -> list[float]:
    from sqlmodel import Session, select

    from portal_app.access import Client
    from portal_app.models import ClientAccount, Contact, StaffUser
    from portal_app.services.documents import documents, signing
    from portal_app.services.documents.demo_documents import _pdf
    from portal_app.services.portal.demo import DEMO_CLIENT_EMAIL, seed_demo
    from portal_app.services.portal.workspaces import owner_actor

    with Session(engine) as db:
        seed_demo(db, os.environ["PORTAL_BASE_URL"], "bench-staff-pass", "bench-client-pass")
        db.commit()
    procs = _start(url, 2, concurrency, 1.0, logs)  # the production default idle poll: 1 s
    times: list[float] = []
    try:
        time.sleep(3)  # the seed's own events drained
        with Session(engine, expire_on_commit=False) as db:
            owner = db.exec(select(StaffUser)).first()
            staff = owner_actor(owner)
            contact = db.exec(select(Contact).where(Contact.email == DEMO_CLIENT_EMAIL)).one()
            account = db.exec(select(ClientAccount).where(ClientAccount.contact_id == contact.id)).one()
            client = Client(contact.workspace_id, contact.id, account.id, contact.email, contact.display_name)
            for i in range(runs):
                doc = documents.upload_document(db, staff, data=_pdf(f"Contract {i}", ["Terms."]),
                                                file_name=f"c{i}.pdf", kind="contract", title=f"Bench contract {i}",
                                                contact_public_id=contact.public_id, message="")
                db.flush()
                signer = documents.signers_of(db, doc)[0]
                documents.save_fields(db, staff, doc.public_id, [
                    {"kind": "signature", "signer": signer.public_id, "page": 0, "x": 0.1, "y": 0.8, "w": 0.3,
                     "h": 0.06}])
                documents.send_document(db, staff, doc.public_id)
                db.commit()
                before = smtp.count("Welcome aboard")
                signing.sign_document(db, client, doc.public_id, consent=True, values={},
                                      signature={"kind": "typed", "name": contact.display_name}, ip="127.0.0.1",
                                      user_agent="bench")
                db.commit()
                t0 = time.perf_counter()
                _wait(lambda b=before: smtp.count("Welcome aboard") > b, f"welcome email {i}")
                times.append((smtp.nth_time("Welcome aboard", before) - t0) * 1000)
    finally:
        _stop(procs)
    return times


def email_rate(engine, url, n_workers, emails, concurrency, logs, smtp: Collector, tag: str) -> float:
    from sqlmodel import Session, select

    from portal_app.models import Workspace
    from portal_app.services import emails as mail

    procs = _start(url, n_workers, concurrency, 0.1, logs)  # started and idle before anything is queued
    try:
        with Session(engine) as db:
            ws = db.exec(select(Workspace)).first()
            for n in range(emails):
                mail.staff_notice_email(db, ws, to=f"person{n}@bench.example", subject=f"{tag} {n}",
                                        text="Hello.", link=ws.base_url + "/staff")
            db.commit()
        t0 = time.perf_counter()
        _wait(lambda: smtp.count(tag + " ") >= emails, f"{emails} emails", timeout=900)
        elapsed = time.perf_counter() - t0
    finally:
        _stop(procs)
    return emails / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--emails", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    tmp = temp_dir("portal-bench-automations-")
    bench_env(tmp)
    controller, smtp, port = _smtp()
    os.environ.update({"PORTAL_MAIL": "smtp", "PORTAL_SMTP_HOST": "127.0.0.1", "PORTAL_SMTP_PORT": str(port),
                       "PORTAL_SMTP_SECURITY": "none", "PORTAL_MAIL_FROM": "portal@bench.example"})
    url = make_pg_database("portal_bench_auto")
    engine = use_database(url)
    logs = tmp / "logs"
    logs.mkdir()
    try:
        print(f"{server_version(engine)}; aiosmtpd on 127.0.0.1:{port}; {args.concurrency} threads per worker")
        ms = sign_to_welcome(engine, url, args.runs, args.concurrency, logs, smtp)
        print(f"  (a) client signs -> welcome email accepted by SMTP, {len(ms)} runs, 2 workers (idle poll 1 s): "
              f"p50 {sorted(ms)[len(ms) // 2]:.0f} ms, p95 {p95(ms):.0f} ms, max {max(ms):.0f} ms")
        for n in (1, 2):
            rate = email_rate(engine, url, n, args.emails, args.concurrency, logs, smtp, f"Bench{n}")
            print(f"  (b) {args.emails} email jobs into aiosmtpd, {n} worker process{'es' if n > 1 else ''}: "
                  f"{rate:,.0f} emails/s")
        line, _ = load_line()
        print(f"  {line}")
    finally:
        controller.stop()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()

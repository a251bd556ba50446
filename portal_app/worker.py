"""Carries out queued jobs (commands, domain events' handlers, periodic maintenance) from the outbox.

What each kind of job does is here (`HANDLERS`, kind -> fn(db, msg, payload); `_deliver` runs
one); how jobs are queued, claimed, leased, retried and declared dead is portal_app/jobs/. A
job's work and its "done" mark commit in one transaction, so an acknowledged job never runs
twice. Rendered emails carry one-time links: once sent, their bodies are scrubbed.

Started two ways: inside the app (portal_app.py: `run_forever`, one thread) and as its own
process, `python -m portal_app.cli worker --concurrency N` (`main`), any number of them on
any number of hosts.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session, col, select

from portal_app.adapters.mail import Mail, get_mailer
from portal_app.db import get_engine
from portal_app.jobs import periodic, queue
from portal_app.jobs.runner import Runner, run_claimed, worker_id
from portal_app.models import OutboxMessage, utcnow

log = logging.getLogger("portal.worker")
MAX_ATTEMPTS = queue.DEFAULT_MAX_ATTEMPTS


def _send_email(db: Session, msg: OutboxMessage, payload: dict) -> None:
    """Send one email; its Communications timeline entry (if it went to a contact) says sent, in
    the same transaction. A failed attempt is rolled back and the entry says failed (in a
    transaction of its own) until a retry sends it."""
    from portal_app.services import mail_attachments
    from portal_app.services.conversations import timeline

    if msg.workspace_id is None:
        raise ValueError("an email job belongs to a workspace")
    job_id = msg.id
    try:
        get_mailer().send(Mail(to=payload["to"], subject=payload["subject"], text=payload["text"],
                               html=payload["html"], from_name=payload.get("from_name", ""),
                               reply_to=payload.get("reply_to", ""),
                               attachments=mail_attachments.from_payload(payload.get("attachments"))),
                          msg.workspace_id, db)
    except Exception:
        db.rollback()  # the attempt's own writes go; the runner records the failure after this
        with Session(db.get_bind()) as other:
            timeline.email_status(other, job_id, "failed")
            other.commit()
        raise
    timeline.email_status(db, job_id, "sent")
    msg.payload = json.dumps({"to": payload["to"], "subject": payload["subject"], "scrubbed": True})


def _delete_blob(db: Session, msg: OutboxMessage, payload: dict) -> None:
    """A replaced file is deleted only once the change that replaced it has committed."""
    from portal_app.adapters.storage import get_storage

    get_storage().delete(payload["key"])


def _seal_document(db: Session, msg: OutboxMessage, payload: dict) -> None:
    """The last signature was given: stamp, append the certificate, seal (services/documents/sealing.py).
    A failure leaves the document "sealing" and this message is retried."""
    from portal_app.services.documents import sealing

    sealing.complete(db, payload["document"])


def _expire_documents(db: Session, msg: OutboxMessage, payload: dict) -> None:
    """Periodic: open documents past their expiry date become expired (their events are queued)."""
    from portal_app.services.documents.documents import expire_due

    expire_due(db)


def _sweep_uploads(db: Session, msg: OutboxMessage, payload: dict) -> None:
    """Periodic: temporary upload files a crash left behind."""
    sweep_incoming()


def _automation_step(db: Session, msg: OutboxMessage, payload: dict) -> None:
    """One step of an automation run (services/automations/engine.py)."""
    from portal_app.services.automations import engine

    engine.job(db, payload)


def _expire_invoices(db: Session, msg: OutboxMessage, payload: dict) -> None:
    """Periodic: invoices past their due date raise invoice.overdue, once each."""
    from portal_app.services.automations import overdue

    overdue.raise_due(db)


def _remind_appointments(db: Session, msg: OutboxMessage, payload: dict) -> None:
    """Periodic: appointment reminders due now, each sent once (services/appointments/reminders.py)."""
    from portal_app.services.appointments import reminders

    reminders.send_due(db, _now())


def _queue_domain_checks(db: Session, msg: OutboxMessage, payload: dict) -> None:
    """Periodic: one domain.check job per custom domain whose DNS re-check is due
    (services/portal/domains.py: pending/failed every 5 minutes, verified once a day)."""
    from portal_app.services.portal import domains

    domains.queue_due_checks(db, _now())


def _check_domain(db: Session, msg: OutboxMessage, payload: dict) -> None:
    """Ask DNS about one custom domain and record the verdict in words."""
    from portal_app.services.portal import domains

    domains.check_one(db, payload["domain"], now=_now())


def _deliver_webhook(db: Session, msg: OutboxMessage, payload: dict) -> None:
    """One attempt to POST an event to a webhook endpoint (services/webhooks/delivery.py)."""
    from portal_app.services.webhooks import delivery

    delivery.deliver(db, msg, payload)


def _chat_email(db: Session, msg: OutboxMessage, payload: dict) -> None:
    """Chat messages still unread after the workspace's delay: one email per side and conversation
    (services/conversations/fallback.py; scheduled by services/conversations/messages.py)."""
    from portal_app.services.conversations import fallback

    if msg.workspace_id is None:
        raise ValueError("a chat email job belongs to a workspace")
    fallback.email_unread(db, msg.workspace_id, payload)


def _prune(db: Session, msg: OutboxMessage, payload: dict) -> None:
    """Periodic: finished commands and old webhook deliveries are deleted (jobs/prune.py)."""
    from portal_app.jobs import prune

    counts = prune.prune(db, _now(), HANDLERS)
    if any(counts.values()):
        log.info("pruned %s", counts)


def _warn_unknown(db: Session, msg: OutboxMessage, payload: dict) -> None:
    """Periodic: log the pending kinds no handler here takes."""
    warn_unknown_kinds()


# The commands this worker carries out. Domain events (services/events.py) go to their
# handlers on the message bus (services/bus.py), or are acknowledged when their kind is
# declared handler-less. A kind neither knows (say, written by a newer version) stays
# pending, untouched, and is logged by warn_unknown_kinds: nothing is acknowledged unread.
HANDLERS: dict[str, Callable[[Session, OutboxMessage, dict], None]] = {
    "email": _send_email, "storage.delete": _delete_blob, "document.seal": _seal_document,
    "documents.expire": _expire_documents, "uploads.sweep": _sweep_uploads,
    "outbox.unknown_kinds": _warn_unknown, "webhook.deliver": _deliver_webhook, "jobs.prune": _prune,
    "automation.step": _automation_step, "invoices.overdue": _expire_invoices,
    "conversation.email": _chat_email, "appointments.remind": _remind_appointments,
    "domains.recheck": _queue_domain_checks, "domain.check": _check_domain,
}

EXPIRE_EVERY_SECONDS = 60
SWEEP_EVERY_SECONDS = 3600
periodic.every(EXPIRE_EVERY_SECONDS, "documents.expire")
periodic.every(SWEEP_EVERY_SECONDS, "uploads.sweep")
periodic.every(SWEEP_EVERY_SECONDS, "outbox.unknown_kinds")
periodic.every(SWEEP_EVERY_SECONDS, "jobs.prune")
OVERDUE_EVERY_SECONDS = 900
periodic.every(OVERDUE_EVERY_SECONDS, "invoices.overdue")
queue.configure_kind("invoices.overdue", max_attempts=3, backoff_cap=60, priority=10)
REMIND_EVERY_SECONDS = 60  # the shortest reminder window is 5 minutes (appointments/reminders.py)
periodic.every(REMIND_EVERY_SECONDS, "appointments.remind")
queue.configure_kind("appointments.remind", max_attempts=3, backoff_cap=30)
# maintenance: a few tries (the next slot queues a fresh one), after the user-facing work
queue.configure_kind("documents.expire", max_attempts=3, backoff_cap=30, priority=10)
queue.configure_kind("uploads.sweep", max_attempts=3, backoff_cap=600, priority=10)
queue.configure_kind("outbox.unknown_kinds", max_attempts=3, backoff_cap=600, priority=10)
queue.configure_kind("jobs.prune", max_attempts=3, backoff_cap=600, priority=10)
DOMAINS_SCAN_EVERY_SECONDS = 60  # finds the due ones; each domain's own cadence is its next_check_at
periodic.every(DOMAINS_SCAN_EVERY_SECONDS, "domains.recheck")
queue.configure_kind("domains.recheck", max_attempts=3, backoff_cap=30, priority=10)
# a DNS check that raised (a database error; DNS failures are verdicts, not errors): a few
# quick tries, then the next scan queues a fresh one
queue.configure_kind("domain.check", max_attempts=3, backoff_cap=60, priority=5)
# a chat email is only worth it while the message is fresh: a few tries within minutes (the
# email job it queues has its own retries)
queue.configure_kind("conversation.email", max_attempts=5, backoff_cap=120)


def runnable_kinds() -> list[str]:
    """The kinds workers claim: those `_deliver` knows how to run (commands, and the event kinds
    the message bus handles or declares handler-less)."""
    from portal_app.services import bus

    return [*HANDLERS, *bus.kinds()]


def _deliver(db: Session, msg: OutboxMessage) -> None:
    command = HANDLERS.get(msg.kind)
    if command is None:  # a domain event: its handlers run in this message's transaction
        from portal_app.services import bus

        if msg.workspace_id is None:
            raise ValueError("a domain event belongs to a workspace")
        bus.dispatch(db, msg.workspace_id, msg.kind, json.loads(msg.payload),
                     record=(f"evt_{msg.id}", msg.created_at))
        return
    command(db, msg, json.loads(msg.payload))


def warn_unknown_kinds() -> dict[str, int]:
    """Log the pending kinds nothing here takes (they wait for a version that does)."""
    import sqlalchemy as sa

    with Session(get_engine()) as db:
        rows = db.exec(select(OutboxMessage.kind, sa.func.count()).where(
            col(OutboxMessage.done_at).is_(None), col(OutboxMessage.dead_at).is_(None),
            col(OutboxMessage.kind).not_in(runnable_kinds()))
            .group_by(col(OutboxMessage.kind))).all()
    unknown = {str(kind): int(count) for kind, count in rows}
    if unknown:
        log.warning("outbox messages of kinds this worker does not know wait unread: %s", unknown)
    return unknown


clock: Callable[[], datetime] = utcnow  # what "now" is for due times, leases and backoff (tests set it)


def _now() -> datetime:
    return clock()  # read at each call: a test's replacement of `clock` is seen


def run_once(limit: int = 50) -> int:
    """Run up to `limit` due jobs here, one at a time; returns how many were done."""
    engine, wid = get_engine(), worker_id()
    queue.reap(engine, _now())
    done = 0
    for _ in range(limit):
        ids = queue.claim(engine, wid, runnable_kinds(), _now(), limit=1)
        if not ids:
            break
        done += run_claimed(engine, ids[0], wid, lambda db, msg: _deliver(db, msg), _now)
    return done


STALE_UPLOAD_SECONDS = 24 * 3600


def sweep_incoming(max_age: float = STALE_UPLOAD_SECONDS, now: float | None = None) -> int:
    """Remove temporary upload files a crash left behind (a finished or refused upload
    removes its own at once). Returns how many went."""
    import os
    import time

    from portal_app.services.files.file_transfer import incoming_dir

    folder, now = incoming_dir(), now if now is not None else time.time()
    removed = 0
    for entry in os.scandir(folder):
        try:
            if entry.is_file() and now - entry.stat().st_mtime > max_age:
                os.unlink(entry.path)
                removed += 1
        except FileNotFoundError:
            pass
    return removed


def make_runner(concurrency: int = 1, lease: float = queue.LEASE_SECONDS, poll: float = 1.0,
                grace: float = 30.0) -> Runner:
    return Runner(get_engine(), lambda db, msg: _deliver(db, msg), runnable_kinds, _now,
                  concurrency=concurrency, lease=lease, poll=poll, grace=grace)


def run_forever(interval: float, stop: threading.Event) -> None:
    """The app's in-process worker: one thread, polling every `interval` seconds."""
    make_runner(concurrency=1, poll=interval, grace=5.0).run(stop)


def main(concurrency: int = 1, lease: float = queue.LEASE_SECONDS, grace: float = 30.0,
         poll: float | None = None) -> None:  # pragma: no cover - CLI (tests/integration/test_job_queue.py)
    """`cli worker`: runs until SIGTERM or SIGINT, then stops gracefully."""
    from portal_app.logging_setup import configure_logging
    from portal_app.settings import get_settings

    configure_logging()
    if get_settings().redis_url:  # hints of its jobs reach the app processes' tabs
        from portal_app.adapters.hints import start_redis_relay

        start_redis_relay(get_settings().redis_url, listen=False)
    stop = threading.Event()

    def on_signal(signum, _frame) -> None:
        log.info("signal %s: finishing running jobs (up to %ss), claiming no more", signum, grace)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    left = make_runner(concurrency, lease, poll if poll is not None else get_settings().worker_interval, grace).run(stop)
    from portal_app.adapters.hints import stop_redis_relay

    stop_redis_relay()  # sends the hints still queued
    if left:  # jobs still running past the grace period: their leases are released, their
        # transactions roll back when the connections close; don't wait for their threads
        logging.shutdown()
        os._exit(0)


if __name__ == "__main__":  # pragma: no cover
    main()

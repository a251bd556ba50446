"""Carries out queued side effects (commands, and domain events' handlers) from the outbox, with retries.

`run_once` handles due messages one at a time, each in its own transaction; a message is
marked done in the same transaction that records its delivery, so an acknowledged message
is never sent twice. Rendered emails carry one-time links: once sent, their bodies are
scrubbed from the outbox.
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import timedelta

from sqlmodel import Session, col, select

from portal_app.adapters.mail import Mail, get_mailer
from portal_app.db import get_engine
from portal_app.models import OutboxMessage, utcnow

log = logging.getLogger("portal.worker")
MAX_ATTEMPTS = 8


def _send_email(db: Session, msg: OutboxMessage, payload: dict) -> None:
    get_mailer().send(Mail(to=payload["to"], subject=payload["subject"], text=payload["text"],
                           html=payload["html"], from_name=payload.get("from_name", "")),
                      msg.workspace_id, db)
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


# The commands this worker carries out. Domain events (services/events.py) go to their
# handlers on the message bus (services/bus.py), or are acknowledged when their kind is
# declared handler-less. A kind neither knows (say, written by a newer version) stays
# pending, untouched, and is logged by warn_unknown_kinds: nothing is acknowledged unread.
HANDLERS = {"email": _send_email, "storage.delete": _delete_blob, "document.seal": _seal_document}


def _kinds() -> list[str]:
    from portal_app.services import bus

    return [*HANDLERS, *bus.kinds()]


def _deliver(db: Session, msg: OutboxMessage) -> None:
    command = HANDLERS.get(msg.kind)
    if command is None:  # a domain event: its handlers run in this message's transaction
        from portal_app.services import bus

        bus.dispatch(db, msg.workspace_id, msg.kind, json.loads(msg.payload))
        return
    command(db, msg, json.loads(msg.payload))


def warn_unknown_kinds() -> dict[str, int]:
    """Log the pending kinds nothing here takes (they wait for a version that does)."""
    import sqlalchemy as sa

    with Session(get_engine()) as db:
        rows = db.exec(select(OutboxMessage.kind, sa.func.count()).where(
            col(OutboxMessage.done_at).is_(None), col(OutboxMessage.kind).not_in(_kinds()))
            .group_by(col(OutboxMessage.kind))).all()
    unknown = {str(kind): int(count) for kind, count in rows}
    if unknown:
        log.warning("outbox messages of kinds this worker does not know wait unread: %s", unknown)
    return unknown


CLAIM_SECONDS = 120
clock = utcnow  # what "now" is for due times, claims and backoff (tests set it: no wall clock in a test)


def _claim(engine, msg_id: int) -> bool:
    """Push next_attempt_at forward atomically: only one worker wins a message."""
    import sqlalchemy as sa

    now = clock()
    with engine.begin() as conn:
        result = conn.execute(
            sa.update(OutboxMessage)
            .where(col(OutboxMessage.id) == msg_id,
                   col(OutboxMessage.done_at).is_(None),
                   col(OutboxMessage.next_attempt_at) <= now)
            .values(next_attempt_at=now + timedelta(seconds=CLAIM_SECONDS)))
        return result.rowcount == 1


def run_once(limit: int = 50) -> int:
    """Process due messages; returns how many were delivered."""
    delivered = 0
    engine = get_engine()
    with Session(engine) as db:
        ids = db.exec(select(OutboxMessage.id).where(
            col(OutboxMessage.done_at).is_(None), OutboxMessage.next_attempt_at <= clock(),
            col(OutboxMessage.kind).in_(_kinds()),
            OutboxMessage.attempts < MAX_ATTEMPTS).order_by(col(OutboxMessage.id)).limit(limit)).all()
    for msg_id in ids:
        if not _claim(engine, msg_id):
            continue  # another worker process has it
        with Session(engine, expire_on_commit=False) as db:
            msg = db.get(OutboxMessage, msg_id)
            if msg is None or msg.done_at is not None:
                continue
            try:
                _deliver(db, msg)
                msg.done_at = clock()
                msg.attempts += 1
                db.add(msg)
                db.commit()
                delivered += 1
            except Exception as exc:
                db.rollback()
                msg = db.get_one(OutboxMessage, msg_id)  # claimed above: it is there
                msg.attempts += 1
                msg.last_error = f"{type(exc).__name__}: {exc}"[:500]
                msg.next_attempt_at = clock() + timedelta(seconds=min(600, 2 ** msg.attempts))
                db.add(msg)
                db.commit()
                log.warning("outbox message %s failed (attempt %s): %s", msg_id, msg.attempts, exc)
    return delivered


SWEEP_EVERY_SECONDS = 3600
EXPIRE_EVERY_SECONDS = 60


def expire_documents() -> int:
    """Open documents past their expiry date become expired (their events go to the outbox)."""
    from portal_app.db import unit_of_work
    from portal_app.services.documents.documents import expire_due

    with unit_of_work() as db:
        return expire_due(db)
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


def run_forever(interval: float, stop: threading.Event) -> None:
    import time

    last_sweep = last_expiry = 0.0
    while not stop.is_set():
        try:
            run_once()
            if time.monotonic() - last_expiry > EXPIRE_EVERY_SECONDS:
                last_expiry = time.monotonic()
                expire_documents()
            if time.monotonic() - last_sweep > SWEEP_EVERY_SECONDS:
                last_sweep = time.monotonic()
                sweep_incoming()
                warn_unknown_kinds()
        except Exception:
            log.exception("worker pass failed")
        stop.wait(interval)


def main() -> None:  # pragma: no cover - CLI
    from portal_app.logging_setup import configure_logging
    from portal_app.settings import get_settings

    configure_logging()
    stop = threading.Event()
    try:
        run_forever(get_settings().worker_interval, stop)
    except KeyboardInterrupt:
        stop.set()


if __name__ == "__main__":  # pragma: no cover
    main()

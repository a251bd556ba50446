"""The audit log: append-only and hash-chained per workspace, so tampering shows."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from portal_app.db import AnySelect, prebuilt, run
from portal_app.models import AuditEvent, utcnow

GENESIS = "0" * 64


def _digest(prev_hash: str, ev: AuditEvent) -> str:
    body = json.dumps(
        [ev.workspace_id, ev.seq, ev.at.isoformat(), ev.actor_kind, ev.actor_label, ev.action,
         ev.subject_type, ev.subject_id, ev.detail],
        separators=(",", ":"), ensure_ascii=False,
    )
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


@prebuilt
def _last_link() -> AnySelect:
    """The chain's newest (seq, hash) in a workspace: one row from the (workspace_id, seq) index."""
    e = AuditEvent
    return (sa.select(col(e.seq), col(e.hash)).where(col(e.workspace_id) == sa.bindparam("ws"))
            .order_by(col(e.seq).desc()).limit(1))


@prebuilt
def _append() -> sa.Insert:
    return sa.insert(AuditEvent)


def record(db: Session, workspace_id: int, actor, action: str, subject_type: str,
           subject_id: str, detail: dict | None = None) -> AuditEvent:
    """Append one event in the caller's transaction; returns it (not added to the session).

    The unique (workspace_id, seq) constraint makes two concurrent writers collide instead
    of forking the chain; the loser's transaction fails and is retried by its caller. Core
    statements built once: every audited action pays for this, and the ORM's loading of the
    last event and its unit-of-work insert cost more than the two statements themselves.
    """
    last = run(db, _last_link(), ws=workspace_id).first()
    prev_hash = last.hash if last else GENESIS
    ev = AuditEvent(
        workspace_id=workspace_id,
        seq=(last.seq + 1) if last else 1,
        at=utcnow().replace(microsecond=0),
        actor_kind=getattr(actor, "kind", "system"),
        actor_label=getattr(actor, "label", "system"),
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        detail=json.dumps(detail or {}, sort_keys=True, ensure_ascii=False),
        prev_hash=prev_hash,
        hash="",
    )
    ev.hash = _digest(prev_hash, ev)
    run(db, _append(), **{k: getattr(ev, k) for k in _COLUMNS})
    return ev


_COLUMNS = ("workspace_id", "seq", "at", "actor_kind", "actor_label", "action", "subject_type", "subject_id",
            "detail", "prev_hash", "hash")


def verify_chain(db: Session, workspace_id: int) -> tuple[bool, int | None]:
    """(True, None) if intact, else (False, seq of the first bad event)."""
    prev = GENESIS
    expected_seq = 1
    for ev in db.exec(select(AuditEvent).where(AuditEvent.workspace_id == workspace_id)
                      .order_by(col(AuditEvent.seq))):
        if ev.seq != expected_seq or ev.prev_hash != prev or _digest(prev, ev) != ev.hash:
            return False, ev.seq
        prev = ev.hash
        expected_seq += 1
    return True, None


@dataclass
class AuditView:
    at: datetime
    actor: str
    action: str
    detail: dict


def events_for(db: Session, workspace_id: int, subject_type: str, subject_id: str,
               limit: int = 50) -> list[AuditView]:
    """A subject's events, newest first (a page's trail: one statement built once)."""
    rows = run(db, _events(), ws=workspace_id, type=subject_type, id=subject_id, limit=limit)
    return [AuditView(at, actor, action, json.loads(detail)) for at, actor, action, detail in rows]


@prebuilt
def _events() -> AnySelect:
    e = AuditEvent
    return (sa.select(col(e.at), col(e.actor_label), col(e.action), col(e.detail))
            .where(col(e.workspace_id) == sa.bindparam("ws"), col(e.subject_type) == sa.bindparam("type"),
                   col(e.subject_id) == sa.bindparam("id"))
            .order_by(col(e.seq).desc()).limit(sa.bindparam("limit", type_=sa.Integer)))

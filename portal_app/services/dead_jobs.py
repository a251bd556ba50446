"""Settings › Jobs: the workspace's dead jobs (every attempt failed) and Retry.

Starts at state/staff/jobs.py. Only what a person needs to decide on a retry is shown (kind,
last error, attempts, when); a job's payload (an email's one-time links) never leaves the
server. System jobs (periodic maintenance, no workspace) are in the worker's log only.
"""

from __future__ import annotations

from typing import TypedDict

import sqlalchemy as sa
from sqlmodel import Session, col, select

from portal_app.access import Actor, require_manage_jobs
from portal_app.errors import Invalid, NotFound
from portal_app.jobs import queue
from portal_app.models import OutboxMessage, utcnow
from portal_app.services import audit
from portal_app.services.portal.staff_views import redact_links

PAGE_SIZE = 50
JOB_ID_MAX = 18  # digits of a job id given to Retry

KIND_LABELS = {"email": "Email", "document.seal": "Seal a completed document", "storage.delete": "Delete a replaced file"}


class DeadJobView(TypedDict):
    id: str
    kind: str
    error: str
    attempts: str
    at: str


class DeadJobs(TypedDict):
    rows: list[DeadJobView]
    total: int


def _dead(workspace_id: int) -> sa.ColumnElement[bool]:
    return sa.and_(col(OutboxMessage.workspace_id) == workspace_id, col(OutboxMessage.dead_at).is_not(None),
                   col(OutboxMessage.done_at).is_(None))


def dead_jobs(db: Session, actor: Actor) -> DeadJobs:
    """The newest PAGE_SIZE dead jobs of the actor's workspace, and how many there are."""
    staff = require_manage_jobs(actor)
    rows = db.exec(select(OutboxMessage).where(_dead(staff.workspace_id))
                   .order_by(sa.desc(col(OutboxMessage.dead_at)), sa.desc(col(OutboxMessage.id)))
                   .limit(PAGE_SIZE)).all()
    total = db.exec(select(sa.func.count()).select_from(OutboxMessage).where(_dead(staff.workspace_id))).one()
    views: list[DeadJobView] = [
        {"id": str(r.id), "kind": KIND_LABELS.get(r.kind, r.kind), "error": redact_links(r.last_error),
         "attempts": str(r.attempts), "at": r.dead_at.strftime("%Y-%m-%d %H:%M UTC") if r.dead_at else ""}
        for r in rows]
    return {"rows": views, "total": int(total)}


def retry_job(db: Session, actor: Actor, job_id: str) -> None:
    """Queue a dead job of the actor's workspace again, with fresh attempts, to run now."""
    staff = require_manage_jobs(actor)
    job_id = str(job_id).strip()
    if not job_id.isdigit() or len(job_id) > JOB_ID_MAX:
        raise NotFound("This job does not exist.")
    job = db.exec(select(OutboxMessage).where(OutboxMessage.id == int(job_id), _dead(staff.workspace_id))
                  .with_for_update()).first()
    if job is None:
        raise NotFound("This job does not exist or is no longer dead.")
    if not queue.retry_dead(db, job, utcnow()):
        raise Invalid("A newer run of this job is already queued.")
    audit.record(db, staff.workspace_id, staff, "job.retried", "job", str(job.id), {"kind": job.kind})

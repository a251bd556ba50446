"""The automation engine: runs started by events, and their steps carried out by the job queue.

`on_event` is the bus subscriber of every trigger kind (services/bus.py HANDLERS), run in the
event row's transaction: it finds the workspace's enabled rules for that trigger, evaluates
their conditions, and starts one AutomationRun per (rule, event) -- `event_key` is the event's
outbox id and UNIQUE(rule_id, event_key) makes a redelivered event start nothing -- pinned to
the rule's current version, with its step rows, and schedules the first step.

Each step is a job of kind "automation.step" (STEP_KIND; worker.HANDLERS runs `run_step`),
with `run_at` the step's time (a wait's end). A step job re-reads its run: a cancelled or
finished run, or a step no longer scheduled, makes it do nothing. It executes the step
(steps.py), records the result, and schedules the next one. A step that fails is tried again
with the queue's backoff (queue.backoff_seconds) up to STEP_ATTEMPTS times, each attempt's
error shown on the step; after the last, the step is failed with the reason and the run
failed. `retry_step` (runs.py) schedules it again and the run resumes from it.

"Invoice overdue by N days": the overdue event is raised once per invoice when its due date
has passed (overdue.py); a rule with N days starts its run then, and the first step is
scheduled for due date + N days (at once if that is already past).

Times come from models.base.utcnow (tests freeze it).
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from portal_app.jobs import queue
from portal_app.models import (
    AutomationRule,
    AutomationRuleVersion,
    AutomationRun,
    AutomationRunStep,
    new_public_id,
    utcnow,
)
from portal_app.services import events as ev
from portal_app.services import outbox
from portal_app.services.automations import conditions, stepspec, triggers

log = logging.getLogger("portal.automations")

STEP_KIND = "automation.step"
STEP_ATTEMPTS = 5         # tries of one step before it is failed (each with the queue's backoff)
BACKOFF_CAP = 1800.0      # seconds: the longest wait between two tries
queue.configure_kind(STEP_KIND, max_attempts=3, backoff_cap=60)  # the job itself: a crash mid-step


class StepFailed(Exception):
    """A step could not be done; the message is for people (shown on the step)."""


def _event_key(event: ev.Event) -> str:
    record = ev.RECORD.get()
    if record is not None:
        return record[0]
    digest = hashlib.sha256(json.dumps([event.kind, event.payload()], sort_keys=True).encode()).hexdigest()
    return "evh_" + digest[:40]


def on_event(db: Session, event: ev.Event) -> None:
    """Bus subscriber of each trigger kind: start the runs this event starts."""
    trigger = triggers.TRIGGERS.get(type(event))
    if trigger is None:
        return
    rules = db.exec(select(AutomationRule, AutomationRuleVersion)
                    .join(AutomationRuleVersion, col(AutomationRuleVersion.id) == col(AutomationRule.current_version_id))
                    .where(AutomationRule.workspace_id == event.workspace_id, col(AutomationRule.enabled).is_(True),
                           col(AutomationRule.deleted_at).is_(None), AutomationRuleVersion.trigger == trigger.kind)
                    .order_by(col(AutomationRule.id))).all()
    if not rules:
        return
    snapshot = triggers.build(db, event)
    if snapshot is None:
        return
    key = _event_key(event)
    record = ev.RECORD.get()
    for rule, version in rules:
        if record is not None and record[1] < rule.created_at:
            continue  # an event older than the rule (a backlog, the demo seed's own) does not start it
        start_run(db, rule, version, snapshot, event.kind, key)


def start_run(db: Session, rule: AutomationRule, version: AutomationRuleVersion, snapshot: triggers.Snapshot,
              event_kind: str, event_key: str) -> AutomationRun | None:
    """One run of `rule` (pinned to `version`) for one event; None if that event already started one."""
    if db.exec(select(AutomationRun.id).where(AutomationRun.rule_id == rule.id,
                                              AutomationRun.event_key == event_key)).first() is not None:
        return None
    now = utcnow()
    ok, why = conditions.evaluate(version.conditions, snapshot.facts)
    run = AutomationRun(public_id=new_public_id("arun"), workspace_id=rule.workspace_id, rule_id=rule.id,
                        version_id=version.id, contact_id=snapshot.contact_id, event_kind=event_kind,
                        event_key=event_key, context=snapshot.as_json(), summary=snapshot.summary,
                        status="running" if ok else "skipped", created_at=now, updated_at=now,
                        finished_at=None if ok else now)
    db.add(run)
    db.flush()
    for position, step in enumerate(version.steps):
        db.add(AutomationRunStep(run_id=run.id, position=position, step_type=step["type"],
                                 status="pending" if ok else "skipped",
                                 result="" if ok else f"Skipped: conditions not met ({why})"[:500]))
    db.flush()
    if ok:
        first_at = now
        if version.trigger_days and "invoice.due_date" in snapshot.dates:
            due = datetime.fromisoformat(snapshot.dates["invoice.due_date"])
            first_at = max(now, due + timedelta(days=version.trigger_days))
        schedule(db, run, version, 0, first_at)
    return run


def _steps(db: Session, run_id: int) -> list[AutomationRunStep]:
    return list(db.exec(select(AutomationRunStep).where(AutomationRunStep.run_id == run_id)
                        .order_by(col(AutomationRunStep.position))).all())


def _enqueue(db: Session, run: AutomationRun, step: AutomationRunStep, at: datetime) -> None:
    outbox.enqueue(db, run.workspace_id, STEP_KIND, {"run": run.public_id, "position": step.position,
                                                     "try": step.attempts},
                   run_at=at, unique_key=f"automation:{run.id}:{step.position}:{step.attempts}")


def schedule(db: Session, run: AutomationRun, version: AutomationRuleVersion, position: int,
             not_before: datetime) -> None:
    """Make step `position` due: a wait at its end, any other step at `not_before`. Past the last
    step, the run is done."""
    now = utcnow()
    steps = _steps(db, run.id)
    if position >= len(steps):
        run.move_to("done", now)
        db.add(run)
        return
    step, spec = steps[position], version.steps[position]
    at = not_before
    if spec["type"] == "wait":
        at = stepspec.wait_until(spec, not_before, run.context.get("dates", {}))
    step.move_to("scheduled", now)
    step.scheduled_for = at
    run.move_to("waiting" if at > now else "running", now)
    db.add_all([step, run])
    _enqueue(db, run, step, at)


def run_step(db: Session, run_public_id: str, position: int, attempt_try: int | None = None) -> str:
    """The job of one step: do it and schedule the next. Returns what happened ("noop" when the
    run was cancelled or finished, or the step is no longer due -- its job does nothing)."""
    from portal_app.services.automations import steps as executors

    # the run's row is locked (PostgreSQL; SQLite's writer lock serialises anyway): a Cancel
    # committing meanwhile waits, or is seen -- never overwritten by this step's outcome
    run = db.exec(select(AutomationRun).where(AutomationRun.public_id == run_public_id).with_for_update()).first()
    if run is None or run.status not in ("running", "waiting"):
        return "noop"
    step = db.exec(select(AutomationRunStep).where(AutomationRunStep.run_id == run.id,
                                                   AutomationRunStep.position == position)).first()
    if step is None or step.status != "scheduled" or (attempt_try is not None and attempt_try != step.attempts):
        return "noop"
    version = db.get_one(AutomationRuleVersion, run.version_id)
    spec = version.steps[position]
    now = utcnow()
    run.move_to("running", now)
    step.move_to("running", now)
    step.attempts += 1
    try:
        with db.begin_nested():
            result = executors.execute(db, run, spec, now, position)
    except StepFailed as exc:
        return _failed(db, run, version, step, str(exc), now)
    except Exception as exc:  # a bug or an outage: shown as such, tried again like the others
        log.exception("automation step %s/%s failed", run.public_id, position)
        return _failed(db, run, version, step, f"Unexpected error ({type(exc).__name__}).", now)
    step.move_to("done", now)
    step.result, step.error = result[:500], ""
    db.add_all([run, step])
    db.flush()
    schedule(db, run, version, position + 1, now)
    return "done"


def _failed(db: Session, run: AutomationRun, version: AutomationRuleVersion, step: AutomationRunStep,
            reason: str, now: datetime) -> str:
    if step.attempts < STEP_ATTEMPTS:
        at = now + timedelta(seconds=queue.backoff_seconds(step.attempts, BACKOFF_CAP))
        step.error = f"Attempt {step.attempts} of {STEP_ATTEMPTS} failed: {reason} Trying again."[:500]
        step.move_to("scheduled", now)
        step.scheduled_for = at
        run.move_to("waiting", now)
        db.add_all([run, step])
        _enqueue(db, run, step, at)
        return "retry"
    step.move_to("failed", now)
    step.error = f"Failed after {step.attempts} attempts: {reason}"[:500]
    run.move_to("failed", now)
    db.add_all([run, step])
    return "failed"


def cancel(db: Session, run: AutomationRun, now: datetime) -> None:
    """Cancel a run: its pending and scheduled steps are cancelled (their jobs do nothing)."""
    for step in _steps(db, run.id):
        if step.status in ("pending", "scheduled"):
            step.move_to("cancelled", now)
            db.add(step)
    run.move_to("cancelled", now)
    db.add(run)


def cancel_unfinished(db: Session, rule_id: int, now: datetime) -> int:
    runs = db.exec(select(AutomationRun).where(AutomationRun.rule_id == rule_id,
                                               col(AutomationRun.status).in_(("running", "waiting")))).all()
    for run in runs:
        cancel(db, run, now)
    return len(runs)


def retry(db: Session, run: AutomationRun, position: int, now: datetime) -> None:
    """A failed step scheduled again (fresh attempts) and its run resumed from it."""
    step = db.exec(select(AutomationRunStep).where(AutomationRunStep.run_id == run.id,
                                                   AutomationRunStep.position == position)).first()
    if step is None or not step.can_retry or run.status != "failed":
        from portal_app.errors import Invalid

        raise Invalid("Only a failed step of a failed run can be tried again.")
    step.move_to("scheduled", now)
    step.scheduled_for, step.error, step.attempts = now, "", 0
    run.move_to("running", now)
    db.add_all([run, step])
    db.flush()
    # a fresh job (the old ones' unique keys are finished; a new try number keeps it apart)
    outbox.enqueue(db, run.workspace_id, STEP_KIND, {"run": run.public_id, "position": position, "try": 0},
                   run_at=now, unique_key=f"automation:{run.id}:{position}:r{_retry_count(db, run.id)}")


def _retry_count(db: Session, run_id: int) -> int:
    from portal_app.models import OutboxMessage

    return int(db.exec(select(sa.func.count()).select_from(OutboxMessage).where(
        col(OutboxMessage.unique_key).like(f"automation:{run_id}:%"))).one())


def job(db: Session, payload: dict[str, Any]) -> None:
    """worker.HANDLERS["automation.step"]."""
    run_step(db, str(payload["run"]), int(payload["position"]), payload.get("try"))

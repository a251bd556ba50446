"""Automations › run history: a rule's runs, one run's steps, Cancel and Retry (owners and admins)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from portal_app.access import Actor, require_manage_automations
from portal_app.errors import Invalid, NotFound
from portal_app.models import AutomationRule, AutomationRuleVersion, AutomationRun, AutomationRunStep, Contact, utcnow
from portal_app.models.status import status_labels
from portal_app.services.automations import engine, stepspec
from portal_app.services.automations.views import RunRow, RunStepView, RunView

RUN_LABELS = status_labels("automation_run")
STEP_LABELS = status_labels("automation_step")
PUBLIC_ID_MAX = 40
RUNS_MAX = 200


def when_text(at: datetime) -> str:
    """"7 Dec 2026, 14:05 UTC"."""
    return f"{at.day} {at:%b %Y, %H:%M} UTC"


def _rule(db: Session, workspace_id: int, rule_id: object) -> AutomationRule:
    row = db.exec(select(AutomationRule).where(AutomationRule.workspace_id == workspace_id,
                                               AutomationRule.public_id == str(rule_id)[:PUBLIC_ID_MAX])).first()
    if row is None:
        raise NotFound("This automation does not exist.")
    return row


def _run(db: Session, workspace_id: int, run_id: object, lock: bool = False) -> AutomationRun:
    q = select(AutomationRun).where(AutomationRun.workspace_id == workspace_id,
                                    AutomationRun.public_id == str(run_id)[:PUBLIC_ID_MAX])
    row = db.exec(q.with_for_update() if lock else q).first()
    if row is None:
        raise NotFound("This run does not exist.")
    return row


def _contacts(db: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {c.id: c.display_name for c in db.exec(select(Contact).where(col(Contact.id).in_(ids))).all()}


def _versions(db: Session, ids: set[int]) -> dict[int, int]:
    if not ids:
        return {}
    return {v.id: v.number for v in db.exec(select(AutomationRuleVersion).where(
        col(AutomationRuleVersion.id).in_(ids))).all()}


def list_runs(db: Session, actor: Actor, rule_id: str, limit: int = 50) -> list[RunRow]:
    """A rule's runs, newest first."""
    staff = require_manage_automations(actor)
    rule = _rule(db, staff.workspace_id, rule_id)
    runs = db.exec(select(AutomationRun).where(AutomationRun.rule_id == rule.id)
                   .order_by(col(AutomationRun.id).desc()).limit(max(1, min(int(limit), RUNS_MAX)))).all()
    names = _contacts(db, {r.contact_id for r in runs if r.contact_id is not None})
    numbers = _versions(db, {r.version_id for r in runs})
    return [{"id": r.public_id, "contact": names.get(r.contact_id or -1, "—"), "summary": r.summary,
             "started": when_text(r.created_at), "status": r.status,
             "status_label": RUN_LABELS.get(r.status, r.status), "version": numbers.get(r.version_id, 0)}
            for r in runs]


def _step_view(step: AutomationRunStep) -> RunStepView:
    when = ""
    if step.status == "scheduled" and step.scheduled_for is not None:
        when = "scheduled for " + when_text(step.scheduled_for)
    elif step.finished_at is not None:
        when = when_text(step.finished_at)
    elif step.started_at is not None:
        when = "started " + when_text(step.started_at)
    detail = step.error or step.result
    if step.status == "done" and step.result:
        detail = step.result
    return {"position": step.position, "label": stepspec.label(step.step_type), "status": step.status,
            "status_label": STEP_LABELS.get(step.status, step.status), "when": when, "detail": detail,
            "attempts": step.attempts, "can_retry": step.can_retry}


def run_detail(db: Session, actor: Actor, run_id: str) -> RunView:
    staff = require_manage_automations(actor)
    run = _run(db, staff.workspace_id, run_id)
    rule = db.get_one(AutomationRule, run.rule_id)
    steps = db.exec(select(AutomationRunStep).where(AutomationRunStep.run_id == run.id)
                    .order_by(col(AutomationRunStep.position))).all()
    return {"id": run.public_id, "rule_id": rule.public_id, "rule_name": rule.name,
            "contact": _contacts(db, {run.contact_id}).get(run.contact_id, "—") if run.contact_id else "—",
            "summary": run.summary, "version": _versions(db, {run.version_id}).get(run.version_id, 0),
            "status": run.status, "status_label": RUN_LABELS.get(run.status, run.status),
            "started": when_text(run.created_at), "can_cancel": run.can_cancel,
            "steps": [_step_view(s) for s in steps]}


def cancel_run(db: Session, actor: Actor, run_id: str) -> None:
    staff = require_manage_automations(actor)
    run = _run(db, staff.workspace_id, run_id, lock=True)
    if not run.can_cancel:
        raise Invalid(f"This run is already {RUN_LABELS.get(run.status, run.status).lower()}: nothing to cancel.")
    engine.cancel(db, run, utcnow())


def retry_step(db: Session, actor: Actor, run_id: str, position: int) -> None:
    """Only a failed step (of a failed run): it is scheduled again and the run resumes from it."""
    staff = require_manage_automations(actor)
    run = _run(db, staff.workspace_id, run_id, lock=True)
    try:
        pos = int(position)
    except (TypeError, ValueError):
        raise Invalid("Choose a step to try again.") from None
    engine.retry(db, run, pos, utcnow())

"""Automations › rules: what the staff UI calls (the services/UI contract; docs/architecture.md, "Automations").

Every function asks access.require_manage_automations (owners and admins) first and scopes every
query by the actor's workspace. Saving writes a new immutable version (runs already started
keep theirs); bad input raises errors.Invalid naming the field path and the step, and nothing
is written. Runs (history, Cancel, Retry) are in runs.py, re-exported here.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from portal_app import limits
from portal_app.access import Actor, Staff, require_manage_automations
from portal_app.errors import Invalid, NotFound
from portal_app.models import (
    AutomationRule,
    AutomationRuleVersion,
    AutomationRun,
    Contact,
    FileItem,
    Invoice,
    StaffUser,
    WebhookEndpoint,
    new_public_id,
    utcnow,
)
from portal_app.services import audit
from portal_app.services.automations import conditions as cond
from portal_app.services.automations import stepspec, triggers
from portal_app.services.automations.runs import (  # noqa: F401  (the contract's names, here)
    cancel_run,
    list_runs,
    retry_step,
    run_detail,
    when_text,
)
from portal_app.services.automations.views import (
    ChoiceOption,
    ConditionFieldOption,
    ConditionForm,
    EditorOptions,
    RuleEditorView,
    RuleForm,
    RuleRow,
    StepForm,
    TriggerOption,
)
from portal_app.services.validation import clean_text

MAX_RULES = 100
CHOICES_MAX = 200
PUBLIC_ID_MAX = 40


def blank_form() -> RuleForm:
    return {"name": "", "trigger": "", "trigger_days": "", "conditions": [], "steps": []}


def blank_step(step_type: str) -> StepForm:
    return stepspec.blank(step_type if step_type in stepspec.STEP_TYPES else "email")


def _trigger_option(t: triggers.Trigger) -> TriggerOption:
    fields: list[ConditionFieldOption] = [
        {"field": f.field, "label": f.label, "ops": [{"id": k, "label": v} for k, v in cond.OPS[f.op_kind]],
         "choices": [{"id": k, "label": v} for k, v in f.choices]} for f in t.condition_fields]
    return {"kind": t.kind, "label": t.label, "has_days": t.has_days, "placeholders": t.placeholders(),
            "condition_fields": fields}


def _targets(db: Session, workspace_id: int) -> dict[str, list[ChoiceOption]]:
    items = db.exec(select(FileItem).where(FileItem.workspace_id == workspace_id,
                                           col(FileItem.kind).in_(("folder", "file")))
                    .order_by(col(FileItem.kind).desc(), col(FileItem.name)).limit(CHOICES_MAX)).all()
    invoices = db.exec(select(Invoice).where(Invoice.workspace_id == workspace_id)
                       .order_by(col(Invoice.id).desc()).limit(CHOICES_MAX)).all()
    endpoints = db.exec(select(WebhookEndpoint).where(WebhookEndpoint.workspace_id == workspace_id)
                        .order_by(col(WebhookEndpoint.id))).all()
    staff = db.exec(select(StaffUser).where(StaffUser.workspace_id == workspace_id,
                                            col(StaffUser.disabled).is_(False)).order_by(col(StaffUser.name))).all()
    return {
        "share": [{"id": i.public_id, "label": ("Folder: " if i.kind == "folder" else "File: ") + i.name}
                  for i in items],
        "invoice": [{"id": i.public_id, "label": f"{i.number} ({i.status})"} for i in invoices],
        "webhook": [{"id": e.public_id, "label": e.description or e.url} for e in endpoints],
        "staff": [{"id": s.public_id, "label": f"{s.name} ({s.email})"} for s in staff],
    }


def editor_options(db: Session, actor: Actor) -> EditorOptions:
    staff = require_manage_automations(actor)
    ws = staff.workspace_id
    t = _targets(db, ws)
    contacts = db.exec(select(Contact).where(Contact.workspace_id == ws)
                       .order_by(col(Contact.last_name), col(Contact.first_name)).limit(CHOICES_MAX)).all()
    return {
        "triggers": [_trigger_option(tr) for tr in triggers.TRIGGERS.values()],
        "step_types": [{"type": k, "label": v[0], "help": v[1]} for k, v in stepspec.STEP_TYPES.items()],
        "wait_units": [{"id": k, "label": v[0]} for k, v in stepspec.WAIT_UNITS.items()],
        "wait_until_fields": {tr.kind: [{"id": f, "label": lab} for f, lab in tr.date_fields]
                              for tr in triggers.TRIGGERS.values()},
        "contacts": [{"id": c.public_id, "label": f"{c.display_name} ({c.email})" if c.email else c.display_name}
                     for c in contacts],
        "share_targets": t["share"], "invoice_templates": t["invoice"], "webhook_endpoints": t["webhook"],
        "staff": [{"id": "", "label": "All owners and admins"}, *t["staff"]],
    }


# --- validation ------------------------------------------------------------------------------

def _clean_conditions(raw: list[ConditionForm], trigger: triggers.Trigger) -> list[dict[str, Any]]:
    if len(raw) > limits.AUTOMATION_CONDITIONS:
        raise Invalid(f"A rule has at most {limits.AUTOMATION_CONDITIONS} conditions.", "conditions")
    by_field = {f.field: f for f in trigger.condition_fields}
    out = []
    for i, c in enumerate(raw):
        path, who = f"conditions.{i}.", f"Condition {i + 1}"
        spec = by_field.get(str(c.get("field", "")))
        if spec is None:
            offered = ", ".join(f.label for f in trigger.condition_fields)
            raise Invalid(f"{who}: choose what it checks ({offered}).", path + "field")
        ops = dict(cond.OPS[spec.op_kind])
        op = str(c.get("op", ""))
        if op not in ops:
            raise Invalid(f"{who}: choose how {spec.label.lower()} is compared ({', '.join(ops.values())}).",
                          path + "op")
        value = clean_text(c.get("value", ""), path + "value", f"{who}: the value", limits.AUTOMATION_CONDITION,
                           required=True)
        if spec.op_kind == "choice" and value not in dict(spec.choices):
            raise Invalid(f"{who}: choose one of {', '.join(dict(spec.choices).values())}.", path + "value")
        if spec.op_kind == "amount" and cond.parse_amount(value) is None:
            raise Invalid(f"{who}: the amount must be a number like 1000 or 1000.50.", path + "value")
        out.append({"field": spec.field, "op": op, "value": value, "label": spec.label})
    return out


def _target_ids(db: Session, workspace_id: int) -> dict[str, set[str]]:
    """The ids the editor lists (up to CHOICES_MAX each; one beyond is looked up by _exists)."""
    return {k: {o["id"] for o in v} for k, v in _targets(db, workspace_id).items()}


def clean_form(db: Session, workspace_id: int, form: RuleForm) -> dict[str, Any]:
    """A rule form → {name, trigger, trigger_days, conditions, steps} ready to store; Invalid otherwise."""
    if not isinstance(form, dict):
        raise Invalid("The rule could not be read.", "name")
    name = clean_text(form.get("name", ""), "name", "Name", limits.AUTOMATION_NAME, required=True)
    trigger = triggers.get(str(form.get("trigger", "")))
    if trigger is None:
        raise Invalid("Choose what starts the automation.", "trigger")
    days: int | None = None
    if trigger.has_days:
        raw = str(form.get("trigger_days", "") or "").strip() or "0"
        if not raw.isdigit() or int(raw) > 365:
            raise Invalid("Overdue by how many days? A whole number from 0 to 365.", "trigger_days")
        days = int(raw)
    conditions = _clean_conditions(list(form.get("conditions") or []), trigger)
    steps_raw = list(form.get("steps") or [])
    if not steps_raw:
        raise Invalid("Add at least one step.", "steps")
    if len(steps_raw) > limits.AUTOMATION_STEPS:
        raise Invalid(f"A rule has at most {limits.AUTOMATION_STEPS} steps.", "steps")
    targets = _target_ids(db, workspace_id)
    for s in steps_raw:  # a chosen target beyond the listed ones: still this workspace's?
        tid = str(s.get("target_id", "") or "")
        kind = {"share": "share", "draft_invoice": "invoice", "webhook": "webhook",
                "notify_staff": "staff"}.get(str(s.get("type", "")))
        if kind and tid and tid not in targets[kind] and _exists(db, workspace_id, kind, tid):
            targets[kind].add(tid)
    steps = [stepspec.clean(s, i, trigger, targets) for i, s in enumerate(steps_raw)]
    return {"name": name, "trigger": trigger.kind, "trigger_days": days, "conditions": conditions, "steps": steps}


def _exists(db: Session, workspace_id: int, kind: str, public_id: str) -> bool:
    model: Any = {"share": FileItem, "invoice": Invoice, "webhook": WebhookEndpoint, "staff": StaffUser}[kind]
    return db.exec(select(model.id).where(model.workspace_id == workspace_id,
                                          model.public_id == public_id[:PUBLIC_ID_MAX])).first() is not None


# --- rules -----------------------------------------------------------------------------------

def _rule(db: Session, workspace_id: int, rule_id: object) -> AutomationRule:
    row = db.exec(select(AutomationRule).where(AutomationRule.workspace_id == workspace_id,
                                               AutomationRule.public_id == str(rule_id)[:PUBLIC_ID_MAX],
                                               col(AutomationRule.deleted_at).is_(None))).first()
    if row is None:
        raise NotFound("This automation does not exist.")
    return row


def _version(db: Session, rule: AutomationRule) -> AutomationRuleVersion:
    return db.get_one(AutomationRuleVersion, rule.current_version_id)


def list_rules(db: Session, actor: Actor) -> list[RuleRow]:
    staff = require_manage_automations(actor)
    rules = db.exec(select(AutomationRule).where(AutomationRule.workspace_id == staff.workspace_id,
                                                 col(AutomationRule.deleted_at).is_(None))
                    .order_by(col(AutomationRule.name), col(AutomationRule.id)).limit(MAX_RULES)).all()
    ids = [r.id for r in rules]
    versions = {v.id: v for v in db.exec(select(AutomationRuleVersion).where(
        col(AutomationRuleVersion.id).in_([r.current_version_id for r in rules]))).all()} if rules else {}
    counts = dict(db.exec(select(AutomationRun.rule_id, sa.func.count()).where(col(AutomationRun.rule_id).in_(ids))
                          .group_by(col(AutomationRun.rule_id))).all()) if ids else {}
    last = dict(db.exec(select(AutomationRun.rule_id, sa.func.max(AutomationRun.created_at))
                        .where(col(AutomationRun.rule_id).in_(ids)).group_by(col(AutomationRun.rule_id))).all()) \
        if ids else {}
    rows: list[RuleRow] = []
    for r in rules:
        v = versions.get(r.current_version_id or -1)
        t = triggers.get(v.trigger) if v else None
        label = (t.label if t else (v.trigger if v else ""))
        if t and t.has_days and v and v.trigger_days is not None:
            label = label.replace("N days", f"{v.trigger_days} days")
        when = last.get(r.id)
        rows.append({"id": r.public_id, "name": r.name, "trigger_label": label, "enabled": r.enabled,
                     "version": v.number if v else 0, "steps": len(v.steps) if v else 0,
                     "runs": int(counts.get(r.id, 0)), "last_run": when_text(when) if when else "Never"})
    return rows


def to_form(rule: AutomationRule, v: AutomationRuleVersion) -> RuleForm:
    return {"name": rule.name, "trigger": v.trigger,
            "trigger_days": "" if v.trigger_days is None else str(v.trigger_days),
            "conditions": [{"field": c["field"], "op": c["op"], "value": c["value"]} for c in v.conditions],
            "steps": [stepspec.to_form(s) for s in v.steps]}


def get_rule(db: Session, actor: Actor, rule_id: str) -> RuleEditorView:
    staff = require_manage_automations(actor)
    rule = _rule(db, staff.workspace_id, rule_id)
    v = _version(db, rule)
    return {"id": rule.public_id, "form": to_form(rule, v), "enabled": rule.enabled, "version": v.number}


def save_rule(db: Session, actor: Actor, rule_id: str | None, form: RuleForm) -> str:
    """Create a rule (disabled until enabled) or save a new version of one; returns its id."""
    staff = require_manage_automations(actor)
    clean = clean_form(db, staff.workspace_id, form)
    now = utcnow()
    if rule_id:
        rule = _rule(db, staff.workspace_id, rule_id)
        number = _version(db, rule).number + 1
    else:
        count = db.exec(select(sa.func.count()).select_from(AutomationRule).where(
            AutomationRule.workspace_id == staff.workspace_id, col(AutomationRule.deleted_at).is_(None))).one()
        if count >= MAX_RULES:
            raise Invalid(f"A workspace has at most {MAX_RULES} automations.", "name")
        rule = AutomationRule(public_id=new_public_id("ar"), workspace_id=staff.workspace_id, name=clean["name"],
                              enabled=False, created_by_id=staff.user_id, created_at=now)
        number = 1
    rule.name, rule.updated_at = clean["name"], now
    db.add(rule)
    db.flush()
    version = AutomationRuleVersion(rule_id=rule.id, number=number, trigger=clean["trigger"],
                                    trigger_days=clean["trigger_days"], conditions=clean["conditions"],
                                    steps=clean["steps"], created_at=now, created_by_id=staff.user_id)
    db.add(version)
    db.flush()
    rule.current_version_id = version.id
    db.add(rule)
    audit.record(db, staff.workspace_id, staff, "automation.saved", "automation", rule.public_id,
                 {"version": number, "trigger": clean["trigger"]})
    return rule.public_id


def create_rule(db: Session, staff: Staff, form: RuleForm, *, enabled: bool) -> str:
    """For seeds and tests: save a new rule and set it enabled."""
    rid = save_rule(db, staff, None, form)
    set_enabled(db, staff, rid, enabled)
    return rid


def set_enabled(db: Session, actor: Actor, rule_id: str, enabled: bool) -> None:
    staff = require_manage_automations(actor)
    rule = _rule(db, staff.workspace_id, rule_id)
    rule.enabled, rule.updated_at = bool(enabled), utcnow()
    db.add(rule)
    audit.record(db, staff.workspace_id, staff, "automation." + ("enabled" if enabled else "disabled"),
                 "automation", rule.public_id, {})


def delete_rule(db: Session, actor: Actor, rule_id: str) -> None:
    """The rule goes from the list and starts nothing more; its runs, finished or not, are kept
    (unfinished ones are cancelled)."""
    from portal_app.services.automations.engine import cancel_unfinished

    staff = require_manage_automations(actor)
    rule = _rule(db, staff.workspace_id, rule_id)
    now = utcnow()
    rule.deleted_at, rule.enabled, rule.updated_at = now, False, now
    db.add(rule)
    cancel_unfinished(db, rule.id, now)
    audit.record(db, staff.workspace_id, staff, "automation.deleted", "automation", rule.public_id, {})


# preview_email and test_run: services/automations/dry_run.py (they write nothing)
from portal_app.services.automations.dry_run import preview_email, test_run  # noqa: E402,F401

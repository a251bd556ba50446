"""Preview and Test run: what a rule would do, written and sent nowhere.

`preview_email` renders one email step of an unsaved form, branded, for a chosen contact or
sample data. `test_run` walks an unsaved form for a chosen contact: conditions against what
is known of the contact (a condition on the trigger's object is assumed to hold: there is no
event), then each step's "Would …"; it writes nothing (it runs in a savepoint rolled back).
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from portal_app.access import Actor, require_manage_automations
from portal_app.errors import Invalid, NotFound
from portal_app.models import Contact, FileItem, Invoice, StaffUser, WebhookEndpoint, Workspace, utcnow
from portal_app.services.automations import conditions, stepspec, templates, triggers
from portal_app.services.automations.runs import when_text
from portal_app.services.automations.views import EmailPreview, RuleForm, StepOutcome


def _contact(db: Session, workspace_id: int, contact_id: str) -> Contact:
    c = db.exec(select(Contact).where(Contact.workspace_id == workspace_id,
                                      Contact.public_id == str(contact_id)[:40])).first()
    if c is None:
        raise NotFound("This contact does not exist.")
    return c


def _context(db: Session, ws: Workspace, kind: str, contact: Contact | None) -> tuple[dict[str, Any], dict[str, Any]]:
    vars_ = triggers.sample(kind)
    vars_["workspace"], vars_["portal_url"] = {"name": ws.name}, ws.base_url + "/"
    facts: dict[str, Any] = {}
    if contact is not None:
        part, facts = triggers._contact_part(db, ws, contact)
        vars_.update(part)
    return vars_, facts


def preview_email(db: Session, actor: Actor, form: RuleForm, step_index: int, contact_id: str) -> EmailPreview:
    from portal_app.services.automations.rules import clean_form
    from portal_app.services.automations.steps import email_content

    staff = require_manage_automations(actor)
    ws = db.get_one(Workspace, staff.workspace_id)
    clean = clean_form(db, ws.id, form)
    try:
        spec = clean["steps"][int(step_index)]
    except (IndexError, ValueError, TypeError):
        raise Invalid("Choose an email step to preview.", "steps") from None
    if spec["type"] not in ("email", "notify_staff"):
        raise Invalid(f"Step {int(step_index) + 1} sends no email.", f"steps.{step_index}.type")
    contact = _contact(db, ws.id, contact_id) if contact_id else None
    vars_, _ = _context(db, ws, clean["trigger"], contact)
    try:
        subject, html, text = email_content(db, ws, spec, vars_)
    except templates.TemplateProblem as exc:
        raise Invalid(f"Step {int(step_index) + 1}: {exc}", f"steps.{step_index}.body") from None
    return {"subject": subject, "html": html, "text": text}


def test_run(db: Session, actor: Actor, form: RuleForm, contact_id: str) -> list[StepOutcome]:
    from portal_app.services.automations.rules import clean_form

    staff = require_manage_automations(actor)
    ws = db.get_one(Workspace, staff.workspace_id)
    clean = clean_form(db, ws.id, form)
    if not contact_id:
        raise Invalid("Choose a contact for the test run.", "contact")
    contact = _contact(db, ws.id, contact_id)
    trigger = triggers.BY_KIND[clean["trigger"]]
    vars_, facts = _context(db, ws, trigger.kind, contact)
    checkable = [c for c in clean["conditions"] if c["field"].startswith("contact.")]
    ok, why = conditions.evaluate(checkable, facts)
    if not ok:
        return [{"position": i, "label": stepspec.label(s["type"]), "status": "skipped",
                 "detail": f"Skipped: conditions not met ({why})"} for i, s in enumerate(clean["steps"])]
    out: list[StepOutcome] = []
    at = utcnow()
    dates_labels = dict(trigger.date_fields)
    for i, s in enumerate(clean["steps"]):
        detail = _would(db, ws, s, contact, vars_, at, dates_labels)
        out.append({"position": i, "label": stepspec.label(s["type"]),
                    "status": "failed" if detail.startswith(WOULD_FAIL) else "ok", "detail": detail})
        if s["type"] == "wait":
            at = stepspec.wait_until(s, at, {})
    return out


WOULD_FAIL = "Would fail: "


def _would(db: Session, ws: Workspace, s: dict[str, Any], contact: Contact, vars_: dict[str, Any], at,
           dates_labels: dict[str, str]) -> str:
    t = s["type"]
    try:
        if t == "email":
            subject = templates.render_text(s["subject"], vars_)
            if not contact.email:
                return f"{WOULD_FAIL}{contact.display_name} has no email address."
            return f"Would email {contact.email} \u201c{subject}\u201d"
        if t == "notify_staff":
            subject = templates.render_text(s["subject"], vars_)
            who = "every owner and admin"
            if s.get("target_id"):
                u = db.exec(select(StaffUser).where(StaffUser.workspace_id == ws.id,
                                                    StaffUser.public_id == s["target_id"])).first()
                who = u.email if u else "a staff member who no longer exists"
            return f"Would email {who} \u201c{subject}\u201d"
    except templates.TemplateProblem as exc:
        return f"{WOULD_FAIL}{exc}"
    if t == "wait":
        text = stepspec.describe_wait(s, dates_labels)
        if s.get("until_field"):
            return f"Would {text[0].lower()}{text[1:]} (the date comes from the event)"
        return f"Would {text[0].lower()}{text[1:]} (until {when_text(stepspec.wait_until(s, at, {}))})"
    if t == "share":
        item = db.exec(select(FileItem).where(FileItem.workspace_id == ws.id, FileItem.public_id == s["target_id"])).first()
        if item is None:
            return f"{WOULD_FAIL}the folder or file to share no longer exists."
        return f"Would share \u201c{item.name}\u201d with {contact.display_name}"
    if t == "draft_invoice":
        inv = db.exec(select(Invoice).where(Invoice.workspace_id == ws.id, Invoice.public_id == s["target_id"])).first()
        if inv is None:
            return f"{WOULD_FAIL}the invoice to copy no longer exists."
        return f"Would create a draft invoice for {contact.display_name} with the lines of {inv.number}"
    if t == "add_tag":
        return f"Would tag {contact.display_name} \u201c{s['tag']}\u201d"
    ep = db.exec(select(WebhookEndpoint).where(WebhookEndpoint.workspace_id == ws.id,
                                               WebhookEndpoint.public_id == s["target_id"])).first()
    if ep is None:
        return f"{WOULD_FAIL}the webhook endpoint no longer exists."
    return f"Would POST the step to {ep.url} (signed)"

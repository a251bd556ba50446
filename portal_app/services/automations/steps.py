"""What each step does when its job runs (engine.run_step calls `execute`, in a savepoint of
the job's transaction): it returns what it did, in words, or raises engine.StepFailed with why.

- email: the contact gets a branded email (services/emails.py), through the "email" job (dev
  outbox in the embedded default, SMTP in production); subject and body rendered in the sandbox.
- wait: its job runs when the wait is over: nothing left to do.
- share: files.set_sharing adds the contact to the item's own sharing (no separate email).
- draft_invoice: a draft for the contact with the lines of the chosen invoice, due after the
  workspace's default terms.
- add_tag: a ContactTag (a tag the contact has already is fine).
- notify_staff: a branded email to the chosen staff member, or to every active owner and admin.
- webhook: a "webhook.deliver" job to the chosen endpoint (services/webhooks/delivery.py: signed
  per Standard Webhooks, SSRF guard, retries, the delivery log), body
  {"type": "automation.step", "timestamp": …, "data": {rule, rule_name, run, step, trigger,
  event, summary, contact: {id, name, email}}}; the webhook-id is stable per run and step.

Steps act as the rule's author (a Staff actor), or an active owner if the author is gone.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from markupsafe import Markup, escape
from sqlmodel import Session, col, select

from portal_app.access import Staff, roles_at_least
from portal_app.errors import ServiceError
from portal_app.models import (
    AutomationRule,
    AutomationRun,
    Contact,
    FileItem,
    FileShare,
    Invoice,
    InvoiceLine,
    StaffUser,
    WebhookEndpoint,
    Workspace,
)
from portal_app.models.automations import ContactTag
from portal_app.services import emails
from portal_app.services.automations import templates
from portal_app.services.automations.engine import StepFailed


def email_content(db: Session, ws: Workspace, spec: dict[str, Any], vars_: dict[str, Any]) -> tuple[str, str, str]:
    """(subject, html, text) of an email step for this context (TemplateProblem if it cannot be filled).
    A body is plain text: values are escaped by the sandbox (autoescape) and then, as text, the
    whole of it is escaped again for the HTML part -- what staff type themselves too, so a
    "<script>" in a template shows as text; blank lines make paragraphs, a line break a <br>."""
    subject = templates.render_text(spec["subject"], vars_).replace("\n", " ")[:300]
    body_text = templates.render_text(spec["body"], vars_)
    paragraphs = [Markup("<br>").join(escape(p.strip()).split("\n")) for p in body_text.split("\n\n") if p.strip()]
    texts = [p.strip() for p in body_text.split("\n\n") if p.strip()]
    html, text = emails.render_branded(
        db, ws, heading=subject, paragraphs=paragraphs, text_paragraphs=texts, button_label="Open your portal",
        button_url=str(vars_.get("portal_url") or ws.base_url + "/"),
        footer=f"Sent by {ws.name} through its client portal.")
    return subject, html, text


def acting_staff(db: Session, rule: AutomationRule) -> Staff:
    user = db.get(StaffUser, rule.created_by_id) if rule.created_by_id else None
    if user is None or user.disabled or user.workspace_id != rule.workspace_id:
        user = db.exec(select(StaffUser).where(StaffUser.workspace_id == rule.workspace_id,
                                               col(StaffUser.disabled).is_(False),
                                               col(StaffUser.role).in_(roles_at_least("admin")))
                       .order_by(col(StaffUser.id))).first()
    if user is None:
        raise StepFailed("No active owner or admin is left to act for this automation.")
    return Staff(workspace_id=user.workspace_id, user_id=user.id, role=user.role, email=user.email, name=user.name)


def _contact(db: Session, run: AutomationRun) -> Contact:
    contact = db.get(Contact, run.contact_id) if run.contact_id else None
    if contact is None or contact.workspace_id != run.workspace_id:
        raise StepFailed("The contact no longer exists.")
    return contact


def _vars(run: AutomationRun, contact: Contact) -> dict[str, Any]:
    """The run's context, with the contact's current name and email (they may have changed since)."""
    vars_ = dict(run.context.get("vars", {}))
    vars_["contact"] = {**vars_.get("contact", {}), "first_name": contact.first_name, "last_name": contact.last_name,
                        "name": contact.display_name, "email": contact.email, "company": contact.company}
    return vars_


def execute(db: Session, run: AutomationRun, spec: dict[str, Any], now: datetime, position: int = 0) -> str:
    kind = spec["type"]
    if kind == "wait":
        return "Waited."
    ws = db.get_one(Workspace, run.workspace_id)
    rule = db.get_one(AutomationRule, run.rule_id)
    if kind == "notify_staff":
        return _notify_staff(db, ws, run, spec)
    contact = _contact(db, run)
    try:
        if kind == "email":
            if not contact.email:
                raise StepFailed(f"{contact.display_name} has no email address.")
            subject, html, text = email_content(db, ws, spec, _vars(run, contact))
            emails.queue_email(db, ws, to=contact.email, subject=subject, html=html, text=text)
            return f"Emailed {contact.email} \u201c{subject}\u201d."
        if kind == "share":
            return _share(db, rule, contact, spec["target_id"])
        if kind == "draft_invoice":
            return _draft_invoice(db, rule, contact, spec["target_id"], now)
        if kind == "add_tag":
            return _add_tag(db, contact, spec["tag"])
        if kind == "webhook":
            return _webhook(db, rule, run, contact, spec["target_id"], now, position)
    except templates.TemplateProblem as exc:
        raise StepFailed(str(exc)) from None
    except ServiceError as exc:
        raise StepFailed(exc.message) from None
    raise StepFailed(f"Unknown step type {kind!r}.")


def _share(db: Session, rule: AutomationRule, contact: Contact, target: str) -> str:
    from portal_app.services.files.files import set_sharing

    item = db.exec(select(FileItem).where(FileItem.workspace_id == rule.workspace_id,
                                          FileItem.public_id == target)).first()
    if item is None:
        raise StepFailed("The folder or file to share no longer exists.")
    shared = db.exec(select(Contact.public_id).join(FileShare, col(FileShare.contact_id) == Contact.id)
                     .where(FileShare.item_id == item.id)).all()
    what = f'{"folder" if item.kind == "folder" else "file"} \u201c{item.name}\u201d'
    if contact.public_id in shared:
        return f"The {what} was already shared with {contact.display_name}."
    set_sharing(db, acting_staff(db, rule), item.public_id, inherit=False, all_clients=item.shared_with_all,
                contact_public_ids=[*shared, contact.public_id], notify=False)
    return f"Shared the {what} with {contact.display_name}."


def _draft_invoice(db: Session, rule: AutomationRule, contact: Contact, target: str, now: datetime) -> str:
    from portal_app.services.billing.invoices import create_invoice, payments_settings

    template = db.exec(select(Invoice).where(Invoice.workspace_id == rule.workspace_id,
                                             Invoice.public_id == target)).first()
    if template is None:
        raise StepFailed("The invoice to copy no longer exists.")
    lines = db.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == template.id)
                    .order_by(col(InvoiceLine.position))).all()
    raw = [{"description": ln.description, "quantity": ln.quantity, "unit_minor": ln.unit_minor,
            "tax_rate": ln.tax_rate} for ln in lines]
    terms_days = payments_settings(db, rule.workspace_id).default_terms_days
    issue = now.astimezone(UTC).date()
    inv = create_invoice(db, acting_staff(db, rule), contact_public_id=contact.public_id, lines=raw,
                         currency=template.currency, issue_date=issue, due_date=issue + timedelta(days=terms_days),
                         notes=template.notes, terms=template.terms)
    return f"Created draft invoice {inv.number} for {contact.display_name} (copied from {template.number})."


def _add_tag(db: Session, contact: Contact, tag: str) -> str:
    have = db.exec(select(ContactTag).where(ContactTag.contact_id == contact.id, ContactTag.tag == tag)).first()
    if have is not None:
        return f"{contact.display_name} already had the tag \u201c{tag}\u201d."
    db.add(ContactTag(contact_id=contact.id, workspace_id=contact.workspace_id, tag=tag))
    db.flush()
    return f"Tagged {contact.display_name} \u201c{tag}\u201d."


def _notify_staff(db: Session, ws: Workspace, run: AutomationRun, spec: dict[str, Any]) -> str:
    q = select(StaffUser).where(StaffUser.workspace_id == ws.id, col(StaffUser.disabled).is_(False))
    target = spec.get("target_id") or ""
    q = q.where(StaffUser.public_id == target) if target else q.where(col(StaffUser.role).in_(roles_at_least("admin")))
    people = db.exec(q.order_by(col(StaffUser.id))).all()
    if not people:
        raise StepFailed("The staff member to notify no longer exists or is disabled.")
    contact = db.get(Contact, run.contact_id) if run.contact_id else None
    vars_ = _vars(run, contact) if contact is not None else dict(run.context.get("vars", {}))
    try:
        subject = templates.render_text(spec["subject"], vars_)[:300]
        body = templates.render_text(spec["body"], vars_)
    except templates.TemplateProblem as exc:
        raise StepFailed(str(exc)) from None
    for person in people:
        emails.staff_notice_email(db, ws, to=person.email, subject=subject, text=body, link=f"{ws.base_url}/staff")
    return "Notified " + ", ".join(p.email for p in people) + "."


def _webhook(db: Session, rule: AutomationRule, run: AutomationRun, contact: Contact, target: str,
             now: datetime, position: int) -> str:
    from portal_app.services.webhooks import delivery

    endpoint = db.exec(select(WebhookEndpoint).where(WebhookEndpoint.workspace_id == rule.workspace_id,
                                                     WebhookEndpoint.public_id == target)).first()
    if endpoint is None:
        raise StepFailed("The webhook endpoint no longer exists.")
    if not endpoint.enabled:
        raise StepFailed(f"The webhook endpoint {endpoint.url} is disabled.")
    event_id = f"{run.public_id}.{position}"
    body = json.dumps({"type": "automation.step", "timestamp": now.astimezone(UTC).isoformat().replace("+00:00", "Z"),
                       "data": {"rule": rule.public_id, "rule_name": rule.name, "run": run.public_id,
                                "step": position, "trigger": run.event_kind, "event": run.event_key,
                                "summary": run.summary,
                                "contact": {"id": contact.public_id, "name": contact.display_name,
                                            "email": contact.email}}},
                      separators=(",", ":"), sort_keys=True)
    delivery.enqueue_delivery(db, endpoint, event_id=event_id, kind="automation.step", body=body,
                              message_id=delivery.message_id(endpoint, event_id))
    return f"Queued a signed POST to {endpoint.url} (its delivery log is in Settings › Webhooks)."

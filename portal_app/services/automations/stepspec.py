"""The kinds of step a rule may have: their labels and help, checking a step form at save time
into the dict a version stores, and when a wait ends (`wait_until`, pure, in UTC).

Stored step dicts hold public ids (a share target, a template invoice, an endpoint, a staff
member); the engine looks them up when the step runs, so a target deleted since fails that
step with a reason instead of failing the save of every rule naming it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from portal_app import limits
from portal_app.errors import Invalid
from portal_app.services.automations import templates
from portal_app.services.automations.triggers import Trigger
from portal_app.services.automations.views import StepForm

STEP_TYPES: dict[str, tuple[str, str]] = {
    "email": ("Send an email", "A branded email to the contact; subject and body may use placeholders."),
    "wait": ("Wait", "Wait some minutes, hours or days, or until a date of the trigger (± an offset)."),
    "share": ("Share a folder or file", "The contact sees it in their portal (no separate email)."),
    "draft_invoice": ("Create a draft invoice", "A draft for the contact with the lines of a chosen invoice; "
                                                "staff review and send it."),
    "add_tag": ("Add a tag to the contact", "Conditions of other rules can read it."),
    "notify_staff": ("Notify staff", "An email to a chosen staff member, or to every owner and admin."),
    "webhook": ("Call a webhook", "POST the run's step to one of Settings › Webhooks' endpoints, signed."),
}
WAIT_UNITS: dict[str, tuple[str, int]] = {"minutes": ("Minutes", 60), "hours": ("Hours", 3600),
                                          "days": ("Days", 86400)}
MAX_WAIT_SECONDS = 366 * 86400


def label(step_type: str) -> str:
    return STEP_TYPES.get(step_type, (step_type, ""))[0]


def blank(step_type: str) -> StepForm:
    form: StepForm = {"type": step_type, "subject": "", "body": "", "amount": "", "unit": "", "until_field": "",
                      "target_id": "", "tag": ""}
    if step_type == "wait":
        form["amount"], form["unit"] = "1", "days"
    return form


def to_form(step: dict[str, Any]) -> StepForm:
    form = blank(str(step.get("type", "")))
    for key in ("subject", "body", "amount", "unit", "until_field", "target_id", "tag"):
        if key in step:
            form[key] = str(step[key])
    return form


def _text(value: object, path: str, name: str, limit: int, *, required: bool, multiline: bool = False) -> str:
    from portal_app.services.validation import clean_text

    return clean_text(value, path, name, limit, required=required, multiline=multiline)


def clean(form: StepForm, index: int, trigger: Trigger, targets: dict[str, set[str]]) -> dict[str, Any]:
    """One step form → the stored dict; Invalid(field="steps.<i>.<field>") naming the step."""
    step_type = str(form.get("type", ""))
    if step_type not in STEP_TYPES:
        raise Invalid(f"Step {index + 1}: choose what the step does.", f"steps.{index}.type")
    who = f"Step {index + 1} ({label(step_type)})"
    path = f"steps.{index}."

    def field(name: str) -> str:
        return str(form.get(name, "") or "")

    def template(name: str, text: str) -> None:
        try:
            templates.check(text, trigger.schema())
        except templates.TemplateProblem as exc:
            raise Invalid(f"{who}: {exc}", path + name) from None

    def target(kind: str, what: str, *, optional: bool = False) -> str:
        tid = field("target_id").strip()
        if not tid and optional:
            return ""
        if tid not in targets.get(kind, set()):
            raise Invalid(f"{who}: choose {what}.", path + "target_id")
        return tid

    if step_type in ("email", "notify_staff"):
        subject = _text(field("subject"), path + "subject", f"{who}: the subject", limits.AUTOMATION_SUBJECT,
                        required=True)
        body = _text(field("body"), path + "body", f"{who}: the message", limits.AUTOMATION_BODY, required=True,
                     multiline=True)
        template("subject", subject)
        template("body", body)
        out: dict[str, Any] = {"type": step_type, "subject": subject, "body": body}
        if step_type == "notify_staff":
            out["target_id"] = target("staff", "a staff member, or everyone (owners and admins)", optional=True)
        return out
    if step_type == "wait":
        until = field("until_field").strip()
        unit = field("unit").strip() or "days"
        if unit not in WAIT_UNITS:
            raise Invalid(f"{who}: choose minutes, hours or days.", path + "unit")
        raw = field("amount").strip()
        dates = dict(trigger.date_fields)
        if until:
            if until not in dates:
                offered = ", ".join(dates.values()) or "none for this trigger"
                raise Invalid(f"{who}: this trigger has no such date. Dates you can wait until: {offered}.",
                              path + "until_field")
            raw = raw or "0"
        try:
            amount = int(raw)
        except ValueError:
            raise Invalid(f"{who}: the amount must be a whole number, like 2.", path + "amount") from None
        seconds = abs(amount) * WAIT_UNITS[unit][1]
        if (not until and amount < 1) or seconds > MAX_WAIT_SECONDS:
            raise Invalid(f"{who}: wait between 1 minute and 366 days"
                          + (" (an offset may be negative: before the date)." if until else "."), path + "amount")
        return {"type": "wait", "amount": str(amount), "unit": unit, "until_field": until}
    if step_type == "share":
        return {"type": "share", "target_id": target("share", "a folder or file to share")}
    if step_type == "draft_invoice":
        return {"type": "draft_invoice", "target_id": target("invoice", "the invoice whose lines the draft copies")}
    if step_type == "webhook":
        return {"type": "webhook", "target_id": target("webhook", "a webhook endpoint (Settings › Webhooks)")}
    tag = _text(field("tag"), path + "tag", f"{who}: the tag", limits.TAG, required=True)
    return {"type": "add_tag", "tag": tag}


def wait_until(step: dict[str, Any], start: datetime, dates: dict[str, str]) -> datetime:
    """When a wait step ends, in UTC: `start` + the amount, or the trigger's date ± the amount.
    A length of days is 24-hour days in UTC (a DST change in a local zone does not move it)."""
    start = start.astimezone(UTC)  # arithmetic on an aware local time would be wall-clock time
    unit_seconds = WAIT_UNITS[step.get("unit") or "days"][1]
    offset = timedelta(seconds=int(step.get("amount") or 0) * unit_seconds)
    until = step.get("until_field") or ""
    if until:
        raw = dates.get(until)
        if raw is None:
            return start  # the object had no such date (e.g. no expiry): nothing to wait for
        return max(start, datetime.fromisoformat(raw).astimezone(UTC) + offset)
    return start + offset


def describe_wait(step: dict[str, Any], dates_labels: dict[str, str]) -> str:
    amount, unit = int(step.get("amount") or 0), step.get("unit") or "days"
    noun = unit[:-1] if abs(amount) == 1 else unit
    if step.get("until_field"):
        what = dates_labels.get(step["until_field"], step["until_field"])
        if amount == 0:
            return f"Wait until the {what.lower()}"
        return f"Wait until {abs(amount)} {noun} {'after' if amount > 0 else 'before'} the {what.lower()}"
    return f"Wait {amount} {noun}"

"""The demo workspace's automation: "Onboarding sequence" (services/portal/demo.py seeds it).

When a contract is completed (the client signs the demo's "Website redesign contract" and it is
sealed: events.DocumentCompleted) → a welcome email now → the "Onboarding" folder is shared
with the client → wait 2 days → "How is it going?". The folder is created here, with two
files, shared with nobody until the step runs.
"""

from __future__ import annotations

from sqlmodel import Session

from portal_app.access import Staff
from portal_app.services.automations import rules
from portal_app.services.automations.views import RuleForm

WELCOME = """Thank you for signing "{{ document.title }}". We are glad to be working with you.

We have shared an Onboarding folder with you in your client portal: it has our kick-off checklist
and the questionnaire we go through together.

Talk soon,
{{ workspace.name }}"""

CHECK_IN = """It has been a couple of days since we started on "{{ document.title }}".

How is it going? If anything is unclear, reply to this email or leave us a note in your portal: {{ portal_url }}"""


def seed_automations(db: Session, staff: Staff) -> str:
    """The Onboarding folder and the enabled "Onboarding sequence" rule; returns the rule's id."""
    folder = _onboarding_folder(db, staff)
    form: RuleForm = {
        "name": "Onboarding sequence", "trigger": "document.completed", "trigger_days": "",
        "conditions": [{"field": "document.kind", "op": "is", "value": "contract"}],
        "steps": [
            {**rules.blank_step("email"), "subject": "Welcome aboard, {{ contact.first_name }}", "body": WELCOME},
            {**rules.blank_step("share"), "target_id": folder},
            {**rules.blank_step("wait"), "amount": "2", "unit": "days"},
            {**rules.blank_step("email"), "subject": "How is it going?", "body": CHECK_IN},
        ]}
    return rules.create_rule(db, staff, form, enabled=True)


def _onboarding_folder(db: Session, staff: Staff) -> str:
    from portal_app.services.portal.demo import _pdf, folder_with_files

    return folder_with_files(db, staff, "Onboarding", [
        ("Kick-off checklist.pdf", _pdf(["Kick-off checklist", "", "1. Book the kick-off call",
                                         "2. Share your brand assets", "3. Name your project contact"])),
        ("Onboarding questionnaire.txt", b"Who are your customers?\nWhat should the new website do for them?\n"
                                         b"Which websites do you like, and why?\n"),
    ]).public_id

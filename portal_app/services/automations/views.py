"""What the automation services hand the UI (the contract between the services and the UI; docs/architecture.md, "Automations").
Ids are public ids; form values are strings, as the inputs hold them."""

from __future__ import annotations

from typing import TypedDict


class ChoiceOption(TypedDict):
    id: str
    label: str


class ConditionFieldOption(TypedDict):
    field: str
    label: str
    ops: list[ChoiceOption]
    choices: list[ChoiceOption]  # empty: free text


class TriggerOption(TypedDict):
    kind: str
    label: str
    has_days: bool
    placeholders: list[str]
    condition_fields: list[ConditionFieldOption]


class StepTypeOption(TypedDict):
    type: str
    label: str
    help: str


class EditorOptions(TypedDict):
    triggers: list[TriggerOption]
    step_types: list[StepTypeOption]
    wait_units: list[ChoiceOption]
    wait_until_fields: dict[str, list[ChoiceOption]]  # by trigger kind
    contacts: list[ChoiceOption]
    share_targets: list[ChoiceOption]
    invoice_templates: list[ChoiceOption]
    webhook_endpoints: list[ChoiceOption]
    staff: list[ChoiceOption]  # "" = all owners and admins


class ConditionForm(TypedDict):
    field: str
    op: str
    value: str


class StepForm(TypedDict):
    type: str  # email | wait | share | draft_invoice | add_tag | notify_staff | webhook
    subject: str
    body: str
    amount: str
    unit: str
    until_field: str
    target_id: str
    tag: str


class RuleForm(TypedDict):
    name: str
    trigger: str
    trigger_days: str
    conditions: list[ConditionForm]
    steps: list[StepForm]


class RuleRow(TypedDict):
    id: str
    name: str
    trigger_label: str
    enabled: bool
    version: int
    steps: int
    runs: int
    last_run: str


class RuleEditorView(TypedDict):
    id: str
    form: RuleForm
    enabled: bool
    version: int


class EmailPreview(TypedDict):
    subject: str
    html: str
    text: str


class StepOutcome(TypedDict):
    position: int
    label: str
    status: str
    detail: str


class RunRow(TypedDict):
    id: str
    contact: str
    summary: str
    started: str
    status: str
    status_label: str
    version: int


class RunStepView(TypedDict):
    position: int
    label: str
    status: str
    status_label: str
    when: str
    detail: str
    attempts: int
    can_retry: bool


class RunView(TypedDict):
    id: str
    rule_id: str
    rule_name: str
    contact: str
    summary: str
    version: int
    status: str
    status_label: str
    started: str
    can_cancel: bool
    steps: list[RunStepView]

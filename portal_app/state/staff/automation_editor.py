"""The automation editor (/staff/automations/new, /staff/automations/<id>): a rule's name,
trigger, conditions and ordered steps as typed, Save (a new version), Preview of an email
step, Test run, Enable/Disable and Delete. Owners and admins: every call goes through
services/automations/rules.py, which asks access.require_manage_automations first.

The form lives here as typed (text), each condition and step with a key of its own so React
keeps an input's text with its row when rows are added, removed or moved. Nothing is checked
here but lengths: the service validates the whole form at Save, and its message is shown next
to the field it names (`steps.1.body`), with everything typed kept.
"""

from __future__ import annotations

from typing import TypedDict, cast

import reflex as rx

from portal_app import limits
from portal_app.errors import ServiceError
from portal_app.services.automations import rules as svc
from portal_app.services.automations.views import (
    ChoiceOption,
    EditorOptions,
    EmailPreview,
    RuleForm,
    StepForm,
    StepOutcome,
    TriggerOption,
)
from portal_app.state.base import BaseState
from portal_app.state.common import segments

ID_MAX = 40
STEP_KEYS = ("type", "subject", "body", "amount", "unit", "until_field", "target_id", "tag")
STEP_LIMITS = {"subject": limits.AUTOMATION_SUBJECT, "body": limits.AUTOMATION_BODY, "amount": limits.AMOUNT,
               "unit": 20, "until_field": 60, "target_id": ID_MAX, "tag": limits.TAG, "type": 40}
# the inputs each step type shows (pages/staff/automation_steps.py): a message about another
# field of a step is shown by the Save button
SHOWN_FIELDS = {"email": ("subject", "body"), "wait": ("amount", "unit", "until_field"), "share": ("target_id",),
                "draft_invoice": ("target_id",), "add_tag": ("tag",), "notify_staff": ("target_id", "body"),
                "webhook": ("target_id",)}
CONDITION_LIMITS = {"field": 60, "op": 40, "value": limits.AUTOMATION_CONDITION}


class EditorCondition(TypedDict):
    key: str
    field: str
    op: str
    value: str


class EditorStep(TypedDict):
    key: str
    type: str
    subject: str
    body: str
    amount: str
    unit: str
    until_field: str
    target_id: str
    tag: str


def _clip(value: object, limit: int) -> str:
    return str(value if value is not None else "")[:limit]


def _empty_options() -> EditorOptions:
    return cast(EditorOptions, {"triggers": [], "step_types": [], "wait_units": [], "wait_until_fields": {},
                                "contacts": [], "share_targets": [], "invoice_templates": [],
                                "webhook_endpoints": [], "staff": []})


class AutomationEditorState(BaseState):
    rule_id: str = ""                 # "" while the rule is new
    found: bool = True
    refusal: str = ""
    name: str = ""
    trigger: str = ""
    trigger_days: str = ""
    conditions: rx.Field[list[EditorCondition]] = rx.field(default_factory=list)
    steps: rx.Field[list[EditorStep]] = rx.field(default_factory=list)
    options: EditorOptions = _empty_options()
    enabled: bool = False
    version: int = 0
    saved_note: str = ""              # "Saved — version N"
    error_field: str = ""             # the field path the service named ("steps.1.body"), or "form"
    error: str = ""
    form_version: int = 0             # remounts the inputs when the form is replaced (load)
    new_step_type: str = "email"
    preview_step: int = -1            # the email step whose preview is open
    preview_contact: str = ""         # "" = sample data
    preview: EmailPreview = cast(EmailPreview, {"subject": "", "html": "", "text": ""})
    preview_error: str = ""
    test_contact: str = ""
    outcomes: rx.Field[list[StepOutcome]] = rx.field(default_factory=list)
    tested: bool = False
    test_error: str = ""
    last_added: str = ""              # the key of the row just added: its first input takes the focus
    # after a move, the moved step's button ("step-down-<key>" or "step-up-<key>") takes the focus:
    # remounted under a new React key (move_seq) with autoFocus, as React's reorder may blur it
    move_focus: str = ""
    move_seq: int = 0
    _next_key: int = 0

    # --- derived --------------------------------------------------------------------------

    @rx.var
    def trigger_option(self) -> TriggerOption:
        for t in self.options["triggers"]:
            if t["kind"] == self.trigger:
                return t
        return cast(TriggerOption, {"kind": "", "label": "", "has_days": False, "placeholders": [],
                                    "condition_fields": []})

    @rx.var
    def until_fields(self) -> list[ChoiceOption]:
        return list(self.options["wait_until_fields"].get(self.trigger, []))

    @rx.var
    def placeholders_text(self) -> str:
        return ", ".join("{{ " + p + " }}" for p in self.trigger_option["placeholders"])

    @rx.var
    def field_ops(self) -> dict[str, list[ChoiceOption]]:
        return {f["field"]: list(f["ops"]) for f in self.trigger_option["condition_fields"]}

    @rx.var
    def field_choices(self) -> dict[str, list[ChoiceOption]]:
        return {f["field"]: list(f["choices"]) for f in self.trigger_option["condition_fields"]}

    @rx.var
    def condition_fields(self) -> list[ChoiceOption]:
        return [{"id": f["field"], "label": f["label"]} for f in self.trigger_option["condition_fields"]]

    @rx.var
    def step_labels(self) -> dict[str, str]:
        return {t["type"]: t["label"] for t in self.options["step_types"]}

    @rx.var
    def step_help(self) -> dict[str, str]:
        return {t["type"]: t["help"] for t in self.options["step_types"]}

    @rx.var
    def error_elsewhere(self) -> str:
        """The service's message when no input on the page shows it (shown by Save)."""
        if not self.error or self.error_field == "steps":  # "steps": shown under the steps
            return ""
        parts = self.error_field.split(".")
        if parts[0] in ("name", "trigger", "trigger_days") and len(parts) == 1:
            return ""
        if parts[0] == "conditions" and len(parts) in (2, 3) and parts[1].isdigit() \
                and int(parts[1]) < len(self.conditions):
            return ""
        if parts[0] == "steps" and len(parts) >= 2 and parts[1].isdigit() and int(parts[1]) < len(self.steps):
            if len(parts) == 2 or parts[2] == "type":
                return ""
            if parts[2] in SHOWN_FIELDS.get(self.steps[int(parts[1])]["type"], ()):
                return ""
        return self.error

    @rx.var
    def is_new(self) -> bool:
        return self.rule_id == ""

    # --- helpers --------------------------------------------------------------------------

    def _path_rule(self) -> str:
        parts = segments(self.router.url.path)  # /staff/automations/<id>
        return parts[2][:ID_MAX + 1] if len(parts) == 3 and parts[2] != "new" else ""

    def _new_key(self) -> str:
        self._next_key += 1
        return f"k{self._next_key}"

    def _fill(self, form: RuleForm) -> None:
        """Show `form`. The same form as shown keeps the inputs as they are: remounting them
        would drop what a person typed while the page loaded (a debounced change not sent yet)."""
        if form == self._form():
            return
        self.name, self.trigger, self.trigger_days = form["name"], form["trigger"], form["trigger_days"]
        self.conditions = [cast(EditorCondition, {"key": self._new_key(), **c}) for c in form["conditions"]]
        self.steps = [cast(EditorStep, {"key": self._new_key(), **{k: s.get(k, "") for k in STEP_KEYS}})
                      for s in form["steps"]]
        self.form_version += 1
        self.last_added = self.move_focus = ""

    def _form(self) -> RuleForm:
        return {"name": self.name, "trigger": self.trigger, "trigger_days": self.trigger_days,
                "conditions": [{"field": c["field"], "op": c["op"], "value": c["value"]} for c in self.conditions],
                "steps": [cast(StepForm, {k: v for k, v in s.items() if k != "key"}) for s in self.steps]}

    def _clear_results(self) -> None:
        self.error = self.error_field = self.saved_note = ""

    def _failed(self, exc: ServiceError) -> None:
        """The service's message, next to the field it names (or above the form)."""
        self.error, self.error_field = exc.message, exc.field or "form"

    def _focus(self, element_id: str):
        """Focus an element with a static id (a row's inputs have dynamic ids, which have no
        ref: a new row's first input takes the focus itself, `last_added`)."""
        return rx.set_focus(element_id)

    # --- loading --------------------------------------------------------------------------

    @rx.event
    async def load(self):
        rule_id = self._path_rule()
        saved = self._query("saved") == "1"

        def work(db, ws, actor):
            self.options = svc.editor_options(db, actor)
            self.found, self.refusal, self.rule_id = True, "", rule_id
            self._clear_results()
            self.preview_step, self.preview_error, self.tested, self.outcomes, self.test_error = -1, "", False, [], ""
            self.preview_contact = self.test_contact = ""
            if rule_id:
                view = svc.get_rule(db, actor, rule_id)
                self._fill(view["form"])
                self.enabled, self.version = view["enabled"], view["version"]
                if saved:
                    self.saved_note = f"Saved — version {view['version']}"
            else:
                self._fill(svc.blank_form())
                self.enabled, self.version = False, 0

        def refused(exc: ServiceError):
            self.found, self.refusal = False, exc.message
            self.options, self.conditions, self.steps, self.outcomes = _empty_options(), [], [], []
            self.name = self.trigger = self.trigger_days = ""

        return await self._run(work, on_error=refused)

    # --- typing (no database) ------------------------------------------------------------

    @rx.event
    def set_name(self, value: str):
        self.name = _clip(value, limits.AUTOMATION_NAME)

    @rx.event
    def set_trigger(self, value: str):
        value = _clip(value, 60)
        if value != self.trigger:
            self.trigger = value
            # the fields a condition can test depend on the trigger
            self.conditions = [c for c in self.conditions if c["field"] in self.field_ops]

    @rx.event
    def set_trigger_days(self, value: str):
        self.trigger_days = _clip(value, limits.TERMS_DAYS)

    @rx.event
    def add_condition(self):
        if len(self.conditions) >= limits.AUTOMATION_CONDITIONS:
            return
        fields = self.trigger_option["condition_fields"]
        if not fields:  # no trigger chosen yet: nothing to test
            return
        first = fields[0]
        row: EditorCondition = {"key": self._new_key(), "field": first["field"],
                                "op": first["ops"][0]["id"] if first["ops"] else "",
                                "value": first["choices"][0]["id"] if first["choices"] else ""}
        self.conditions, self.last_added, self.move_focus = [*self.conditions, row], row["key"], ""

    @rx.event
    def remove_condition(self, key: str):
        self.conditions = [c for c in self.conditions if c["key"] != str(key)]
        return self._focus("add-condition")

    @rx.event
    def set_condition(self, key: str, name: str, value: str):
        if name not in CONDITION_LIMITS:
            return
        value = _clip(value, CONDITION_LIMITS[name])
        rows = []
        for c in self.conditions:
            if c["key"] == str(key):
                c = cast(EditorCondition, {**c, name: value})
                if name == "field":  # a new field: its first operator, its first choice
                    ops, choices = self.field_ops.get(value, []), self.field_choices.get(value, [])
                    c["op"] = ops[0]["id"] if ops else ""
                    c["value"] = choices[0]["id"] if choices else ""
            rows.append(c)
        self.conditions = rows

    @rx.event
    def set_new_step_type(self, value: str):
        self.new_step_type = _clip(value, 40)

    @rx.event
    def add_step(self):
        """A blank step of the chosen type (the service's blank_step: an unknown type is an email)."""
        if len(self.steps) >= limits.AUTOMATION_STEPS:
            self.error, self.error_field = f"A rule has at most {limits.AUTOMATION_STEPS} steps.", "steps"
            return
        blank = svc.blank_step(self.new_step_type)
        step = cast(EditorStep, {"key": self._new_key(), **{k: blank.get(k, "") for k in STEP_KEYS}})
        self.steps, self.last_added, self.move_focus = [*self.steps, step], step["key"], ""

    @rx.event
    def remove_step(self, key: str):
        self.steps = [s for s in self.steps if s["key"] != str(key)]
        self.preview_step, self.tested = -1, False
        return self._focus("new-step-type")

    @rx.event
    def move_step(self, key: str, delta: int):
        i = next((n for n, s in enumerate(self.steps) if s["key"] == str(key)), -1)
        j = i + (1 if int(delta) > 0 else -1)
        if i < 0 or not 0 <= j < len(self.steps):
            return
        steps = list(self.steps)
        steps[i], steps[j] = steps[j], steps[i]
        self.steps, self.preview_step = steps, -1
        # the same button while it still leads somewhere, else the other one
        down = j < len(steps) - 1 if int(delta) > 0 else j == 0
        self.move_focus, self.move_seq = f"step-{'down' if down else 'up'}-{key}", self.move_seq + 1

    @rx.event
    def set_step(self, key: str, name: str, value: str):
        if name not in STEP_LIMITS or name == "type":
            return
        value = _clip(value, STEP_LIMITS[name])
        self.steps = [cast(EditorStep, {**s, name: value}) if s["key"] == str(key) else s for s in self.steps]

    @rx.event
    def set_preview_contact(self, value: str):
        self.preview_contact = "" if value == "sample" else _clip(value, ID_MAX)

    @rx.event
    def set_test_contact(self, value: str):
        self.test_contact = _clip(value, ID_MAX)

    @rx.event
    def close_preview(self):
        self.preview_step, self.preview_error = -1, ""

    # --- the service ---------------------------------------------------------------------

    @rx.event
    async def save(self):
        form, rule_id = self._form(), self._path_rule()  # the address says which rule, never a var

        def work(db, ws, actor):
            self._clear_results()
            saved_id = svc.save_rule(db, actor, rule_id or None, form)
            if not rule_id:
                return rx.redirect(f"/staff/automations/{saved_id}?saved=1")
            self.version = svc.get_rule(db, actor, saved_id)["version"]
            self.saved_note = f"Saved — version {self.version}"
            return None

        return await self._run(work, on_error=self._failed)

    @rx.event
    async def show_preview(self, position: int):
        position = int(position)
        form, contact = self._form(), self.preview_contact

        def work(db, ws, actor):
            self.preview_step, self.preview_error = position, ""
            self.preview = svc.preview_email(db, actor, form, position, contact)

        def failed(exc: ServiceError):
            self.preview_step, self.preview_error = position, exc.message
            self.preview = cast(EmailPreview, {"subject": "", "html": "", "text": ""})

        return await self._run(work, on_error=failed)

    @rx.event
    async def test_run(self):
        form, contact = self._form(), self.test_contact

        def work(db, ws, actor):
            self.test_error = ""
            self.outcomes, self.tested = svc.test_run(db, actor, form, contact), True

        def failed(exc: ServiceError):
            self.outcomes, self.tested, self.test_error = [], False, exc.message

        return await self._run(work, on_error=failed)

    @rx.event
    async def set_enabled(self, enabled: bool):
        rule_id = self._path_rule()

        def work(db, ws, actor):
            svc.set_enabled(db, actor, rule_id, bool(enabled))
            self.enabled = bool(enabled)
            self._notify("Enabled: it starts a run at each matching event." if enabled
                         else "Disabled: it starts no more runs (runs under way go on).")

        return await self._run(work)

    @rx.event
    async def delete(self):
        rule_id = self._path_rule()

        def work(db, ws, actor):
            svc.delete_rule(db, actor, rule_id)
            return rx.redirect("/staff/automations")

        return await self._run(work)

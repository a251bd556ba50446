"""The automation editor: name, trigger (with its days), conditions, ordered steps, Save (a new
version), Test run on a contact, Enable/Disable, Delete, and a link to the run history."""

from __future__ import annotations

import reflex as rx

from portal_app import limits
from portal_app.components.confirm import confirmed
from portal_app.components.fields import alert_box
from portal_app.components.forms import SELECT_STYLE
from portal_app.components.layout import staff_shell
from portal_app.components.status import status_badge
from portal_app.pages.staff.automation_steps import (
    DEBOUNCE_MS,
    _labelled,
    condition_row,
    label,
    options,
    path_error,
    step_card,
)
from portal_app.state.staff.automation_editor import AutomationEditorState as S

SECTION = {"width": "100%"}


def _header() -> rx.Component:
    return rx.flex(
        rx.cond(
            S.is_new,
            rx.text("A new automation starts switched off: save it, try it with Test run, then switch it on.",
                    size="2", color_scheme="gray", high_contrast=True),
            rx.flex(
                rx.hstack(
                    rx.switch(id="rule-enabled", checked=S.enabled, on_change=S.set_enabled, high_contrast=True),
                    label(rx.cond(S.enabled, "Enabled: runs at each matching event", "Disabled: starts no runs"),
                          "rule-enabled"),
                    spacing="2", align="center",
                ),
                rx.text("Version ", S.version.to_string(), size="2", color_scheme="gray", high_contrast=True),
                spacing="4", align="center", wrap="wrap",
            ),
        ),
        rx.hstack(
            rx.cond(~S.is_new, rx.link("Run history", href="/staff/automations/" + S.rule_id + "/runs", size="2")),
            rx.link("All automations", href="/staff/automations", size="2"),
            spacing="4", wrap="wrap",
        ),
        spacing="3", justify="between", align="center", wrap="wrap", width="100%",
    )


def _basics() -> rx.Component:
    v = S.form_version.to_string()
    return rx.card(rx.vstack(
        rx.heading("When", as_="h2", size="4"),
        _labelled("Name", "rule-name", rx.input(
            id="rule-name", default_value=S.name, key="name-" + v, max_length=limits.AUTOMATION_NAME, size="3",
            width="100%", required=True, on_change=S.set_name.debounce(DEBOUNCE_MS), on_blur=S.set_name,
            aria_describedby="err-rule-name",
            aria_invalid=rx.cond(S.error_field == "name", "true", "false")), "name", max_width="560px"),
        rx.flex(
            _labelled("Trigger", "rule-trigger", rx.el.select(
                rx.el.option("Choose a trigger…", value="", disabled=True),
                rx.foreach(S.options["triggers"], lambda t: rx.el.option(t["label"], value=t["kind"])),
                id="rule-trigger", value=S.trigger, on_change=S.set_trigger, aria_describedby="err-rule-trigger",
                aria_invalid=rx.cond(S.error_field == "trigger", "true", "false"), style=SELECT_STYLE),
                "trigger", max_width="420px"),
            rx.cond(S.trigger_option["has_days"], _labelled("Days", "rule-days", rx.input(
                id="rule-days", default_value=S.trigger_days, key="days-" + v, max_length=limits.TERMS_DAYS,
                input_mode="numeric", size="3", width="100%", on_change=S.set_trigger_days.debounce(DEBOUNCE_MS),
                on_blur=S.set_trigger_days, aria_describedby="err-rule-days",
                aria_invalid=rx.cond(S.error_field == "trigger_days", "true", "false")),
                "trigger_days", max_width="140px")),
            spacing="3", wrap="wrap", width="100%", align="start",
        ),
        spacing="3", width="100%", align="start",
    ), style=SECTION)


def _conditions() -> rx.Component:
    return rx.card(rx.vstack(
        rx.heading("Only if", as_="h2", size="4"),
        rx.text("Every condition must hold for a run to start; with none, every event of the trigger starts one.",
                size="2", color_scheme="gray", high_contrast=True),
        rx.box(rx.foreach(S.conditions, condition_row), width="100%"),
        rx.button(rx.icon("plus", size=16, aria_hidden="true"), "Add condition", type="button", variant="soft",
                  high_contrast=True, id="add-condition", on_click=S.add_condition,
                  disabled=S.trigger == ""),
        spacing="3", width="100%", align="start",
    ), style=SECTION)


def _steps() -> rx.Component:
    return rx.vstack(
        rx.heading("Then, in order", as_="h2", size="4"),
        rx.cond(S.steps.length() == 0,
                rx.text("No steps yet: add the first one below.", size="2", color_scheme="gray", high_contrast=True)),
        rx.el.ol(rx.foreach(S.steps, step_card),
                 style={"margin": "0", "padding": "0", "width": "100%", "display": "flex", "flexDirection": "column",
                        "gap": "12px"}),
        path_error("steps"),
        rx.flex(
            rx.vstack(label("Add a step", "new-step-type"),
                      rx.el.select(rx.foreach(S.options["step_types"],
                                              lambda t: rx.el.option(t["label"], value=t["type"])),
                                   id="new-step-type", value=S.new_step_type, on_change=S.set_new_step_type,
                                   style=SELECT_STYLE),
                      spacing="1", min_width="0", max_width="320px", flex="1 1 200px"),
            rx.button(rx.icon("plus", size=16, aria_hidden="true"), "Add step", type="button", variant="soft",
                      high_contrast=True, size="3", on_click=S.add_step),
            spacing="3", align="end", wrap="wrap", width="100%",
        ),
        spacing="3", width="100%", align="start",
    )


def _save() -> rx.Component:
    return rx.vstack(
        rx.cond(S.error_elsewhere != "", alert_box(S.error_elsewhere)),
        rx.cond(S.error != "", rx.cond(S.error_elsewhere == "",
                                       rx.text("Not saved: see the message at the field above.", size="2",
                                               color_scheme="red", high_contrast=True))),
        rx.flex(
            rx.button(rx.icon("save", size=16, aria_hidden="true"), "Save", type="button", size="3",
                      on_click=S.save),
            rx.cond(S.saved_note != "", rx.text(S.saved_note, size="2", role="status", weight="medium",
                                                color_scheme="green", high_contrast=True)),
            rx.cond(~S.is_new, confirmed(
                rx.button("Delete", type="button", size="3", variant="soft", color_scheme="red", high_contrast=True,
                          aria_label="Delete this automation"),
                "Delete this automation?",
                "It starts no more runs and its runs under way are cancelled. Its run history is kept.",
                "Delete automation", S.delete)),
            spacing="3", align="center", wrap="wrap", width="100%",
        ),
        spacing="2", width="100%",
    )


def _outcome(o) -> rx.Component:
    return rx.el.li(
        rx.flex(
            rx.text("Step ", (o["position"] + 1).to_string(), ": ", o["label"], weight="medium", size="2"),
            status_badge("automation_test", o["status"]),
            spacing="2", align="center", wrap="wrap",
        ),
        rx.text(o["detail"], size="2", style={"overflowWrap": "anywhere"}),
        style={"padding": "8px 0", "borderBottom": "1px solid var(--gray-a4)", "listStyle": "none"},
    )


def _test_run() -> rx.Component:
    return rx.card(rx.vstack(
        rx.heading("Test run", as_="h2", size="4"),
        rx.text("Runs the form as it is now (saved or not) for one contact, step by step, without sending, "
                "sharing or writing anything.", size="2", color_scheme="gray", high_contrast=True),
        rx.flex(
            rx.vstack(label("Contact", "test-contact"),
                      rx.el.select(*options(S.options["contacts"], blank="Choose a contact…"), id="test-contact",
                                   value=S.test_contact, on_change=S.set_test_contact,
                                   style=SELECT_STYLE),
                      spacing="1", min_width="0", max_width="360px", flex="1 1 200px"),
            rx.button(rx.icon("flask-conical", size=16, aria_hidden="true"), "Test run", type="button", variant="soft",
                      high_contrast=True, size="3", on_click=S.test_run),
            spacing="3", align="end", wrap="wrap", width="100%",
        ),
        rx.cond(S.test_error != "", rx.text(S.test_error, size="2", color_scheme="red", high_contrast=True,
                                            role="alert")),
        rx.cond(S.tested, rx.box(
            rx.el.ol(rx.foreach(S.outcomes, _outcome), style={"margin": "0", "padding": "0"}),
            role="region", aria_label="Test run result", width="100%")),
        spacing="3", width="100%", align="start",
    ), style=SECTION)


def automation_editor_page() -> rx.Component:
    return staff_shell(
        rx.cond(
            ~S.found, alert_box(S.refusal),
            rx.vstack(
                rx.heading(rx.cond(S.is_new, "New automation", rx.cond(S.name != "", S.name, "Automation")),
                           as_="h1", size="7", style={"overflowWrap": "anywhere"}),
                _header(),
                _basics(),
                _conditions(),
                _steps(),
                _save(),
                _test_run(),
                spacing="4", width="100%", align="stretch",
            ),
        ),
        crumbs=["Automations"],
    )


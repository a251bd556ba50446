"""The automation editor's rows: a condition (field, operator, value) and a step with the
fields of its type, each input labelled, with its limit and the service's message next to it."""

from __future__ import annotations

import reflex as rx

from portal_app import limits
from portal_app.components.forms import LABEL_STYLE, SELECT_STYLE
from portal_app.state.staff.automation_editor import AutomationEditorState as S

DEBOUNCE_MS = 400


def path_error(path, error_id=None) -> rx.Component:
    """The service's message when it names this field (`steps.1.body`); the field's input points
    at it (aria-describedby "err-<input id>")."""
    return rx.cond(S.error_field == path,
                   rx.text(S.error, size="2", color_scheme="red", high_contrast=True, role="alert",
                           id=error_id, style={"overflowWrap": "anywhere"}))


def label(text, html_for) -> rx.Component:
    return rx.el.label(text, html_for=html_for, style=LABEL_STYLE)


def _labelled(text, input_id, control: rx.Component, path=None, hint=None, **props) -> rx.Component:
    children = [label(text, input_id), control]
    if path is not None:
        children.append(path_error(path, "err-" + input_id))
    if hint is not None:
        children.append(hint)
    return rx.vstack(*children, spacing="1", width="100%", min_width="0", align="start", **props)


def options(choices, *, blank: str | None = None) -> list:
    first = [rx.el.option(blank, value="")] if blank is not None else []
    return [*first, rx.foreach(choices, lambda c: rx.el.option(c["label"], value=c["id"]))]


def select(input_id, value, on_change, choices, *, blank: str | None = None, path=None, autofocus=False,
           **style) -> rx.Component:
    return rx.el.select(*options(choices, blank=blank), id=input_id, value=value, on_change=on_change,
                        auto_focus=autofocus, aria_describedby="err-" + input_id,
                        aria_invalid=rx.cond(S.error_field == path, "true", "false") if path is not None else None,
                        style={**SELECT_STYLE, **style})


# --- conditions ----------------------------------------------------------------------------

def condition_row(cond, index) -> rx.Component:
    key = cond["key"].to(str)
    path = "conditions." + index.to_string()
    number = (index + 1).to_string()
    field_id, op_id, value_id = "cond-field-" + key, "cond-op-" + key, "cond-value-" + key
    choices = S.field_choices[cond["field"].to(str)]
    value = rx.cond(
        choices.length() > 0,
        select(value_id, cond["value"], lambda v: S.set_condition(key, "value", v), choices, path=path + ".value"),
        rx.input(id=value_id, default_value=cond["value"], max_length=limits.AUTOMATION_CONDITION, size="3",
                 width="100%", on_change=lambda v: S.set_condition(key, "value", v).debounce(DEBOUNCE_MS),
                 on_blur=lambda v: S.set_condition(key, "value", v), aria_describedby="err-" + value_id,
                 aria_invalid=rx.cond(S.error_field == path + ".value", "true", "false")),
    )
    return rx.box(
        rx.grid(
            _labelled("Field", field_id, select(field_id, cond["field"], lambda v: S.set_condition(key, "field", v),
                                                S.condition_fields,
                                                path=path + ".field", autofocus=S.last_added == key),
                      path + ".field"),
            _labelled("Operator", op_id, select(op_id, cond["op"], lambda v: S.set_condition(key, "op", v),
                                                S.field_ops[cond["field"].to(str)], path=path + ".op"), path + ".op"),
            _labelled("Value", value_id, value, path + ".value"),
            rx.flex(
                rx.button(rx.icon("x", size=16, aria_hidden="true"), "Remove", type="button", variant="soft",
                          color_scheme="gray", high_contrast=True, size="2", on_click=S.remove_condition(key),
                          aria_label="Remove condition " + number),
                align="end", height="100%", padding_bottom="2px",
            ),
            columns=rx.breakpoints(initial="1fr", sm="1fr 1fr", md="minmax(0,1fr) minmax(0,1fr) minmax(0,1.4fr) auto"),
            spacing="3", width="100%", align_items="start",
        ),
        path_error(path),
        key=key, role="group", aria_label="Condition " + number, width="100%",
        padding_y="10px", border_bottom="1px solid var(--gray-a4)",
    )


# --- steps ---------------------------------------------------------------------------------

def _text_input(step, name: str, text: str, max_length: int, path, *, autofocus=False, hint=None,
                **props) -> rx.Component:
    key = step["key"].to(str)
    input_id = "step-" + name + "-" + key
    return _labelled(text, input_id, rx.input(
        id=input_id, default_value=step[name], max_length=max_length, size="3", width="100%",
        auto_focus=autofocus, aria_describedby="err-" + input_id,
        on_change=lambda v: S.set_step(key, name, v).debounce(DEBOUNCE_MS),
        on_blur=lambda v: S.set_step(key, name, v),
        aria_invalid=rx.cond(S.error_field == path + "." + name, "true", "false"), **props,
    ), path + "." + name, hint)


def _text_area(step, name: str, text: str, path, *, hint=None) -> rx.Component:
    key = step["key"].to(str)
    input_id = "step-" + name + "-" + key
    return _labelled(text, input_id, rx.text_area(
        id=input_id, default_value=step[name], max_length=limits.AUTOMATION_BODY, rows="7", width="100%",
        size="3", resize="vertical", aria_describedby="err-" + input_id,
        on_change=lambda v: S.set_step(key, name, v).debounce(DEBOUNCE_MS),
        on_blur=lambda v: S.set_step(key, name, v),
        aria_invalid=rx.cond(S.error_field == path + "." + name, "true", "false"),
    ), path + "." + name, hint)


def _select_field(step, name: str, text: str, choices, path, *, blank: str | None = None,
                  autofocus=False) -> rx.Component:
    key = step["key"].to(str)
    input_id = "step-" + name + "-" + key
    return _labelled(text, input_id, select(input_id, step[name], lambda v: S.set_step(key, name, v), choices,
                                            blank=blank, path=path + "." + name, autofocus=autofocus),
                     path + "." + name)


def _placeholders() -> rx.Component:
    return rx.text("Placeholders for this trigger: ",
                   rx.el.code(rx.cond(S.placeholders_text != "", S.placeholders_text, "choose a trigger first"),
                              style={"overflowWrap": "anywhere"}),
                   size="1", color_scheme="gray", high_contrast=True)


def _preview(step, index) -> rx.Component:
    key = step["key"].to(str)
    contact_id = "preview-contact-" + key
    return rx.vstack(
        rx.flex(
            rx.vstack(label("Preview for", contact_id),
                      rx.el.select(rx.el.option("Sample data", value="sample"),
                                   rx.foreach(S.options["contacts"], lambda c: rx.el.option(c["label"], value=c["id"])),
                                   id=contact_id, value=rx.cond(S.preview_contact == "", "sample", S.preview_contact),
                                   on_change=S.set_preview_contact, style=SELECT_STYLE),
                      spacing="1", min_width="0", flex="1 1 200px", max_width="360px"),
            rx.button(rx.icon("eye", size=16, aria_hidden="true"), "Preview", type="button", variant="soft",
                      high_contrast=True, size="3", on_click=S.show_preview(index),
                      aria_label="Preview the email of step " + (index + 1).to_string()),
            spacing="3", align="end", wrap="wrap", width="100%",
        ),
        rx.cond(
            S.preview_step == index,
            rx.vstack(
                rx.cond(
                    S.preview_error != "",
                    rx.text(S.preview_error, size="2", color_scheme="red", high_contrast=True, role="alert"),
                    rx.vstack(
                        rx.text(rx.el.strong("Subject: "), S.preview["subject"], size="2",
                                style={"overflowWrap": "anywhere"}),
                        # the branded email, in a sandboxed frame: no script, no access to this page
                        rx.el.iframe(src_doc=S.preview["html"], sandbox="", title="Email preview",
                                     style={"width": "100%", "height": "420px", "border": "1px solid var(--gray-a6)",
                                            "borderRadius": "6px", "background": "white"}),
                        spacing="2", width="100%",
                    ),
                ),
                rx.button("Close preview", type="button", size="1", variant="soft", color_scheme="gray",
                          high_contrast=True, on_click=S.close_preview),
                spacing="2", width="100%", align="start", role="region", aria_label="Email preview",
            ),
        ),
        spacing="2", width="100%", align="start",
    )


def _fields(step, index, path) -> rx.Component:
    first = S.last_added == step["key"]
    wait_hint = rx.text("Or wait until a date of the event (with the amount above as an offset, if any).",
                        size="1", color_scheme="gray", high_contrast=True)
    return rx.match(
        step["type"].to(str),
        ("email", rx.vstack(
            _text_input(step, "subject", "Subject", limits.AUTOMATION_SUBJECT, path, autofocus=first),
            _text_area(step, "body", "Body", path, hint=_placeholders()),
            _preview(step, index),
            spacing="3", width="100%")),
        ("wait", rx.vstack(
            rx.grid(
                _text_input(step, "amount", "Wait", limits.AMOUNT, path, autofocus=first, input_mode="numeric"),
                _select_field(step, "unit", "Unit", S.options["wait_units"], path),
                columns="minmax(0,1fr) minmax(0,1fr)", spacing="3", width="100%", max_width="420px"),
            _select_field(step, "until_field", "Until", S.until_fields, path, blank="— no date: just wait —"),
            wait_hint,
            spacing="2", width="100%")),
        ("share", _select_field(step, "target_id", "Folder or file to share", S.options["share_targets"], path,
                                blank="Choose…", autofocus=first)),
        ("draft_invoice", _select_field(step, "target_id", "Invoice to copy the lines of",
                                        S.options["invoice_templates"], path, blank="Choose…", autofocus=first)),
        ("add_tag", _text_input(step, "tag", "Tag", limits.TAG, path, autofocus=first, max_width="320px")),
        ("notify_staff", rx.vstack(
            _select_field(step, "target_id", "Notify", S.options["staff"], path, autofocus=first),
            _text_area(step, "body", "Message", path, hint=_placeholders()),
            spacing="3", width="100%")),
        ("webhook", _select_field(step, "target_id", "Webhook endpoint", S.options["webhook_endpoints"], path,
                                  blank="Choose…", autofocus=first)),
        rx.text("This kind of step cannot be edited here.", size="2"),
    )


def _moved(button_id) -> dict:
    """A move button's id, and after a move the focus on the moved step's button (a new React
    key remounts it, autoFocus focuses it)."""
    moved = S.move_focus == button_id
    return {"id": button_id, "auto_focus": moved,
            "key": rx.cond(moved, button_id + "-moved-" + S.move_seq.to_string(), button_id)}


def step_card(step, index) -> rx.Component:
    key = step["key"].to(str)
    number = (index + 1).to_string()
    path = "steps." + index.to_string()
    title = "Step " + number + ": " + S.step_labels[step["type"].to(str)]
    icon_button = {"type": "button", "size": "2", "variant": "soft", "color_scheme": "gray", "high_contrast": True}
    return rx.el.li(
        rx.card(
            rx.vstack(
                rx.flex(
                    rx.heading(title, as_="h3", size="3", id="step-title-" + key),
                    rx.hstack(
                        rx.icon_button(rx.icon("arrow-up", size=16, aria_hidden="true"), **icon_button,
                                       aria_label="Move step " + number + " up", disabled=index == 0,
                                       on_click=S.move_step(key, -1), **_moved("step-up-" + key)),
                        rx.icon_button(rx.icon("arrow-down", size=16, aria_hidden="true"), **icon_button,
                                       aria_label="Move step " + number + " down",
                                       disabled=index == S.steps.length() - 1,
                                       on_click=S.move_step(key, 1), **_moved("step-down-" + key)),
                        rx.icon_button(rx.icon("trash-2", size=16, aria_hidden="true"), **{**icon_button,
                                                                                          "color_scheme": "red"},
                                       aria_label="Remove step " + number, on_click=S.remove_step(key)),
                        spacing="2",
                    ),
                    justify="between", align="center", spacing="3", width="100%", wrap="wrap",
                ),
                rx.text(S.step_help[step["type"].to(str)], size="1", color_scheme="gray", high_contrast=True),
                _fields(step, index, path),
                path_error(path),
                path_error(path + ".type"),
                spacing="3", width="100%", align="start",
            ),
            width="100%",
        ),
        key=key, aria_labelledby="step-title-" + key, style={"listStyle": "none", "width": "100%"},
    )

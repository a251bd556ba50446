"""The line-items editor: description, quantity, unit price and tax rate per line, an
Add line button, and (where the page previews totals) each line's amount and message.

Used by the invoice editor and a new estimate; `state` is a State that mixes in
state/line_items.LineItemsMixin (its `lines`, `set_line`, `add_line`, `remove_line`).
Each input is named `<field>_<key>`, so a <form> around it submits every line.
"""

from __future__ import annotations

import reflex as rx

from portal_app import limits

LINE_LABEL_STYLE = {"fontWeight": "500", "fontSize": "13px"}


def _input(state, line, fld: str, label: str, **props) -> rx.Component:
    key = line["key"]
    input_id = "line-" + fld + "-" + key
    return rx.vstack(
        rx.el.label(label, html_for=input_id, style=LINE_LABEL_STYLE),
        rx.input(id=input_id, name=fld + "_" + key, default_value=line[fld],
                 on_change=lambda v: state.set_line(key, fld, v).debounce(400),
                 on_blur=lambda v: state.set_line(key, fld, v), width="100%", size="3",
                 aria_invalid=rx.cond(line["error"] != "", "true", "false"),
                 aria_describedby="line-error-" + key, **props),
        spacing="1", width="100%", min_width="0",
    )


def _amount(line) -> rx.Component:
    return rx.flex(
        rx.text("Amount", style=LINE_LABEL_STYLE),
        rx.text(rx.cond(line["amount"] != "", line["amount"], "—"), size="3",
                white_space="nowrap", weight="medium",
                style={"fontVariantNumeric": "tabular-nums", "lineHeight": "40px"}),
        direction=rx.breakpoints(initial="row", md="column"), spacing=rx.breakpoints(initial="2", md="1"),
        align=rx.breakpoints(initial="center", md="end"),
        grid_column=rx.breakpoints(initial="1 / 3", md="auto"),
    )


def _line(state, line, index, *, group_label: str, amounts: bool, required: bool) -> rx.Component:
    key = line["key"]
    number = (index + 1).to_string()
    return rx.box(
        rx.grid(
            rx.box(_input(state, line, "description", "Description", max_length=limits.LINE_DESCRIPTION, required=required),
                   grid_column=rx.breakpoints(initial="1 / -1", md="auto"), min_width="0"),
            _input(state, line, "quantity", "Qty", max_length=limits.AMOUNT, input_mode="decimal"),
            _input(state, line, "unit_price", "Unit price", max_length=limits.AMOUNT, input_mode="decimal", placeholder="0.00"),
            _input(state, line, "tax_rate", "Tax %", max_length=limits.TAX_RATE, input_mode="decimal"),
            *([_amount(line)] if amounts else []),
            rx.flex(
                rx.icon_button(rx.icon("trash-2", size=18, aria_hidden="true"), type="button", variant="ghost",
                               color_scheme="red", high_contrast=True, size="3",
                               aria_label="Remove line " + number,
                               disabled=state.lines.length() <= 1, on_click=state.remove_line(key)),
                justify="end", align="center", height="40px",
            ),
            columns=rx.breakpoints(initial="1fr 1fr 1fr", md="minmax(0, 1fr) 76px 120px 76px "
                                   + ("128px " if amounts else "") + "40px"),
            spacing="3", width="100%", align_items="end",
        ),
        rx.cond(line["error"] != "",
                rx.text(line["error"], id="line-error-" + key, size="2", color_scheme="red",
                        high_contrast=True, role="alert", padding_top="6px")),
        key=key,  # React keeps each line's typed inputs with its line, not its position
        padding_y="12px", border_bottom="1px solid var(--gray-a4)", width="100%",
        role="group", aria_label=group_label + " " + number,
    )


def line_items(state, *, group_label: str = "Line", amounts: bool = True, required: bool = True,
               error=None) -> rx.Component:
    """The lines (each a group named "<group_label> <n>"), `error` (a component: the
    message about the lines as a whole) and the Add line button. `amounts`: each line
    shows its amount; `required`: every line needs a description."""
    return rx.fragment(
        rx.box(rx.foreach(state.lines, lambda line, index: _line(state, line, index, group_label=group_label,
                                                                   amounts=amounts, required=required)),
               width="100%"),
        *([error] if error is not None else []),
        rx.button(rx.icon("plus", size=16, aria_hidden="true"), "Add line", type="button", variant="soft",
                  high_contrast=True, on_click=state.add_line),
    )

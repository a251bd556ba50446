"""Automations: the rules (trigger, steps, runs, last run, an Enable switch, Delete) and a
rule's run history with one run open (each step's status, Cancel run, Retry step)."""

from __future__ import annotations

import reflex as rx

from portal_app.components.confirm import confirmed
from portal_app.components.fields import VISUALLY_HIDDEN, alert_box, callout
from portal_app.components.layout import staff_shell
from portal_app.components.status import status_badge
from portal_app.components.tables import NAME_WIDTH, clipped, clipped_link
from portal_app.state.staff.automations import AutomationRunsState as R
from portal_app.state.staff.automations import AutomationsState as S

INTRO = ("An automation does the follow-up for you: when something happens (a client signs a contract, an "
         "invoice is paid, a file is uploaded) it runs its steps in order for that client: send an email, "
         "wait a few days, share a folder, add a tag, draft an invoice, tell the team, call a webhook.")


def _switch(row, prefix: str = "enabled-") -> rx.Component:
    switch_id = prefix + row["id"].to(str)
    return rx.hstack(
        rx.switch(id=switch_id, checked=row["enabled"], on_change=lambda v: S.set_enabled(row["id"], v),
                  high_contrast=True),
        rx.el.label(rx.cond(row["enabled"], "On", "Off"),
                    rx.el.span(" — enable " + row["name"].to(str), style=VISUALLY_HIDDEN),
                    html_for=switch_id, style={"fontSize": "14px", "minWidth": "2em"}),
        spacing="2", align="center",
    )


def _rule(row) -> rx.Component:
    href = "/staff/automations/" + row["id"].to(str)
    name = row["name"].to(str)
    return rx.table.row(
        rx.table.row_header_cell(clipped_link(row["name"], href=href, weight="medium")),
        rx.table.cell(clipped(row["trigger_label"])),
        rx.table.cell(row["steps"], text_align="right"),
        rx.table.cell(row["runs"], text_align="right"),
        rx.table.cell(row["last_run"], white_space="nowrap"),
        rx.table.cell(_switch(row)),
        rx.table.cell(rx.hstack(
            rx.link("Run history", href=href + "/runs", size="2", white_space="nowrap",
                    aria_label="Run history of " + name),
            confirmed(rx.button("Delete", size="1", variant="soft", high_contrast=True, color_scheme="red",
                                aria_label="Delete " + name),
                      "Delete this automation?",
                      "It starts no more runs and its runs under way are cancelled. Its run history is kept.",
                      "Delete automation", S.delete(row["id"])),
            spacing="3", wrap="wrap", align="center",
        )),
    )


def _rule_card(row) -> rx.Component:
    """A rule on a phone: the table's facts, one under the other."""
    href = "/staff/automations/" + row["id"].to(str)
    name = row["name"].to(str)
    return rx.el.li(rx.card(rx.vstack(
        rx.link(row["name"], href=href, weight="medium", size="3", style={"overflowWrap": "anywhere"}),
        rx.text(row["trigger_label"], size="2"),
        rx.text(row["steps"].to_string(), " steps · ", row["runs"].to_string(), " runs · last run ", row["last_run"],
                size="2", color_scheme="gray", high_contrast=True),
        rx.flex(
            _switch(row, "enabled-m-"),
            rx.link("Run history", href=href + "/runs", size="2", aria_label="Run history of " + name),
            confirmed(rx.button("Delete", size="1", variant="soft", high_contrast=True, color_scheme="red",
                                aria_label="Delete " + name),
                      "Delete this automation?",
                      "It starts no more runs and its runs under way are cancelled. Its run history is kept.",
                      "Delete automation", S.delete(row["id"])),
            spacing="4", align="center", wrap="wrap",
        ),
        spacing="2", align="start", width="100%",
    ), width="100%"), style={"listStyle": "none"})


def _rules() -> rx.Component:
    """The rules: a table from a tablet's width up, cards on a phone (no sideways scrolling)."""
    table = rx.box(rx.table.root(
        rx.table.header(rx.table.row(
            rx.table.column_header_cell("Name"), rx.table.column_header_cell("Trigger"),
            rx.table.column_header_cell("Steps", text_align="right"),
            rx.table.column_header_cell("Runs", text_align="right"),
            rx.table.column_header_cell("Last run"), rx.table.column_header_cell("Enabled"),
            rx.table.column_header_cell(rx.el.span("Actions")))),
        rx.table.body(rx.foreach(S.rows, _rule)), variant="surface", width="100%"),
        overflow_x="auto", width="100%", display=rx.breakpoints(initial="none", md="block"))
    cards = rx.el.ul(rx.foreach(S.rows, _rule_card), aria_label="Automations",
                     style={"margin": "0", "padding": "0", "display": "flex", "flexDirection": "column",
                            "gap": "12px", "width": "100%"},
                     display=rx.breakpoints(initial="flex", md="none"))
    return rx.fragment(table, cards)


def _empty() -> rx.Component:
    return callout(
        rx.vstack(
            rx.text("No automations yet.", weight="bold", size="2"),
            rx.text("For example: when a contract is completed, email a welcome, share the Onboarding folder, "
                    "wait 2 days, then ask how it is going. Each run is listed with what each step did.", size="2"),
            spacing="1", align="start",
        ),
        icon="workflow", color_scheme="gray", role="status", width="100%",
    )


def automations_page() -> rx.Component:
    return staff_shell(
        rx.cond(
            S.refusal != "", alert_box(S.refusal),
            rx.vstack(
                rx.flex(
                    rx.text(INTRO, size="2", color_scheme="gray", high_contrast=True, max_width="60ch"),
                    rx.button(rx.link(rx.icon("plus", size=16, aria_hidden="true"), "New automation", underline="none",
                                      href="/staff/automations/new"), as_child=True, flex_shrink="0"),
                    spacing="3", justify="between", align=rx.breakpoints(initial="start", sm="center"),
                    direction=rx.breakpoints(initial="column", sm="row"), width="100%",
                ),
                rx.cond(
                    S.rows.length() > 0,
                    _rules(),
                    rx.cond(S.loaded, _empty()),
                ),
                spacing="4", width="100%", align="stretch",
            ),
        ),
        title="Automations", crumbs=["Automations"],
    )


# --- run history ---------------------------------------------------------------------------

def _run_row(row) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(clipped(row["contact"], max_width=NAME_WIDTH)),
        rx.table.cell(clipped(row["summary"])),
        rx.table.cell(row["started"], white_space="nowrap"),
        rx.table.cell(status_badge("automation_run", row["status"])),
        rx.table.cell(row["version"], text_align="right"),
        rx.table.cell(rx.button("Open", size="1", variant="soft", high_contrast=True, on_click=R.open_run(row["id"]),
                                aria_label="Open the run of " + row["contact"].to(str) + ", " + row["started"].to(str))),
        background=rx.cond(R.run["id"] == row["id"], "var(--accent-a3)", "transparent"),
    )


def _run_card(row) -> rx.Component:
    """A run on a phone."""
    return rx.el.li(rx.card(rx.vstack(
        rx.flex(rx.text(row["contact"], weight="medium", size="2"), status_badge("automation_run", row["status"]),
                spacing="2", align="center", wrap="wrap"),
        rx.text(row["summary"], size="2", style={"overflowWrap": "anywhere"}),
        rx.text("Started ", row["started"], " · version ", row["version"].to_string(), size="2", color_scheme="gray",
                high_contrast=True),
        rx.button("Open", size="1", variant="soft", high_contrast=True, on_click=R.open_run(row["id"]),
                  aria_label="Open the run of " + row["contact"].to(str) + ", " + row["started"].to(str)),
        spacing="2", align="start", width="100%",
    ), width="100%", background=rx.cond(R.run["id"] == row["id"], "var(--accent-a3)", "var(--color-panel)")),
        style={"listStyle": "none"})


def _runs() -> rx.Component:
    table = rx.box(rx.table.root(
        rx.table.header(rx.table.row(
            rx.table.column_header_cell("Contact"), rx.table.column_header_cell("Triggered by"),
            rx.table.column_header_cell("Started"), rx.table.column_header_cell("Status"),
            rx.table.column_header_cell("Version", text_align="right"),
            rx.table.column_header_cell(rx.el.span("Actions")))),
        rx.table.body(rx.foreach(R.runs, _run_row)), variant="surface", width="100%"),
        overflow_x="auto", width="100%", display=rx.breakpoints(initial="none", md="block"))
    cards = rx.el.ul(rx.foreach(R.runs, _run_card), aria_label="Runs",
                     style={"margin": "0", "padding": "0", "display": "flex", "flexDirection": "column",
                            "gap": "12px", "width": "100%"},
                     display=rx.breakpoints(initial="flex", md="none"))
    return rx.fragment(table, cards)


def _step(step) -> rx.Component:
    return rx.el.li(
        rx.flex(
            rx.vstack(
                rx.text("Step ", (step["position"] + 1).to_string(), ": ", step["label"], weight="medium", size="2"),
                rx.cond(step["when"] != "", rx.text(step["when"], size="2")),
                rx.cond(step["detail"] != "", rx.text(step["detail"], size="2", color_scheme="gray",
                                                      high_contrast=True, style={"overflowWrap": "anywhere"})),
                rx.text("Attempts: ", step["attempts"].to_string(), size="1", color_scheme="gray", high_contrast=True),
                spacing="1", align="start", min_width="0", flex="1",
            ),
            rx.hstack(
                status_badge("automation_step", step["status"]),
                rx.cond(step["can_retry"],
                        rx.button("Retry step", size="1", variant="soft", high_contrast=True,
                                  on_click=R.retry_step(step["position"]),
                                  aria_label="Retry step " + (step["position"] + 1).to_string())),
                spacing="2", align="center", wrap="wrap",
            ),
            spacing="3", justify="between", align="start", wrap="wrap", width="100%",
        ),
        style={"padding": "12px 0", "borderBottom": "1px solid var(--gray-a4)", "listStyle": "none"},
    )


def _run_detail() -> rx.Component:
    run = R.run
    return rx.cond(
        run["id"] != "",
        rx.card(
            rx.vstack(
                rx.flex(
                    rx.heading("Run for ", run["contact"], as_="h2", size="4", id="run-detail", tab_index=-1),
                    status_badge("automation_run", run["status"]),
                    spacing="3", align="center", wrap="wrap",
                ),
                rx.text(run["summary"], " · started ", run["started"], " · version ", run["version"].to_string(),
                        size="2", color_scheme="gray", high_contrast=True),
                rx.el.ol(rx.foreach(run["steps"], _step), style={"margin": "0", "padding": "0", "width": "100%"},
                         aria_label="Steps of this run"),
                rx.hstack(
                    rx.cond(run["can_cancel"],
                            confirmed(rx.button("Cancel run", variant="soft", color_scheme="red", high_contrast=True),
                                      "Cancel this run?",
                                      "Its remaining steps will not run (for example: the client already replied). "
                                      "Steps already done stay done.",
                                      "Cancel run", R.cancel_run)),
                    rx.button("Close", variant="soft", color_scheme="gray", high_contrast=True, on_click=R.close_run),
                    spacing="3", wrap="wrap",
                ),
                spacing="3", align="start", width="100%",
            ),
            width="100%",
        ),
    )


def automation_runs_page() -> rx.Component:
    return staff_shell(
        rx.cond(
            R.refusal != "", alert_box(R.refusal),
            rx.vstack(
                rx.flex(
                    rx.text("Runs of ", rx.el.strong(R.rule_name), ", newest first.", size="2"),
                    rx.hstack(
                        rx.link("Edit the automation", href="/staff/automations/" + R.rule_id, size="2"),
                        rx.link("All automations", href="/staff/automations", size="2"),
                        spacing="4", wrap="wrap",
                    ),
                    spacing="2", justify="between", wrap="wrap", width="100%",
                ),
                _run_detail(),
                rx.cond(
                    R.runs.length() > 0,
                    _runs(),
                    rx.cond(R.loaded, callout("No runs yet: a run starts when the trigger happens while the "
                                              "automation is on.", color_scheme="gray", role="status")),
                ),
                spacing="4", width="100%", align="stretch",
            ),
        ),
        title="Run history", crumbs=["Automations", "Run history"],
    )

"""Settings › Jobs: dead jobs (every attempt failed) with Retry."""

from __future__ import annotations

import reflex as rx

from portal_app.components.fields import alert_box, callout
from portal_app.components.layout import staff_shell
from portal_app.components.tables import clipped
from portal_app.state.staff.jobs import JobsState as S


def _row(row: dict) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(row["kind"]),
        rx.table.cell(clipped(row["error"])),
        rx.table.cell(row["attempts"]),
        rx.table.cell(row["at"], white_space="nowrap"),
        rx.table.cell(_retry(row)),
    )


def _retry(row: dict) -> rx.Component:
    return rx.button("Retry", size="1", variant="soft", on_click=S.retry(row["id"]),
                     aria_label="Retry job " + row["id"])


def _card(row: dict) -> rx.Component:
    """A phone's view of one dead job: the table's columns would put Retry off the screen."""
    return rx.card(
        rx.vstack(
            rx.hstack(rx.text(row["kind"], weight="bold"), rx.spacer(), _retry(row), width="100%", align="center"),
            rx.text(row["error"], size="2", style={"overflowWrap": "anywhere"}),
            rx.text("Failed at ", row["at"], " after ", row["attempts"], " attempts", size="1", color_scheme="gray",
                    high_contrast=True),
            spacing="2", align="stretch",
        ),
        width="100%",
    )


def jobs_page() -> rx.Component:
    return staff_shell(
        rx.cond(
            S.refusal != "", alert_box(S.refusal),
            rx.vstack(
                rx.text("Work the portal does in the background (emails, sealing completed documents) is "
                        "retried when it fails. A job whose every attempt failed stops here: fix the cause "
                        "(the mail server, the sealing certificate), then Retry.", size="2",
                        color_scheme="gray", high_contrast=True),
                rx.cond(
                    S.total > 0,
                    rx.box(
                        rx.table.root(
                            rx.table.header(rx.table.row(
                                rx.table.column_header_cell("Job"), rx.table.column_header_cell("Last error"),
                                rx.table.column_header_cell("Attempts"), rx.table.column_header_cell("Failed at"),
                                rx.table.column_header_cell(rx.el.span("Actions")),
                            )),
                            rx.table.body(rx.foreach(S.rows, _row)),
                            variant="surface", width="100%",
                            display=rx.breakpoints(initial="none", sm="table"),
                        ),
                        rx.vstack(rx.foreach(S.rows, _card), spacing="2", width="100%",
                                  display=rx.breakpoints(initial="flex", sm="none")),
                        rx.cond(S.total > S.rows.length(),
                                rx.text("The newest ", S.rows.length(), " of ", S.total, " are shown.", size="2")),
                        overflow_x="auto", width="100%",
                    ),
                    callout("No failed jobs.", color_scheme="gray", role="status"),
                ),
                spacing="4", width="100%",
            ),
        ),
        title="Jobs", crumbs=["Settings", "Jobs"],
    )

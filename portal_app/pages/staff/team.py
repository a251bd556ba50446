"""Settings › Team: who works in this workspace, and joining it by invitation."""

from __future__ import annotations

import reflex as rx

from portal_app import limits
from portal_app.components.fields import alert_box, field
from portal_app.components.layout import brand_vars, staff_shell
from portal_app.components.link_forms import choose_password_form, dead_link, link_page
from portal_app.components.status import status_badge
from portal_app.components.tables import NAME_WIDTH, clipped
from portal_app.services.accounts.notifications import CHAT_EMAIL_CHOICES, CHAT_EMAIL_HELP
from portal_app.state.base import BaseState
from portal_app.state.staff.team import JoinState, TeamState

ROLE_HELP = "Owners manage everything and the team's roles; admins also brand the portal; members work with contacts."


def _role_cell(row: dict) -> rx.Component:
    editable = TeamState.is_owner & (row["is_me"] == "") & (row["status"] != "invited")
    return rx.cond(
        editable,
        rx.select(["owner", "admin", "member"], value=row["role"], size="1",
                  on_change=lambda role: TeamState.change_role(row["public_id"], role),
                  aria_label="Role of " + row["name"]),
        rx.text(row["role"]),
    )


def _actions(row: dict) -> rx.Component:
    return rx.cond(
        TeamState.can_manage & (row["is_me"] == ""),
        rx.match(
            row["status"],
            ("invited", rx.button("Withdraw", size="1", variant="soft", color_scheme="red", high_contrast=True,
                                  on_click=TeamState.revoke_invite(row["public_id"]),
                                  aria_label="Withdraw the invitation of " + row["name"])),
            ("active", rx.button("Disable", size="1", variant="soft", color_scheme="red", high_contrast=True,
                                 on_click=TeamState.disable(row["public_id"]),
                                 aria_label="Disable " + row["name"])),
            ("disabled", rx.button("Enable", size="1", variant="soft", high_contrast=True,
                                   on_click=TeamState.enable(row["public_id"]),
                                   aria_label="Enable " + row["name"])),
            rx.fragment(),
        ),
        rx.cond(row["is_me"] != "", rx.text("You", size="1", color_scheme="gray", high_contrast=True)),
    )


def _row(row: dict) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(clipped(row["name"], max_width=NAME_WIDTH)),
        rx.table.cell(clipped(row["email"]), display=["none", "table-cell"]),
        rx.table.cell(_role_cell(row)),
        rx.table.cell(status_badge("staff", row["status"])),
        rx.table.cell(_actions(row)),
    )


def _invite_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.trigger(rx.button(rx.icon("user-plus", size=16, aria_hidden="true"), "Invite a colleague")),
        rx.dialog.content(
            rx.dialog.title("Invite a colleague"),
            rx.dialog.description("They get an email with a link to choose their password.", size="2"),
            rx.form(
                rx.vstack(
                    alert_box(TeamState.invite_error),
                    field("Name", "name", required=True, max_length=limits.STAFF_NAME),
                    field("Email", "email", type_="email", required=True, max_length=limits.EMAIL),
                    rx.vstack(
                        rx.el.label("Role", html_for="invite-role", style={"fontWeight": "500", "fontSize": "14px"}),
                        rx.el.select(
                            rx.el.option("Member", value="member"),
                            rx.el.option("Admin", value="admin"),
                            rx.cond(TeamState.is_owner, rx.el.option("Owner", value="owner")),
                            id="invite-role", name="role", default_value="member",
                            style={"padding": "6px", "borderRadius": "6px", "border": "1px solid var(--gray-a7)"},
                        ),
                        rx.text(ROLE_HELP, size="1", color_scheme="gray", high_contrast=True),
                        spacing="1", width="100%",
                    ),
                    rx.hstack(
                        rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", high_contrast=True,
                                                  type="button")),
                        rx.button("Send invitation", type="submit"),
                        justify="end", width="100%", spacing="3"),
                    spacing="3", width="100%",
                ),
                on_submit=TeamState.invite,
            ),
            # a dialog renders outside the page shell: give it the brand accent (contrast)
            style=brand_vars(),
            max_width="480px",
        ),
        open=TeamState.invite_open,
        on_open_change=TeamState.set_invite_open,
    )


def _notifications() -> rx.Component:
    """The signed-in member's own notification settings (each member sets only their own)."""
    return rx.card(
        rx.vstack(
            rx.heading("Your notifications", as_="h2", size="4"),
            rx.el.label("Chat emails", html_for="chat-email", style={"fontWeight": "500", "fontSize": "14px"}),
            rx.select.root(
                rx.select.trigger(id="chat-email", aria_label="Chat emails", aria_describedby="chat-email-help",
                                  min_width="260px", max_width="100%"),
                rx.select.content(*[rx.select.item(label, value=key) for key, label in CHAT_EMAIL_CHOICES.items()]),
                value=TeamState.chat_email, on_change=TeamState.choose_chat_email,
            ),
            rx.text(CHAT_EMAIL_HELP, id="chat-email-help", size="1", color_scheme="gray", high_contrast=True),
            alert_box(TeamState.chat_email_error),
            rx.text(TeamState.chat_email_saved, size="2", role="status", color_scheme="green", high_contrast=True),
            spacing="2", align="start", width="100%",
        ),
        width="100%", max_width="560px",
    )


def _sign_in_security() -> rx.Component:
    """The workspace's sign-in rule for staff (owners change it) and each member's own setup."""
    return rx.card(
        rx.vstack(
            rx.heading("Sign-in security", as_="h2", size="4"),
            rx.cond(
                TeamState.can_require_two_factor,
                rx.el.label(
                    rx.hstack(
                        rx.switch(checked=TeamState.require_two_factor, on_change=TeamState.choose_staff_two_factor,
                                  aria_describedby="require-2fa-help", id="require-2fa"),
                        rx.text("Require two-factor sign-in for staff", size="2", weight="medium"),
                        spacing="2", align="center",
                    ),
                    html_for="require-2fa",
                ),
                rx.text("Two-factor sign-in for staff: ",
                        rx.text.strong(rx.cond(TeamState.require_two_factor, "required", "each member's choice")),
                        size="2"),
            ),
            rx.text("When it is required, a staff member without two-factor sign-in is sent to set it up right "
                    "after signing in, and can open nothing else until it is done. Only owners change this.",
                    id="require-2fa-help", size="1", color_scheme="gray", high_contrast=True),
            alert_box(TeamState.two_factor_error),
            rx.text(TeamState.two_factor_saved, size="2", role="status", color_scheme="green", high_contrast=True),
            rx.link("Your own two-factor sign-in", href="/staff/security/two-factor", size="2"),
            spacing="2", align="start", width="100%",
        ),
        width="100%", max_width="560px",
    )


def team_page() -> rx.Component:
    return staff_shell(
        rx.hstack(rx.text(ROLE_HELP, size="2", color_scheme="gray", high_contrast=True), rx.spacer(),
                  rx.cond(TeamState.can_manage, _invite_dialog()), width="100%", wrap="wrap", spacing="3"),
        rx.box(
            rx.table.root(
                rx.table.header(rx.table.row(
                    rx.table.column_header_cell("Name"), rx.table.column_header_cell("Email", display=["none", "table-cell"]),
                    rx.table.column_header_cell("Role"), rx.table.column_header_cell("Status"),
                    rx.table.column_header_cell(rx.el.span("Actions")),
                )),
                rx.table.body(rx.foreach(TeamState.rows, _row)),
                variant="surface", width="100%",
            ),
            overflow_x="auto", width="100%",
        ),
        _notifications(),
        _sign_in_security(),
        title="Team",
        crumbs=["Settings", "Team"],
    )


def join_page() -> rx.Component:
    s = JoinState
    return link_page(
        s.status,
        rx.vstack(
            rx.heading("Join ", BaseState.business_name, as_="h1", size="6"),
            rx.text("Welcome, ", s.invitee_name, ". Choose a password for ",
                    rx.text.strong(s.invitee_email), ".", size="2"),
            alert_box(s.error),
            choose_password_form("/api/staff/join", s.token, "Join the team", username=s.invitee_email),
            spacing="4", width="100%", align="stretch",
        ),
        dead_link(s.message, "Staff sign-in", "/staff/login"),
    )

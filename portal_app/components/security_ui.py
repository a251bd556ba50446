"""The Security page's parts, shared by the client (/security) and staff (/staff/security)
pages: the open sessions, a new password, and the way to two-factor authentication."""

from __future__ import annotations

import reflex as rx

from portal_app import limits
from portal_app.components.fields import alert_box, field
from portal_app.state.security import SecurityState as S


def _session(row) -> rx.Component:
    return rx.el.li(
        rx.hstack(
            rx.icon(rx.cond(row["phone"], "smartphone", "monitor"), size=22, aria_hidden="true", flex_shrink="0"),
            rx.vstack(
                rx.hstack(
                    rx.text(row["device"], weight="bold", size="3"),
                    rx.cond(row["current"], rx.badge("This device", color_scheme="green", high_contrast=True)),
                    spacing="2", align="center", wrap="wrap",
                ),
                rx.text("IP address ", row["ip"], size="2", color_scheme="gray", high_contrast=True),
                rx.text(rx.el.time(row["last_active"], date_time=row["last_active_at"]), " · ", row["signed_in"],
                        size="2", color_scheme="gray", high_contrast=True),
                spacing="1", align="start", min_width="0", flex="1",
            ),
            rx.cond(
                row["current"],
                rx.fragment(),
                rx.button("Sign out", size="2", variant="soft", color_scheme="red", high_contrast=True,
                          on_click=S.end_session(row["id"]),
                          aria_label="Sign out " + row["device"] + ", " + row["last_active"]),
            ),
            spacing="3", align="start", width="100%",
        ),
        style={"listStyle": "none", "padding": "12px 0", "borderTop": "1px solid var(--gray-a5)"},
    )


def sessions_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Where you are signed in", as_="h2", size="4", id="sessions-heading"),
            rx.text("These devices are signed in to your account now. If you do not recognise one, sign it out "
                    "and change your password.", size="2"),
            alert_box(S.sessions_error),
            rx.cond(S.sessions_notice != "", rx.callout(S.sessions_notice, color_scheme="green", high_contrast=True,
                                                        role="status", width="100%")),
            rx.el.ul(rx.foreach(S.sessions, _session), aria_labelledby="sessions-heading",
                     style={"margin": "0", "padding": "0", "width": "100%"}),
            rx.cond(S.total > S.sessions.length(),
                    rx.text("And ", S.total - S.sessions.length(), " more, used less recently.", size="2")),
            rx.button("Sign out everywhere else", on_click=S.end_others, variant="outline", color_scheme="red",
                      high_contrast=True, size="3", disabled=S.total <= 1),
            spacing="3", width="100%", align="start",
        ),
        id="sessions",
    )


def password_card() -> rx.Component:
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading("Change your password", as_="h2", size="4"),
                alert_box(S.pw_error),
                rx.cond(S.pw_notice != "", rx.callout(S.pw_notice, color_scheme="green", high_contrast=True,
                                                      role="status", width="100%")),
                field("Current password", "current_password", type_="password", required=True,
                      max_length=limits.PASSWORD, autocomplete="current-password"),
                field("New password", "password", type_="password", required=True, max_length=limits.PASSWORD,
                      autocomplete="new-password", hint="At least 10 characters."),
                field("Confirm new password", "confirm", type_="password", required=True, max_length=limits.PASSWORD,
                      autocomplete="new-password"),
                rx.text("Your other sessions are signed out when the password changes.", size="2"),
                rx.button("Change password", type="submit", size="3"),
                spacing="3", width="100%", align="start", max_width="420px",
            ),
            on_submit=S.change_password,
            reset_on_submit=True,
        ),
        id="password",
    )


def two_factor_card(href: str) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Two-factor sign-in", as_="h2", size="4"),
            rx.text("Ask for a code from an app on your phone as well as your password when you sign in.", size="2"),
            rx.link("Set up or manage two-factor sign-in", href=href, size="3", weight="medium"),
            spacing="2", align="start",
        ),
        id="two-factor",
    )


def security_content(two_factor_href: str) -> list[rx.Component]:
    return [
        rx.cond(S.loaded, sessions_card(), rx.center(rx.spinner(), role="status", aria_label="Loading sessions")),
        password_card(),
        two_factor_card(two_factor_href),
    ]

"""Sign-in (client and staff), first-run setup, invitation and email-confirmation pages."""

from __future__ import annotations

import reflex as rx

from portal_app import limits
from portal_app.components.fields import alert_box, callout, field
from portal_app.components.layout import centered_card
from portal_app.components.link_forms import choose_password_form, dead_link, link_page
from portal_app.components.native_form import hidden, native_form
from portal_app.state.auth import (
    ConfirmEmailState,
    ForgotPasswordState,
    InviteState,
    LoginState,
    ResetPasswordState,
    SetupState,
    SignInLinkState,
)
from portal_app.state.base import BaseState


def _login(title: str, action: str, intro: str, forgot_href: str, *, client: bool = False) -> rx.Component:
    """Staff: email and password. Clients: the same form, plus "Email me a sign-in link" (the
    same email field, posted to the link route), or only that where the workspace has clients
    sign in by link only."""
    password_form = native_form(
        rx.vstack(
            field("Email", "email", type_="email", required=True, autocomplete="username",
                  max_length=limits.EMAIL),
            field("Password", "password", type_="password", required=True,
                  autocomplete="current-password", max_length=limits.PASSWORD),
            hidden("next", LoginState.next_path),
            rx.button("Sign in", type="submit", size="3", width="100%"),
            *([_or_divider(),
               rx.button("Email me a sign-in link", type="submit", size="3", width="100%", variant="outline",
                         form_action="/api/auth/client/link", form_no_validate=True,
                         aria_describedby="link-help"),
               rx.text("No password needed: we email you a link that signs you in, in this browser.",
                       id="link-help", size="1", color_scheme="gray", high_contrast=True, text_align="center")]
              if client else []),
            rx.link("Forgot your password?", href=forgot_href, size="2"),
            spacing="4", width="100%",
        ),
        action=action, method="post",
    )
    form = rx.cond(LoginState.link_only, _link_only_form(), password_form) if client else password_form
    return centered_card(
        rx.heading(title, as_="h1", size="6", text_align="center"),
        rx.text(rx.cond(LoginState.link_only, "Enter your email address and we will email you a link that "
                        "signs you in.", intro) if client else intro,
                color_scheme="gray", size="2", text_align="center"),
        rx.cond(BaseState.no_portal, callout("There is no portal at this address.",
                                                color_scheme="red", role="alert")),
        alert_box(LoginState.notice, "green"),
        alert_box(LoginState.error),
        form,
    )


def _or_divider() -> rx.Component:
    return rx.hstack(rx.separator(size="4"), rx.text("or", size="1", color_scheme="gray", high_contrast=True),
                     rx.separator(size="4"), align="center", width="100%", spacing="3", aria_hidden="true")


def _link_form(button: str, *, from_page: str = "", field_id: str | None = None) -> rx.Component:
    """Ask for an emailed sign-in link (api/auth_routes.request_link sets this browser's nonce)."""
    return native_form(
        rx.vstack(
            field("Email", "email", type_="email", required=True, autocomplete="username",
                  max_length=limits.EMAIL, field_id=field_id),
            *([hidden("from", from_page)] if from_page else []),
            rx.button(button, type="submit", size="3", width="100%"),
            spacing="4", width="100%",
        ),
        action="/api/auth/client/link", method="post",
    )


def _link_only_form() -> rx.Component:
    return _link_form("Email me a sign-in link")


def client_login() -> rx.Component:
    return _login("Sign in to your portal", "/api/auth/client/login",
                  "Use the email address your invitation was sent to.", "/forgot-password", client=True)


def staff_login() -> rx.Component:
    return _login("Staff sign-in", "/api/auth/staff/login", "Sign in to manage your client portal.",
                  "/staff/forgot-password")


def sign_in_link() -> rx.Component:
    """/login/link: an emailed link that did not sign this browser in (another browser, used,
    expired, replaced, forged), and sending a new one from here."""
    s = SignInLinkState
    return centered_card(
        rx.heading(s.heading, as_="h1", size="6"),
        rx.cond(s.message != "", callout(s.message, color_scheme="amber", role="alert", icon="triangle-alert")),
        alert_box(s.error),
        rx.text("Send a new sign-in link to your email address. It works for 15 minutes in this browser.",
                size="2"),
        _link_form("Email me a new link", from_page="link"),
        rx.link("Back to sign-in", href="/login", size="2"),
    )


def setup() -> rx.Component:
    return centered_card(
        rx.heading("Set up your client portal", as_="h1", size="6"),
        rx.text("Create your business's workspace and your owner account. This page works once.",
                color_scheme="gray", size="2"),
        alert_box(SetupState.error),
        native_form(
            rx.vstack(
                field("Business name", "workspace_name", required=True, max_length=limits.BUSINESS_NAME,
                      autocomplete="organization"),
                field("Your name", "name", required=True, max_length=limits.STAFF_NAME, autocomplete="name"),
                field("Email", "email", type_="email", required=True, autocomplete="username",
                      max_length=limits.EMAIL),
                field("Password", "password", type_="password", required=True,
                      autocomplete="new-password", hint="At least 10 characters.", max_length=limits.PASSWORD),
                field("Confirm password", "confirm", type_="password", required=True,
                      autocomplete="new-password", max_length=limits.PASSWORD),
                rx.button("Create workspace", type="submit", size="3", width="100%"),
                spacing="4", width="100%",
            ),
            action="/api/setup", method="post",
        ),
        show_brand=False,
    )


def _invite_form() -> rx.Component:
    """Accepting: choose a password, or sign in by an emailed link each time (only the link
    where the workspace has clients sign in by link only)."""
    link_choice = native_form(
        rx.vstack(
            hidden("token", InviteState.token),
            hidden("method", "link"),
            rx.text("No password to remember: each time you sign in, we email you a link that works for "
                    "15 minutes.", size="2"),
            rx.button("Accept and sign in with email links", type="submit", size="3", width="100%",
                      variant=rx.cond(InviteState.link_only, "solid", "outline")),
            spacing="3", width="100%",
        ),
        action="/api/invite/accept", method="post",
    )
    return rx.vstack(
        rx.heading("Welcome, ", InviteState.invitee_name, as_="h1", size="6"),
        rx.text(BaseState.business_name, " invited ", rx.text.strong(InviteState.invitee_email),
                " to their client portal. Choose how you will sign in.", size="2"),
        alert_box(InviteState.error),
        rx.cond(
            InviteState.link_only,
            rx.vstack(rx.heading("Sign in with an email link each time", as_="h2", size="4"), link_choice,
                      spacing="3", width="100%", align="stretch"),
            rx.vstack(
                rx.heading("Set a password", as_="h2", size="4"),
                choose_password_form("/api/invite/accept", InviteState.token, "Accept invitation",
                                     username=InviteState.invitee_email),
                rx.separator(size="4", aria_hidden="true"),
                rx.heading("Or sign in with an email link each time", as_="h2", size="4"),
                link_choice,
                spacing="4", width="100%", align="stretch",
            ),
        ),
        spacing="4", width="100%", align="stretch",
    )


def _invite_problem() -> rx.Component:
    return rx.vstack(
        rx.heading("This link cannot be used", as_="h1", size="6"),
        callout(InviteState.message, color_scheme="amber", role="alert", icon="triangle-alert"),
        rx.cond(
            InviteState.requested,
            callout("Thank you. If this link came from us, the team has been told and will send "
                       "you a new invitation.", color_scheme="green", role="status"),
            rx.vstack(
                rx.text("Ask for a new invitation and the team will send you a fresh link.", size="2"),
                rx.button("Ask for a new invitation", on_click=InviteState.request_new, size="3"),
                rx.link("Already have a password? Sign in", href="/login", size="2"),
                spacing="3", align="start",
            ),
        ),
        spacing="4", width="100%", align="stretch",
    )


def invite() -> rx.Component:
    return link_page(InviteState.status, _invite_form(), _invite_problem())


def confirm_email() -> rx.Component:
    return centered_card(
        rx.heading("Confirm your new email", as_="h1", size="6"),
        rx.match(
            ConfirmEmailState.status,
            ("done", rx.vstack(
                callout(rx.text("Your email address is now ", rx.text.strong(ConfirmEmailState.new_email), "."),
                           color_scheme="green", role="status"),
                rx.link("Go to your portal", href="/"),
                spacing="3")),
            ("error", rx.vstack(
                callout(ConfirmEmailState.message, color_scheme="red", role="alert"),
                rx.link("Go to your portal", href="/"),
                spacing="3")),
            rx.vstack(
                rx.text("Press the button to confirm the change of your email address.", size="2"),
                rx.button("Confirm email address", on_click=ConfirmEmailState.confirm, size="3"),
                spacing="3", align="start"),
        ),
    )


def forgot_password() -> rx.Component:
    s = ForgotPasswordState
    return centered_card(
        rx.heading("Forgot your password?", as_="h1", size="6"),
        rx.cond(
            s.sent_to != "",
            rx.vstack(
                callout(rx.text("If ", rx.text.strong(s.sent_to), " has an account here, we sent it a link "
                                "to choose a new password. It works for one hour."),
                        color_scheme="green", role="status"),
                rx.link("Back to sign-in", href=rx.cond(s.staff_side, "/staff/login", "/login"), size="2"),
                spacing="3", align="start",
            ),
            rx.form(
                rx.vstack(
                    rx.text("Enter your email address and we will send you a link to choose a new password.",
                            size="2", color_scheme="gray", high_contrast=True),
                    alert_box(s.error),
                    field("Email", "email", type_="email", required=True, autocomplete="username",
                          max_length=limits.EMAIL),
                    rx.button("Send the link", type="submit", size="3", width="100%"),
                    rx.link("Back to sign-in", href=rx.cond(s.staff_side, "/staff/login", "/login"), size="2"),
                    spacing="4", width="100%",
                ),
                on_submit=s.request,
            ),
        ),
    )


def reset_password() -> rx.Component:
    s = ResetPasswordState
    return link_page(
        s.status,
        rx.vstack(
            rx.heading("Choose a new password", as_="h1", size="6"),
            alert_box(s.error),
            choose_password_form("/api/auth/reset", s.token, "Save the new password",
                                 first_label="New password"),
            spacing="4", width="100%", align="stretch",
        ),
        dead_link(s.message, "Ask for a new link", s.forgot_href),
    )

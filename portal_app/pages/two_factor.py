"""Two-factor sign-in: a person's own setup page (client: /security/two-factor, in the portal;
staff: /staff/security/two-factor, in the staff area -- or on its own while the workspace
requires it and they have not set it up) and the code page of a sign-in's second step."""

from __future__ import annotations

import reflex as rx

from portal_app import limits
from portal_app.components.fields import alert_box, callout, field
from portal_app.components.layout import centered_card, client_shell, sign_out_button, staff_shell
from portal_app.components.native_form import hidden, native_form
from portal_app.state.base import BaseState
from portal_app.state.two_factor import TwoFactorLoginState, TwoFactorState

S = TwoFactorState


def _code_field(hint: str) -> rx.Component:
    return field("Code", "code", required=True, autocomplete="one-time-code", max_length=limits.TWO_FACTOR_CODE,
                 input_mode="numeric", hint=hint)


def _off() -> rx.Component:
    return rx.vstack(
        rx.text("Two-factor sign-in is ", rx.text.strong("off"), ". With it on, signing in asks for a code from "
                "an authenticator app on your phone (such as Google Authenticator, Microsoft Authenticator or "
                "1Password) after your password, so a stolen password is not enough.", size="2"),
        rx.button("Set up two-factor sign-in", on_click=S.begin, size="3"),
        spacing="3", align="start", width="100%",
    )


def _scan() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.heading("1. Add this account to your authenticator app", as_="h2", size="4"),
            rx.text("Scan the QR code with the app, or type the key below into it.", size="2"),
            rx.image(src=S.qr, alt="QR code of your two-factor key (the same key is written below)",
                     width="200px", height="200px", style={"imageRendering": "pixelated"}),
            rx.text("Key: ", rx.code(S.secret, size="3", style={"wordBreak": "break-all"}, id="two-factor-key"),
                    size="2"),
            rx.heading("2. Enter the code the app shows", as_="h2", size="4"),
            alert_box(S.error),
            _code_field("Six digits; a new one every 30 seconds."),
            rx.hstack(
                rx.button("Turn on two-factor sign-in", type="submit", size="3"),
                rx.button("Cancel", type="button", variant="soft", color_scheme="gray", size="3", on_click=S.cancel),
                spacing="3", wrap="wrap",
            ),
            spacing="3", align="start", width="100%",
        ),
        on_submit=S.confirm, reset_on_submit=True,
    )


def _codes() -> rx.Component:
    return rx.vstack(
        callout("Two-factor sign-in is on.", color_scheme="green", role="status", width="100%"),
        rx.heading("Save your recovery codes", as_="h2", size="4"),
        rx.text("If you lose your phone, each of these codes signs you in once instead of a code from the app. "
                "Keep them somewhere safe, such as a password manager. They are shown only now.", size="2"),
        rx.el.ul(
            rx.foreach(S.recovery_codes, lambda c: rx.el.li(rx.code(c, size="3", style={"whiteSpace": "nowrap"}))),
            aria_label="Recovery codes",
            # two columns where two fit (each at least 13rem), else one: a code never breaks at its dashes
            style={"columns": "2 13rem", "columnGap": "24px", "listStyle": "none", "padding": "0", "margin": "0",
                   "lineHeight": "2"},
        ),
        rx.button("I have saved my recovery codes", on_click=S.saved_codes, size="3"),
        spacing="3", align="start", width="100%",
    )


def _on() -> rx.Component:
    return rx.vstack(
        rx.text("Two-factor sign-in is ", rx.text.strong("on"), ". Signing in asks for a code from your "
                "authenticator app after your password.", size="2"),
        rx.text("Recovery codes left: ", rx.text.strong(S.recovery_left.to_string()), size="2"),
        rx.cond(S.required, callout("Your workspace requires two-factor sign-in for staff. If you turn it off, "
                                    "you will be asked to set it up again at once.", color_scheme="amber",
                                    role="note", width="100%")),
        rx.form(
            rx.vstack(
                rx.heading("Turn off two-factor sign-in", as_="h2", size="4"),
                alert_box(S.off_error),
                field("Your password", "password", type_="password", required=True,
                      autocomplete="current-password", max_length=limits.PASSWORD,
                      hint="To turn it off, confirm it is you."),
                rx.button("Turn off", type="submit", variant="outline", color_scheme="red", size="3"),
                spacing="3", align="start", width="100%",
            ),
            on_submit=S.disable, reset_on_submit=True,
        ),
        spacing="3", align="start", width="100%",
    )


def _content() -> rx.Component:
    return rx.vstack(
        rx.cond(
            ~S.loaded, rx.spinner(),
            rx.match(
                S.step,
                ("scan", _scan()),
                ("codes", _codes()),
                rx.cond(S.on, _on(), _off()),
            ),
        ),
        spacing="4", align="stretch", width="100%",
    )


def client_two_factor_page() -> rx.Component:
    return client_shell(
        rx.heading("Two-factor sign-in", as_="h1", size="7"),
        rx.card(_content(), max_width="640px", width="100%"),
    )


def _enrol_first() -> rx.Component:
    """The page alone, for a staff member who must set it up before anything else."""
    return centered_card(
        rx.heading("Set up two-factor sign-in", as_="h1", size="6"),
        callout(rx.text(BaseState.business_name, " requires two-factor sign-in for staff. Set it up to continue."),
                color_scheme="amber", role="note"),
        _content(),
        rx.box(sign_out_button()),
    )


def staff_two_factor_page() -> rx.Component:
    return rx.cond(
        BaseState.viewer_kind == "enrolling",
        _enrol_first(),
        staff_shell(rx.card(_content(), max_width="640px", width="100%"), title="Two-factor sign-in",
                    crumbs=["Your account", "Security"]),
    )


def _code_page(heading: str, back_href: str) -> rx.Component:
    return centered_card(
        rx.heading(heading, as_="h1", size="6", text_align="center"),
        rx.text("Enter the code from your authenticator app. Lost your phone? Enter one of your recovery "
                "codes instead.", size="2", color_scheme="gray", high_contrast=True),
        alert_box(TwoFactorLoginState.error),
        native_form(
            rx.vstack(
                field("Code", "code", required=True, autocomplete="one-time-code",
                      max_length=limits.TWO_FACTOR_CODE, auto_focus=True,
                      hint="6 digits, or a recovery code such as abcd-efgh-jkmn-pqrs."),
                hidden("next", TwoFactorLoginState.next_path),
                rx.button("Verify and sign in", type="submit", size="3", width="100%"),
                rx.link("Start again with your password", href=back_href, size="2"),
                spacing="4", width="100%",
            ),
            action="/api/auth/two-factor", method="post",
        ),
    )


def client_code_page() -> rx.Component:
    return _code_page("Two-step verification", "/login")


def staff_code_page() -> rx.Component:
    return _code_page("Two-step verification", "/staff/login")

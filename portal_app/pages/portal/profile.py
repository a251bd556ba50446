"""The client's own contact details."""

from __future__ import annotations

import reflex as rx

from portal_app import limits
from portal_app.components.contact_fields import EDITABLE
from portal_app.components.fields import alert_box, field
from portal_app.components.layout import client_shell
from portal_app.state.portal.profile import ZONE_CHOICES, ProfileState


def _zone_card() -> rx.Component:
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading("Time zone", as_="h2", size="4"),
                alert_box(ProfileState.zone_error),
                alert_box(ProfileState.zone_saved, "green"),
                rx.el.label("Show appointment times in", html_for="f-time_zone",
                            style={"fontWeight": "500", "fontSize": "14px"}),
                rx.el.select(
                    rx.el.option("Choose a time zone", value="", disabled=True),
                    *[rx.el.option(z.replace("_", " "), value=z) for z in ZONE_CHOICES],
                    id="f-time_zone", name="time_zone", required=True, aria_describedby="f-time_zone-hint",
                    default_value=ProfileState.time_zone, key="tz-" + ProfileState.time_zone,
                    style={"minHeight": "40px", "padding": "6px 8px", "borderRadius": "6px", "maxWidth": "100%",
                           "border": "1px solid var(--gray-a8)", "font": "inherit", "background": "white"},
                ),
                rx.text("Your browser tells us its zone on your first visit to Appointments; change it here if it "
                        "is wrong or you travel.", id="f-time_zone-hint", size="1", color_scheme="gray",
                        high_contrast=True),
                rx.button("Save time zone", type="submit", variant="outline", size="3"),
                spacing="3", width="100%", align="start",
            ),
            on_submit=ProfileState.save_zone,
        ),
        id="time-zone",
    )


def profile_page() -> rx.Component:
    inputs = [
        field(label, name, default_value=ProfileState.values[name], max_length=max_len,
              autocomplete=ac, type_="tel" if name == "phone" else "text",
              key=ProfileState.values[name] + "#" + ProfileState.form_rev.to_string())
        for label, name, max_len, ac in EDITABLE
    ]
    return client_shell(
        rx.heading("Your profile", as_="h1", size="7"),
        rx.card(
            rx.form(
                rx.vstack(
                    rx.heading("Contact details", as_="h2", size="4"),
                    alert_box(ProfileState.error),
                    alert_box(ProfileState.saved, "green"),
                    rx.grid(*inputs, columns=rx.breakpoints(initial="1", sm="2"), spacing="4", width="100%"),
                    rx.button("Save changes", type="submit", size="3"),
                    spacing="4", width="100%", align="start",
                ),
                on_submit=ProfileState.save,
            ),
        ),
        rx.card(
            rx.form(
                rx.vstack(
                    rx.heading("Email address", as_="h2", size="4"),
                    rx.text("Your current email: ", rx.text.strong(ProfileState.email), size="2"),
                    rx.cond(ProfileState.pending_email != "",
                            rx.text("Waiting for confirmation: ", ProfileState.pending_email, size="2",
                                    color_scheme="amber")),
                    alert_box(ProfileState.email_error),
                    alert_box(ProfileState.email_notice, "green"),
                    field("New email", "new_email", type_="email", required=True, max_length=limits.EMAIL,
                          autocomplete="email",
                          hint="We send a confirmation link to the new address; nothing changes until you open it."),
                    field("Current password", "current_password", type_="password", required=True,
                          max_length=limits.PASSWORD, autocomplete="current-password",
                          hint="To keep your account safe, enter your password to change where we reach you."),
                    rx.button("Send confirmation link", type="submit", variant="outline", color_scheme="gray",
                              high_contrast=True, size="3"),
                    spacing="3", width="100%", align="start",
                ),
                on_submit=ProfileState.change_email,
                reset_on_submit=True,
            ),
        ),
        _zone_card(),
        rx.card(
            rx.vstack(
                rx.heading("Sign-in security", as_="h2", size="4"),
                rx.text("Protect your account with a code from your phone when you sign in.", size="2"),
                rx.link("Two-factor sign-in", href="/security/two-factor", size="2"),
                spacing="2", align="start",
            ),
        ),
    )

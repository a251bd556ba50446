"""Sites › Client Portal › Configure Portal: branding (title, colors, logo, favicon), the emails'
sender, sections, with a live preview."""

from __future__ import annotations

import reflex as rx

from portal_app import limits
from portal_app.components.fields import alert_box, field
from portal_app.components.layout import CLIENT_NAV, staff_shell
from portal_app.settings import get_settings
from portal_app.state.base import BaseState
from portal_app.state.staff.configure_portal import PortalConfigState as S

SECTION_HELP = {
    "invoices": "Clients view and pay invoices.",
    "documents": "Clients review and sign proposals and contracts.",
    "files": "Clients open files you share.",
    "appointments": "Clients see upcoming appointments.",
    "communications": "Clients see the history of messages and emails.",
}


def _color_row(label: str, name: str, value, setter, optional: bool) -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=f"color-{name}", style={"fontWeight": "500", "fontSize": "14px"}),
        rx.hstack(
            rx.el.input(type="color", id=f"color-{name}-picker", aria_label=f"{label} picker",
                        value=rx.cond(value != "", value, "#ffffff"), on_change=setter,
                        style={"width": "44px", "height": "36px", "border": "1px solid var(--gray-a6)",
                               "borderRadius": "6px", "padding": "2px", "background": "white"}),
            rx.input(id=f"color-{name}", value=value, on_change=setter, max_length=7,
                     placeholder="#2563eb" if not optional else "none", width="120px"),
            align="center", spacing="2",
        ),
        spacing="1", align="start",
    )


def _refused(rejected, target: str):
    """react-dropzone's refusals (a File and its error codes each) as plain lists for the server."""
    files = rejected.to(list[dict])
    return S.logo_refused(
        files.map(lambda r: r["file"].to(dict)["name"]),
        files.map(lambda r: r["file"].to(dict)["size"]),
        files.map(lambda r: r["errors"].to(list[dict]).map(lambda e: e["code"]).join(",")),
        target,
    )


def _image_dropzone(upload_id: str, prompt: str, on_drop, *, icon_size: int, padding: str) -> rx.Component:
    """A PNG or JPEG chooser (the logo's, the favicon's) that uploads on drop or choice. The label
    names the dropzone's file input and opens the file chooser on click (no_click stops the
    dropzone opening a second one); the chooser refuses an SVG, another type or a file over the
    limit before sending a byte, and the page says why under it (logo_refused)."""
    return rx.el.label(
        rx.upload(
            rx.vstack(
                rx.icon("image-up", size=icon_size, aria_hidden="true"),
                rx.text(prompt, size="2"),
                rx.text("Up to 1 MB. SVG is not accepted.", size="1", color_scheme="gray", high_contrast=True),
                align="center", spacing="1",
            ),
            id=upload_id,
            accept={"image/png": [".png"], "image/jpeg": [".jpg", ".jpeg"]},
            max_files=1, multiple=False, no_click=True,
            max_size=get_settings().logo_max_bytes,
            on_drop_rejected=lambda rejected: _refused(rejected, upload_id),
            on_drop=on_drop,
            border="1px dashed var(--gray-a8)", border_radius="8px", padding=padding, width="100%",
        ),
        style={"display": "block", "width": "100%", "cursor": "pointer"},
    )


def _remove_logo() -> rx.Component:
    """Remove logo asks first: an alert dialog (focus held inside, Escape or Cancel keeps the logo)."""
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(rx.button("Remove logo", variant="soft", color_scheme="red", high_contrast=True)),
        rx.alert_dialog.content(
            rx.alert_dialog.title("Remove the logo?"),
            rx.alert_dialog.description(
                "Clients will see your business name instead until you upload a new logo.", size="2"),
            rx.flex(
                rx.alert_dialog.cancel(rx.button("Keep the logo", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(rx.button("Remove logo", color_scheme="red", high_contrast=True,
                                                 on_click=S.remove_logo)),
                spacing="3", justify="end", margin_top="16px", wrap="wrap",
            ),
            max_width="440px",
        ),
    )


def _logo_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Logo", as_="h2", size="4"),
            rx.cond(
                BaseState.logo_url != "",
                rx.hstack(
                    rx.box(rx.image(src=BaseState.logo_url, alt="Current logo", max_height="56px",
                                    max_width="200px"),
                           padding="8px", border="1px solid var(--gray-a5)", border_radius="6px",
                           background="white"),
                    _remove_logo(),
                    align="center", spacing="3", wrap="wrap",
                ),
                rx.text("No logo yet: the portal shows your business name.", size="2", color_scheme="gray"),
            ),
            _image_dropzone("logo", "Drop a PNG or JPEG here, or click to choose a logo",
                            S.upload_logo(rx.upload_files(upload_id="logo")), icon_size=24, padding="16px"),
            alert_box(S.logo_error),
            spacing="3", align="start", width="100%",
        ),
        width="100%",
    )


def _favicon_card() -> rx.Component:
    """The browser tab's icon: derived from the logo, unless an image of its own is uploaded."""
    return rx.card(
        rx.vstack(
            rx.heading("Favicon", as_="h2", size="4"),
            rx.hstack(
                rx.image(src=BaseState.favicon_url, alt="Current favicon", width="32px", height="32px",
                         border="1px solid var(--gray-a5)", border_radius="4px"),
                rx.text(rx.cond(S.favicon_uploaded, "Your own favicon.",
                                rx.cond(BaseState.logo_url != "", "Made from your logo.",
                                        "A neutral icon until you upload a logo or a favicon.")),
                        size="2"),
                align="center", spacing="3",
            ),
            _image_dropzone("favicon", "Drop a square PNG or JPEG here, or click to choose a favicon",
                            S.upload_favicon(rx.upload_files(upload_id="favicon")), icon_size=20, padding="12px"),
            rx.cond(S.favicon_uploaded,
                    rx.button("Use the logo instead", variant="soft", color_scheme="gray", high_contrast=True,
                              on_click=S.remove_favicon)),
            alert_box(S.favicon_error),
            spacing="3", align="start", width="100%",
        ),
        width="100%",
    )


def _emails_card() -> rx.Component:
    """Who the workspace's emails come from, and where replies go."""
    return rx.card(
        rx.vstack(
            rx.heading("Emails", as_="h2", size="4"),
            field("Sender name", "sender_name", value=S.form_sender_name, on_change=S.set_sender_name,
                  max_length=limits.SENDER_NAME, placeholder=BaseState.business_name,
                  hint="The name your clients see as the sender of invitations, invoices and reminders. "
                       "Empty: your business name.",
                  aria_invalid=S.error_field == "sender_name"),
            field("Reply-to address", "reply_to", type_="email", value=S.form_reply_to, on_change=S.set_reply_to,
                  max_length=limits.EMAIL, placeholder="hello@yourbusiness.com", autocomplete="email",
                  hint="Replies to those emails go here. Empty: no reply-to address.",
                  aria_invalid=S.error_field == "reply_to"),
            spacing="3", align="start", width="100%",
        ),
        width="100%",
    )


def _colors_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Colors and title", as_="h2", size="4"),
            rx.vstack(
                rx.el.label("Portal title", html_for="portal-title", style={"fontWeight": "500", "fontSize": "14px"}),
                rx.input(id="portal-title", value=S.form_title, on_change=S.set_title, max_length=limits.PORTAL_TITLE,
                         width="100%"),
                spacing="1", width="100%",
            ),
            _color_row("Accent color", "accent", S.form_accent, S.set_accent, False),
            rx.text("Used for buttons, links and focus rings, so it must read as text on white: a contrast "
                    "of at least 4.5:1 (a color too light is refused when you save).", size="1", color_scheme="gray"),
            rx.hstack(
                _color_row("Brand color 1 (optional)", "primary", S.form_primary, S.set_primary, True),
                _color_row("Brand color 2 (optional)", "secondary", S.form_secondary, S.set_secondary, True),
                spacing="4", wrap="wrap",
            ),
            rx.text("Brand color 1 fills the band with your portal title at the top of every page, brand "
                    "color 2 the footer and the marker of the current section; their text turns white or "
                    "near-black, whichever reads.", size="1", color_scheme="gray"),
            rx.button("Clear brand colors", variant="ghost", size="1", on_click=S.clear_brand_colors),
            spacing="3", align="start", width="100%",
        ),
        width="100%",
    )


def _sections_card() -> rx.Component:
    rows = []
    for key, label, _href, _icon in CLIENT_NAV:
        rows.append(rx.hstack(
            rx.switch(id=f"sec-{key}", checked=S.form_sections[key],
                      on_change=lambda v, k=key: S.toggle_section(k, v)),
            rx.vstack(rx.el.label(label, html_for=f"sec-{key}", style={"fontWeight": "500"}),
                      rx.text(SECTION_HELP[key], size="1", color_scheme="gray"), spacing="0"),
            align="center", spacing="3",
        ))
    rows.append(rx.hstack(
        rx.switch(id="sec-chat", checked=S.form_chat, on_change=S.set_chat),
        rx.vstack(rx.el.label("Chat widget", html_for="sec-chat", style={"fontWeight": "500"}),
                  rx.text("Show the team chat on portal pages.", size="1", color_scheme="gray"),
                  spacing="0"),
        align="center", spacing="3",
    ))
    rows.append(rx.hstack(
        rx.switch(id="sec-client-uploads", checked=S.form_client_uploads, on_change=S.set_client_uploads),
        rx.vstack(rx.el.label("Clients may upload files", html_for="sec-client-uploads", style={"fontWeight": "500"}),
                  rx.text("Their uploads land in their own “From <client>” folder, which other clients never see.",
                          size="1", color_scheme="gray"),
                  spacing="0"),
        align="center", spacing="3",
    ))
    return rx.card(
        rx.vstack(rx.heading("Sections clients see", as_="h2", size="4"), *rows, spacing="3",
                  align="start", width="100%"),
        width="100%",
    )


def _sign_in_card() -> rx.Component:
    """How clients sign in: owners switch "by email link only" (saved at once)."""
    return rx.card(
        rx.vstack(
            rx.heading("Client sign-in", as_="h2", size="4"),
            rx.hstack(
                rx.switch(id="client-link-only", checked=S.form_link_only, on_change=S.set_link_only,
                          disabled=~S.may_set_sign_in, aria_describedby="client-link-only-help"),
                rx.vstack(rx.el.label("Clients sign in by email link only", html_for="client-link-only",
                                      style={"fontWeight": "500"}),
                          rx.text("Clients then get no password form: they ask for a link that signs them in "
                                  "for 15 minutes, in the browser that asked. Passwords they chose stop "
                                  "working for sign-in.", id="client-link-only-help", size="1",
                                  color_scheme="gray"),
                          spacing="0"),
                align="center", spacing="3",
            ),
            rx.cond(~S.may_set_sign_in,
                    rx.text("Only an owner can change how clients sign in.", size="1", color_scheme="gray",
                            high_contrast=True)),
            rx.cond(S.sign_in_saved != "",
                    rx.text(S.sign_in_saved, size="2", color_scheme="green", high_contrast=True, role="status")),
            spacing="3", align="start", width="100%",
        ),
        width="100%",
    )


def _chat_card() -> rx.Component:
    """What the chat panel says about replies, and when unread chat messages are emailed."""
    return rx.card(
        rx.vstack(
            rx.heading("Chat", as_="h2", size="4"),
            field("We usually reply within …", "chat_reply_time", value=S.form_reply_time,
                  on_change=S.set_reply_time, max_length=limits.CHAT_REPLY_TIME, placeholder="a few hours",
                  hint="Shown in the client's chat panel. Leave it empty to say nothing.",
                  aria_invalid=S.error_field == "chat_reply_time"),
            field("Business hours", "chat_hours", value=S.form_hours, on_change=S.set_hours,
                  max_length=limits.CHAT_HOURS, placeholder="Mon–Fri 9:00–17:00 (Berlin)",
                  hint="Shown under it, e.g. when someone reads the chat.",
                  aria_invalid=S.error_field == "chat_hours"),
            field("Email unread chat messages after (minutes)", "chat_email_after_minutes", type_="number",
                  value=S.form_email_after, on_change=S.set_email_after, min=0, max=1440, step=1,
                  input_mode="numeric", max_length=limits.MINUTES,
                  hint="A message nobody has read by then is emailed to the other side, several in one "
                       "email. 0: never email. Each team member chooses their own chat emails on the Team page.",
                  aria_invalid=S.error_field == "chat_email_after_minutes"),
            spacing="3", align="start", width="100%",
        ),
        width="100%",
    )


def _preview() -> rx.Component:
    nav = [rx.text("Home", size="1", weight="medium")]
    for key, label, _h, _i in CLIENT_NAV:
        nav.append(rx.cond(S.form_sections[key], rx.text(label, size="1")))
    nav.append(rx.text("Profile", size="1"))
    accent = rx.cond(S.form_accent != "", S.form_accent, "#2563eb")
    primary = rx.cond(S.form_primary != "", S.form_primary, accent)
    secondary = rx.cond(S.form_secondary != "", S.form_secondary, accent)
    return rx.card(
        rx.vstack(
            rx.heading("Live preview", as_="h2", size="4"),
            rx.box(
                rx.text(S.form_title, size="1", weight="medium", padding="3px 10px", background=primary,
                        color=S.preview_primary_text),
                rx.box(
                    rx.hstack(
                        rx.cond(BaseState.logo_url != "",
                                rx.image(src=BaseState.logo_url, alt="", max_height="28px", max_width="120px"),
                                rx.text(BaseState.business_name, weight="bold", size="2")),
                        align="center", width="100%",
                    ),
                    rx.hstack(*nav, spacing="3", wrap="wrap", padding_top="8px"),
                    padding="10px", background="white",
                ),
                border_bottom="1px solid var(--gray-a5)",
                aria_hidden="true",
            ),
            rx.box(
                rx.text("Hello, Casey", weight="bold", size="3"),
                rx.hstack(
                    rx.box("Pay now", background=accent, color=S.preview_accent_text,
                           padding="6px 12px", border_radius="6px", font_size="13px"),
                    rx.text("A link", size="2", color=accent, text_decoration="underline"),
                    spacing="3", align="center", padding_top="8px",
                ),
                padding="12px", background="var(--gray-2)",
                aria_hidden="true",
            ),
            rx.text(BaseState.business_name, size="1", padding="6px 10px", background=secondary,
                    color=S.preview_secondary_text, aria_hidden="true", margin_top="-12px"),
            rx.cond(S.preview_warning != "",
                    rx.text(S.preview_warning, size="1", color_scheme="red", high_contrast=True, role="status")),
            rx.text("The preview follows your changes; clients see them after you save.", size="1",
                    color_scheme="gray"),
            spacing="3", width="100%", align="stretch",
        ),
        width="100%",
        position=["static", "static", "sticky"], top="16px",
    )


def configure_portal_page() -> rx.Component:
    return staff_shell(
        alert_box(S.error),
        alert_box(S.saved, "green"),
        rx.grid(
            rx.vstack(_logo_card(), _favicon_card(), _colors_card(), _emails_card(), _sections_card(), _sign_in_card(),
                      _chat_card(),
                      rx.button("Save settings", size="3", on_click=S.save),
                      spacing="4", width="100%", align="start"),
            rx.box(_preview(), width="100%"),
            columns=rx.breakpoints(initial="1", md="3fr 2fr"), spacing="4", width="100%",
            align_items="start",
        ),
        title="Configure Portal",
        crumbs=["Sites", "Client Portal", "Configure Portal"],
    )

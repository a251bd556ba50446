"""Page shells: the branded client portal and the staff workspace."""

from __future__ import annotations

import reflex as rx
from reflex.experimental.client_state import ClientStateVar

from portal_app.components.chat_widget import chat_widget
from portal_app.components.fields import VISUALLY_HIDDEN, callout
from portal_app.components.native_form import native_form
from portal_app.state.base import BaseState

CLIENT_NAV = [
    ("invoices", "Invoices", "/invoices", "receipt"),
    ("documents", "Documents", "/documents", "signature"),
    ("files", "Files", "/files", "folder"),
    ("appointments", "Appointments", "/appointments", "calendar"),
    ("communications", "Communications", "/communications", "messages-square"),
]


def flash() -> rx.Component:
    """The page-level message a handler left (success as status, failure as alert)."""
    return rx.cond(
        BaseState.notice != "",
        rx.cond(
            BaseState.notice_tone == "red",
            callout(BaseState.notice, color_scheme="red", role="alert", icon="triangle-alert", width="100%"),
            callout(BaseState.notice, color_scheme="green", role="status", icon="check", width="100%"),
        ),
    )


def brand_vars() -> dict:
    """The workspace's colors as CSS variables, set once on a shell (and on the dialogs it portals
    out): Radix reads the accent from them, so it drives every solid button, link, accent badge
    and focus ring inside; --brand-primary/--brand-secondary (the accent when unset) and the text
    colors that read on them (services/portal/contrast.py) paint the header's title band, the
    current section's marker and the footer. The accent reads as text on white (refused at save
    otherwise), so links may be drawn in it."""
    primary = rx.cond(BaseState.brand_primary != "", BaseState.brand_primary, BaseState.accent)
    secondary = rx.cond(BaseState.brand_secondary != "", BaseState.brand_secondary, BaseState.accent)
    def tint(percent: int):
        return f"color-mix(in srgb, {BaseState.accent} {percent}%, transparent)"

    return {
        # soft and outline variants (badges, soft buttons, outline buttons): tints of the accent
        "--accent-a2": tint(4), "--accent-a3": tint(8), "--accent-a4": tint(12), "--accent-a5": tint(16),
        "--accent-a6": tint(24), "--accent-a7": tint(32), "--accent-a8": tint(48),
        "--accent-9": BaseState.accent,
        "--accent-10": BaseState.accent,
        "--accent-11": BaseState.accent,
        "--accent-a11": BaseState.accent,
        "--accent-contrast": BaseState.accent_text,
        "--focus-8": BaseState.accent,
        "--brand": BaseState.accent,
        "--brand-primary": primary,
        "--brand-primary-text": BaseState.brand_primary_text,
        "--brand-secondary": secondary,
        "--brand-secondary-text": BaseState.brand_secondary_text,
    }


def page_title(title: str, staff: bool = False):
    """A page's browser-tab title: "Invoices · <portal title>" (staff pages: "· <business name>"),
    the page's own name alone until the workspace is known. No product name: the portal is the
    business's."""
    suffix = BaseState.business_name if staff else BaseState.portal_title
    return rx.cond(suffix != "", f"{title} · " + suffix, title)


def favicon_link() -> rx.Component:
    """The workspace's icon (/favicon.ico per Host, api/branding.py); the version in its address
    makes a changed icon show at once (React puts the link in the document's head)."""
    return rx.fragment(rx.el.link(rel="icon", href=BaseState.favicon_url),
                       rx.el.link(rel="apple-touch-icon", href="/apple-touch-icon.png"))


def skip_link() -> rx.Component:
    """First stop for keyboard users: jump past the navigation."""
    return rx.el.a(
        "Skip to main content", href="#main",
        style={"position": "absolute", "left": "-9999px", "top": "8px", "zIndex": "100",
               "padding": "8px 12px", "background": "white", "border": "2px solid var(--brand)",
               "borderRadius": "6px", "color": "var(--gray-12)"},
        _focus={"left": "8px"},
    )


def sign_out_button() -> rx.Component:
    return native_form(
        rx.button(rx.icon("log-out", size=16, aria_hidden="true"), "Sign out", type="submit",
                  variant="outline", color_scheme="gray", size="2", white_space="nowrap"),
        action="/api/auth/logout", method="post",
    )


def brand_mark(size: str = "40px") -> rx.Component:
    """The logo (any shape: a wide one scales down to the room it has, never past it), or the
    business name on one line, cut with an ellipsis on a narrow phone."""
    return rx.cond(
        BaseState.logo_url != "",
        rx.image(src=BaseState.logo_url, alt=BaseState.business_name, max_height=size,
                 max_width="100%", height="auto", object_fit="contain", display="block"),
        rx.text(BaseState.business_name, weight="bold", size="5", white_space="nowrap", overflow="hidden",
                text_overflow="ellipsis", display="block"),
    )


def _brand_link(href: str, size: str) -> rx.Component:
    """The brand mark as the home link, in a header row: it takes the room the other items leave
    (min-width 0 lets it shrink below the logo's own width) so Sign out never leaves the screen."""
    return rx.link(brand_mark(size), href=href, display="block", min_width="0", flex="0 1 auto", overflow="hidden",
                   # a logo at most 180 px wide; a business name as wide as it needs while there is room
                   max_width=rx.cond(BaseState.logo_url != "", "180px", "360px"))


# Whether a shell's navigation is unfolded on a phone: browser-side state (a React useState shared
# by the shell's parts, kept across pages), so opening the menu and following a link send no event
# to the server. (A server var cost an event per navigation click on every screen: one event in
# three of a journey, bench/loadgen.)
NAV_OPEN = ClientStateVar.create("portal_nav_open", default=False)


def _nav_link(label: str, href: str, icon: str, *extra: rx.Component) -> rx.Component:
    """A shell's navigation link (`extra`: e.g. a count after the label); following it folds the
    phone menu again."""
    path = rx.State.router.url.path
    current = (path == href) | (path == href + "/") | (
        (href not in ("/", "/staff")) & path.startswith(href + "/"))
    return rx.link(
        rx.hstack(rx.icon(icon, size=16, aria_hidden="true"), rx.text(label), *extra, spacing="2", align="center"),
        href=href, underline="none", color_scheme="gray", high_contrast=True,
        padding="8px 10px", border_radius="6px", white_space="nowrap",
        aria_current=rx.cond(current, "page", "false"),
        font_weight=rx.cond(current, "600", "400"),
        background=rx.cond(current, "var(--gray-a3)", "transparent"),
        box_shadow=rx.cond(current, "inset 3px 0 0 var(--brand-secondary, var(--brand))", "none"),
        _hover={"background": "var(--gray-a3)"},
        on_click=NAV_OPEN.set_value(False),
    )


STAFF_NAV_ID, PORTAL_NAV_ID = "staff-nav", "portal-nav"
# Below this width (Reflex's md breakpoint, 62em) a shell's navigation is a column under the
# header, folded behind "Menu" until asked for.
PHONE_NAV = "@media screen and (max-width: 61.99em)"


def _menu_button(controls: str) -> rx.Component:
    return rx.button(
        rx.cond(NAV_OPEN.value, rx.icon("x", size=16, aria_hidden="true"),
                rx.icon("menu", size=16, aria_hidden="true")),
        "Menu",
        on_click=NAV_OPEN.set_value(~NAV_OPEN.value),
        aria_expanded=rx.cond(NAV_OPEN.value, "true", "false"), aria_controls=controls,
        variant="soft", color_scheme="gray", size="2", display=rx.breakpoints(initial="inline-flex", md="none"),
    )


def _foldable(nav_id: str) -> dict:
    """Props of the box holding a navigation that folds behind _menu_button on narrow screens."""
    return {"id": nav_id, "data_open": rx.cond(NAV_OPEN.value, "true", "false"),
            "style": {PHONE_NAV: {"&[data-open='false']": {"display": "none"}}}}


def client_shell(*content: rx.Component, title: str = "") -> rx.Component:
    nav_items = [_nav_link("Home", "/", "house")]
    for key, label, href, icon in CLIENT_NAV:
        nav_items.append(rx.cond(BaseState.sections[key], _nav_link(label, href, icon)))
    nav_items.append(_nav_link("Profile", "/profile", "user"))
    nav_items.append(_nav_link("Security", "/security", "shield"))
    return rx.box(
        skip_link(),
        rx.el.header(
            # the portal title on brand color 1, in the text color that reads on it
            rx.box(
                rx.text(BaseState.portal_title, size="1", weight="medium", white_space="nowrap", overflow="hidden",
                        text_overflow="ellipsis", max_width="1040px", margin="0 auto", id="portal-title",
                        padding=["0 16px", "0 24px"]),
                background="var(--brand-primary)", color="var(--brand-primary-text)", padding_y="4px",
                id="brand-band",
            ),
            rx.hstack(
                _menu_button(PORTAL_NAV_ID),
                _brand_link("/", "40px"),
                rx.spacer(),
                rx.text(BaseState.viewer_name, size="2", color_scheme="gray",
                        display=["none", "none", "block"]),
                rx.box(sign_out_button(), flex_shrink="0"),
                align="center", width="100%", max_width="1040px", margin="0 auto",
                padding=["10px 12px", "12px 24px"], spacing=rx.breakpoints(initial="2", sm="3"),
            ),
            rx.el.nav(
                # a row on a wide screen; on a narrow one, a column under Menu
                rx.flex(*nav_items, gap="4px", max_width="1040px", margin="0 auto",
                        padding=["0 8px 8px", "0 16px 8px"], wrap="wrap", width="100%",
                        flex_direction=rx.breakpoints(initial="column", md="row"),
                        align_items=rx.breakpoints(initial="stretch", md="center")),
                aria_label="Portal sections", **_foldable(PORTAL_NAV_ID),
            ),
            background="white",
            border_bottom="1px solid var(--gray-a5)",
        ),
        rx.el.main(
            rx.vstack(
                *( [rx.heading(title, as_="h1", size="7")] if title else [] ),
                flash(),
                *content,
                spacing="5", width="100%", max_width="1040px", margin="0 auto",
                padding=["20px 16px", "28px 24px"], align="stretch",
            ),
            id="main", tab_index=-1, flex="1",
        ),
        rx.el.footer(
            rx.text(BaseState.business_name, size="1", max_width="1040px", margin="0 auto", overflow_wrap="anywhere",
                    padding=["0 16px", "0 24px"]),
            background="var(--brand-secondary)", color="var(--brand-secondary-text)", padding_y="10px",
            margin_top="24px",
            # room under it for the chat launcher (bottom-right, fixed)
            padding_bottom=rx.cond(BaseState.chat_on, "72px", "10px"),
        ),
        chat_widget(),
        favicon_link(),
        style=brand_vars(),
        min_height="100vh",
        background="var(--gray-2)",
        display="flex", flex_direction="column",
    )


def _nav_group(label: str) -> rx.Component:
    return rx.text(label, size="1", weight="bold", color_scheme="gray", high_contrast=True,
                   padding="10px 10px 0", width="100%")


def _inbox_link() -> rx.Component:
    """Inbox, with the number of conversations holding client messages this member has not read
    (read when the navigation appears, and again on each live hint: state/staff/inbox.py)."""
    from portal_app.state.staff.inbox import InboxNavState as N

    count = rx.cond(N.inbox_unread > 0, rx.badge(N.inbox_unread, rx.el.span(" unread", style=VISUALLY_HIDDEN),
                                                 color_scheme="blue", variant="solid", high_contrast=True,
                                                 radius="full", id="inbox-unread"))
    return rx.flex(_nav_link("Inbox", "/staff/inbox", "inbox", count), direction="column", on_mount=N.load_count)


def _staff_nav() -> rx.Component:
    return rx.el.nav(
        rx.flex(
            _inbox_link(),
            _nav_link("Calendar", "/staff/calendar", "calendar-days"),
            _nav_link("Contacts", "/staff/contacts", "users"),
            _nav_link("Files", "/staff/files", "folder"),
            _nav_link("Automations", "/staff/automations", "workflow"),
            _nav_group("Payments"),
            _nav_link("Invoices", "/staff/invoices", "receipt"),
            _nav_link("Documents & Contracts", "/staff/documents", "file-pen-line"),
            _nav_group("Sites › Client Portal"),
            _nav_link("Configure Portal", "/staff/sites/portal", "palette"),
            _nav_group("Settings"),
            _nav_link("Team", "/staff/team", "users-round"),
            _nav_link("Security", "/staff/security", "lock"),
            _nav_link("Payments", "/staff/settings/payments", "credit-card"),
            _nav_link("Booking", "/staff/settings/booking", "calendar-clock"),
            _nav_link("Document sealing", "/staff/settings/sealing", "shield-check"),
            _nav_link("Domains", "/staff/settings/domains", "globe"),
            _nav_link("Webhooks", "/staff/settings/webhooks", "webhook"),
            _nav_link("Jobs", "/staff/settings/jobs", "list-restart"),
            # owners only, while mail goes to the dev outbox (access.may_read_dev_outbox)
            rx.cond(BaseState.outbox_offered, _nav_link("Dev outbox", "/staff/outbox", "mail")),
            _nav_group("Your account"),
            _nav_link("Two-factor sign-in", "/staff/security/two-factor", "key-round"),
            direction="column", gap="4px", align="stretch",
        ),
        aria_label="Staff navigation",
    )


def waiting() -> rx.Component:
    """What a page shows until the server says who is looking."""
    return rx.center(rx.spinner(size="3"), rx.el.span("Loading…", style=VISUALLY_HIDDEN),
                     role="status", min_height="100vh", background="var(--gray-2)")


def staff_shell(*content: rx.Component, title: str = "", crumbs: list[str] | None = None) -> rx.Component:
    """The staff workspace. Nothing of it (badge, navigation, content) is drawn until the
    page's load has found the viewer to be staff: a client opening a /staff URL sees a spinner
    and is sent home (BaseState._kept_out), an anonymous visitor is sent to sign in."""
    return rx.cond(BaseState.viewer_kind == "staff", _staff_frame(*content, title=title, crumbs=crumbs), waiting())


def _staff_frame(*content: rx.Component, title: str = "", crumbs: list[str] | None = None) -> rx.Component:
    header_children = []
    if crumbs:
        header_children.append(rx.text(" › ".join(crumbs), size="2", color_scheme="gray"))
    if title:
        header_children.append(rx.heading(title, as_="h1", size="7"))
    return rx.box(
        skip_link(),
        rx.el.header(
            rx.hstack(
                _menu_button(STAFF_NAV_ID),
                _brand_link("/staff", "32px"),
                rx.badge("Staff", color_scheme="gray", display=["none", "inline-flex"]),
                rx.spacer(),
                rx.text(BaseState.viewer_name, size="2", color_scheme="gray", display=["none", "block"]),
                rx.box(sign_out_button(), flex_shrink="0"),
                align="center", width="100%", padding="10px 16px", spacing="3",
            ),
            background="white", border_bottom="1px solid var(--gray-a5)",
        ),
        rx.flex(
            rx.box(_staff_nav(), width=rx.breakpoints(initial="100%", md="260px"), flex_shrink="0", padding="12px",
                   border_right=rx.breakpoints(initial="none", md="1px solid var(--gray-a5)"),
                   border_bottom=rx.breakpoints(initial="1px solid var(--gray-a5)", md="none"),
                   background="white", **_foldable(STAFF_NAV_ID)),
            rx.el.main(
                rx.vstack(*header_children, flash(), *content, spacing="4", width="100%",
                          max_width="1100px", align="stretch", padding=["16px", "24px"]),
                id="main", tab_index=-1, style={"flex": "1", "minWidth": "0"},
            ),
            # a CSS breakpoint (62em), the same as the menu's: Radix's own `direction` would switch at 1024px
            flex_direction=rx.breakpoints(initial="column", md="row"),
            min_height="calc(100vh - 58px)",
        ),
        favicon_link(),
        style=brand_vars(),
        background="var(--gray-2)",
        min_height="100vh",
    )


def centered_card(*content: rx.Component, show_brand: bool = True) -> rx.Component:
    """Sign-in, invitation, reset and setup pages, in the workspace's branding (resolved from the
    Host): its logo (or name), its portal title on brand color 1, its accent on the buttons."""
    brand = [
        rx.center(rx.box(brand_mark("56px"), max_width="240px", min_width="0"), width="100%", padding_bottom="4px"),
        rx.cond(BaseState.portal_title != "",
                rx.text(BaseState.portal_title, size="2", weight="medium", text_align="center",
                        background="var(--brand-primary)", color="var(--brand-primary-text)",
                        padding="4px 10px", border_radius="6px", overflow_wrap="anywhere", id="portal-title")),
    ] if show_brand else []
    return rx.center(
        rx.el.main(
            rx.card(
                rx.vstack(
                    *brand,
                    *content,
                    spacing="4", width="100%", align="stretch",
                ),
                size=rx.breakpoints(initial="3", sm="4"), width="100%",
                style={"borderTop": "4px solid var(--brand)"},
            ),
            width="100%", max_width="440px", min_width="0",
        ),
        favicon_link(),
        style=brand_vars(),
        min_height="100vh", padding="16px", background="var(--gray-2)",
    )


def not_available(message) -> rx.Component:
    return callout(message, icon="ban", color_scheme="gray", role="status", width="100%")

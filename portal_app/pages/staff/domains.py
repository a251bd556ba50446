"""Settings › Domains: connect a subdomain (portal.yourbusiness.com) to the Client Portal -- the
Add form, then a card per domain with its status, the last DNS check in words, the DNS records
to create (each value with a Copy button), Verify, Assign to Client Portal, Make primary and
Remove (asks first). Cards stack and long values wrap: nothing scrolls sideways on a phone."""

from __future__ import annotations

import reflex as rx

from portal_app.components.appointments_ui import CopyText
from portal_app.components.confirm import confirmed
from portal_app.components.fields import alert_box, callout, field
from portal_app.components.layout import staff_shell
from portal_app.components.status import status_badge
from portal_app.state.staff.domains import HOSTNAME_MAX
from portal_app.state.staff.domains import DomainsState as S

MONO = "ui-monospace, SFMono-Regular, Menlo, monospace"
COPY_STYLE = {"padding": "4px 10px", "borderRadius": "6px", "border": "1px solid var(--gray-a8)",
              "background": "white", "font": "inherit", "fontSize": "13px", "cursor": "pointer",
              "minHeight": "32px", "color": "var(--gray-12)"}
WRAP = {"overflowWrap": "anywhere"}                  # prose: breaks a long hostname, not words
CODE_WRAP = {"wordBreak": "break-all", "overflowWrap": "anywhere"}  # a token or name, anywhere


def _add_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.heading("Add a domain", size="4", as_="h2"),
            field("Hostname", "hostname", required=True, max_length=HOSTNAME_MAX, autocomplete="off",
                  placeholder="portal.yourbusiness.com", error=S.form_error,
                  aria_invalid=rx.cond(S.form_error != "", "true", "false"),
                  hint="A subdomain of a domain you own, such as portal.yourbusiness.com (not the bare "
                       "yourbusiness.com). You will add two DNS records for it at your DNS provider."),
            rx.button("Add domain", type="submit"),
            spacing="3", width="100%", align="start",
        ),
        on_submit=S.add, key=S.form_version.to(str), width="100%", aria_label="Add a domain",
    )


def _record(record, hostname) -> rx.Component:
    """One DNS record to create: its type, name and value, the name and value each with Copy."""
    what = record["type"].to(str) + " record of " + hostname.to(str)

    def part(label: str, value, copy_what) -> rx.Component:
        return rx.box(
            rx.el.dt(rx.text(label, size="1", weight="medium", color_scheme="gray", high_contrast=True)),
            rx.el.dd(
                rx.flex(
                    rx.el.code(value, style={**CODE_WRAP, "fontFamily": MONO, "fontSize": "13px", "minWidth": "0",
                                             "flex": "1 1 12rem"}),
                    CopyText.create(text=value, label="Copy", what=copy_what, style=COPY_STYLE),
                    gap="8px", align="center", wrap="wrap", width="100%",
                ),
                style={"margin": "0"},
            ),
            min_width="0",
        )

    return rx.el.li(
        rx.el.dl(
            rx.box(rx.el.dt(rx.text("Type", size="1", weight="medium", color_scheme="gray", high_contrast=True)),
                   rx.el.dd(rx.el.code(record["type"], style={"fontFamily": MONO, "fontSize": "13px"}),
                            style={"margin": "0"})),
            part("Name", record["name"], "the name of the " + what),
            part("Value", record["value"], "the value of the " + what),
            # stacked on a phone; side by side (type, name, value) from a tablet's width up
            display="grid", gap="8px", margin="0", width="100%",
            grid_template_columns=rx.breakpoints(initial="minmax(0, 1fr)",
                                                 md="4rem minmax(0, 1fr) minmax(0, 1.3fr)"),
        ),
        style={"listStyle": "none", "padding": "10px 12px", "border": "1px solid var(--gray-a5)",
               "borderRadius": "8px", "background": "var(--gray-1)", "minWidth": "0"},
    )


def _actions(row) -> rx.Component:
    host = row["hostname"].to(str)
    checking = S.checking == row["public_id"]
    return rx.flex(
        # never disabled while checking (a disabled button would drop the keyboard focus); a
        # second press while a check runs does nothing (state: one check at a time)
        rx.button(rx.cond(checking, "Checking…", "Verify"), on_click=S.verify(row["public_id"]),
                  aria_busy=rx.cond(checking, "true", "false"), aria_label="Verify " + host,
                  variant=rx.cond(row["status"] == "verified", "soft", "solid"), high_contrast=True),
        rx.cond((row["status"] == "verified") & ~row["assigned"],
                rx.button("Assign to Client Portal", on_click=S.assign(row["public_id"]),
                          aria_label="Assign " + host + " to Client Portal")),
        rx.cond((row["status"] == "verified") & row["assigned"] & ~row["is_primary"],
                rx.button("Make primary", on_click=S.make_primary(row["public_id"]), variant="soft",
                          high_contrast=True, aria_label="Make " + host + " primary")),
        confirmed(rx.button("Remove", variant="soft", color_scheme="red", high_contrast=True,
                            aria_label="Remove " + host),
                  "Remove this domain?",
                  rx.text("The portal stops answering on ", rx.el.strong(host), "; anyone signed in there is "
                          "signed out, and links in new emails use your portal's other address. Your DNS "
                          "records stay until you delete them at your DNS provider."),
                  "Remove domain", S.remove(row["public_id"])),
        gap="8px", wrap="wrap",
    )


def _card(row) -> rx.Component:
    heading_id = "dom-" + row["public_id"].to(str)
    return rx.el.li(
        rx.card(
            rx.vstack(
                rx.flex(
                    rx.heading(row["hostname"], as_="h3", size="4", id=heading_id, style=WRAP, min_width="0"),
                    rx.flex(
                        status_badge("domain", row["shown_status"]),
                        rx.cond(row["assigned"], rx.badge("Client Portal", color_scheme="blue", high_contrast=True,
                                                          size="2")),
                        rx.cond(row["is_primary"], rx.badge("Primary", color_scheme="green", variant="solid",
                                                            high_contrast=True, size="2")),
                        gap="6px", wrap="wrap",
                    ),
                    gap="8px", wrap="wrap", align="center", justify="between", width="100%",
                ),
                rx.text(rx.cond(row["last_result"] != "", row["last_result"], "Not checked yet."), size="2",
                        style=WRAP),
                rx.cond(row["note"] != "", rx.text(row["note"], size="2", weight="medium", style=WRAP)),
                rx.text(rx.cond(row["last_checked"] != "", "Last checked " + row["last_checked"].to(str) + ".",
                                "Choose Verify once the records below are in place."),
                        size="1", color_scheme="gray", high_contrast=True),
                rx.cond(
                    row["status"] != "verified",
                    rx.vstack(
                        rx.heading("DNS records to create", as_="h4", size="2"),
                        rx.text("At your DNS provider, add these records. Changes can take a few minutes to "
                                "reach everyone; ",
                                rx.cond(row["note"] != "", "choose Verify once they are in place.",
                                        "we check again every few minutes."), size="2"),
                        rx.el.ul(rx.foreach(row["records"], lambda rec: _record(rec, row["hostname"])),
                                 style={"display": "grid", "gap": "8px", "padding": "0", "margin": "0",
                                        "width": "100%"}),
                        spacing="2", width="100%", align="stretch",
                    ),
                    rx.el.details(
                        rx.el.summary("DNS records", style={"cursor": "pointer", "fontSize": "14px"}),
                        rx.el.ul(rx.foreach(row["records"], lambda rec: _record(rec, row["hostname"])),
                                 style={"display": "grid", "gap": "8px", "padding": "0", "margin": "8px 0 0",
                                        "width": "100%"}),
                        style={"width": "100%"},
                    ),
                ),
                _actions(row),
                spacing="3", width="100%", align="start",
            ),
            width="100%",
        ),
        aria_labelledby=heading_id, style={"listStyle": "none", "minWidth": "0"},
    )


def domains_page() -> rx.Component:
    return staff_shell(
        rx.cond(
            S.refusal != "", alert_box(S.refusal),
            rx.vstack(
                rx.text("Serve your Client Portal on your own address, such as portal.yourbusiness.com: add the "
                        "subdomain, create the DNS records shown, and verify. Once verified, assign it to the "
                        "Client Portal and make it primary: links in emails and calendar feeds then use it.",
                        size="2", color_scheme="gray", high_contrast=True),
                rx.cond(
                    S.rows.length() > 0,
                    rx.el.ul(rx.foreach(S.rows, _card), aria_label="Your domains",
                             style={"display": "grid", "gap": "12px", "padding": "0", "margin": "0",
                                    "width": "100%", "minWidth": "0"}),
                    callout("No custom domain yet: your portal answers on its standard address.",
                            color_scheme="gray", role="status"),
                ),
                _add_form(),
                spacing="5", width="100%", min_width="0",
            ),
        ),
        title="Domains", crumbs=["Settings", "Domains"],
    )

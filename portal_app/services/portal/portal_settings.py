"""Portal branding (title, logo, favicon, colors, the emails' sender name and reply-to) and which
sections clients see. Colors are checked for contrast (services/portal/contrast.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import TypedDict, cast

from sqlmodel import Session

from portal_app import limits
from portal_app.access import Actor, require_configure_portal, require_configure_sign_in
from portal_app.errors import Invalid
from portal_app.models import SECTIONS, PortalSettings, Workspace, utcnow
from portal_app.services import audit
from portal_app.services.portal import contrast
from portal_app.services.portal.workspaces import WorkspaceRef
from portal_app.services.validation import clean_color, clean_email, clean_text

SECTION_LABELS = {
    "invoices": "Invoices",
    "documents": "Documents",
    "files": "Files",
    "appointments": "Appointments",
    "communications": "Communications",
}


class Sections(TypedDict, total=False):
    """Which sections the portal shows its clients (the keys of models.SECTIONS)."""
    invoices: bool
    documents: bool
    files: bool
    appointments: bool
    communications: bool


@dataclass
class Branding:
    """What any visitor of a workspace's portal may see (no client data)."""

    workspace_public_id: str
    business_name: str
    portal_title: str
    accent_color: str
    brand_primary: str
    brand_secondary: str
    logo_url: str
    favicon_url: str
    sections: Sections
    chat_widget: bool

    def as_dict(self) -> dict:
        return asdict(self)


def settings_row(db: Session, workspace_id: int) -> PortalSettings:
    row = db.get(PortalSettings, workspace_id)
    if row is None:
        row = PortalSettings(workspace_id=workspace_id)
        db.add(row)
        db.flush()
    return row


def branding_for(db: Session, ws: Workspace | WorkspaceRef) -> Branding:
    ps = settings_row(db, ws.id)
    logo_url = f"/api/logo/{ws.public_id}?v={ps.logo_version}" if ps.logo_key else ""
    return Branding(
        workspace_public_id=ws.public_id,
        business_name=ws.name,
        portal_title=ps.portal_title,
        accent_color=ps.accent_color,
        brand_primary=ps.brand_primary or "",
        brand_secondary=ps.brand_secondary or "",
        logo_url=logo_url,
        favicon_url=f"/favicon.ico?v={ps.favicon_version}",
        sections=cast(Sections, {s: ps.section_enabled(s) for s in SECTIONS}),
        chat_widget=ps.chat_widget,
    )


def portal_settings_for(db: Session, workspace_id: int) -> PortalSettings:
    return settings_row(db, workspace_id)


class SectionsOn:
    """Which sections are on, as `access.require_portal_section` asks a PortalSettings
    (`section_enabled`), from the sections a caller already has: the event's branding."""

    def __init__(self, sections: Mapping[str, object]):
        self._sections = sections

    def section_enabled(self, section: str) -> bool:
        return section in SECTIONS and bool(self._sections.get(section))


def section_settings(db: Session, workspace_id: int,
                     sections: Mapping[str, object] | None = None) -> PortalSettings | SectionsOn:
    """What `require_portal_section` asks: the `sections` a caller has (a state passes its
    `sections`, set from the event's cached branding), else the settings row."""
    return SectionsOn(sections) if sections is not None else portal_settings_for(db, workspace_id)


def update_portal_settings(db: Session, actor: Actor, *, portal_title: str, accent_color: str,
                           brand_primary: str | None, brand_secondary: str | None,
                           sections: dict[str, bool], chat_widget: bool,
                           allow_client_uploads: bool | None = None, chat_reply_time: object = None,
                           chat_hours: object = None, chat_email_after_minutes: object = None,
                           sender_name: object = None, reply_to: object = None) -> None:
    """Saves Configure Portal. The chat lines and delay, the sender name and the reply-to address
    are kept as they are when not given (None). The accent must read as text on white and each
    brand color must carry a readable text color (contrast.py), else Invalid names the field."""
    staff = require_configure_portal(actor)
    ps = settings_row(db, staff.workspace_id)
    before = {
        "portal_title": ps.portal_title, "accent_color": ps.accent_color,
        "brand_primary": ps.brand_primary, "brand_secondary": ps.brand_secondary,
        **{f"show_{s}": ps.section_enabled(s) for s in SECTIONS}, "chat_widget": ps.chat_widget,
        "allow_client_uploads": ps.allow_client_uploads, **_chat_values(ps), **_mail_values(ps),
    }
    # every value is checked before any is set: a refused save leaves the row untouched
    values: dict[str, object] = {
        "portal_title": clean_text(portal_title, "portal_title", "Portal title", limits.PORTAL_TITLE, required=True),
        "accent_color": contrast.check_text_on_white(clean_color(accent_color, "accent_color", "Accent color"),
                                                     "accent_color", "Accent color"),
    }
    for name, value, label in (("brand_primary", brand_primary, "Brand color 1"),
                               ("brand_secondary", brand_secondary, "Brand color 2")):
        color = clean_color(value, name, label, required=False)
        values[name] = color and contrast.check_background(color, name, label)
    values.update({f"show_{section}": bool(sections.get(section, False)) for section in SECTIONS})
    values["chat_widget"] = bool(chat_widget)
    if allow_client_uploads is not None:
        values["allow_client_uploads"] = bool(allow_client_uploads)
    if chat_reply_time is not None:
        values["chat_reply_time"] = clean_text(chat_reply_time, "chat_reply_time", "“We usually reply within”",
                                               limits.CHAT_REPLY_TIME)
    if chat_hours is not None:
        values["chat_hours"] = clean_text(chat_hours, "chat_hours", "Business hours", limits.CHAT_HOURS)
    if chat_email_after_minutes is not None:
        values["chat_email_after_minutes"] = clean_email_delay(chat_email_after_minutes)
    if sender_name is not None:
        values["sender_name"] = clean_sender_name(sender_name)
    if reply_to is not None:
        values["reply_to"] = clean_email(reply_to, "reply_to", "Reply-to address", required=False)
    for column, cleaned in values.items():
        if getattr(ps, column) != cleaned:
            setattr(ps, column, cleaned)
    ps.updated_at = utcnow()
    db.add(ps)
    after = {
        "portal_title": ps.portal_title, "accent_color": ps.accent_color,
        "brand_primary": ps.brand_primary, "brand_secondary": ps.brand_secondary,
        **{f"show_{s}": ps.section_enabled(s) for s in SECTIONS}, "chat_widget": ps.chat_widget,
        "allow_client_uploads": ps.allow_client_uploads, **_chat_values(ps), **_mail_values(ps),
    }
    changed = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if changed:
        ws = db.get_one(Workspace, staff.workspace_id)
        audit.record(db, staff.workspace_id, staff, "portal.settings_changed", "workspace",
                     ws.public_id, changed)


def set_client_link_only(db: Session, actor: Actor, on: bool) -> bool:
    """Owners: clients sign in by email link only (True), or by link or password (False).
    With it on, the client sign-in page shows no password form and client passwords are
    refused (services/accounts/auth.py); sessions already open stay open."""
    staff = require_configure_sign_in(actor)
    ps = settings_row(db, staff.workspace_id)
    on = bool(on)
    if ps.client_link_only != on:
        ps.client_link_only = on
        ps.updated_at = utcnow()
        db.add(ps)
        ws = db.get_one(Workspace, staff.workspace_id)
        audit.record(db, staff.workspace_id, staff, "portal.client_sign_in_changed", "workspace", ws.public_id,
                     {"client_link_only": on})
    return on


CHAT_EMAIL_MAX_MINUTES = 1440
CHAT_EMAIL_DELAY_HELP = f"Enter a whole number of minutes from 0 to {CHAT_EMAIL_MAX_MINUTES} (0: never email)."


def clean_email_delay(value: object) -> int:
    """"Email unread chat messages after N minutes": a whole number 0-1440, 0 meaning never."""
    if isinstance(value, bool):
        raise Invalid(CHAT_EMAIL_DELAY_HELP, "chat_email_after_minutes")
    text = str(value).strip()
    if len(text) > 6 or not text.isascii() or not text.isdigit():
        raise Invalid(CHAT_EMAIL_DELAY_HELP, "chat_email_after_minutes")
    minutes = int(text)
    if minutes > CHAT_EMAIL_MAX_MINUTES:
        raise Invalid(CHAT_EMAIL_DELAY_HELP, "chat_email_after_minutes")
    return minutes


def clean_sender_name(value: object) -> str:
    """The From name of the workspace's emails ("" means the business name): one line of text
    without the characters a mail header would read as structure."""
    text = clean_text(value, "sender_name", "Sender name", limits.SENDER_NAME)
    if any(ch in text for ch in '<>@"'):
        raise Invalid('Sender name cannot contain < > @ or ". Use your business name as people know it.',
                      "sender_name")
    return text


def mail_identity(db: Session, ws: Workspace) -> tuple[str, str]:
    """(From name, Reply-To address or "") of the workspace's emails."""
    ps = settings_row(db, ws.id)
    return ps.sender_name or ws.name, ps.reply_to


def _mail_values(ps: PortalSettings) -> dict:
    return {"sender_name": ps.sender_name, "reply_to": ps.reply_to}


def _chat_values(ps: PortalSettings) -> dict:
    return {"chat_reply_time": ps.chat_reply_time, "chat_hours": ps.chat_hours,
            "chat_email_after_minutes": ps.chat_email_after_minutes}

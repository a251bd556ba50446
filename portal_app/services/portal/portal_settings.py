"""Portal branding (title, logo, favicon, colors, the emails' sender name and reply-to) and which
sections clients see. Colors are checked for contrast (services/portal/contrast.py)."""

from __future__ import annotations

import io
import secrets
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import TypedDict, cast

from sqlmodel import Session

from portal_app import limits
from portal_app.access import Actor, require_configure_portal
from portal_app.adapters.storage import get_storage
from portal_app.errors import Invalid, NotFound
from portal_app.models import SECTIONS, PortalSettings, Workspace, utcnow
from portal_app.services import audit, outbox
from portal_app.services.portal import contrast
from portal_app.services.portal.workspaces import WorkspaceRef
from portal_app.services.validation import clean_color, clean_email, clean_text
from portal_app.settings import get_settings

SECTION_LABELS = {
    "invoices": "Invoices",
    "documents": "Documents",
    "files": "Files",
    "appointments": "Appointments",
    "communications": "Communications",
}
LOGO_MAX_SIDE = 1024


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


def _settings_row(db: Session, workspace_id: int) -> PortalSettings:
    row = db.get(PortalSettings, workspace_id)
    if row is None:
        row = PortalSettings(workspace_id=workspace_id)
        db.add(row)
        db.flush()
    return row


def branding_for(db: Session, ws: Workspace | WorkspaceRef) -> Branding:
    ps = _settings_row(db, ws.id)
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
    return _settings_row(db, workspace_id)


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
    ps = _settings_row(db, staff.workspace_id)
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
    ps = _settings_row(db, ws.id)
    return ps.sender_name or ws.name, ps.reply_to


def _mail_values(ps: PortalSettings) -> dict:
    return {"sender_name": ps.sender_name, "reply_to": ps.reply_to}


def _chat_values(ps: PortalSettings) -> dict:
    return {"chat_reply_time": ps.chat_reply_time, "chat_hours": ps.chat_hours,
            "chat_email_after_minutes": ps.chat_email_after_minutes}


def _sniff_image(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    return None


SVG_REFUSED = "SVG logos are not accepted because they can carry scripts. Please upload a PNG or JPEG."
NOT_AN_IMAGE = "This file is not a PNG or JPEG image. Please upload a PNG or JPEG."


def _kb(size: int) -> str:
    """A size as people read it: 1 MB, 4.2 MB, 350 KB."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f}".removesuffix(".0") + " MB"
    return f"{max(1, round(size / 1024))} KB"


def logo_too_large(size: int | None) -> str:
    """The message for a logo over the limit, with the file's own size when it is known."""
    limit = _kb(get_settings().logo_max_bytes)
    if not size:
        return f"The logo is too large: the limit is {limit}."
    return f"The logo is too large ({_kb(size)}). The limit is {limit}."


def refused_logo(name: str, size: int | None, reasons: list[str]) -> str:
    """Why the browser's file chooser refused a logo before sending it (react-dropzone's codes:
    file-invalid-type, file-too-large, too-many-files), in the words check_logo uses."""
    if "file-invalid-type" in reasons:
        return SVG_REFUSED if name.lower().endswith(".svg") else NOT_AN_IMAGE
    if "file-too-large" in reasons:
        return logo_too_large(size)
    if "too-many-files" in reasons:
        return "Choose one image: the logo is a single PNG or JPEG."
    return "This file cannot be used as a logo. Please upload a PNG or JPEG."


def check_logo(data: bytes, filename: str, size: int | None = None, field: str = "logo") -> tuple[bytes, str]:
    """Validate an uploaded logo (or favicon: `field`) and re-encode it; returns (bytes, content
    type). `size` is the file's whole size when the caller read only the first limit + 1 bytes of it."""
    max_bytes = get_settings().logo_max_bytes
    name = (filename or "").lower()
    if not data:
        raise Invalid("The file is empty.", field)
    if len(data) > max_bytes:
        raise Invalid(logo_too_large(size), field)
    head = data[:512].lstrip().lower()
    if name.endswith(".svg") or head.startswith(b"<?xml") or b"<svg" in head:
        raise Invalid(SVG_REFUSED, field)
    kind = _sniff_image(data)
    if kind is None:
        raise Invalid(NOT_AN_IMAGE, field)
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()
        img = Image.open(io.BytesIO(data))
        if img.width * img.height > 25_000_000:
            raise Invalid("The image is too large in pixels (at most 25 megapixels).", field)
        img.load()
    except Invalid:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        # PIL reports a damaged PNG chunk (bad CRC) as SyntaxError
        raise Invalid("The image could not be read; it may be damaged.", field) from None
    img.thumbnail((LOGO_MAX_SIDE, LOGO_MAX_SIDE))
    out = io.BytesIO()
    if kind == "png":
        img.save(out, format="PNG", optimize=True)  # drops metadata and any trailing data
        return out.getvalue(), "image/png"
    img.convert("RGB").save(out, format="JPEG", quality=90)
    return out.getvalue(), "image/jpeg"


FAVICON_SIZES = [(16, 16), (32, 32)]
TOUCH_ICON_SIDE = 180


def derive_icons(image_bytes: bytes) -> tuple[bytes, bytes]:
    """(favicon.ico with 16 and 32 px images, 180 px apple-touch-icon PNG) from a checked image
    (check_logo's output): the whole image fitted into a square, centred, never cropped -- a wide
    logo becomes a band across a transparent icon (white behind the touch icon: iOS draws
    transparency black)."""
    from PIL import Image

    with Image.open(io.BytesIO(image_bytes)) as src:
        img = src.convert("RGBA")
    side = max(img.width, img.height)
    square = Image.new("RGBA", (side, side), (255, 255, 255, 0))
    square.paste(img, ((side - img.width) // 2, (side - img.height) // 2), img)
    ico = io.BytesIO()
    square.resize((32, 32), Image.Resampling.LANCZOS).save(ico, format="ICO", sizes=FAVICON_SIZES)
    touch = Image.new("RGBA", (side, side), (255, 255, 255, 255))
    touch.alpha_composite(square)
    png = io.BytesIO()
    touch.convert("RGB").resize((TOUCH_ICON_SIDE, TOUCH_ICON_SIDE), Image.Resampling.LANCZOS).save(
        png, format="PNG", optimize=True)
    return ico.getvalue(), png.getvalue()


def _store_icons(db: Session, ws: Workspace, ps: PortalSettings, source: bytes | None) -> None:
    """Replace the workspace's favicon pair with icons derived from `source` (None: none, the
    default is served); the old files are deleted by the worker after the commit."""
    old = [k for k in (ps.favicon_key, ps.touch_icon_key) if k]
    if source is None:
        ps.favicon_key = ps.touch_icon_key = None
    else:
        ico, png = derive_icons(source)
        tag = secrets.token_hex(8)
        ps.favicon_key = f"{ws.public_id}/branding/favicon-{tag}.ico"
        ps.touch_icon_key = f"{ws.public_id}/branding/touch-icon-{tag}.png"
        get_storage().put(ps.favicon_key, ico, "image/x-icon")
        get_storage().put(ps.touch_icon_key, png, "image/png")
    ps.favicon_version += 1
    for key in old:
        outbox.enqueue(db, ws.id, "storage.delete", {"key": key})


def set_logo(db: Session, actor: Actor, data: bytes, filename: str, size: int | None = None) -> None:
    """A new logo; the favicon follows it unless one was uploaded of its own."""
    staff = require_configure_portal(actor)
    clean, content_type = check_logo(data, filename, size)
    ws = db.get_one(Workspace, staff.workspace_id)
    ps = _settings_row(db, staff.workspace_id)
    key = f"{ws.public_id}/branding/logo-{secrets.token_hex(8)}"
    get_storage().put(key, clean, content_type)
    old_key = ps.logo_key
    ps.logo_key, ps.logo_content_type = key, content_type
    ps.logo_version += 1
    if not ps.favicon_uploaded:
        _store_icons(db, ws, ps, clean)
    ps.updated_at = utcnow()
    db.add(ps)
    audit.record(db, ws.id, staff, "portal.logo_changed", "workspace", ws.public_id,
                 {"bytes": len(clean), "type": content_type})
    if old_key:  # deleted by the worker after this transaction commits
        outbox.enqueue(db, ws.id, "storage.delete", {"key": old_key})


def remove_logo(db: Session, actor: Actor) -> None:
    staff = require_configure_portal(actor)
    ws = db.get_one(Workspace, staff.workspace_id)
    ps = _settings_row(db, staff.workspace_id)
    if ps.logo_key:
        old = ps.logo_key
        ps.logo_key = ps.logo_content_type = None
        ps.logo_version += 1
        if not ps.favicon_uploaded:
            _store_icons(db, ws, ps, None)
        db.add(ps)
        audit.record(db, ws.id, staff, "portal.logo_removed", "workspace", ws.public_id, {})
        outbox.enqueue(db, ws.id, "storage.delete", {"key": old})


def set_favicon(db: Session, actor: Actor, data: bytes, filename: str, size: int | None = None) -> None:
    """A favicon of its own (a PNG or JPEG, checked as a logo is): the logo no longer changes it."""
    staff = require_configure_portal(actor)
    clean, content_type = check_logo(data, filename, size, field="favicon")
    ws = db.get_one(Workspace, staff.workspace_id)
    ps = _settings_row(db, staff.workspace_id)
    _store_icons(db, ws, ps, clean)
    ps.favicon_uploaded = True
    ps.updated_at = utcnow()
    db.add(ps)
    audit.record(db, ws.id, staff, "portal.favicon_changed", "workspace", ws.public_id,
                 {"bytes": len(clean), "type": content_type})


def remove_favicon(db: Session, actor: Actor) -> None:
    """Back to the favicon derived from the logo (or the default when there is no logo)."""
    staff = require_configure_portal(actor)
    ws = db.get_one(Workspace, staff.workspace_id)
    ps = _settings_row(db, staff.workspace_id)
    if not ps.favicon_uploaded:
        return
    logo = get_storage().get(ps.logo_key) if ps.logo_key else None
    _store_icons(db, ws, ps, logo)
    ps.favicon_uploaded = False
    ps.updated_at = utcnow()
    db.add(ps)
    audit.record(db, ws.id, staff, "portal.favicon_removed", "workspace", ws.public_id, {})


def icon_for_host(db: Session, host_header: str, kind: str) -> tuple[bytes, str] | None:
    """The favicon ("ico") or apple-touch-icon ("touch") of the workspace the Host reaches --
    public branding, like the logo -- or None: the caller serves the neutral default."""
    from portal_app.services.portal.workspaces import workspace_for_host

    ws = workspace_for_host(db, host_header)
    if ws is None:
        return None
    ps = db.get(PortalSettings, ws.id)
    key = None if ps is None else (ps.favicon_key if kind == "ico" else ps.touch_icon_key)
    if not key:
        return None
    return get_storage().get(key), ("image/x-icon" if kind == "ico" else "image/png")


def logo_bytes(db: Session, workspace_public_id: str) -> tuple[bytes, str]:
    """A workspace's logo is public branding: anyone reaching the portal sees it."""
    from sqlmodel import select

    ws = db.exec(select(Workspace).where(Workspace.public_id == workspace_public_id)).first()
    if ws is None:
        raise NotFound()
    ps = _settings_row(db, ws.id)
    if not ps.logo_key:
        raise NotFound()
    return get_storage().get(ps.logo_key), ps.logo_content_type or "application/octet-stream"

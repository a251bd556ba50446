"""The workspace's images: its logo and the favicon (and apple-touch icon) derived from it or
uploaded on their own -- checked (PNG or JPEG by their bytes, never SVG, size and pixel limits),
stored through the storage adapter, served as public branding (api/branding.py)."""

from __future__ import annotations

import io
import secrets

from sqlmodel import Session

from portal_app.access import Actor, require_configure_portal
from portal_app.adapters.storage import get_storage
from portal_app.errors import Invalid, NotFound
from portal_app.models import PortalSettings, Workspace, utcnow
from portal_app.services import audit, outbox
from portal_app.services.portal.portal_settings import settings_row as _settings_row
from portal_app.settings import get_settings

LOGO_MAX_SIDE = 1024


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

"""Configure Portal (/staff/sites/portal): branding (title, colors, logo, favicon), the emails'
sender name and reply-to, which sections clients see, the chat's lines and when unread chat
messages are emailed."""

from __future__ import annotations

import reflex as rx

from portal_app import limits
from portal_app.access import has_role, require_configure_portal
from portal_app.errors import ServiceError
from portal_app.models import SECTIONS
from portal_app.services.portal import brand_images, contrast, portal_settings
from portal_app.state.base import BaseState


def _text_on(color: str) -> str:
    try:
        return contrast.text_on(color)
    except ValueError:  # half typed
        return "#ffffff"


class PortalConfigState(BaseState):
    form_title: str = ""
    form_accent: str = "#2563eb"
    form_primary: str = ""
    form_secondary: str = ""
    form_sections: dict[str, bool] = {}
    form_chat: bool = False
    form_client_uploads: bool = False
    form_reply_time: str = ""
    form_hours: str = ""
    form_email_after: str = "5"  # minutes, as typed (the service checks it)
    form_sender_name: str = ""
    form_reply_to: str = ""
    # whether the favicon is an uploaded image of its own (else: derived from the logo, or the default)
    favicon_uploaded: bool = False
    # Client sign-in: by email link only (owners change it, saved at once; admins see it)
    form_link_only: bool = False
    may_set_sign_in: bool = False
    sign_in_saved: str = ""
    error: str = ""
    error_field: str = ""
    logo_error: str = ""
    favicon_error: str = ""
    saved: str = ""

    def _fill(self, db, actor) -> None:
        require_configure_portal(actor)
        ps = portal_settings.portal_settings_for(db, actor.workspace_id)
        self.form_title = ps.portal_title
        self.form_accent = ps.accent_color
        self.form_primary = ps.brand_primary or ""
        self.form_secondary = ps.brand_secondary or ""
        self.form_sections = {s: ps.section_enabled(s) for s in SECTIONS}
        self.form_chat = ps.chat_widget
        self.form_client_uploads = ps.allow_client_uploads
        self.form_reply_time = ps.chat_reply_time
        self.form_hours = ps.chat_hours
        self.form_email_after = str(ps.chat_email_after_minutes)
        self.form_sender_name = ps.sender_name
        self.form_reply_to = ps.reply_to
        self.favicon_uploaded = ps.favicon_uploaded
        self.form_link_only = ps.client_link_only
        self.may_set_sign_in = has_role(actor, "owner")

    # The live preview's text colors and its contrast warning (the same rule the save applies:
    # services/portal/contrast.py), computed in this browser's state as the colors are typed.
    @rx.var
    def preview_accent_text(self) -> str:
        return _text_on(self.form_accent)

    @rx.var
    def preview_primary_text(self) -> str:
        return _text_on(self.form_primary or self.form_accent)

    @rx.var
    def preview_secondary_text(self) -> str:
        return _text_on(self.form_secondary or self.form_accent)

    @rx.var
    def preview_warning(self) -> str:
        try:
            contrast.check_text_on_white(self.form_accent.lower(), "accent_color", "Accent color")
        except (ValueError, ServiceError) as exc:
            return exc.message if isinstance(exc, ServiceError) else ""
        return ""

    @rx.event
    async def load(self):
        def work(db, ws, actor):
            self.error = self.error_field = self.logo_error = self.favicon_error = self.saved = ""
            self.sign_in_saved = ""
            self._fill(db, actor)

        return await self._run(work)

    # Live preview: these only change what this browser shows until Save.
    @rx.event
    def set_title(self, value: str):
        self.form_title = str(value)[:200]

    @rx.event
    def set_accent(self, value: str):
        self.form_accent = str(value)[:7]

    @rx.event
    def set_primary(self, value: str):
        self.form_primary = str(value)[:7]

    @rx.event
    def set_secondary(self, value: str):
        self.form_secondary = str(value)[:7]

    @rx.event
    def toggle_section(self, section: str, value: bool):
        if section in SECTIONS:
            self.form_sections = {**self.form_sections, section: bool(value)}

    @rx.event
    def set_chat(self, value: bool):
        self.form_chat = bool(value)

    @rx.event
    def set_client_uploads(self, value: bool):
        self.form_client_uploads = bool(value)

    @rx.event
    def set_reply_time(self, value: str):
        self.form_reply_time = str(value)[: limits.CHAT_REPLY_TIME + 20]

    @rx.event
    def set_hours(self, value: str):
        self.form_hours = str(value)[: limits.CHAT_HOURS + 20]

    @rx.event
    def set_email_after(self, value: str):
        self.form_email_after = str(value)[:10]

    @rx.event
    def set_sender_name(self, value: str):
        self.form_sender_name = str(value)[: limits.SENDER_NAME + 20]

    @rx.event
    def set_reply_to(self, value: str):
        self.form_reply_to = str(value)[: limits.EMAIL + 20]

    @rx.event
    async def set_link_only(self, value: bool):
        """Owners: clients sign in by email link only. Saved at once (a switch, not the form)."""
        def work(db, ws, actor):
            self.form_link_only = portal_settings.set_client_link_only(db, actor, bool(value))
            self.error = self.error_field = ""
            self.sign_in_saved = ("Saved. Clients now sign in by email link only." if self.form_link_only
                                  else "Saved. Clients may sign in by password or by email link.")

        def failed(exc: ServiceError):
            self.error, self.error_field, self.sign_in_saved = exc.message, "", ""

        return await self._run(work, on_error=failed)

    @rx.event
    def clear_brand_colors(self):
        self.form_primary = self.form_secondary = ""

    @rx.event
    async def save(self):
        def work(db, ws, actor):
            portal_settings.update_portal_settings(
                db, actor, portal_title=self.form_title, accent_color=self.form_accent,
                brand_primary=self.form_primary or None, brand_secondary=self.form_secondary or None,
                sections=dict(self.form_sections), chat_widget=self.form_chat,
                allow_client_uploads=self.form_client_uploads, chat_reply_time=self.form_reply_time,
                chat_hours=self.form_hours, chat_email_after_minutes=self.form_email_after,
                sender_name=self.form_sender_name, reply_to=self.form_reply_to)
            self.error = self.error_field = ""
            self._show_branding(portal_settings.branding_for(db, ws))
            self.saved = "Saved. Clients see the new settings now."

        def failed(exc: ServiceError):
            self.error, self.error_field, self.saved = exc.message, exc.field or "", ""

        return await self._run(work, on_error=failed)

    @rx.event
    async def upload_logo(self, files: list[rx.UploadFile]):
        from portal_app.settings import get_settings

        limit = get_settings().logo_max_bytes
        if not files:
            # react-dropzone sends this (no files) beside on_drop_rejected when the chooser refused
            # the file: logo_refused says why, in whichever order the two arrive
            return
        upload = files[0]
        data = await upload.read(limit + 1)  # never read more than the limit needs
        name = upload.name or upload.filename or ""
        size = upload.size if isinstance(upload.size, int) else None  # the file's, for the message

        def work(db, ws, actor):
            brand_images.set_logo(db, actor, data, name, size)
            self._show_branding(portal_settings.branding_for(db, ws))
            self.logo_error = ""
            self._notify("Logo updated.")

        def failed(exc: ServiceError):
            self.logo_error = exc.message

        # (Pillow decodes and re-encodes the image in the event thread, never on the event loop)
        return await self._run(work, on_error=failed)

    @rx.event
    def logo_refused(self, names: list, sizes: list, reasons: list, target: str = "logo"):
        """The file chooser (the logo's, or the favicon's: `target`) refused a file before sending
        it (wrong type, over the size limit): say why under that chooser. Only this browser's
        message changes; what the browser says is one file's name, size and react-dropzone's
        reason codes, cut to size."""
        name = str(names[0])[:255] if isinstance(names, list) and names else ""
        raw_size = sizes[0] if isinstance(sizes, list) and sizes else None
        size = int(raw_size) if isinstance(raw_size, (int, float)) and 0 < raw_size < 2**53 else None
        codes = str(reasons[0])[:200].split(",") if isinstance(reasons, list) and reasons else []
        message = brand_images.refused_logo(name, size, codes[:5])
        if target == "favicon":
            self.favicon_error = message
        else:
            self.logo_error = message

    @rx.event
    async def remove_logo(self):
        def work(db, ws, actor):
            brand_images.remove_logo(db, actor)
            self._show_branding(portal_settings.branding_for(db, ws))
            self._notify("Logo removed.")

        return await self._run(work)

    @rx.event
    async def upload_favicon(self, files: list[rx.UploadFile]):
        """A favicon of its own (PNG or JPEG, the logo's limits): the browser tab's icon no longer
        follows the logo."""
        from portal_app.settings import get_settings

        if not files:
            return
        upload = files[0]
        data = await upload.read(get_settings().logo_max_bytes + 1)
        name = upload.name or upload.filename or ""
        size = upload.size if isinstance(upload.size, int) else None

        def work(db, ws, actor):
            brand_images.set_favicon(db, actor, data, name, size)
            self._show_branding(portal_settings.branding_for(db, ws))
            self.favicon_uploaded, self.favicon_error = True, ""
            self._notify("Favicon updated.")

        def failed(exc: ServiceError):
            self.favicon_error = exc.message

        return await self._run(work, on_error=failed)

    @rx.event
    async def remove_favicon(self):
        def work(db, ws, actor):
            brand_images.remove_favicon(db, actor)
            self._show_branding(portal_settings.branding_for(db, ws))
            self.favicon_uploaded = False
            self._notify("Favicon removed: the browser tab shows your logo again.")

        return await self._run(work)

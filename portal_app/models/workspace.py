"""Workspace (one business), its portal settings and the hostnames that reach it."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from portal_app.models.base import new_public_id, ts_column, utcnow

SECTIONS = ("invoices", "documents", "files", "appointments", "communications")


class Workspace(SQLModel, table=True):
    __tablename__ = "workspace"

    id: int = Field(default=None, primary_key=True)
    public_id: str = Field(default_factory=lambda: new_public_id("ws"), unique=True, max_length=40)
    name: str = Field(max_length=120)
    base_url: str = Field(max_length=300)
    is_default: bool = Field(default=False, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    # Bumped (models/context_version.py) whenever something an event's cached context is
    # built from changes: this row, its domains, its portal settings, its staff and client
    # accounts, a contact's name, a session's end. Every event reads it (one indexed look-up)
    # to know whether its cached (workspace, actor, branding) still holds.
    context_version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # the base URL the workspace was created with: base_url returns to it when its primary
    # custom domain is unset or removed (services/portal/domains.py)
    origin_base_url: str = Field(default="", max_length=300, sa_column_kwargs={"server_default": ""})
    # Settings › Team (owners): every staff member must use two-factor sign-in; one without it
    # is sent to enrol right after signing in and can do nothing else until done (access.py).
    require_staff_two_factor: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})


class PortalSettings(SQLModel, table=True):
    __tablename__ = "portal_settings"

    workspace_id: int = Field(foreign_key="workspace.id", primary_key=True)
    portal_title: str = Field(default="Client Portal", max_length=120)
    accent_color: str = Field(default="#2563eb", max_length=7)
    brand_primary: str | None = Field(default=None, max_length=7)
    brand_secondary: str | None = Field(default=None, max_length=7)
    logo_key: str | None = Field(default=None, max_length=300)
    logo_content_type: str | None = Field(default=None, max_length=40)
    logo_version: int = Field(default=0)
    # the browser-tab icon: a 16+32 px .ico and a 180 px PNG (apple-touch-icon), derived from the
    # logo when it is uploaded, or from an image uploaded as the favicon (favicon_uploaded: the
    # logo then leaves them alone); none: the neutral default (assets/favicon.ico)
    favicon_key: str | None = Field(default=None, max_length=300)
    touch_icon_key: str | None = Field(default=None, max_length=300)
    favicon_uploaded: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    favicon_version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # emails: the From name ("" = the business name) and an optional Reply-To address
    sender_name: str = Field(default="", max_length=120, sa_column_kwargs={"server_default": ""})
    reply_to: str = Field(default="", max_length=254, sa_column_kwargs={"server_default": ""})
    show_invoices: bool = True
    show_documents: bool = True
    show_files: bool = True
    show_appointments: bool = True
    show_communications: bool = True
    chat_widget: bool = False
    chat_reply_time: str = Field(default="", max_length=120, sa_column_kwargs={"server_default": ""})
    chat_hours: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})
    # a chat message unread this many minutes is emailed to the other side (0: never)
    chat_email_after_minutes: int = Field(default=5, sa_column_kwargs={"server_default": "5"})
    allow_client_uploads: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    # a client may cancel or reschedule an appointment up to this many hours before it starts
    appointment_cancel_cutoff_hours: int = Field(default=24, sa_column_kwargs={"server_default": "24"})
    # when reminder emails go out before an appointment, comma-separated ("24h,1h"; "": none)
    appointment_reminders: str = Field(default="24h,1h", max_length=40, sa_column_kwargs={"server_default": "24h,1h"})
    # Clients sign in by emailed link only (services/accounts/sign_in_links.py): the client
    # password form is hidden and client passwords are refused. Owners set it.
    client_link_only: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    updated_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))

    def section_enabled(self, section: str) -> bool:
        if section not in SECTIONS:
            return False
        return bool(getattr(self, f"show_{section}"))


DOMAIN_SOURCES = ("base", "custom")
DOMAIN_STATUSES = ("pending", "verified", "failed")
# Shown, never stored: an unverified custom domain the periodic re-check has given up on
# (`Domain.shown_status`); Verify still checks it.
DOMAIN_CHECKS_STOPPED = "stopped"
DOMAIN_SHOWN_STATUSES = (*DOMAIN_STATUSES, DOMAIN_CHECKS_STOPPED)
RECHECK_UNVERIFIED = timedelta(minutes=5)  # a pending or failed domain's automatic re-checks
RECHECK_VERIFIED = timedelta(days=1)       # a verified domain's
AUTO_CHECK_DAYS = 7
AUTO_CHECKS_FOR = timedelta(days=AUTO_CHECK_DAYS)  # an unverified domain is re-checked this long, then not
MANUAL_CHECK_EVERY = timedelta(seconds=10)  # at most one Verify (a DNS question) per domain this often


class Domain(SQLModel, table=True):
    """A hostname that reaches a workspace's portal.

    `source` "base": the names create_workspace maps from the workspace's base URL (and, for a
    local install, every loopback name); born verified and assigned, never checked by DNS,
    never removable. "custom": added by staff in Settings › Domains; pending until its DNS
    records are found (services/portal/domains.py), then verified (or failed), and it serves
    the Client Portal only once assigned. `status` is the one source of truth for
    verification (the old `verified` flag is gone, migration 0023).
    """

    __tablename__ = "domain"
    __table_args__ = (
        # at most one primary domain per workspace, whatever two admins do at once
        sa.Index("ux_domain_primary", "workspace_id", unique=True,
                 sqlite_where=sa.text("is_primary"), postgresql_where=sa.text("is_primary")),
    )

    id: int = Field(default=None, primary_key=True)
    public_id: str = Field(default_factory=lambda: new_public_id("dom"), unique=True, max_length=40)
    # unique: the ask endpoint and host resolution are one look-up on this index
    hostname: str = Field(max_length=253, unique=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    source: str = Field(default="custom", max_length=10, sa_column_kwargs={"server_default": "custom"})
    status: str = Field(default="pending", max_length=12, sa_column_kwargs={"server_default": "pending"})
    assigned: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    is_primary: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    verification_token: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})
    last_result: str = Field(default="", max_length=300, sa_column_kwargs={"server_default": ""})
    # consecutive failed checks of a verified domain (it turns failed at the second)
    failed_checks: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    last_checked_at: datetime | None = Field(default=None, sa_column=ts_column())
    verified_at: datetime | None = Field(default=None, sa_column=ts_column())
    # when the periodic re-check looks at it next (None: never: base rows, and an unverified
    # domain after AUTO_CHECKS_FOR; `next_check_after`)
    next_check_at: datetime | None = Field(default=None, sa_column=ts_column(index=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    # since when it has been unverified: added, or turned failed (None while verified)
    unverified_since: datetime | None = Field(default=None, sa_column=ts_column())
    # the last Verify a person pressed (the throttle: `manual_check_wait`)
    manual_check_at: datetime | None = Field(default=None, sa_column=ts_column())

    @property
    def is_verified(self) -> bool:
        return self.status == "verified"

    @property
    def serves_portal(self) -> bool:
        """The portal answers on this host: verified and assigned (base rows are both)."""
        return self.status == "verified" and self.assigned

    def next_check_after(self, now: datetime) -> datetime | None:
        """When the periodic re-check looks at it next, after a check at `now` (the status
        already set): a verified custom domain in a day; an unverified one in 5 minutes until it
        has stayed unverified for AUTO_CHECKS_FOR, then never (None: only Verify checks it, and
        a Verify that finds the records verifies it as ever). Base rows: never."""
        if self.source != "custom":
            return None
        if self.status == "verified":
            return now + RECHECK_VERIFIED
        since = self.unverified_since or self.created_at
        if since is not None and now - since >= AUTO_CHECKS_FOR:
            return None
        return now + RECHECK_UNVERIFIED

    @property
    def auto_checks_stopped(self) -> bool:
        """An unverified custom domain the periodic re-check no longer looks at."""
        return self.source == "custom" and self.status != "verified" and self.next_check_at is None

    def shown_status(self) -> str:
        """The status the page shows: the stored one, or "stopped" (automatic checks stopped)."""
        return DOMAIN_CHECKS_STOPPED if self.auto_checks_stopped else self.status

    def manual_check_wait(self, now: datetime) -> int:
        """Whole seconds until Verify may ask DNS about it again (0: now): one manual check
        per MANUAL_CHECK_EVERY. A check stamped in the future (a clock set back) waits at most
        one window."""
        if self.manual_check_at is None:
            return 0
        window = MANUAL_CHECK_EVERY.total_seconds()
        left = (self.manual_check_at - now).total_seconds() + window
        return 0 if left <= 0 else min(math.ceil(left), math.ceil(window))

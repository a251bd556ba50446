"""Workspace (one business), its portal settings and the hostnames that reach it."""

from __future__ import annotations

from datetime import datetime

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
    updated_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))

    def section_enabled(self, section: str) -> bool:
        if section not in SECTIONS:
            return False
        return bool(getattr(self, f"show_{section}"))


class Domain(SQLModel, table=True):
    """A hostname that reaches a workspace's portal."""

    __tablename__ = "domain"

    id: int = Field(default=None, primary_key=True)
    hostname: str = Field(max_length=253, unique=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    verified: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))

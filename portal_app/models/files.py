"""Shared files: folders, files and resource links in one tree, who each is shared with,
and when each client first downloaded it."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from portal_app import limits
from portal_app.models.base import new_public_id, ts_column, utcnow

ITEM_KINDS = ("folder", "file", "link")
NAME_MAX = limits.FILE_NAME


class FileItem(SQLModel, table=True):
    """A folder, a stored file or a resource link.

    Sharing: an item inside a folder inherits the folder's sharing while `inherit_sharing`
    is true; otherwise (and at the top level) its own `shared_with_all` flag and FileShare
    rows decide. An item with `owner_contact_id` belongs to that client's "From <client>"
    upload folder: only that client (and staff) ever see it.
    """

    __tablename__ = "file_item"
    __table_args__ = (
        sa.Index("ix_file_item_ws_parent_kind_name", "workspace_id", "parent_id", "kind", "name"),
        sa.Index("ix_file_item_ws_parent_updated", "workspace_id", "parent_id", "updated_at"),
        sa.Index("ix_file_item_ws_parent_size", "workspace_id", "parent_id", "size"),
    )

    id: int = Field(default=None, primary_key=True)
    public_id: str = Field(default_factory=lambda: new_public_id("fi"), unique=True, max_length=40)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    parent_id: int | None = Field(default=None, foreign_key="file_item.id", index=True)
    kind: str = Field(max_length=10)
    name: str = Field(max_length=NAME_MAX)
    description: str = Field(default="", max_length=limits.LINK_DESCRIPTION)
    url: str | None = Field(default=None, max_length=limits.LINK_URL)
    storage_key: str | None = Field(default=None, max_length=300)
    size: int = Field(default=0, sa_column=sa.Column(sa.BigInteger, nullable=False, server_default="0"))
    content_type: str = Field(default="", max_length=100)
    sha256: str = Field(default="", max_length=64)
    inherit_sharing: bool = Field(default=True)
    shared_with_all: bool = Field(default=False)
    owner_contact_id: int | None = Field(default=None, foreign_key="contact.id", index=True)
    created_by_user_id: int | None = Field(default=None, foreign_key="staff_user.id", index=True)
    created_by_contact_id: int | None = Field(default=None, foreign_key="contact.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))


class FileShare(SQLModel, table=True):
    """One contact an item is shared with (own sharing only; inheritance is computed)."""

    __tablename__ = "file_share"
    __table_args__ = (sa.UniqueConstraint("item_id", "contact_id", name="uq_file_share_item_contact"),)

    id: int = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    item_id: int = Field(foreign_key="file_item.id", index=True)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    created_by_user_id: int | None = Field(default=None, foreign_key="staff_user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))


class FileDownload(SQLModel, table=True):
    """When a client first (and last) downloaded a file, and how often."""

    __tablename__ = "file_download"
    __table_args__ = (sa.UniqueConstraint("item_id", "contact_id", name="uq_file_download_item_contact"),)

    id: int = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    item_id: int = Field(foreign_key="file_item.id", index=True)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    first_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    last_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    count: int = Field(default=1)

"""Contacts (a business's clients), their invitations and email-change confirmations."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from portal_app import limits
from portal_app.models.base import new_public_id, ts_column, utcnow

CONTACT_FIELDS = {
    # name: max length (portal_app/limits.py)
    "first_name": limits.FIRST_NAME,
    "last_name": limits.LAST_NAME,
    "company": limits.COMPANY,
    "email": limits.EMAIL,
    "phone": limits.PHONE,
    "address_line1": limits.ADDRESS_LINE,
    "address_line2": limits.ADDRESS_LINE,
    "city": limits.CITY,
    "region": limits.REGION,
    "postal_code": limits.POSTAL_CODE,
    "country": limits.COUNTRY,
}
NOTES_MAX = limits.CONTACT_NOTES


class Contact(SQLModel, table=True):
    __tablename__ = "contact"
    __table_args__ = (
        # one contact per address in a workspace: sign-in finds the account by email
        sa.UniqueConstraint("workspace_id", "email", name="uq_contact_ws_email"),
        sa.Index("ix_contact_ws_last_first", "workspace_id", "last_name", "first_name"),
    )

    id: int = Field(default=None, primary_key=True)
    public_id: str = Field(default_factory=lambda: new_public_id("ct"), unique=True, max_length=40)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    first_name: str = Field(default="", max_length=limits.FIRST_NAME)
    last_name: str = Field(default="", max_length=limits.LAST_NAME)
    company: str = Field(default="", max_length=limits.COMPANY)
    email: str = Field(default="", max_length=limits.EMAIL)
    phone: str = Field(default="", max_length=limits.PHONE)
    address_line1: str = Field(default="", max_length=limits.ADDRESS_LINE)
    address_line2: str = Field(default="", max_length=limits.ADDRESS_LINE)
    city: str = Field(default="", max_length=limits.CITY)
    region: str = Field(default="", max_length=limits.REGION)
    postal_code: str = Field(default="", max_length=limits.POSTAL_CODE)
    country: str = Field(default="", max_length=limits.COUNTRY)
    notes: str = Field(default="", max_length=NOTES_MAX)
    # the IANA zone the client sees times in ("" until their browser told us or they chose one in
    # Profile; views then use the time's own zone): appointments, reminders, the portal's dates
    time_zone: str = Field(default="", max_length=limits.TIME_ZONE, sa_column_kwargs={"server_default": ""})
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))

    @property
    def display_name(self) -> str:
        return contact_name(self.first_name, self.last_name, self.email)


def contact_name(first_name: str, last_name: str, email: str) -> str:
    """How a contact is named on every page (`Contact.display_name`), also for a page that
    reads a contact's columns as a plain row."""
    name = f"{first_name} {last_name}".strip()
    return name or email or "(no name)"


class Invitation(SQLModel, table=True):
    __tablename__ = "invitation"

    id: int = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    email: str = Field(max_length=254)
    created_by_id: int | None = Field(default=None, foreign_key="staff_user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    expires_at: datetime = Field(sa_column=ts_column(nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=ts_column())
    revoked_at: datetime | None = Field(default=None, sa_column=ts_column())


class EmailChange(SQLModel, table=True):
    __tablename__ = "email_change"

    id: int = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    new_email: str = Field(max_length=254)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    expires_at: datetime = Field(sa_column=ts_column(nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=ts_column())
    # set when a newer request or a confirmed change of the same contact ends this link
    revoked_at: datetime | None = Field(default=None, sa_column=ts_column())

"""Documents sent for e-signature, their signers and fields, and each workspace's sealing
certificate.

A document's file lives in the storage adapter under a generated key (`original_key`);
the completed, sealed PDF under `completed_key` with its SHA-256. Page geometry (size as
displayed, rotation) is kept from the upload's inspection, so fields are placed in
fractions of the page as the person sees it. Status moves forward only:

    draft → sent → viewed → partially_signed → sealing → completed
    draft/sent/viewed/partially_signed → declined | expired | voided
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel, col

from portal_app import limits
from portal_app.models.base import new_public_id, one_of, ts_column, utcnow

DOCUMENT_KINDS = ("contract", "proposal", "estimate")
DOCUMENT_STATUSES = ("draft", "sent", "viewed", "partially_signed", "sealing", "completed", "declined",
                     "expired", "voided")
OPEN_STATUSES = ("sent", "viewed", "partially_signed")       # out for signature: `Document.is_open`
VOIDABLE_STATUSES = ("draft", *OPEN_STATUSES)
FIELD_KINDS = ("signature", "initials", "date", "text", "checkbox")
FIELD_KIND_NAMES = {"signature": "Signature", "initials": "Initials", "date": "Date signed", "text": "Text",
                    "checkbox": "Checkbox"}
FIELD_LABEL_MAX = limits.FIELD_LABEL
FIELD_HINT_MAX = limits.FIELD_HINT
SIGNER_ROLES = ("client", "staff")


class Document(SQLModel, table=True):
    __tablename__ = "document"
    __table_args__ = (
        sa.Index("ix_document_ws_status", "workspace_id", "status", "updated_at"),
        sa.Index("ix_document_ws_contact", "workspace_id", "contact_id", "status"),
    )

    id: int = Field(default=None, primary_key=True)
    public_id: str = Field(default_factory=lambda: new_public_id("doc"), unique=True, max_length=40)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    kind: str = Field(default="contract", max_length=20)
    title: str = Field(max_length=200)
    message: str = Field(default="", max_length=2000)
    status: str = Field(default="draft", max_length=20, index=True)
    file_name: str = Field(default="document.pdf", max_length=255)
    original_key: str = Field(max_length=300)
    original_sha256: str = Field(max_length=64, index=True)
    original_size: int = Field(default=0, sa_column=sa.Column(sa.BigInteger, nullable=False, server_default="0"))
    page_count: int = Field(default=0)
    pages_json: str = Field(default="[]", sa_column=sa.Column(sa.Text, nullable=False, server_default="[]"))
    completed_key: str = Field(default="", max_length=300)
    completed_sha256: str = Field(default="", max_length=64, index=True)
    # estimates: lines as invoice lines are written ([{description, quantity, unit_minor, tax_rate}])
    currency: str = Field(default="USD", max_length=3)
    estimate_lines_json: str = Field(default="[]", sa_column=sa.Column(sa.Text, nullable=False, server_default="[]"))
    estimate_total_minor: int = Field(default=0, sa_column=sa.Column(sa.BigInteger, nullable=False,
                                                                     server_default="0"))
    invoice_id: int | None = Field(default=None, foreign_key="invoice.id", index=True)
    expires_at: datetime | None = Field(default=None, sa_column=ts_column(index=True))
    sent_at: datetime | None = Field(default=None, sa_column=ts_column())
    first_viewed_at: datetime | None = Field(default=None, sa_column=ts_column())
    completed_at: datetime | None = Field(default=None, sa_column=ts_column())
    declined_at: datetime | None = Field(default=None, sa_column=ts_column())
    decline_reason: str = Field(default="", max_length=1000)
    voided_at: datetime | None = Field(default=None, sa_column=ts_column())
    last_reminded_at: datetime | None = Field(default=None, sa_column=ts_column())
    seal_error: str = Field(default="", max_length=500)
    created_by_user_id: int | None = Field(default=None, foreign_key="staff_user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))

    # --- status rules: each property, and the clause selecting the same rows in a query

    @property
    def is_issued(self) -> bool:
        """Sent at some point (anything but a draft): what a signer may see."""
        return self.status != "draft"

    @classmethod
    def issued_clause(cls):
        return col(cls.status) != "draft"

    @property
    def is_open(self) -> bool:
        """Out for signature: sent and not yet fully signed, declined, expired or voided."""
        return self.status in OPEN_STATUSES

    @classmethod
    def open_clause(cls):
        return one_of(col(cls.status), OPEN_STATUSES)

    @property
    def is_voidable(self) -> bool:
        """A draft or an open document can be voided; a finished one cannot."""
        return self.status in VOIDABLE_STATUSES


class DocumentSigner(SQLModel, table=True):
    """One person who signs, in `position` order: the client contact, or a staff countersigner."""

    __tablename__ = "document_signer"
    __table_args__ = (sa.UniqueConstraint("document_id", "position", name="uq_signer_doc_position"),)

    id: int = Field(default=None, primary_key=True)
    public_id: str = Field(default_factory=lambda: new_public_id("sgn"), unique=True, max_length=40)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    document_id: int = Field(foreign_key="document.id", index=True)
    role: str = Field(max_length=10)                     # client | staff
    contact_id: int | None = Field(default=None, foreign_key="contact.id", index=True)
    user_id: int | None = Field(default=None, foreign_key="staff_user.id", index=True)
    name: str = Field(max_length=200)
    email: str = Field(max_length=320)
    position: int = Field(default=1)
    status: str = Field(default="pending", max_length=20)  # pending | signed | declined
    viewed_at: datetime | None = Field(default=None, sa_column=ts_column())
    consented_at: datetime | None = Field(default=None, sa_column=ts_column())
    consent_version: str = Field(default="", max_length=20)
    signed_at: datetime | None = Field(default=None, sa_column=ts_column())
    ip: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=400)
    signature_kind: str = Field(default="", max_length=10)  # drawn | typed


class DocumentField(SQLModel, table=True):
    """A field on a page, for one signer. x, y, w, h are fractions of the page as displayed
    (after its rotation), top-left origin: what the editor shows is what gets stamped."""

    __tablename__ = "document_field"

    id: int = Field(default=None, primary_key=True)
    public_id: str = Field(default_factory=lambda: new_public_id("fld"), unique=True, max_length=40)
    document_id: int = Field(foreign_key="document.id", index=True)
    signer_id: int = Field(foreign_key="document_signer.id", index=True)
    kind: str = Field(max_length=12)
    page: int = Field(default=0)
    x: float = Field(default=0.1)
    y: float = Field(default=0.1)
    w: float = Field(default=0.25)
    h: float = Field(default=0.06)
    required: bool = Field(default=True)
    # what the signer reads above the field ("Company registration number"), and help under it
    label: str = Field(default="", max_length=FIELD_LABEL_MAX)
    hint: str = Field(default="", max_length=FIELD_HINT_MAX, sa_column_kwargs={"server_default": ""})
    # the signer's answer: text/date as text, checkbox "true"/"", signature/initials: a storage key of the PNG
    value: str = Field(default="", max_length=2000)
    filled_at: datetime | None = Field(default=None, sa_column=ts_column())

    @property
    def shown_label(self) -> str:
        """The label a signer reads: staff's own, else the kind and page ("Text (page 1)"), also for
        fields placed before staff could name them (their label was the kind's name)."""
        kind = FIELD_KIND_NAMES.get(self.kind, "Field")
        label = (self.label or "").strip()
        return label if label and label != kind else f"{kind} (page {self.page + 1})"


class SealingIdentity(SQLModel, table=True):
    """The certificate a workspace seals completed documents with (made on first use, or an
    uploaded PKCS#12). The key material is sealed at rest with PORTAL_SECRET_KEY."""

    __tablename__ = "sealing_identity"

    id: int = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    active: bool = Field(default=True)
    source: str = Field(default="generated", max_length=20)   # generated | uploaded
    pkcs12_sealed: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    passphrase_sealed: str = Field(default="", max_length=1000)
    certificate_pem: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    fingerprint: str = Field(max_length=64, index=True)       # SHA-256 of the DER certificate
    subject: str = Field(default="", max_length=300)
    not_after: datetime | None = Field(default=None, sa_column=ts_column())
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))

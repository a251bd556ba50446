"""What a worker knows when it completes a signed document: the values of the placed fields,
who signed and what happened (for the certificate pages), and what comes out.

Plain dataclasses, filled by the signing service from its rows; no Reflex, no database.

Coordinates: a field's x, y, w, h are FRACTIONS (0..1) of the page *as displayed* — after
the page's /Rotate is applied, origin at the top-left corner of the visible box (CropBox) —
because the field editor places fields on rendered page images. `page` counts from 0.

Times are UTC. A naive datetime (SQLite hands them back that way) is taken as UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import overload

FIELD_KINDS = ("signature", "initials", "date", "text", "checkbox")
MANIFEST_NAME = "client-portal-seal.json"     # the embedded file verify reads
MANIFEST_FORMAT = "client-portal-seal/1"


class DocumentError(Exception):
    """The document cannot be completed; `message` is safe to show to staff (it never
    carries a stack trace or library jargon)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class FieldValue:
    page: int
    x: float
    y: float
    w: float
    h: float
    kind: str                         # one of FIELD_KINDS
    value: str | bool | bytes         # PNG bytes (drawn) or a typed name for signature/initials
    signer_email: str = ""            # whose field it is (the certificate pages show their signature)

    def __post_init__(self):
        if self.kind not in FIELD_KINDS:
            raise DocumentError(f"Unknown field kind {self.kind!r}.")


@dataclass(frozen=True, kw_only=True)
class SignerInfo:
    name: str
    email: str
    role: str = "Signer"
    ip: str = ""
    user_agent: str = ""
    consent_text: str = ""
    consent_version: str = ""
    sent_at: datetime | None = None
    viewed_at: datetime | None = None
    signed_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class EventInfo:
    at: datetime
    action: str                       # "Sent to zoe@…", "Viewed", "Signed", "Completed"
    actor: str = ""                   # a name or email; "" for the system
    ip: str = ""


@dataclass(frozen=True, kw_only=True)
class CertificateInfo:
    title: str
    document_id: str                  # the document's public id
    original_sha256: str              # of the uploaded original, as stored when it was uploaded
    signers: list[SignerInfo] = field(default_factory=list)
    events: list[EventInfo] = field(default_factory=list)
    workspace_name: str = ""
    completed_at: datetime | None = None   # default: the last signature's time


@dataclass(frozen=True)
class CompletedPdf:
    data: bytes
    sha256: str                       # of `data`: store it, verify can look the file up by it
    pages: int                        # all pages, certificate pages included
    certificate_pages: int = 0


@overload
def utc(value: datetime) -> datetime: ...
@overload
def utc(value: None) -> None: ...
@overload
def utc(value: datetime | None) -> datetime | None: ...
def utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def utc_text(value: datetime | None) -> str:
    """"2026-03-02 14:05:09 UTC", or "—" when unknown."""
    value = utc(value)
    return "—" if value is None else value.strftime("%Y-%m-%d %H:%M:%S UTC")


def iso(value: datetime | None) -> str | None:
    value = utc(value)
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def completed_at(cert: CertificateInfo) -> datetime:
    if cert.completed_at is not None:
        return utc(cert.completed_at)
    signed = [utc(s.signed_at) for s in cert.signers if s.signed_at is not None]
    return max(signed) if signed else datetime.now(UTC)

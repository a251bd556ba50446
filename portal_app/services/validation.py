"""Cleaning and checking what people type. Messages are for humans."""

from __future__ import annotations

import re
import unicodedata
from typing import Literal, overload

from email_validator import EmailNotValidError, validate_email

from portal_app import limits
from portal_app.errors import Invalid

_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
_PHONE = re.compile(r"^[0-9+() .\-/x]*$")


def clean_text(value: object, field: str, label: str, max_len: int, *, multiline: bool = False,
               required: bool = False) -> str:
    text = "" if value is None else str(value)
    text = unicodedata.normalize("NFC", text).strip()
    allowed = "\n\t" if multiline else ""
    if any(unicodedata.category(ch) in ("Cc", "Cf") and ch not in allowed for ch in text):
        raise Invalid(f"{label} contains characters that are not allowed.", field)
    if required and not text:
        raise Invalid(f"{label} is required.", field)
    check_length(label, text, max_len, field)
    return text


def check_length(label: str, value: str, limit: int, field: str | None = None) -> None:
    """The one message for a value past its limit (portal_app/limits.py), for values that
    are not cleaned as text (a password is taken as typed)."""
    if len(value) > limit:
        raise Invalid(f"{label} can be at most {limit} characters.", field)


def clean_email(value: object, field: str = "email", label: str = "Email", *,
                required: bool = True) -> str:
    text = clean_text(value, field, label, limits.EMAIL, required=required)
    if not text:
        return ""
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        raise Invalid(f"{label} does not look like an email address (name@example.com).", field) from None
    return result.normalized.lower()


def clean_phone(value: object, field: str = "phone") -> str:
    text = clean_text(value, field, "Phone", limits.PHONE)
    if not _PHONE.match(text):
        raise Invalid("Phone may contain digits, spaces and + ( ) - . / x only.", field)
    return text


@overload
def clean_color(value: object, field: str, label: str, *, required: Literal[True] = True) -> str: ...
@overload
def clean_color(value: object, field: str, label: str, *, required: bool) -> str | None: ...
def clean_color(value: object, field: str, label: str, *, required: bool = True) -> str | None:
    text = "" if value is None else str(value).strip()
    if not text and not required:
        return None
    if not _HEX.match(text):
        raise Invalid(f"{label} must be a color like #2563eb.", field)
    return text.lower()

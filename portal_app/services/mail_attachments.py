"""Files on an email: checked and bounded when the email is queued (services/emails.py
queue_email), carried in the job's payload as base64, turned back into adapters.mail
Attachments by the worker.

Attachments are made by our code (a calendar invitation: `calendar_invitation(ics_bytes)`),
never uploaded by people, so a file past the limits (portal_app/limits.py: at most
MAIL_ATTACHMENTS files, MAIL_ATTACHMENTS_BYTES together) is a bug: ValueError, not a message
for a person. File names are cleaned as uploads' are (no folders, control or direction
characters) and cut to MAIL_ATTACHMENT_NAME characters with the extension kept.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable

from portal_app import limits
from portal_app.adapters.mail import Attachment, calendar_method
from portal_app.services.files.filetypes import clean_file_name

__all__ = ["Attachment", "calendar_invitation", "check", "from_payload", "to_payload"]

# a bare "type/subtype" (RFC 6838 names), lowercase, no parameters
_CONTENT_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,62}/[a-z0-9][a-z0-9!#$&^_.+-]{0,62}")


def calendar_invitation(ics: bytes, filename: str = "invite.ics") -> Attachment:
    """An iTIP calendar message (services/appointments/ics.py invitation(): METHOD REQUEST or
    CANCEL) as an attachment: the mailer sends it as a text/calendar alternative too."""
    return Attachment(filename=filename, content_type="text/calendar", data=bytes(ics))


def check(attachments: Iterable[Attachment]) -> tuple[Attachment, ...]:
    """The attachments with clean file names and content types, or ValueError: more than
    MAIL_ATTACHMENTS files, more than MAIL_ATTACHMENTS_BYTES together, an empty file, data that
    is not bytes, a content type that is not "type/subtype", a calendar invitation that is not
    UTF-8, or two calendar invitations on one email."""
    items = list(attachments)
    if len(items) > limits.MAIL_ATTACHMENTS:
        raise ValueError(f"an email carries at most {limits.MAIL_ATTACHMENTS} attachments, not {len(items)}")
    out: list[Attachment] = []
    total = 0
    for att in items:
        if not isinstance(att, Attachment):
            raise ValueError(f"not an Attachment: {type(att).__name__}")
        if not isinstance(att.data, bytes | bytearray | memoryview):
            raise ValueError("an attachment's data is bytes")
        data = bytes(att.data)
        if not data:
            raise ValueError(f"the attachment {att.filename!r} is empty")
        total += len(data)
        if total > limits.MAIL_ATTACHMENTS_BYTES:
            raise ValueError(f"an email's attachments are at most {limits.MAIL_ATTACHMENTS_BYTES} bytes together")
        content_type = str(att.content_type or "").strip().lower()
        if not _CONTENT_TYPE.fullmatch(content_type) or content_type.startswith("multipart/"):
            raise ValueError(f"not a content type: {att.content_type!r}")
        clean = Attachment(filename=clean_file_name(str(att.filename or ""), limits.MAIL_ATTACHMENT_NAME),
                           content_type=content_type, data=data)
        if calendar_method(clean):
            try:
                data.decode("utf-8")
            except UnicodeDecodeError:
                raise ValueError(f"the calendar invitation {clean.filename!r} is not UTF-8") from None
        out.append(clean)
    if sum(1 for a in out if calendar_method(a)) > 1:
        raise ValueError("an email carries at most one calendar invitation")
    return tuple(out)


def to_payload(attachments: Iterable[Attachment]) -> list[dict[str, str]]:
    """Checked attachments as JSON-ready dicts for the job payload (data in base64)."""
    return [{"filename": a.filename, "content_type": a.content_type,
             "data": base64.b64encode(a.data).decode("ascii")} for a in check(attachments)]


def from_payload(items: object) -> tuple[Attachment, ...]:
    """The job payload's attachments back (checked again: a payload is data in a table);
    none when the payload has none (every email queued before attachments existed)."""
    if not items:
        return ()
    if not isinstance(items, list):
        raise ValueError("a payload's attachments are a list")
    out = []
    for item in items:
        try:
            data = base64.b64decode(item["data"], validate=True)
            out.append(Attachment(filename=str(item["filename"]), content_type=str(item["content_type"]),
                                  data=data))
        except (KeyError, TypeError, binascii.Error) as exc:
            raise ValueError(f"a payload attachment is malformed: {exc}") from None
    return check(out)

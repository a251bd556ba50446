"""Outgoing mail: SMTP (STARTTLS, SSL or plain; optional AUTH) or the dev outbox table.

A mail may carry attachments (checked and bounded where they are queued:
services/mail_attachments.py). A calendar invitation (text/calendar with a METHOD line) is
sent the way calendar clients look for it (what Gmail and Outlook send, RFC 6047):

    multipart/mixed
      multipart/alternative
        text/plain
        text/html
        text/calendar; charset="utf-8"; method=REQUEST   (or CANCEL)
      application/ics; name="invite.ics"   (the same bytes, attachment; filename="invite.ics")
"""

from __future__ import annotations

import re
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Protocol

from sqlmodel import Session

from portal_app.settings import Settings, get_settings


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # "type/subtype", no parameters
    data: bytes


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    html: str
    from_name: str = ""
    reply_to: str = ""  # the workspace's reply-to address (Configure Portal), "" for none
    attachments: tuple[Attachment, ...] = field(default=())


# iTIP methods (RFC 5546 §1.4); the METHOD line of a VCALENDAR, not of a nested component
ITIP_METHODS = ("PUBLISH", "REQUEST", "REPLY", "ADD", "CANCEL", "REFRESH", "COUNTER", "DECLINECOUNTER")
_METHOD = re.compile(rb"^METHOD:([A-Za-z-]+)\r?$", re.MULTILINE | re.IGNORECASE)


def calendar_method(att: Attachment) -> str | None:
    """The iTIP method of a text/calendar attachment ("REQUEST", "CANCEL", …), else None: a
    calendar without one (a feed, a plain .ics) is an ordinary attachment. METHOD is read among
    the VCALENDAR's own properties, before its first component."""
    if att.content_type != "text/calendar":
        return None
    start = att.data.find(b"BEGIN:VCALENDAR")
    if start < 0:
        return None
    own = att.data[start + len(b"BEGIN:VCALENDAR"):]
    first_component = own.find(b"BEGIN:")
    found = _METHOD.search(own if first_component < 0 else own[:first_component])
    if not found:
        return None
    method = found.group(1).decode("ascii").upper()
    return method if method in ITIP_METHODS else None


def build_message(mail: Mail, sender: str, message_id: str) -> EmailMessage:
    """The MIME message: text and HTML alternatives; a calendar invitation as a third
    alternative (with its method) and again as an attachment; other files as attachments."""
    msg = EmailMessage()
    msg["From"] = formataddr((mail.from_name, sender)) if mail.from_name else sender
    msg["To"] = mail.to
    if mail.reply_to:
        msg["Reply-To"] = mail.reply_to
    msg["Subject"] = mail.subject
    msg["Message-ID"] = message_id
    msg.set_content(mail.text)
    msg.add_alternative(mail.html, subtype="html")
    invitations = [(a, m) for a in mail.attachments if (m := calendar_method(a))]
    if len(invitations) > 1:
        raise ValueError("an email carries at most one calendar invitation")
    for att, method in invitations:
        # email.contentmanager.set_text_content sets params on Content-Type after charset; the
        # default policy writes them quoted (method="REQUEST"), valid MIME (RFC 2045 §5.1)
        msg.add_alternative(att.data.decode("utf-8"), subtype="calendar", params={"method": method})
    for att in mail.attachments:
        if calendar_method(att):
            msg.add_attachment(att.data, maintype="application", subtype="ics", filename=att.filename,
                               params={"name": att.filename})
            continue
        maintype, _, subtype = att.content_type.partition("/")
        msg.add_attachment(att.data, maintype=maintype, subtype=subtype, filename=att.filename)
    return msg


class Mailer(Protocol):
    def send(self, mail: Mail, workspace_id: int, db: Session) -> None: ...


SMTP_SECURITY = ("starttls", "ssl", "none")


class SmtpMailer:
    def __init__(self, settings: Settings):
        self.s = settings

    def _tls_context(self) -> ssl.SSLContext:
        """Verifies the server's certificate and name; PORTAL_SMTP_CA_FILE adds a private CA."""
        return ssl.create_default_context(cafile=self.s.smtp_ca_file or None)

    def build(self, mail: Mail) -> EmailMessage:
        return build_message(mail, self.s.mail_from,
                             make_msgid(domain=self.s.mail_from.rsplit("@", 1)[-1] or "localhost"))

    def send(self, mail: Mail, workspace_id: int, db: Session) -> None:
        msg = self.build(mail)
        s = self.s
        if s.smtp_security not in SMTP_SECURITY:
            # A typo must not quietly mean "no encryption" (and a password sent in clear).
            raise ValueError(f"PORTAL_SMTP_SECURITY must be one of {', '.join(SMTP_SECURITY)}")
        if s.smtp_security == "ssl":
            server: smtplib.SMTP = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=20,
                                                   context=self._tls_context())
        else:
            server = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=20)
        with server:
            server.ehlo()
            if s.smtp_security == "starttls":
                server.starttls(context=self._tls_context())
                server.ehlo()
            if s.smtp_username:
                server.login(s.smtp_username, s.smtp_password)
            server.send_message(msg)


class OutboxMailer:
    """Dev mode: keep the mail in the database; staff read it at /staff/outbox, with the From
    (sender name and PORTAL_MAIL_FROM) and Reply-To SMTP would have sent."""

    def send(self, mail: Mail, workspace_id: int, db: Session) -> None:
        from portal_app import limits
        from portal_app.models import DevMail, DevMailAttachment

        row = DevMail(workspace_id=workspace_id, to_addr=mail.to, subject=mail.subject,
                      text_body=mail.text, html_body=mail.html,
                      from_name=_one_line(mail.from_name, limits.SENDER_NAME),
                      from_addr=_one_line(get_settings().mail_from, limits.EMAIL),
                      reply_to=_one_line(mail.reply_to, limits.EMAIL))
        db.add(row)
        if mail.attachments:
            db.flush()  # the mail's id
            for position, att in enumerate(mail.attachments):
                db.add(DevMailAttachment(workspace_id=workspace_id, dev_mail_id=row.id, position=position,
                                         filename=att.filename, content_type=att.content_type,
                                         size=len(att.data), data=att.data))


def _one_line(value: str, limit: int) -> str:
    """A header value as the outbox keeps it: no line breaks or control characters, capped."""
    return " ".join("".join(c if c.isprintable() else " " for c in (value or "")).split())[:limit]


_mailer: Mailer | None = None


def get_mailer() -> Mailer:
    global _mailer
    if _mailer is None:
        settings = get_settings()
        _mailer = SmtpMailer(settings) if settings.mail == "smtp" else OutboxMailer()
    return _mailer


def set_mailer(mailer: Mailer | None) -> None:
    global _mailer
    _mailer = mailer

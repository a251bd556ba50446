"""Outgoing mail: SMTP (STARTTLS, SSL or plain; optional AUTH) or the dev outbox table."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Protocol

from sqlmodel import Session

from portal_app.settings import Settings, get_settings


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    html: str
    from_name: str = ""


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
        msg = EmailMessage()
        msg["From"] = formataddr((mail.from_name, self.s.mail_from)) if mail.from_name else self.s.mail_from
        msg["To"] = mail.to
        msg["Subject"] = mail.subject
        msg["Message-ID"] = make_msgid(domain=self.s.mail_from.rsplit("@", 1)[-1] or "localhost")
        msg.set_content(mail.text)
        msg.add_alternative(mail.html, subtype="html")
        return msg

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
    """Dev mode: keep the mail in the database; staff read it at /staff/outbox."""

    def send(self, mail: Mail, workspace_id: int, db: Session) -> None:
        from portal_app.models import DevMail

        db.add(DevMail(workspace_id=workspace_id, to_addr=mail.to, subject=mail.subject,
                       text_body=mail.text, html_body=mail.html))


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

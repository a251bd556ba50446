"""Emails in the workspace's branding, as HTML and plain text. Every value is escaped."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from sqlmodel import Session

from portal_app.models import Workspace
from portal_app.services import mail_attachments, outbox
from portal_app.services.mail_attachments import Attachment
from portal_app.services.portal.portal_settings import branding_for, mail_identity


def _html(ws: Workspace, branding, heading: str, paragraphs: list[str], button_label: str,
          button_url: str, footer: str) -> str:
    accent = escape(branding.accent_color)
    logo = ""
    if branding.logo_url:
        logo = (f'<img src="{escape(ws.base_url + branding.logo_url)}" alt="{escape(ws.name)}" '
                f'style="max-height:48px;max-width:200px">')
    else:
        logo = f'<strong style="font-size:18px">{escape(ws.name)}</strong>'
    body = "".join(f'<p style="margin:0 0 14px">{_para(p)}</p>' for p in paragraphs)
    return f"""<!doctype html><html><body style="margin:0;background:#f4f5f7;font-family:Arial,sans-serif;color:#1f2937">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr><td align="center" style="padding:24px 12px">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="max-width:560px;background:#fff;border-radius:8px;border-top:4px solid {accent}">
<tr><td style="padding:24px 32px 8px">{logo}</td></tr>
<tr><td style="padding:8px 32px 24px"><h1 style="font-size:20px;margin:0 0 16px">{escape(heading)}</h1>{body}
<p style="margin:24px 0"><a href="{escape(button_url)}" style="background:{accent};color:#fff;padding:12px 20px;border-radius:6px;text-decoration:none;display:inline-block">{escape(button_label)}</a></p>
<p style="font-size:12px;color:#6b7280;margin:0">If the button does not work, copy this link into your browser:<br>{escape(button_url)}</p>
</td></tr>
<tr><td style="padding:16px 32px;font-size:12px;color:#6b7280;border-top:1px solid #e5e7eb">{escape(footer)}</td></tr>
</table></td></tr></table></body></html>"""


def _para(p: object) -> str:
    """A paragraph's HTML: escaped, unless it is already safe HTML (markupsafe.Markup: a staff
    template rendered with autoescape, services/automations/templates.py), whose lines break."""
    if hasattr(p, "__html__"):
        return str(p.__html__()).replace("\n", "<br>")
    return escape(str(p))


def render_branded(db: Session, ws: Workspace, *, heading: str, paragraphs: list, button_label: str,
                   button_url: str, footer: str, text_paragraphs: list[str] | None = None) -> tuple[str, str]:
    """(html, text) of a branded email. `paragraphs` are plain text (escaped here) or Markup;
    `text_paragraphs`, when given, are the plain-text part's (Markup's own text)."""
    branding = branding_for(db, ws)
    plain = text_paragraphs if text_paragraphs is not None else [str(p) for p in paragraphs]
    text = "\n\n".join([heading, *plain, f"{button_label}: {button_url}", "--", footer])
    return _html(ws, branding, heading, paragraphs, button_label, button_url, footer), text


def queue_email(db: Session, ws: Workspace, *, to: str, subject: str, html: str, text: str,
                for_client: bool = True, attachments: Sequence[Attachment] = ()) -> None:
    """An email job (the worker sends it: the dev outbox, or SMTP in production). Mail to a
    contact of the workspace is recorded on their Communications timeline, in this transaction
    (its one-time links redacted); `for_client=False` (mail to staff) never is, even when a
    contact shares the address. `attachments` (services/mail_attachments.py: at most 5 files,
    1 MiB together, else ValueError) travel in the payload; a calendar invitation among them
    (`mail_attachments.calendar_invitation(ics)`) is sent so that calendars offer to add it."""
    from_name, reply_to = mail_identity(db, ws)  # Configure Portal's sender name and reply-to
    payload: dict = {"to": to, "subject": subject, "text": text, "html": html, "from_name": from_name}
    if reply_to:
        payload["reply_to"] = reply_to
    if attachments:
        payload["attachments"] = mail_attachments.to_payload(attachments)
    msg = outbox.enqueue(db, ws.id, "email", payload)
    if for_client:
        from portal_app.services.conversations import timeline

        db.flush()  # the job's id: the entry's ref, matched when the worker sends it
        timeline.record_email(db, ws.id, to=to, subject=subject, text=text, outbox_id=msg.id)


def queue_branded_email(db: Session, ws: Workspace, *, to: str, subject: str, heading: str,
                        paragraphs: list[str], button_label: str, button_url: str, footer: str,
                        for_client: bool = True, attachments: Sequence[Attachment] = ()) -> None:
    html, text = render_branded(db, ws, heading=heading, paragraphs=paragraphs, button_label=button_label,
                                button_url=button_url, footer=footer)
    queue_email(db, ws, to=to, subject=subject, html=html, text=text, for_client=for_client,
                attachments=attachments)


def invitation_email(db: Session, ws: Workspace, *, to: str, contact_name: str, link: str,
                     days: int) -> None:
    queue_branded_email(
        db, ws, to=to,
        subject=f"{ws.name} invited you to your client portal",
        heading=f"Hello {contact_name},",
        paragraphs=[
            f"{ws.name} has set up a secure client portal for you. There you can see what "
            f"{ws.name} shares with you and keep your contact details up to date.",
            f"Open the link below to choose your password. It works once and expires in {days} days.",
        ],
        button_label="Accept invitation", button_url=link,
        footer=f"You received this email because {ws.name} invited {to}. If you did not expect "
               f"it, you can ignore it.",
    )


def email_change_email(db: Session, ws: Workspace, *, to: str, contact_name: str, link: str) -> None:
    queue_branded_email(
        db, ws, to=to,
        subject=f"Confirm your new email for {ws.name}",
        heading=f"Hello {contact_name},",
        paragraphs=[f"Please confirm that {to} is your new email address for the {ws.name} client portal.",
                    "The link works once and expires in 24 hours."],
        button_label="Confirm email address", button_url=link,
        footer="If you did not ask for this change, ignore this email; nothing will change.",
    )


def staff_notice_email(db: Session, ws: Workspace, *, to: str, subject: str, text: str, link: str) -> None:
    queue_branded_email(db, ws, to=to, subject=subject, heading=subject, paragraphs=[text],
                        button_label="Open in the portal", button_url=link,
                        footer=f"Sent by the {ws.name} client portal.", for_client=False)


def invoice_email(db: Session, ws: Workspace, *, to: str, contact_name: str, number: str, amount: str,
                  due: str, settled: bool, link: str) -> None:
    """An invoice sent to its client: its number, what is due (or that it is settled) and when,
    and a link to it in their portal."""
    queue_branded_email(
        db, ws, to=to,
        subject=f"Invoice {number} from {ws.name}",
        heading=f"Hello {contact_name},",
        paragraphs=[f"{ws.name} sent you invoice {number}.",
                    f"Total: {amount}. It is paid in full: thank you." if settled else f"Amount due: {amount}",
                    f"Due date: {due}",
                    "Sign in to your client portal to see it and download the PDF."
                    + ("" if settled else " The invoice says how to pay.")],
        button_label=f"View invoice {number}", button_url=link,
        footer=f"You received this email because {ws.name} sent an invoice to {to}.",
    )

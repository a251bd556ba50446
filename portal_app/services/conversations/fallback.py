"""The email fallback: chat messages still unread after the workspace's delay, emailed in one batch.

Sending a message schedules one job per conversation and side (messages.FALLBACK_KIND, payload
{"conversation": public id, "to": "client" | "staff"}, due `chat_email_after_minutes` later,
unique while it waits: messages sent meanwhile join the same batch). When it runs,
`email_unread` collects what that side has not read yet and was not emailed yet:

- to the client: staff messages that are not internal notes, newer than `client_last_read_id`
  and `client_emailed_up_to`; one email to the contact (only a contact with an active portal
  account: the button opens their portal with the chat open, `{base_url}/?chat=open`);
- to staff: the client's messages newer than `staff_emailed_up_to` and read by nobody on the
  team (the highest ConversationStaffRead: once a colleague has read it, it is being handled);
  one email to each member whose own setting (StaffUser.chat_email, access.staff_wants_chat_email)
  takes it, with a button to `{base_url}/staff/inbox/<conversation>`.

Then the side's marker moves to the newest message it covered, in the job's transaction (with
the email jobs it queued): a second run, or a message read before the job ran, sends nothing.
The conversation row is locked while this runs, so a message committed meanwhile either is in
this batch or finds the job finished and schedules the next one.
"""

from __future__ import annotations

from markupsafe import Markup, escape
from sqlmodel import Session, col, func, select

from portal_app.access import staff_wants_chat_email
from portal_app.db import begin_write
from portal_app.models import (
    ClientAccount,
    ClientStatus,
    Contact,
    Conversation,
    ConversationMessage,
    StaffUser,
    Workspace,
)
from portal_app.services import emails
from portal_app.services.accounts.notifications import CHAT_EMAIL_CHOICES
from portal_app.services.conversations import threads
from portal_app.services.portal.portal_settings import portal_settings_for

CHAT_QUERY = "chat"        # the portal opens its chat panel for `/?chat=open`
CHAT_QUERY_VALUE = "open"
MAX_LISTED = 20            # messages quoted in one email (the newest; the rest are counted)
QUOTE_CHARS = 1500         # of each message's text


def client_chat_link(ws: Workspace) -> str:
    return f"{ws.base_url}/?{CHAT_QUERY}={CHAT_QUERY_VALUE}"


def staff_inbox_link(ws: Workspace, conversation_public_id: str) -> str:
    return f"{ws.base_url}/staff/inbox/{conversation_public_id}"


def email_unread(db: Session, workspace_id: int, payload: dict) -> list[str]:
    """The worker's job (kind "conversation.email"): email what `payload["to"]` has not read of
    the conversation. Returns the addresses emailed (none: nothing unread, nobody to tell)."""
    to = payload.get("to")
    if to not in ("client", "staff"):
        raise ValueError(f"a chat email goes to the client or to staff, not {to!r}")
    conv = _locked(db, workspace_id, str(payload.get("conversation", "")))
    if conv is None:
        return []
    minutes = portal_settings_for(db, workspace_id).chat_email_after_minutes
    if minutes <= 0:  # switched off since the message was sent
        return []
    unread, count = _unread(db, conv, to)
    if not unread:
        return []
    ws = db.get_one(Workspace, workspace_id)
    sent = _email_client(db, ws, conv, unread, count, minutes) if to == "client" else \
        _email_staff(db, ws, conv, unread, count, minutes)
    if to == "client":
        conv.client_emailed_up_to = unread[-1].id
    else:
        conv.staff_emailed_up_to = unread[-1].id
    db.add(conv)
    return sent


def _locked(db: Session, workspace_id: int, public_id: str) -> Conversation | None:
    begin_write(db)
    q = (select(Conversation).where(Conversation.workspace_id == workspace_id, Conversation.public_id == public_id[:40])
         .execution_options(populate_existing=True))
    if db.get_bind().dialect.name == "postgresql":
        q = q.with_for_update()
    return db.exec(q).first()


def _unread(db: Session, conv: Conversation, to: str) -> tuple[list[ConversationMessage], int]:
    """The newest MAX_LISTED messages `to` has neither read nor been emailed, oldest first, and
    how many there are in all."""
    q = select(ConversationMessage).where(ConversationMessage.conversation_id == conv.id)
    if to == "client":
        q = q.where(ConversationMessage.author == "staff", col(ConversationMessage.internal).is_(False),
                    ConversationMessage.id > max(conv.client_last_read_id, conv.client_emailed_up_to))
    else:
        q = q.where(ConversationMessage.author == "client",
                    ConversationMessage.id > max(threads.staff_read_upto(db, conv), conv.staff_emailed_up_to))
    count = int(db.exec(select(func.count()).select_from(q.subquery())).one())
    rows = list(db.exec(q.order_by(col(ConversationMessage.id).desc()).limit(MAX_LISTED)).all())
    rows.reverse()
    return rows, count


def _when(m: ConversationMessage) -> str:
    return m.created_at.strftime("%d %b %Y, %H:%M UTC")


def _quote(m: ConversationMessage, sender: str) -> tuple[Markup, str]:
    """One message as an email paragraph (HTML, its lines kept) and as plain text."""
    body = m.body if len(m.body) <= QUOTE_CHARS else m.body[:QUOTE_CHARS].rstrip() + " … (continued in the portal)"
    lines = [f"{sender} · {_when(m)}"]
    if body:
        lines.append(body)
    if m.attachment_key:
        lines.append(f"Attachment: {m.attachment_name}")
    text = "\n".join(lines)
    return Markup(escape(text)), text


def _quotes(messages: list[ConversationMessage], names: dict[int, str], count: int,
            default: str) -> tuple[list[Markup], list[str]]:
    html, text = [], []
    if count > len(messages):
        earlier = count - len(messages)
        note = f"… and {earlier} earlier message{'s' if earlier != 1 else ''}, in the portal."
        html.append(Markup(escape(note)))
        text.append(note)
    for m in messages:
        sender = names.get(m.staff_user_id or 0, default) if m.author == "staff" else default
        h, t = _quote(m, sender)
        html.append(h)
        text.append(t)
    return html, text


def _plural(n: int) -> str:
    return "a message" if n == 1 else f"{n} messages"


def _email_client(db: Session, ws: Workspace, conv: Conversation, unread: list[ConversationMessage], count: int,
                  minutes: int) -> list[str]:
    ps = portal_settings_for(db, ws.id)
    contact = db.get(Contact, conv.contact_id)
    account = db.exec(select(ClientAccount).where(ClientAccount.contact_id == conv.contact_id)).first()
    if (not ps.chat_widget or contact is None or not contact.email or account is None
            or account.status != ClientStatus.active.value):
        return []  # no chat to open, or nobody who can sign in to read it: the portal keeps them
    staff_ids = {m.staff_user_id for m in unread if m.staff_user_id}
    names = {u.id: u.name for u in db.exec(select(StaffUser).where(col(StaffUser.id).in_(staff_ids))).all()} \
        if staff_ids else {}
    html, text = _quotes(unread, names, count, ws.name)
    intro = (f"{ws.name} wrote to you in your client portal's chat and you have not read it yet:" if count == 1
             else f"{ws.name} wrote to you in your client portal's chat; {count} messages are still unread:")
    outro = "Reply in the chat: answers to this email are not read."
    heading = f"Hello {contact.first_name or contact.display_name},"
    footer = (f"You received this email because a message from {ws.name} was not read within "
              f"{minutes} minute{'s' if minutes != 1 else ''}.")
    body_html, body_text = emails.render_branded(
        db, ws, heading=heading, paragraphs=[intro, *html, outro], button_label="Open the chat",
        button_url=client_chat_link(ws), footer=footer, text_paragraphs=[intro, *text, outro])
    emails.queue_email(db, ws, to=contact.email, subject=f"{ws.name} sent you {_plural(count)}",
                       html=body_html, text=body_text)
    return [contact.email]


def _email_staff(db: Session, ws: Workspace, conv: Conversation, unread: list[ConversationMessage], count: int,
                 minutes: int) -> list[str]:
    members = db.exec(select(StaffUser).where(StaffUser.workspace_id == ws.id, col(StaffUser.disabled).is_(False))
                      .order_by(col(StaffUser.id))).all()
    recipients = [m for m in members if staff_wants_chat_email(m, conv)]
    if not recipients:
        return []
    contact = db.get(Contact, conv.contact_id)
    client = contact.display_name if contact else "A client"
    html, text = _quotes(unread, {}, count, client)
    intro = (f"{client} wrote in the portal chat and nobody on the team has read it for {minutes} "
             f"minute{'s' if minutes != 1 else ''}:" if count == 1 else
             f"{client} wrote in the portal chat; {count} messages have not been read by anyone on the team:")
    link = staff_inbox_link(ws, conv.public_id)
    for member in recipients:
        setting = CHAT_EMAIL_CHOICES.get(member.chat_email, member.chat_email)
        footer = f"You get this email because your chat emails are set to “{setting}”. Change it under Settings › Team."
        body_html, body_text = emails.render_branded(
            db, ws, heading=f"{client} is waiting for an answer", paragraphs=[intro, *html],
            button_label="Open the conversation", button_url=link, footer=footer, text_paragraphs=[intro, *text])
        emails.queue_email(db, ws, to=member.email, subject=f"{client}: {_plural(count)} unread in the chat",
                           html=body_html, text=body_text)
    return [m.email for m in recipients]

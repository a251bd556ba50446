"""Staff send a contact a link to book an appointment themselves (/appointments/book).

Any staff member (access.require_manage_appointments), for a contact of their workspace who has
an email address and portal access (the booking page is behind the client's sign-in). The email
goes through the outbox (emails.queue_branded_email) with a link built from the workspace's
configured base URL. A second link to the same contact within BOOKING_LINK_EVERY is refused with
a message saying when the last one went (a double click, two colleagues at once); each send is an
audit event of the contact, which is also what the guard reads.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, col, select

from portal_app.access import Actor, require_manage_appointments
from portal_app.errors import Invalid, NotFound
from portal_app.models import AuditEvent, ClientAccount, Contact, Workspace, utcnow
from portal_app.services import audit, emails

BOOKING_LINK_EVERY = timedelta(minutes=10)
ACTION = "appointments.booking_link_sent"
BOOK_PATH = "/appointments/book"


def send_booking_link(db: Session, actor: Actor, contact: object) -> str:
    """Queue the email; returns the address it goes to."""
    staff = require_manage_appointments(actor)
    found = db.exec(select(Contact).where(Contact.workspace_id == staff.workspace_id,
                                          Contact.public_id == str(contact or "")[:40])).first()
    if found is None:
        raise NotFound("This contact does not exist.")
    if not found.email:
        raise Invalid(f"{found.display_name} has no email address yet.")
    account = db.exec(select(ClientAccount).where(ClientAccount.contact_id == found.id)).first()
    if account is None or account.status == "disabled":
        raise Invalid(f"{found.display_name} cannot sign in to the portal: send a portal invitation first.")
    last = db.exec(select(AuditEvent.at).where(AuditEvent.workspace_id == staff.workspace_id,
                                               AuditEvent.subject_type == "contact",
                                               AuditEvent.subject_id == found.public_id,
                                               AuditEvent.action == ACTION)
                   .order_by(col(AuditEvent.seq).desc()).limit(1)).first()
    now = utcnow()
    if last is not None and now - last < BOOKING_LINK_EVERY:
        ago = max(1, int((now - last).total_seconds() // 60))
        wait = max(1, -int(-(BOOKING_LINK_EVERY - (now - last)).total_seconds() // 60))
        raise Invalid(f"A booking link went to {found.email} {ago} minute{'s' if ago != 1 else ''} ago. "
                      f"You can send another in {wait} minute{'s' if wait != 1 else ''}.")
    ws = db.get_one(Workspace, staff.workspace_id)
    emails.queue_branded_email(
        db, ws, to=found.email,
        subject=f"Book a time with {ws.name}",
        heading=f"Hello {found.display_name},",
        paragraphs=[f"{ws.name} invites you to choose a time that suits you.",
                    "Open the link below, sign in to your client portal and pick a free time. "
                    "You can reschedule or cancel it there later."],
        button_label="Book a time", button_url=f"{ws.base_url}{BOOK_PATH}",
        footer=f"You received this email because {ws.name} asked you to book an appointment.",
    )
    audit.record(db, staff.workspace_id, staff, ACTION, "contact", found.public_id, {"to": found.email})
    return found.email

"""Emails that follow an appointment's events (handlers registered in services/bus.py, run by the
worker in the event's transaction).

The client gets a branded email for AppointmentBooked, AppointmentChanged and AppointmentCancelled
with the calendar invitation attached (ics.invitation(): METHOD REQUEST, or CANCEL; UID and
SEQUENCE from invitations.py/the appointment), times in the contact's own zone (Contact.time_zone)
or, when we do not know it, in the appointment's zone, the zone named. When the client booked,
moved or cancelled it themselves, the staff member it is with gets a short notice too
(emails.staff_notice_email, as for a client's upload or a declined document).

Who is emailed: a contact with an email address whose portal access is not disabled (an
invitation is useful without a portal account). The button opens /appointments, or the portal's
home while the Appointments section is off. A change the client cannot see (internal notes)
raises no event, so nothing is emailed. A stale event (the appointment changed again before the
worker took it: its sequence is past the event's) sends nothing: the newer event's email carries
the current state, with the higher SEQUENCE.
"""

from __future__ import annotations

import logging

from sqlmodel import Session, select

from portal_app.models import (
    Appointment,
    ClientAccount,
    ClientStatus,
    Contact,
    StaffAvailability,
    StaffUser,
    Workspace,
    utcnow,
)
from portal_app.services import emails, events
from portal_app.services.appointments import ics, invitations
from portal_app.services.appointments.times import view_zone, when_text
from portal_app.services.mail_attachments import calendar_invitation
from portal_app.services.portal.portal_settings import portal_settings_for

log = logging.getLogger("portal.events")


def find(db: Session, workspace_id: int, public_id: str) -> Appointment | None:
    return db.exec(select(Appointment).where(Appointment.workspace_id == workspace_id,
                                             Appointment.public_id == public_id)).first()


def recipient(db: Session, a: Appointment) -> Contact | None:
    """The appointment's contact when they are to be emailed (an address, access not disabled)."""
    contact = db.exec(select(Contact).where(Contact.workspace_id == a.workspace_id,
                                            Contact.id == a.contact_id)).first()
    if contact is None or not contact.email:
        return None
    account = db.exec(select(ClientAccount).where(ClientAccount.workspace_id == a.workspace_id,
                                                  ClientAccount.contact_id == contact.id)).first()
    if account is not None and account.status == ClientStatus.disabled.value:
        return None
    return contact


def client_when(a: Appointment, contact: Contact) -> str:
    """"Tue 08 Dec 2026, 10:00–10:30 (Europe/Berlin)" in the contact's zone, else the appointment's."""
    zone = view_zone(contact.time_zone).key if contact.time_zone else a.zone
    return when_text(a.starts_at, a.ends_at, zone)


def portal_button(db: Session, ws: Workspace) -> tuple[str, str]:
    if portal_settings_for(db, ws.id).section_enabled("appointments"):
        return "View your appointments", invitations.client_link(ws)
    return "Open your client portal", ws.base_url.rstrip("/") + "/"


def details(a: Appointment, when: str, member: StaffUser | None) -> list[str]:
    lines = [f"When: {when}"]
    if member is not None:
        lines.append(f"With: {member.name}")
    if a.location:
        lines.append(f"Where: {a.location}")
    if a.client_notes:
        lines.append(f"Notes: {a.client_notes}")
    return lines


_WHAT = {
    "booked": ("Appointment booked", "{ws} booked an appointment with you.", "Your appointment is booked."),
    "changed": ("Appointment updated", "{ws} updated your appointment.", "Your appointment is updated."),
    "moved": ("Appointment moved", "{ws} moved your appointment to a new time.",
              "Your appointment is moved to its new time."),
    "cancelled": ("Appointment cancelled", "{ws} cancelled your appointment.", "Your appointment is cancelled."),
}


def email_client(db: Session, a: Appointment, what: str, by: str) -> str:
    """Queue the client's email about `a` (what: booked/changed/moved/cancelled); the address, or ""."""
    contact = recipient(db, a)
    if contact is None:
        log.info("appointment %s %s: the contact is not emailed", a.public_id, what)
        return ""
    ws = db.get_one(Workspace, a.workspace_id)
    member = db.get(StaffUser, a.staff_id)
    cancelled = what == "cancelled"
    method = "CANCEL" if cancelled else "REQUEST"
    try:
        data = ics.invitation(invitations.ics_event(ws, a, stamp=utcnow(), staff=member, contact=contact,
                                                    people=True), method=method, business=ws.name)
    except ValueError:  # an address icalendar will not write (an old row): the invitation without people
        data = ics.invitation(invitations.ics_event(ws, a, stamp=utcnow()), method=method, business=ws.name)
    when = client_when(a, contact)
    label, by_staff, by_client = _WHAT[what]
    intro = (by_client if by == "client" else by_staff).format(ws=ws.name)
    calendar = ("The attached cancellation removes it from your calendar." if cancelled else
                "Open the attached invitation to add it to your calendar (or update it there).")
    button_label, button_url = portal_button(db, ws)
    emails.queue_branded_email(
        db, ws, to=contact.email, subject=f"{label}: {a.title}, {when}",
        heading=f"Hello {contact.display_name},",
        paragraphs=[intro, f"“{a.title}”", *details(a, when, member), calendar],
        button_label=button_label, button_url=button_url,
        footer=f"You received this email because {ws.name} has an appointment with {contact.email}.",
        attachments=[calendar_invitation(data, "cancel.ics" if cancelled else "invite.ics")])
    return contact.email


def notify_staff(db: Session, a: Appointment, what: str) -> str:
    """A client booked, moved or cancelled: the staff member it is with is told; their address or ""."""
    member = db.get(StaffUser, a.staff_id)
    if member is None or member.disabled or not member.email or member.workspace_id != a.workspace_id:
        return ""
    ws = db.get_one(Workspace, a.workspace_id)
    contact = db.get(Contact, a.contact_id)
    client = contact.display_name if contact else "A client"
    verb = {"booked": "booked", "moved": "moved", "changed": "changed", "cancelled": "cancelled"}[what]
    hours = db.exec(select(StaffAvailability).where(StaffAvailability.staff_id == member.id)).first()
    when = when_text(a.starts_at, a.ends_at, view_zone(hours.zone).key if hours else a.zone)  # in their own zone
    emails.staff_notice_email(db, ws, to=member.email, subject=f"{client} {verb} “{a.title}”",
                              text=f"{client} {verb} “{a.title}” with you: {when}.",
                              link=invitations.staff_link(ws))
    return member.email


def _current(db: Session, workspace_id: int, public_id: str, sequence: int, kind: str) -> Appointment | None:
    a = find(db, workspace_id, public_id)
    if a is None:
        log.warning("%s names no appointment of workspace %s: %s", kind, workspace_id, public_id)
        return None
    if a.sequence != sequence:
        log.info("%s of %s is stale (sequence %s, now %s): a newer email follows", kind, public_id,
                 sequence, a.sequence)
        return None
    return a


def on_booked(db: Session, event: events.AppointmentBooked) -> None:
    a = _current(db, event.workspace_id, event.appointment, 0, event.kind)
    if a is None or not a.is_scheduled:
        return
    email_client(db, a, "booked", event.by)
    if event.by == "client":
        notify_staff(db, a, "booked")


def on_changed(db: Session, event: events.AppointmentChanged) -> None:
    a = _current(db, event.workspace_id, event.appointment, event.sequence, event.kind)
    if a is None or not a.is_scheduled:
        return
    what = "moved" if event.rescheduled else "changed"
    email_client(db, a, what, event.by)
    if event.by == "client":
        notify_staff(db, a, what)


def on_cancelled(db: Session, event: events.AppointmentCancelled) -> None:
    a = _current(db, event.workspace_id, event.appointment, event.sequence, event.kind)
    if a is None:
        return
    email_client(db, a, "cancelled", event.by)
    if event.by == "client":
        notify_staff(db, a, "cancelled")

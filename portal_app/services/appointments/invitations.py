"""An appointment as iCalendar data (ics.py's IcsEvent): the one place the UID, the links and
what each reader sees are decided, for the emailed invitations (notify.py) and the feeds
(feeds.py).

The UID is `{public_id}@{host of the workspace's base URL}`: stable for the appointment's whole
life, so every REQUEST/CANCEL and every feed refresh replaces the calendar's one copy. The
client's copy carries the notes for the client only; internal notes never leave the server.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from portal_app.models import Appointment, Contact, StaffUser, Workspace
from portal_app.services.appointments.ics import IcsEvent

CLIENT_PATH = "/appointments"
STAFF_PATH = "/staff/calendar"


def host_of(ws: Workspace) -> str:
    """The host of the workspace's configured base URL (never a request's Host header)."""
    return (urlsplit(ws.base_url).hostname or "portal.invalid").lower()


def uid(ws: Workspace, a: Appointment) -> str:
    return f"{a.public_id}@{host_of(ws)}"


def client_link(ws: Workspace) -> str:
    return f"{ws.base_url.rstrip('/')}{CLIENT_PATH}"


def staff_link(ws: Workspace) -> str:
    return f"{ws.base_url.rstrip('/')}{STAFF_PATH}"


def ics_event(ws: Workspace, a: Appointment, *, stamp: datetime, for_staff: bool = False,
              staff: StaffUser | None = None, contact: Contact | None = None, people: bool = False) -> IcsEvent:
    """The appointment as an IcsEvent. `people`: write ORGANIZER (the staff member) and ATTENDEE
    (the contact), as an emailed invitation does; a feed leaves them out (calendar apps would
    treat each event as an invitation to answer). Staff's copy names the contact in its summary."""
    summary = a.title
    if for_staff and contact is not None:
        summary = f"{a.title} ({contact.display_name})"
    with_people = people and staff is not None and contact is not None and bool(contact.email)
    return IcsEvent(uid=uid(ws, a), sequence=a.sequence, start=a.starts_at, end=a.ends_at, zone=a.zone,
                    summary=summary, description=a.client_notes, location=a.location,
                    url=staff_link(ws) if for_staff else client_link(ws),
                    organizer_email=staff.email if with_people and staff else "",
                    organizer_name=staff.name if with_people and staff else "",
                    attendee_email=contact.email if with_people and contact else "",
                    attendee_name=contact.display_name if with_people and contact else "",
                    cancelled=not a.is_scheduled, stamp=stamp)

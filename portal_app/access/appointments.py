"""Appointments: who manages them and whose availability a staff member edits, a client's
Appointments section and own appointments (one, or the SQL form), and calendar feeds."""

from __future__ import annotations

from portal_app.access.actors import (
    ROLE_RANK,
    Actor,
    Anonymous,
    Client,
    Staff,
    has_role,
    require_portal_section,
    require_staff,
)
from portal_app.errors import Forbidden, NotSignedIn

# --- appointments ------------------------------------------------------------------------------

def require_manage_appointments(actor: Actor) -> Staff:
    """Every staff member creates, edits, reschedules and cancels the workspace's appointments
    (with any colleague), and keeps its booking types."""
    return require_staff(actor)


def require_edit_availability(actor: Actor, staff_user_id: int) -> Staff:
    """A staff member sets their own working hours and days off; owners and admins may set
    anyone's (of their workspace: the caller looks the member up in the staff's workspace)."""
    staff = require_staff(actor)
    if staff.user_id != staff_user_id and ROLE_RANK.get(staff.role, 0) < ROLE_RANK["admin"]:
        raise Forbidden("Only an owner or admin can change a colleague's availability.")
    return staff


def may_edit_availability(actor: Actor, staff_user_id: int) -> bool:
    """The same rule, asked by a page deciding whether to offer the colleague's editor."""
    return isinstance(actor, Staff) and (actor.user_id == staff_user_id or has_role(actor, "admin"))


def require_client_appointments(actor: Actor, settings) -> Client:
    """A client sees, books, reschedules and cancels their own appointments while the business
    has the Appointments section enabled."""
    return require_portal_section(actor, settings, "appointments")


def client_may_see_appointment(client: Client, appointment) -> bool:
    """A client sees the appointments of their own contact, in their workspace."""
    return appointment.workspace_id == client.workspace_id and appointment.contact_id == client.contact_id


def client_appointment_clause(model, client: Client):
    """SQL form of `client_may_see_appointment`."""
    import sqlalchemy as sa

    return sa.and_(model.workspace_id == client.workspace_id, model.contact_id == client.contact_id)


def require_own_feed(actor: Actor) -> Actor:
    """A calendar feed URL is made or reset by the person it belongs to: a client (while the
    Appointments section is on: the caller checks it) or a staff member, for themselves only."""
    if isinstance(actor, Anonymous):
        raise NotSignedIn()
    return actor

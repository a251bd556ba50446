"""One's own sign-in: the sessions, password, email and second factor a person sees and changes
on their Security page -- their own only."""

from __future__ import annotations

from typing import Literal

from portal_app.access.actors import Actor, Anonymous, Client, Staff, StaffEnrolling
from portal_app.errors import Forbidden, NotSignedIn


def require_own_account(actor: Actor) -> Staff | Client:
    """Every signed-in person, staff or client, sees and ends their own sessions and changes
    their own password -- only their own: the services scope every look-up by `owns_session`.
    Staff who must set up two-factor first do that before anything else (fail closed)."""
    if isinstance(actor, Anonymous):
        raise NotSignedIn()
    if isinstance(actor, StaffEnrolling):
        raise Forbidden("Set up two-factor sign-in first.")
    return actor


def owns_session(actor: Actor, session) -> bool:
    """Whether an AuthSession row is one of this actor's own (same workspace, same account)."""
    if isinstance(actor, (Anonymous, StaffEnrolling)) or session.workspace_id != actor.workspace_id:
        return False
    if isinstance(actor, Staff):
        return session.staff_user_id == actor.user_id and session.client_account_id is None
    return session.client_account_id == actor.account_id and session.staff_user_id is None


def own_sessions_clause(model, actor: Staff | Client):
    """SQL form of `owns_session`."""
    import sqlalchemy as sa

    if isinstance(actor, Staff):
        return sa.and_(model.workspace_id == actor.workspace_id, model.staff_user_id == actor.user_id,
                       model.client_account_id.is_(None))
    return sa.and_(model.workspace_id == actor.workspace_id, model.client_account_id == actor.account_id,
                   model.staff_user_id.is_(None))


def own_account(actor: Staff | Client) -> tuple[Literal["staff", "client"], int]:
    """The account a signed-in actor signs in as: ("staff", staff user id) or ("client",
    client account id) -- what their sessions, password and known devices belong to."""
    if isinstance(actor, Staff):
        return "staff", actor.user_id
    return "client", actor.account_id


def require_own_two_factor(actor: Actor) -> Staff | Client | StaffEnrolling:
    """Anyone signed in manages their own second factor (and nobody else's: the services
    look it up by the actor's own account)."""
    if isinstance(actor, Anonymous):
        raise NotSignedIn()
    return actor

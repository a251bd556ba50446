"""Who the actor is: the kinds of actor (Anonymous, Staff, Client, and StaffEnrolling: staff who
must set up two-factor first), the staff roles and
their ranking, the staff area's pages, and the two checks every area's rules build on:
`require_staff` (with a minimum role) and `require_client` (with their own contact, an enabled
portal section)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeGuard

from portal_app.errors import Forbidden, NotFound, NotSignedIn

ROLE_RANK = {"member": 1, "admin": 2, "owner": 3}
STAFF_ROLES = ("owner", "admin", "member")  # highest first


@dataclass(frozen=True)
class Anonymous:
    workspace_id: int | None = None
    kind: str = "anonymous"

    @property
    def label(self) -> str:
        return "anonymous"


@dataclass(frozen=True)
class Staff:
    workspace_id: int
    user_id: int
    role: str
    email: str
    name: str
    session_id: int | None = None
    kind: str = "staff"

    @property
    def label(self) -> str:
        return self.email


@dataclass(frozen=True)
class Client:
    workspace_id: int
    contact_id: int
    account_id: int
    email: str
    name: str
    session_id: int | None = None
    kind: str = "client"

    @property
    def label(self) -> str:
        return self.email


@dataclass(frozen=True)
class StaffEnrolling:
    """A staff member signed in on a workspace that requires two-factor sign-in, who has not
    set it up yet. Not a Staff: every staff rule refuses them (fail closed); the one thing they
    may do is enrol (require_own_two_factor) -- or sign out. The state base sends every page of
    theirs to the enrolment page (STAFF_TWO_FACTOR_PAGE)."""
    workspace_id: int
    user_id: int
    role: str
    email: str
    name: str
    session_id: int | None = None
    kind: str = "enrolling"  # audit_event.actor_kind holds 10 characters

    @property
    def label(self) -> str:
        return self.email


Actor = Anonymous | Staff | Client | StaffEnrolling


def bound_client(workspace_id: str = "ws", contact_id: str = "contact") -> Client:
    """A client whose ids are bind parameters of these names: a statement built once from
    the `*_clause` rules of this package (db.prebuilt) takes the real client's ids when it runs. It is
    a Client, so the rules treat it as one."""
    import sqlalchemy as sa

    ids: Any = (sa.bindparam(workspace_id), sa.bindparam(contact_id))
    return Client(workspace_id=ids[0], contact_id=ids[1], account_id=0, email="", name="")


# --- who the actor is ----------------------------------------------------------------------

def is_signed_in(actor: Actor) -> bool:
    return not isinstance(actor, Anonymous)


def is_staff(actor: Actor) -> TypeGuard[Staff]:
    return isinstance(actor, Staff)


def is_client(actor: Actor) -> TypeGuard[Client]:
    return isinstance(actor, Client)


def is_staff_person(actor: Actor) -> TypeGuard[Staff | StaffEnrolling]:
    """A staff member, whether or not they may do anything yet (sign-out's way back, the
    staff sign-in page)."""
    return isinstance(actor, (Staff, StaffEnrolling))


# Staff pages anyone may open: signing in, a forgotten password, joining a team by invitation.
OPEN_STAFF_PAGES = ("/staff/login", "/staff/login/two-factor", "/staff/forgot-password", "/staff/join")

# --- two-factor sign-in --------------------------------------------------------------------

CLIENT_TWO_FACTOR_PAGE = "/security/two-factor"
STAFF_TWO_FACTOR_PAGE = "/staff/security/two-factor"


def must_enrol_two_factor(actor: Actor) -> TypeGuard[StaffEnrolling]:
    """A staff member whose workspace requires two-factor and who has not set it up: they may
    open the enrolment page only (state/base.py sends every other page there)."""
    return isinstance(actor, StaffEnrolling)


def is_staff_area(path: str) -> bool:
    """A page of the staff area: /staff and below, but for the pages anyone may open."""
    path = path.rstrip("/") or "/"
    return (path == "/staff" or path.startswith("/staff/")) and path not in OPEN_STAFF_PAGES


def may_enter_staff_area(actor: Actor) -> bool:
    """A client never sees the staff area (its shell, navigation or data): the state base sends
    them to their portal home before a staff page's handler runs. Anonymous visitors are sent to
    sign in by the handler's own check; staff enter."""
    return not is_client(actor)


def has_role(actor: Actor, min_role: str) -> bool:
    """A staff member whose role ranks at least `min_role` (member < admin < owner)."""
    return isinstance(actor, Staff) and ROLE_RANK.get(actor.role, 0) >= ROLE_RANK[min_role]


def roles_at_least(min_role: str) -> list[str]:
    """The roles ranking at least `min_role`, highest first: the SQL form of `has_role`
    (`StaffUser.role.in_(roles_at_least("admin"))` finds the owners and admins)."""
    return [role for role in STAFF_ROLES if ROLE_RANK[role] >= ROLE_RANK[min_role]]


# --- staff abilities ---------------------------------------------------------------------

def require_staff(actor: Actor, min_role: str = "member") -> Staff:
    if isinstance(actor, Anonymous):
        raise NotSignedIn()
    if not isinstance(actor, Staff):
        raise Forbidden()
    if ROLE_RANK.get(actor.role, 0) < ROLE_RANK[min_role]:
        raise Forbidden("Only an owner or admin can do this.")
    return actor



# --- client abilities --------------------------------------------------------------------

def require_client(actor: Actor) -> Client:
    if isinstance(actor, Anonymous):
        raise NotSignedIn()
    if not isinstance(actor, Client):
        raise Forbidden("This page is for clients.")
    return actor


def require_own_contact(actor: Actor, contact_id: int, workspace_id: int) -> Client:
    """A client may read and change only their own contact record."""
    client = require_client(actor)
    if client.workspace_id != workspace_id or client.contact_id != contact_id:
        raise NotFound()
    return client


def require_portal_section(actor: Actor, settings, section: str) -> Client:
    """A client may open a portal section only while the business has it enabled."""
    client = require_client(actor)
    if not settings.section_enabled(section):
        raise NotFound("This section is not available in this portal.")
    return client

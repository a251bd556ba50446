"""Who may do what: the one place authorization rules live.

An Actor is resolved on the server from the session cookie (services/auth.py); nothing a
browser sends can name one. Services call the `require_*` functions below before they touch
data, and scope every query by the actor's workspace (and, for clients, contact).
"""

from __future__ import annotations

from dataclasses import dataclass

from .services.errors import Forbidden, NotFound, NotSignedIn

ROLE_RANK = {"member": 1, "admin": 2, "owner": 3}


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


Actor = Anonymous | Staff | Client


# --- staff abilities ---------------------------------------------------------------------

def require_staff(actor: Actor, min_role: str = "member") -> Staff:
    if isinstance(actor, Anonymous):
        raise NotSignedIn()
    if not isinstance(actor, Staff):
        raise Forbidden()
    if ROLE_RANK.get(actor.role, 0) < ROLE_RANK[min_role]:
        raise Forbidden("Only an owner or admin can do this.")
    return actor


def require_manage_contacts(actor: Actor) -> Staff:
    """Any staff member works with the workspace's contacts and invites them."""
    return require_staff(actor, "member")


def require_configure_portal(actor: Actor) -> Staff:
    """Branding, sections and domains: owners and admins."""
    return require_staff(actor, "admin")


def require_read_dev_outbox(actor: Actor, demo_mode: bool) -> Staff:
    staff = require_staff(actor, "member")
    if not demo_mode:
        raise NotFound("The dev outbox exists only in demo/dev mode.")
    return staff


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

"""Workspaces: first-run setup and which workspace a request's host reaches."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlmodel import Session, col, select

from portal_app import limits
from portal_app.errors import Forbidden, Invalid
from portal_app.models import Domain, PortalSettings, StaffRole, StaffUser, Workspace
from portal_app.services import audit
from portal_app.services.security import hash_password, password_problem
from portal_app.services.validation import clean_email, clean_text

LOOPBACK = ("localhost", "127.0.0.1", "::1")


def hostname_of(host_header: str) -> str:
    """'Portal.Example.com:3000' -> 'portal.example.com' (IPv6 brackets kept off)."""
    host = (host_header or "").strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


@dataclass(frozen=True)
class WorkspaceRef:
    """What an event's use case reads of its workspace: not a database row, so it outlives the
    unit of work that loaded it and may be shared by the events of one session (the context
    cache, state/base.py)."""
    id: int
    public_id: str
    name: str
    base_url: str


def ref(ws: Workspace) -> WorkspaceRef:
    return WorkspaceRef(ws.id, ws.public_id, ws.name, ws.base_url)


def workspace_for_host(db: Session, host_header: str) -> Workspace | None:
    name = hostname_of(host_header)
    if not name:
        return None
    # every event asks this: one query, not two (the domain's unique hostname index). Only a
    # verified domain assigned to the Client Portal reaches a workspace: a custom domain
    # added but not yet verified (or unassigned) reaches nothing. Base rows are both.
    return db.exec(select(Workspace).join(Domain, col(Domain.workspace_id) == Workspace.id)
                   .where(Domain.hostname == name, Domain.status == "verified",
                          col(Domain.assigned).is_(True))).first()


def needs_setup(db: Session) -> bool:
    return db.exec(select(Workspace.id).limit(1)).first() is None


def _map_base_url_hosts(db: Session, ws: Workspace) -> None:
    host = (urlsplit(ws.base_url).hostname or "").lower()
    names = {host}
    if host in LOOPBACK:
        names |= set(LOOPBACK)  # a local install answers on every loopback name
    for name in sorted(names):
        if name and db.exec(select(Domain).where(Domain.hostname == name)).first() is None:
            db.add(Domain(hostname=name, workspace_id=ws.id, source="base", status="verified", assigned=True))


def create_workspace(db: Session, *, name: str, base_url: str, owner_email: str,
                     owner_name: str, owner_password: str, is_default: bool) -> tuple[Workspace, StaffUser]:
    name = clean_text(name, "workspace_name", "Business name", limits.BUSINESS_NAME, required=True)
    owner_name = clean_text(owner_name, "owner_name", "Your name", limits.STAFF_NAME, required=True)
    owner_email = clean_email(owner_email, "owner_email", "Email")
    problem = password_problem(owner_password)
    if problem:
        raise Invalid(problem, "password")
    ws = Workspace(name=name, base_url=base_url.rstrip("/"), origin_base_url=base_url.rstrip("/"),
                   is_default=is_default)
    db.add(ws)
    db.flush()
    title = f"{name} client portal"  # a business name near its limit is the title on its own
    db.add(PortalSettings(workspace_id=ws.id, portal_title=title if len(title) <= limits.PORTAL_TITLE else name))
    owner = StaffUser(workspace_id=ws.id, email=owner_email, name=owner_name,
                      role=StaffRole.owner.value, password_hash=hash_password(owner_password))
    db.add(owner)
    db.flush()
    _map_base_url_hosts(db, ws)
    audit.record(db, ws.id, owner_actor(owner), "workspace.created", "workspace", ws.public_id,
                 {"name": name})
    from portal_app.services.documents.sealing import ensure_identity

    ensure_identity(db, ws)  # its own self-signed sealing certificate from the start (ECDSA: instant)
    return ws, owner


def owner_actor(user: StaffUser):
    from portal_app.access import Staff

    return Staff(workspace_id=user.workspace_id, user_id=user.id, role=user.role,
                 email=user.email, name=user.name)


def first_run_setup(db: Session, *, base_url: str, **fields) -> tuple[Workspace, StaffUser]:
    """The one-time setup page: allowed only while no workspace exists."""
    if not needs_setup(db):
        raise Forbidden("This portal is already set up. Sign in instead.")
    return create_workspace(db, base_url=base_url, is_default=True, **fields)

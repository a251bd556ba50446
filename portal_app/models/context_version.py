"""Workspace.context_version: bumped, in the same transaction, by every change to what an
event's cached context (workspace, actor, branding: state/base.py) is built from.

The rule lives here, beside the tables, and runs as a flush hook, so no use case has to
remember it: a role changed, an account disabled, a session ended, branding saved, a domain
moved -- whichever service did it, through the ORM -- and the next event of every worker
process sees a new version and resolves its context afresh.

Watched: the workspace row, its domains and portal settings (any column); a staff user's
role, name, email, password and disabled flag; a client account's status, password and
links; a contact's name and email (a client's name is shown); a session's end; two-factor
turned on or off
(revoked, expiry, owner). Not watched: a session's `last_seen_at` touch (once a minute per
session: it would invalidate everyone's context all the time), sign-in times, and new
sessions (a new token was never cached). A bulk UPDATE/DELETE through the session on a
watched table (e.g. "sign this user out everywhere") bumps every workspace: rare, and
always correct.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, inspect
from sqlalchemy.orm import ORMExecuteState, Session

from portal_app.models.accounts import AuthSession, ClientAccount, StaffUser, TwoFactor
from portal_app.models.contacts import Contact
from portal_app.models.workspace import Domain, PortalSettings, Workspace

ANY = None  # every column
# table class -> the columns whose change matters (ANY: all of them)
WATCHED: dict[type, frozenset[str] | None] = {
    Workspace: ANY,
    Domain: ANY,
    PortalSettings: ANY,
    StaffUser: frozenset({"workspace_id", "email", "name", "role", "password_hash", "disabled"}),
    ClientAccount: frozenset({"workspace_id", "contact_id", "password_hash", "status"}),
    Contact: frozenset({"workspace_id", "first_name", "last_name", "email"}),
    AuthSession: frozenset({"workspace_id", "staff_user_id", "client_account_id", "expires_at", "revoked_at"}),
    # two-factor turned on (or its row removed: off): a staff member who had to enrol may now
    # do everything (access.StaffEnrolling)
    TwoFactor: frozenset({"workspace_id", "staff_user_id", "client_account_id", "enabled_at"}),
}
# a new row of these changes what an existing context would resolve to (a host now reaching
# a workspace, a workspace's first settings row)
WATCHED_INSERTS = (Domain, PortalSettings)
_TABLES = {cls.__table__.name for cls in WATCHED}  # type: ignore[attr-defined]


def _workspace_of(obj: Any) -> int | None:
    return obj.id if isinstance(obj, Workspace) else getattr(obj, "workspace_id", None)


def _changed(obj: Any, columns: frozenset[str] | None) -> bool:
    state = inspect(obj)
    names = [a.key for a in state.attrs] if columns is ANY else columns
    return any(state.attrs[name].history.has_changes() for name in names if name != "context_version")


def workspaces_touched(session: Session) -> set[int]:
    """The workspaces whose cached contexts this flush makes stale."""
    touched: set[int | None] = set()
    for obj in session.dirty:
        if type(obj) in WATCHED and _changed(obj, WATCHED[type(obj)]):
            touched.add(_workspace_of(obj))
            # a row moved to another workspace stales the old one too
            key = "id" if isinstance(obj, Workspace) else "workspace_id"
            touched.update(inspect(obj).attrs[key].history.deleted or ())
    touched.update(_workspace_of(obj) for obj in session.deleted if type(obj) in WATCHED)
    touched.update(_workspace_of(obj) for obj in session.new if isinstance(obj, WATCHED_INSERTS))
    return {ws for ws in touched if ws is not None}


def bump(connection: sa.Connection, workspace_ids: set[int] | None) -> None:
    """context_version + 1 for these workspaces (None: all of them)."""
    table = Workspace.__table__  # type: ignore[attr-defined]
    stmt = sa.update(table).values(context_version=table.c.context_version + 1)
    if workspace_ids is not None:
        stmt = stmt.where(table.c.id.in_(sorted(workspace_ids)))
    connection.execute(stmt)


@event.listens_for(Session, "before_flush")
def _bump_on_flush(session: Session, _flush_context, _instances) -> None:
    touched = workspaces_touched(session)
    if touched:
        bump(session.connection(), touched)


@event.listens_for(Session, "do_orm_execute")
def _bump_on_bulk(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if table is not None and getattr(table, "name", None) in _TABLES:
        bump(state.session.connection(), None)

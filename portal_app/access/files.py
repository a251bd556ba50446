"""Shared files: who manages them, a client's Files section and uploads, and which folders and
files a client sees (one item, or the SQL form for listings)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from portal_app.access.actors import Actor, Client, Staff, require_portal_section, require_staff
from portal_app.errors import Forbidden

# --- shared files --------------------------------------------------------------------------

def require_manage_files(actor: Actor) -> Staff:
    """Any staff member uploads, organizes and shares the workspace's files."""
    return require_staff(actor, "member")


def require_client_files(actor: Actor, settings) -> Client:
    """A client browses shared files while the Files section is enabled."""
    return require_portal_section(actor, settings, "files")


def require_client_upload(actor: Actor, settings) -> Client:
    client = require_client_files(actor, settings)
    if not settings.allow_client_uploads:
        raise Forbidden("This portal does not accept uploads from clients.")
    return client


@dataclass(frozen=True)
class FolderNode:
    id: int
    parent_id: int | None
    inherit_sharing: bool
    shared_with_all: bool
    owner_contact_id: int | None


def folders_visible_to(client: Client, folders: dict[int, FolderNode], shared_ids: set[int]) -> set[int]:
    """The folders a client may open. A client's own upload folder (and what is in it) is
    theirs alone; any other client's never shows. Otherwise a folder inside another inherits
    its parent's sharing unless it has its own; a top-level folder has its own:
    shared with all clients of the workspace, or with this contact."""
    memo: dict[int, bool] = {}

    def visible(fid: int, depth: int = 0) -> bool:
        if fid in memo:
            return memo[fid]
        node = folders.get(fid)
        if node is None or depth > 64:  # (a cycle cannot be stored; be safe anyway)
            return False
        if node.owner_contact_id is not None:
            result = node.owner_contact_id == client.contact_id
        elif node.parent_id is not None and node.inherit_sharing:
            result = visible(node.parent_id, depth + 1)
        else:
            result = node.shared_with_all or node.id in shared_ids
        memo[fid] = result
        return result

    return {fid for fid in folders if visible(fid)}


def client_may_see(client: Client, item, visible_folders: set[int], shared_ids: set[int]) -> bool:
    """The same rule as `client_visible_clause`, for one item already loaded."""
    if item.workspace_id != client.workspace_id:
        return False
    if item.kind == "folder":
        return item.id in visible_folders
    if item.owner_contact_id is not None and item.owner_contact_id != client.contact_id:
        return False
    if item.parent_id is not None and item.inherit_sharing:
        return item.parent_id in visible_folders
    return item.owner_contact_id == client.contact_id or item.shared_with_all or item.id in shared_ids


def client_visible_clause(model, share_model, client: Client, visible_folders: set[int] | Any):
    """SQL form of `client_may_see` for listings (one query, however many files exist)."""
    import sqlalchemy as sa

    own_shares = sa.select(share_model.item_id).where(share_model.workspace_id == client.workspace_id,
                                                      share_model.contact_id == client.contact_id)
    # a statement built once (services/portal/portal_home) passes an expanding bind parameter
    folder_ids = visible_folders if isinstance(visible_folders, sa.BindParameter) else (sorted(visible_folders) or [-1])
    not_others = sa.or_(model.owner_contact_id.is_(None), model.owner_contact_id == client.contact_id)
    inherited = sa.and_(model.parent_id.is_not(None), model.inherit_sharing.is_(True),
                        model.parent_id.in_(folder_ids))
    own = sa.and_(sa.or_(model.parent_id.is_(None), model.inherit_sharing.is_(False)),
                  sa.or_(model.owner_contact_id == client.contact_id, model.shared_with_all.is_(True),
                         model.id.in_(own_shares)))
    return sa.and_(model.workspace_id == client.workspace_id,
                   sa.or_(sa.and_(model.kind == "folder", model.id.in_(folder_ids)),
                          sa.and_(model.kind != "folder", not_others, sa.or_(inherited, own))))

"""Listings of shared files for staff and clients: paginated, sorted, searchable, and a
fixed number of queries however many files exist."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Generic, TypedDict, TypeVar

import sqlalchemy as sa
from sqlmodel import Session, col, select

from portal_app import limits
from portal_app.access import (
    Actor,
    Client,
    FolderNode,
    bound_client,
    client_visible_clause,
    folders_visible_to,
    require_client,
    require_client_files,
    require_manage_files,
)
from portal_app.db import AnyRow, AnySelect, Paged, paged, prebuilt, run, run_page
from portal_app.errors import Invalid
from portal_app.models import Contact, FileItem, FileShare, PortalSettings
from portal_app.services.files.files import folder_nodes, get_item
from portal_app.services.files.filetypes import PREVIEWABLE, human_size, type_and_icon
from portal_app.services.portal.portal_settings import portal_settings_for, section_settings
from portal_app.services.validation import clean_text
from portal_app.settings import get_settings

PER_PAGE = 25
MOVE_TARGETS_MAX = 300
OWN_FOLDER_LABEL = "Your uploads"
SORTS = {"name", "date", "size"}


class FileRow(TypedDict, total=False):
    """One file, folder or link in a listing. Not total: the Files page's `target` (the row
    a dialog acts on) is {} for the dialogs that act on no row."""
    id: str
    kind: str                # file | folder | link
    name: str
    icon: str
    type: str
    size: str                # human size ("" for folders and links)
    bytes: int
    updated: str
    updated_label: str
    meta: str
    url: str
    description: str
    previewable: bool
    preview_kind: str        # pdf | image | ""
    download_url: str
    preview_url: str
    sharing: str
    client_folder: bool


class Folder(TypedDict):
    """A folder by public id and name: a breadcrumb, or a place to move something to."""
    id: str
    name: str


class StaffFolderExtra(TypedDict, total=False):  # not total: {} until loaded
    move_targets: list[Folder]
    used: str
    quota: str
    used_percent: int
    client_uploads: bool
    in_client_folder: bool


class ClientFolderExtra(TypedDict):
    can_upload: bool
    upload_folder: str
    max_upload: str


Extra = TypeVar("Extra", StaffFolderExtra, ClientFolderExtra)


@dataclass
class FolderPage(Generic[Extra]):
    folder_id: str
    folder_name: str
    breadcrumbs: list[Folder]
    rows: list[FileRow]
    total: int
    page: int
    pages: int
    query: str
    sort: str
    extra: Extra

    def as_dict(self) -> dict:
        return asdict(self)


# what a listing row (`_row`) reads of an item
_ROW_COLUMNS = (col(FileItem.id), col(FileItem.public_id), col(FileItem.kind), col(FileItem.name), col(FileItem.size),
                col(FileItem.updated_at), col(FileItem.url), col(FileItem.description), col(FileItem.content_type),
                col(FileItem.owner_contact_id))


def _row(item: FileItem | AnyRow, sharing: str = "") -> FileRow:
    type_label, icon = type_and_icon(item.kind, item.name)
    is_file = item.kind == "file"
    size = human_size(item.size) if is_file else ""
    updated_label = item.updated_at.strftime("%d %b %Y")
    return {
        "id": item.public_id, "kind": item.kind, "name": item.name, "icon": icon, "type": type_label,
        "size": size, "bytes": item.size if is_file else 0,
        "updated": item.updated_at.isoformat(), "updated_label": updated_label,
        # one line under the name where the table has no room for its columns (phones); a link
        # shows its description there instead
        "meta": "" if item.kind == "link" else " · ".join(p for p in (type_label, size, updated_label) if p),
        "url": item.url or "", "description": item.description,
        "previewable": is_file and item.content_type in PREVIEWABLE,
        "preview_kind": ("pdf" if item.content_type == "application/pdf" else "image") if is_file else "",
        "download_url": f"/api/files/{item.public_id}/download" if is_file else "",
        "preview_url": f"/api/files/{item.public_id}/preview" if is_file else "",
        "sharing": sharing,
        "client_folder": item.owner_contact_id is not None,
    }


def _order(stmt, sort: str):
    folders_first = sa.case((col(FileItem.kind) == "folder", 0), else_=1)
    if sort == "date":
        return stmt.order_by(folders_first, col(FileItem.updated_at).desc(), col(FileItem.id).desc())
    if sort == "size":
        return stmt.order_by(folders_first, col(FileItem.size).desc(), col(FileItem.id).desc())
    return stmt.order_by(folders_first, sa.func.lower(FileItem.name), col(FileItem.id))


def _page(db: Session, stmt, page: int) -> tuple[list[FileItem], int, int, int]:
    total = db.exec(select(sa.func.count()).select_from(stmt.subquery())).one()
    pages = max(1, -(-total // PER_PAGE))
    page = min(_page_number(page), pages)
    rows = db.exec(stmt.offset((page - 1) * PER_PAGE).limit(PER_PAGE)).all()
    return rows, total, page, pages


def _page_number(page: int) -> int:
    try:
        return max(1, int(page or 1))
    except (TypeError, ValueError):
        raise Invalid("The page number must be a whole number.", "page") from None


def _crumbs(names: dict[int, tuple[str, str]], nodes: dict[int, FolderNode], folder_id: int | None,
            stop: set[int] | None = None) -> list[Folder]:
    out: list[Folder] = []
    fid = folder_id
    while fid is not None and fid in nodes and len(out) < 64:
        if stop is not None and fid not in stop:
            break
        out.append({"id": names[fid][0], "name": names[fid][1]})
        fid = nodes[fid].parent_id
    return list(reversed(out))


def _folder_names(db: Session, workspace_id: int) -> dict[int, tuple[str, str]]:
    rows = db.exec(select(FileItem.id, FileItem.public_id, FileItem.name)
                   .where(FileItem.workspace_id == workspace_id, FileItem.kind == "folder")).all()
    return {r[0]: (r[1], r[2]) for r in rows}


def _search(stmt, like: str | sa.BindParameter):
    """Names matching `like` (`_like(query)`, or a bind parameter taking it)."""
    return stmt.where(sa.func.lower(FileItem.name).like(like, escape="\\"))


def _like(query: str) -> str:
    # % and _ typed in the search box are literal characters, not wildcards
    escaped = query.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _clean_query(query: object, sort: object) -> tuple[str, str]:
    q = clean_text(query, "q", "Search", limits.SEARCH)
    s = sort if sort in SORTS else "name"
    return q, s


# --- staff ---------------------------------------------------------------------------------

def staff_folder(db: Session, actor: Actor, folder_public_id: str | None = None, *, query: object = "",
                 sort: object = "name", page: int = 1) -> FolderPage[StaffFolderExtra]:
    staff = require_manage_files(actor)
    q, s = _clean_query(query, sort)
    folder = get_item(db, staff.workspace_id, folder_public_id, "folder") if folder_public_id else None
    stmt = select(FileItem).where(FileItem.workspace_id == staff.workspace_id)
    if q:  # search the whole workspace
        stmt = _search(stmt, _like(q))
    else:
        stmt = stmt.where(col(FileItem.parent_id) == folder.id if folder else col(FileItem.parent_id).is_(None))
    items, total, page, pages = _page(db, _order(stmt, s), page)
    ids = [i.id for i in items]
    counts = dict(db.exec(select(col(FileShare.item_id), sa.func.count()).where(col(FileShare.item_id).in_(ids))
                          .group_by(col(FileShare.item_id))).all()) if ids else {}
    owners = {i.owner_contact_id for i in items if i.owner_contact_id}
    owner_names = {c.id: c.display_name
                   for c in db.exec(select(Contact).where(col(Contact.id).in_(owners))).all()} if owners else {}
    rows = [_row(i, _sharing_label(i, counts.get(i.id, 0), owner_names)) for i in items]
    nodes = folder_nodes(db, staff.workspace_id)
    names = _folder_names(db, staff.workspace_id)
    ps = portal_settings_for(db, staff.workspace_id)
    used = usage(db, staff.workspace_id)
    quota = get_settings().file_quota_bytes
    return FolderPage(
        folder_id=folder.public_id if folder else "", folder_name=folder.name if folder else "",
        breadcrumbs=_crumbs(names, nodes, folder.id if folder else None), rows=rows, total=total, page=page,
        pages=pages, query=q, sort=s,
        extra={
            # (the page state stays small: at most MOVE_TARGETS_MAX folders are offered)
            "move_targets": sorted((Folder(id=names[f][0], name=_path_label(names, nodes, f))
                                    for f in nodes if nodes[f].owner_contact_id is None),
                                   key=lambda d: d["name"].lower())[:MOVE_TARGETS_MAX],
            "used": human_size(int(used)), "quota": human_size(quota),
            "used_percent": min(100, round(100 * int(used) / quota)) if quota else 0,
            "client_uploads": ps.allow_client_uploads,
            "in_client_folder": bool(folder and folder.owner_contact_id),
        })


def usage(db: Session, workspace_id: int) -> int:
    """Bytes of stored files in a workspace (what the quota counts)."""
    return int(db.exec(select(sa.func.coalesce(sa.func.sum(FileItem.size), 0))
                       .where(FileItem.workspace_id == workspace_id, FileItem.kind == "file")).one())


def _path_label(names, nodes, fid) -> str:
    return " / ".join(c["name"] for c in _crumbs(names, nodes, fid))


def _sharing_label(item: FileItem, contact_count: int, owner_names: dict[int, str]) -> str:
    if item.owner_contact_id is not None:
        return f"Only {owner_names.get(item.owner_contact_id, 'the client')}"
    if item.parent_id is not None and item.inherit_sharing:
        return "As its folder"
    parts = []
    if item.shared_with_all:
        parts.append("All clients")
    if contact_count:
        parts.append(f"{contact_count} contact" + ("s" if contact_count != 1 else ""))
    return " + ".join(parts) or "Not shared"


# --- client --------------------------------------------------------------------------------

def client_context(db: Session, client: Client) -> tuple[dict[int, FolderNode], set[int], set[int]]:
    """(folders, folders this client may open, folders shared with this client directly), in
    one statement built once."""
    nodes: dict[int, FolderNode] = {}
    shared: set[int] = set()
    for fid, parent, inherit, shared_all, owner, direct in run(db, _client_folders(), ws=client.workspace_id,
                                                                contact=client.contact_id):
        nodes[fid] = FolderNode(fid, parent, bool(inherit), bool(shared_all), owner)
        if direct:
            shared.add(fid)
    return nodes, folders_visible_to(client, nodes, shared), shared


@prebuilt
def _client_folders() -> AnySelect:
    """Every folder of the client's workspace, with whether it is shared with the client directly."""
    client = bound_client()
    shared_directly = sa.exists().where(col(FileShare.item_id) == FileItem.id, col(FileShare.contact_id) == client.contact_id,
                                        col(FileShare.workspace_id) == client.workspace_id)
    return (sa.select(col(FileItem.id), col(FileItem.parent_id), col(FileItem.inherit_sharing),
                      col(FileItem.shared_with_all), col(FileItem.owner_contact_id), shared_directly)
            .where(col(FileItem.workspace_id) == client.workspace_id, col(FileItem.kind) == "folder"))


def client_folder(db: Session, actor: Actor, folder_public_id: str | None = None, *, query: object = "",
                  sort: object = "name", page: int = 1,
                  sections: Mapping[str, object] | None = None) -> FolderPage[ClientFolderExtra]:
    """What a client may open at the top level, in a folder, or matching a search, while the
    Files section is on (`sections`: when the caller has them, the event's branding).

    Every event of the Files page runs this, so it reads in two statements built once
    (`_client_statements`): the workspace's folders (for what the client may open, the
    breadcrumbs and the folder asked for) with the portal's upload setting, then the page
    of items with their total."""
    client = require_client(actor)
    require_client_files(client, section_settings(db, client.workspace_id, sections))
    q, s = _clean_query(query, sort)
    page = _page_number(page)
    st = _client_statements()
    folders = run(db, st.folders, ws=client.workspace_id, contact=client.contact_id).all()
    if not folders:  # no portal settings row yet (it is made on a workspace's first look)
        portal_settings_for(db, client.workspace_id)
        folders = run(db, st.folders, ws=client.workspace_id, contact=client.contact_id).all()
    can_upload = bool(folders[0].allow_client_uploads)
    nodes: dict[int, FolderNode] = {}
    names: dict[int, tuple[str, str]] = {}
    shared_ids: set[int] = set()
    for f in folders:
        if f.id is None:  # the settings row alone: no folders
            continue
        nodes[f.id] = FolderNode(f.id, f.parent_id, bool(f.inherit_sharing), bool(f.shared_with_all), f.owner_contact_id)
        names[f.id] = (f.public_id, f.name)
        if f.shared_directly:
            shared_ids.add(f.id)
    visible = folders_visible_to(client, nodes, shared_ids)
    folder = None
    if folder_public_id:
        folder = next((fid for fid, (pid, _name) in names.items() if pid == str(folder_public_id)), None)
        if folder is None or folder not in visible:
            raise_not_found()
    mode = "search" if q else "folder" if folder is not None else "top"
    items, total, page, pages = run_page(db, st.listing(mode, s), page, PER_PAGE, ws=client.workspace_id,
                                         contact=client.contact_id, folders=sorted(visible) or [-1],
                                         folder=folder, like=_like(q))
    own_folder = next((f for f, n in nodes.items() if n.owner_contact_id == client.contact_id and n.parent_id is None), None)
    if own_folder is not None:  # staff see "From <client>"; the client sees it as theirs
        names[own_folder] = (names[own_folder][0], OWN_FOLDER_LABEL)
    rows = [_row(i) for i in items]
    for row, item in zip(rows, items, strict=True):
        if item.id == own_folder:
            row["name"] = OWN_FOLDER_LABEL
    return FolderPage(
        folder_id=names[folder][0] if folder is not None else "",
        folder_name=names[folder][1] if folder is not None else "",
        breadcrumbs=_crumbs(names, nodes, folder, stop=visible),
        rows=rows, total=total, page=page, pages=pages, query=q, sort=s,
        extra={"can_upload": can_upload,
               "upload_folder": names[own_folder][0] if own_folder else "",
               "max_upload": human_size(get_settings().file_max_bytes)})


@dataclass(frozen=True)
class _ClientStatements:
    folders: AnySelect
    listings: dict[tuple[str, str], Paged]

    def listing(self, mode: str, sort: str) -> Paged:
        return self.listings[(mode, sort)]


@prebuilt
def _client_statements() -> _ClientStatements:
    """The client's Files page, built once from the same rules as the rest of file_views
    (access.client_visible_clause with the client and their folders as bind parameters)."""
    client = bound_client()
    ws, contact = client.workspace_id, client.contact_id
    shared_directly = sa.exists().where(col(FileShare.item_id) == FileItem.id, col(FileShare.contact_id) == contact,
                                        col(FileShare.workspace_id) == ws)
    folders = (sa.select(col(PortalSettings.allow_client_uploads), col(FileItem.id), col(FileItem.parent_id),
                         col(FileItem.inherit_sharing), col(FileItem.shared_with_all), col(FileItem.owner_contact_id),
                         shared_directly.label("shared_directly"), col(FileItem.public_id), col(FileItem.name))
               .select_from(PortalSettings)
               .outerjoin(FileItem, sa.and_(col(FileItem.workspace_id) == PortalSettings.workspace_id,
                                            col(FileItem.kind) == "folder"))
               .where(col(PortalSettings.workspace_id) == ws))
    visible: sa.BindParameter = sa.bindparam("folders", expanding=True)
    base = sa.select(*_ROW_COLUMNS).where(client_visible_clause(FileItem, FileShare, client, visible))
    modes = {
        "search": _search(base, sa.bindparam("like")),
        "folder": base.where(col(FileItem.parent_id) == sa.bindparam("folder")),
        # the client's top level: what they may see whose folder they may not open
        "top": base.where(sa.or_(col(FileItem.parent_id).is_(None), col(FileItem.parent_id).not_in(visible))),
    }
    return _ClientStatements(folders, {(mode, sort): paged(_order(stmt, sort)) for mode, stmt in modes.items()
                                       for sort in SORTS})


def raise_not_found():
    from portal_app.errors import NotFound

    raise NotFound("This folder is not shared with you.")

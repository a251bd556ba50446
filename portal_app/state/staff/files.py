"""Staff Files page (/staff/files): folders, links, uploads, sharing.

The folder, search, sort and page live in the URL (?folder=&q=&sort=&page=), so links,
the back button and a reload all work; on_load reads them and asks the services.
"""

from __future__ import annotations

import reflex as rx

from portal_app.access import require_manage_files
from portal_app.errors import ServiceError
from portal_app.services.files import file_views, files
from portal_app.state.base import BaseState
from portal_app.state.files import FilesMixin


class StaffFilesState(FilesMixin, BaseState):
    _base_path: str = "/staff/files"
    extra: file_views.StaffFolderExtra = {}
    dialog: str = ""                    # folder | link | rename | move | delete | share
    target: file_views.FileRow = {}     # the row a dialog acts on
    dialog_error: str = ""
    share: files.ShareSummary = {}      # sharing view of `target`
    share_selected: rx.Field[list[str]] = rx.field(default_factory=list)  # contact public ids with own access
    share_labels: dict[str, str] = {}   # public id -> "Name · email" (selected and candidates)
    share_candidates: list[files.ContactChoice] = []
    share_inherit: bool = False
    share_all: bool = False
    share_notify: bool = True

    def _reload(self, db, actor) -> None:
        page = file_views.staff_folder(db, actor, self.folder_id or None, query=self.query, sort=self.sort,
                                       page=self.page)
        self._fill(page)
        self.extra = page.extra

    @rx.event
    async def load(self):
        def work(db, ws, actor):
            self.dialog, self.uploads, self.upload_error, self.refusal, self.preview_open = "", [], "", "", False
            page = file_views.staff_folder(db, actor, self._query("folder") or None, query=self._query("q"),
                                           sort=self._query("sort"), page=self._page_arg())
            self._fill(page)
            self.extra = page.extra

        def refused(exc: ServiceError):
            self.refusal, self.rows = exc.message, []

        return await self._run(work, on_error=refused)

    # --- dialogs
    @rx.event
    async def open_dialog(self, kind: str, item_id: str = ""):
        self.dialog_error = ""
        row = next((r for r in self.rows if r.get("id") == item_id), None)
        if kind in ("folder", "link"):
            self.dialog, self.target = kind, {}
            return None
        if kind not in ("rename", "move", "delete", "share") or row is None:
            self.dialog = ""
            return None
        self.target = row
        if kind != "share":
            self.dialog = kind
            return None

        def work(db, ws, actor):
            view = files.sharing_view(db, actor, item_id)
            self._fill_share(view)
            self.share_candidates = files.contact_choices(db, actor)
            self._label(self.share_candidates)
            self.dialog = "share"

        return await self._run(work)

    def _fill_share(self, view: files.SharingView) -> None:
        self.share = {"name": view.name, "kind": view.kind, "in_folder": view.in_folder,
                      "folder_name": view.folder_name, "client_folder": view.client_folder,
                      "effective": view.effective,
                      "downloads": view.downloads}
        self.share_inherit, self.share_all = view.inherit, view.all_clients
        self.share_selected = [c["public_id"] for c in view.contacts]
        self._label(view.contacts)

    def _label(self, contacts: list[files.ContactChoice]) -> None:
        labels = dict(self.share_labels)
        for c in contacts:
            labels[c["public_id"]] = f"{c['name']} · {c['email']}" if c.get("email") else c["name"]
        self.share_labels = labels

    @rx.event
    def close_dialog(self):
        self.dialog, self.dialog_error = "", ""

    @rx.event
    def set_dialog_open(self, value: bool):
        if not value:
            self.dialog, self.dialog_error = "", ""

    @rx.event
    def set_share_inherit(self, value: bool):
        self.share_inherit = bool(value)

    @rx.event
    def set_share_all(self, value: bool):
        self.share_all = bool(value)

    @rx.event
    def set_share_notify(self, value: bool):
        self.share_notify = bool(value)

    @rx.event
    def toggle_contact(self, public_id: str, value: bool):
        chosen = [p for p in self.share_selected if p != public_id]
        if value and public_id in self.share_labels:
            chosen.append(public_id)
        self.share_selected = chosen

    @rx.event
    async def find_contacts(self, value: str):
        def work(db, ws, actor):
            require_manage_files(actor)
            if self.dialog != "share":  # a debounced search landing after the dialog closed
                return
            self.share_candidates = files.contact_choices(db, actor, str(value)[:100])
            self._label(self.share_candidates)

        return await self._run(work, keep_notice=True)

    async def _act(self, action, success: str):
        def work(db, ws, actor):
            action(db, actor)
            self._reload(db, actor)
            self.dialog, self.dialog_error = "", ""
            self._notify(success)

        def failed(exc: ServiceError):
            self.dialog_error = exc.message

        return await self._run(work, on_error=failed)

    @rx.event
    async def create_folder(self, form: dict):
        name = str(form.get("name", ""))
        return await self._act(lambda db, a: files.create_folder(db, a, name=name, parent_public_id=self.folder_id or None),
                         f"Folder “{name.strip()[:80]}” created.")

    @rx.event
    async def add_link(self, form: dict):
        return await self._act(lambda db, a: files.add_link(db, a, title=form.get("title", ""), url=form.get("url", ""),
                                                      description=form.get("description", ""),
                                                      parent_public_id=self.folder_id or None),
                         "Link added.")

    @rx.event
    async def rename(self, form: dict):
        item = str(self.target.get("id", ""))
        return await self._act(lambda db, a: files.rename_item(db, a, item, form.get("name", "")), "Renamed.")

    @rx.event
    async def move(self, form: dict):
        item = str(self.target.get("id", ""))
        dest = str(form.get("target", "")) or None
        return await self._act(lambda db, a: files.move_item(db, a, item, None if dest == "top" else dest), "Moved.")

    @rx.event
    async def delete(self):
        item = str(self.target.get("id", ""))
        name = str(self.target.get("name", ""))
        return await self._act(lambda db, a: files.delete_item(db, a, item), f"“{name[:80]}” was deleted.")

    @rx.event
    async def save_sharing(self):
        item = str(self.target.get("id", ""))
        return await self._act(lambda db, a: files.set_sharing(db, a, item, inherit=self.share_inherit,
                                                               all_clients=self.share_all,
                                                               contact_public_ids=list(self.share_selected),
                                                               notify=self.share_notify),
                               "Sharing saved.")

    def _upload_folder(self, db, actor):
        require_manage_files(actor)
        return self.folder_id or None

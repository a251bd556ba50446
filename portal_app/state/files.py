"""What the Files pages' states share (FilesMixin): staff (state/staff/files.py) and client
(state/portal/files.py).

The folder, search, sort and page live in the URL (?folder=&q=&sort=&page=), so links,
the back button and a reload all work; on_load reads them and asks the services.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import reflex as rx

from portal_app.services.files import file_transfer, file_views
from portal_app.state import uploads
from portal_app.state.uploads import DeclaredFile, UploadRow


class FilesMixin(rx.State, mixin=True):
    """Listing, upload and preview: the same on both pages. A concrete page state sets
    `_base_path` and implements `_reload(db, actor)` and `_upload_folder(db, actor)`."""

    _base_path: str = "/files"

    rows: list[file_views.FileRow] = []
    crumbs: list[file_views.Folder] = []
    folder_id: str = ""
    folder_name: str = ""
    query: str = ""
    sort: str = "name"
    page: int = 1
    pages: int = 1
    total: int = 0
    refusal: str = ""
    # uploads
    uploads: list[UploadRow] = []
    upload_error: str = ""
    uploading: bool = False
    upload_ready: bool = False          # start_upload accepted the selection: the page sends it
    _upload_plan: list[DeclaredFile] = []
    _upload_sizes: list[int] = []
    _upload_bound: str = ""  # the session an upload in flight belongs to
    # preview
    preview_open: bool = False
    preview_name: str = ""
    preview_url: str = ""
    preview_kind: str = ""

    if TYPE_CHECKING:  # what the concrete state brings (BaseState, or the page state itself)
        def _query(self, name: str) -> str: ...
        def _assign(self, **values: Any) -> None: ...
        def _run(self, work: Callable[[Any, Any, Any], Any], *,
                 on_error: Callable[[Any], Any] | None = None, keep_notice: bool = False) -> Any: ...
        def _reload(self, db: Any, actor: Any) -> None: ...
        def _upload_folder(self, db: Any, actor: Any) -> Any: ...

    def _fill(self, page: file_views.FolderPage) -> None:
        self._assign(rows=page.rows, crumbs=page.breadcrumbs, folder_id=page.folder_id, folder_name=page.folder_name,
                     query=page.query, sort=page.sort, page=page.page, pages=page.pages, total=page.total)

    def _url(self, base: str, **changes) -> str:
        params = {"folder": self.folder_id, "q": self.query, "sort": self.sort, "page": str(self.page)}
        params.update(changes)
        clean = {k: v for k, v in params.items() if v and not (k == "sort" and v == "name") and not (k == "page" and v == "1")}
        return f"{base}?{urlencode(clean)}" if clean else base

    def _page_arg(self) -> int:
        try:
            return max(1, int(self._query("page") or 1))
        except ValueError:
            return 1

    def _show_preview(self, item_id: str) -> None:
        row = next((r for r in self.rows if r.get("id") == item_id and r.get("previewable")), None)
        if row is None:
            self.preview_open = False
            return
        self.preview_open, self.preview_name = True, row["name"]
        self.preview_url, self.preview_kind = row["preview_url"], row["preview_kind"]

    @rx.event
    def search(self, form: dict):
        q = str(form.get("q", ""))[:100]
        return rx.redirect(self._url(self._base_path, q=q, page="1", folder="" if q.strip() else self.folder_id))

    @rx.event
    def set_sort(self, value: str):
        return rx.redirect(self._url(self._base_path, sort=value if value in file_views.SORTS else "name", page="1"))

    @rx.event
    async def start_upload(self, meta: list):
        def work(db, ws, actor):
            self._upload_folder(db, actor)  # this page's own rule (staff, or a client with uploads on)
            uploads.start(self, meta, lambda f: file_transfer.check_declared(db, actor, f))

        return await self._run(work)

    @rx.event
    def upload_progress(self, prog: dict):
        uploads.progress(self, prog)

    @rx.event
    def drop_rejected(self, _files: list):
        self.upload_error = "Some of those files could not be added. Choose files again."

    @rx.event(background=True)
    async def receive_upload(self, chunks: rx.UploadChunkIterator):
        await uploads.receive(self, chunks, self._upload_folder, self._reload)

    @rx.event
    def open_preview(self, item_id: str):
        self._show_preview(str(item_id))

    @rx.event
    def set_preview_open(self, value: bool):
        self.preview_open = bool(value) and self.preview_open

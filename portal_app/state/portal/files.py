"""The client's Files page (/files): what is shared with them, and their own uploads.

The folder, search, sort and page live in the URL (?folder=&q=&sort=&page=), so links,
the back button and a reload all work; on_load reads them and asks the services.
"""

from __future__ import annotations

import reflex as rx

from portal_app.access import is_staff, require_client, require_client_upload
from portal_app.errors import ServiceError
from portal_app.services.files import file_views
from portal_app.services.portal.portal_settings import portal_settings_for
from portal_app.state.base import BaseState
from portal_app.state.files import FilesMixin


class ClientFilesState(FilesMixin, BaseState):
    _base_path: str = "/files"
    can_upload: bool = False
    upload_folder: str = ""
    max_upload: str = ""

    def _reload(self, db, actor) -> None:
        page = file_views.client_folder(db, actor, self.folder_id or None, query=self.query, sort=self.sort,
                                        page=self.page)
        self._fill(page)
        self.can_upload, self.upload_folder = page.extra["can_upload"], page.extra["upload_folder"]
        self.max_upload = page.extra["max_upload"]

    @rx.event
    async def load(self):
        def work(db, ws, actor):
            if is_staff(actor):
                return rx.redirect("/staff/files")
            self._assign(uploads=[], upload_error="", refusal="", preview_open=False)
            page = file_views.client_folder(db, actor, self._query("folder") or None, query=self._query("q"),
                                            sort=self._query("sort"), page=self._page_arg(), sections=self.sections)
            self._fill(page)
            self._assign(can_upload=page.extra["can_upload"], upload_folder=page.extra["upload_folder"],
                         max_upload=page.extra["max_upload"])
            return None

        def refused(exc: ServiceError):
            self.refusal, self.rows, self.can_upload = exc.message, [], False

        return await self._run(work, on_error=refused)

    def _upload_folder(self, db, actor):
        client = require_client(actor)
        require_client_upload(client, portal_settings_for(db, client.workspace_id))
        return None  # always the client's own folder

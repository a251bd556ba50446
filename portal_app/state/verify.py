"""The public /verify page: anyone uploads a PDF and learns whether this portal sealed it
and whether it is intact. Nobody needs to be signed in; nothing is stored."""

from __future__ import annotations

import logging

import reflex as rx

from ..db import unit_of_work
from ..services import verify
from ..services.errors import ServiceError
from .base import BaseState

log = logging.getLogger("portal.verify")


class VerifyState(BaseState):
    result: dict = {}
    file_name: str = ""
    error: str = ""

    @rx.event
    def load(self):
        self.result, self.file_name, self.error = {}, "", ""
        return self._run(lambda db, ws, actor: None)

    @rx.event
    async def check(self, files: list[rx.UploadFile]):
        self.result, self.error = {}, ""
        if not files:
            self.error = "Choose a PDF to check."
            return
        data = await files[0].read(verify.MAX_BYTES + 1)
        self.file_name = str(files[0].name or files[0].filename or "document.pdf")[:200]
        try:
            with unit_of_work() as db:
                self.result = verify.verify_upload(db, data).as_dict()
            self._outcome = "ok"
        except ServiceError as exc:
            self.error, self._outcome = exc.message, "invalid"
        except Exception:  # noqa: BLE001
            log.exception("verify failed")
            self.error, self._outcome = "We could not check that file. Please try again.", "error"

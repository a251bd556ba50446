"""The public /verify page: anyone uploads a PDF and learns whether this portal sealed it
and whether it is intact. Nobody needs to be signed in; nothing is stored.

The check parses a stranger's PDF with pyHanko: it runs in the PDF guard's limited child
process (services/documents/verify.py → adapters/pdf_verify.py), and this handler awaits it from a
thread, so the event loop keeps serving everyone else meanwhile (it used to run on the
loop: a crafted 3.9 MB file froze every user's requests for 8 s). The handler holds only
this tab's state lock while it waits, for at most the child's wall-clock limit plus its
turn for a CPU slot. The threads are a pool of their own (one per CPU, as many as the PDF
guard runs children at once): queued checks wait there, not in asyncio's default executor,
which other handlers use for their own short blocking work."""

from __future__ import annotations

import asyncio
import logging
import os
from concurrent.futures import ThreadPoolExecutor

import reflex as rx

from portal_app.db import unit_of_work
from portal_app.errors import ServiceError
from portal_app.services.documents import verify
from portal_app.state.base import BaseState

log = logging.getLogger("portal.verify")
_checks = ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1), thread_name_prefix="verify")


def _check(data: bytes, client_ip: str) -> verify.VerifyResultView:
    """In a worker thread: its own unit of work, and the blocking child."""
    with unit_of_work() as db:
        return verify.verify_upload(db, data, client_ip=client_ip).as_dict()


class VerifyState(BaseState):
    result: verify.VerifyResultView = {}
    file_name: str = ""
    error: str = ""

    @rx.event
    async def load(self):
        self.result, self.file_name, self.error = {}, "", ""
        return await self._run(lambda db, ws, actor: None)

    @rx.event
    async def check(self, files: list[rx.UploadFile]):
        self.result, self.error = {}, ""
        if not files:
            self.error = "Choose a PDF to check."
            return
        data = await files[0].read(verify.max_bytes() + 1)
        self.file_name = str(files[0].name or files[0].filename or "document.pdf")[:200]
        client_ip = str(getattr(self.router.session, "client_ip", "") or "")[:64]
        try:
            self.result = await asyncio.get_running_loop().run_in_executor(_checks, _check, data, client_ip)
            self._outcome = "ok"
        except ServiceError as exc:
            self.error, self._outcome = exc.message, "invalid"
        except Exception:
            log.exception("verify failed")
            self.error, self._outcome = "We could not check that file. Please try again.", "error"

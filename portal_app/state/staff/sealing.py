"""Settings › Document sealing (/staff/settings/sealing): the certificate completed
documents are sealed with; owners and admins may replace it with their own PKCS#12."""

from __future__ import annotations

import reflex as rx

from portal_app import limits
from portal_app.errors import ServiceError
from portal_app.services.documents import sealing
from portal_app.state.base import BaseState


class SealingState(BaseState):
    cert: sealing.CertificateView = {}
    password: str = ""
    error: str = ""
    refusal: str = ""

    @rx.event
    async def load(self):
        def work(db, ws, actor):
            self.cert, self.refusal, self.error, self.password = sealing.certificate_view(db, actor), "", "", ""

        def refused(exc: ServiceError):
            self.cert, self.refusal = {}, exc.message

        return await self._run(work, on_error=refused)

    @rx.event
    def set_password(self, value: str):
        self.password = str(value)[:limits.CERTIFICATE_PASSWORD]

    @rx.event
    async def upload(self, files: list[rx.UploadFile]):
        if not files:
            self.error = "Choose a PKCS#12 file (.p12 or .pfx)."
            return None
        data = await files[0].read(sealing.PKCS12_MAX_BYTES + 1)

        def work(db, ws, actor):
            sealing.upload_pkcs12(db, actor, data, self.password)
            self.cert, self.error, self.password = sealing.certificate_view(db, actor), "", ""
            self._notify("Certificate replaced. New documents are sealed with it; older ones still verify.")

        def failed(exc: ServiceError):
            self.error = exc.message

        # reading a PKCS#12 (key derivation with the file's own iteration count) is CPU work:
        # in a thread, never on the event loop
        return await self._run(work, on_error=failed)

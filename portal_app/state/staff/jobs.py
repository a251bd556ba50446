"""Settings › Jobs (/staff/settings/jobs): the workspace's dead jobs with Retry (owners and
admins: services/dead_jobs.py asks access.require_manage_jobs)."""

from __future__ import annotations

import reflex as rx

from portal_app.errors import ServiceError
from portal_app.services import dead_jobs
from portal_app.state.base import BaseState


class JobsState(BaseState):
    rows: rx.Field[list[dead_jobs.DeadJobView]] = rx.field(default_factory=list)
    total: int = 0
    refusal: str = ""

    def _refresh(self, db, actor) -> None:
        listing = dead_jobs.dead_jobs(db, actor)
        self.rows, self.total, self.refusal = listing["rows"], listing["total"], ""

    @rx.event
    async def load(self):
        def refused(exc: ServiceError):
            self.rows, self.total, self.refusal = [], 0, exc.message

        return await self._run(lambda db, ws, actor: self._refresh(db, actor), on_error=refused)

    @rx.event
    async def retry(self, job_id: str):
        job_id = str(job_id)[:dead_jobs.JOB_ID_MAX + 1]

        def work(db, ws, actor):
            dead_jobs.retry_job(db, actor, job_id)
            self._refresh(db, actor)
            self._notify("Queued again: a worker runs it in a moment.")

        return await self._run(work)

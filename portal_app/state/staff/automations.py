"""Automations (/staff/automations): the rules with their Enable switch and Delete; a rule's
run history (/staff/automations/<id>/runs) with one run open, Cancel run and Retry step.
Owners and admins: services/automations/rules.py asks access.require_manage_automations.

A stale tab's action (a run that finished meanwhile, a step no longer failed) is refused by
the service with a human message, shown as the page notice, and the page is read again.
"""

from __future__ import annotations

from typing import cast

import reflex as rx

from portal_app.db import unit_of_work
from portal_app.errors import NotFound, ServiceError
from portal_app.services.automations import rules as svc
from portal_app.services.automations.views import RuleRow, RunRow, RunView
from portal_app.state.base import BaseState
from portal_app.state.common import segments

ID_MAX = 40


def _no_run() -> RunView:
    return cast(RunView, {"id": "", "rule_id": "", "rule_name": "", "contact": "", "summary": "", "version": 0,
                          "status": "", "status_label": "", "started": "", "can_cancel": False, "steps": []})


class AutomationsState(BaseState):
    rows: rx.Field[list[RuleRow]] = rx.field(default_factory=list)
    refusal: str = ""
    loaded: bool = False

    def _refresh(self, db, actor) -> None:
        self.rows, self.refusal, self.loaded = svc.list_rules(db, actor), "", True

    @rx.event
    async def load(self):
        def work(db, ws, actor):
            self._refresh(db, actor)

        def refused(exc: ServiceError):
            self.rows, self.refusal, self.loaded = [], exc.message, True

        return await self._run(work, on_error=refused)

    @rx.event
    async def set_enabled(self, rule_id: str, enabled: bool):
        rule_id = str(rule_id)[:ID_MAX + 1]

        def work(db, ws, actor):
            svc.set_enabled(db, actor, rule_id, bool(enabled))
            self._refresh(db, actor)
            name = next((r["name"] for r in self.rows if r["id"] == rule_id), "The automation")
            self._notify(f"“{name}” is on: it starts a run at each matching event." if enabled
                         else f"“{name}” is off: it starts no more runs (runs under way go on).")

        return await self._run(work)

    @rx.event
    async def delete(self, rule_id: str):
        rule_id = str(rule_id)[:ID_MAX + 1]

        def work(db, ws, actor):
            svc.delete_rule(db, actor, rule_id)
            self._refresh(db, actor)
            self._notify("Automation deleted. Its runs under way were cancelled.")

        return await self._run(work)


class AutomationRunsState(BaseState):
    rule_id: str = ""
    rule_name: str = ""
    runs: rx.Field[list[RunRow]] = rx.field(default_factory=list)
    run: RunView = _no_run()
    refusal: str = ""
    loaded: bool = False

    def _path_rule(self) -> str:
        parts = segments(self.router.url.path)  # /staff/automations/<id>/runs
        return parts[2][:ID_MAX + 1] if len(parts) == 4 and parts[3] == "runs" else ""

    def _refresh(self, db, actor) -> None:
        self.runs = svc.list_runs(db, actor, self.rule_id)
        self.rule_name = svc.get_rule(db, actor, self.rule_id)["form"]["name"]
        if self.run["id"]:
            self.run = svc.run_detail(db, actor, self.run["id"])

    def _stale(self, exc: ServiceError) -> None:
        """A refused action (the run finished meanwhile…): its message, and the page read again."""
        self._notify(exc.message, "red")
        self._reread()

    def _reread(self) -> None:
        try:
            with unit_of_work() as db:
                self._refresh(db, self._context(db).actor)
        except ServiceError:
            pass

    @rx.event
    async def load(self):
        rule_id = self._path_rule()
        run_id = self._query("run")[:ID_MAX + 1]

        def work(db, ws, actor):
            self.rule_id, self.run, self.refusal = rule_id, _no_run(), ""
            self._refresh(db, actor)
            if run_id:
                self.run = svc.run_detail(db, actor, run_id)
                if self.run["rule_id"] != rule_id:
                    raise NotFound("This run does not exist.")
            self.loaded = True

        def refused(exc: ServiceError):
            self.runs, self.run, self.rule_name, self.refusal, self.loaded = [], _no_run(), "", exc.message, True

        return await self._run(work, on_error=refused)

    @rx.event
    async def open_run(self, run_id: str):
        run_id = str(run_id)[:ID_MAX + 1]

        def work(db, ws, actor):
            view = svc.run_detail(db, actor, run_id)
            if view["rule_id"] != self.rule_id:
                raise NotFound("This run does not exist.")
            self.run = view
            return rx.set_focus("run-detail")  # the open run's heading (above the list)

        return await self._run(work)

    @rx.event
    def close_run(self):
        self.run = _no_run()

    @rx.event
    async def cancel_run(self):
        run_id = self.run["id"]

        def work(db, ws, actor):
            svc.cancel_run(db, actor, run_id)
            self._refresh(db, actor)
            self._notify("Run cancelled: its remaining steps will not run.")

        return await self._run(work, on_error=self._stale)

    @rx.event
    async def retry_step(self, position: int):
        run_id, position = self.run["id"], int(position)

        def work(db, ws, actor):
            svc.retry_step(db, actor, run_id, position)
            self._refresh(db, actor)
            self._notify(f"Step {position + 1} queued again: the run goes on from it.")

        return await self._run(work, on_error=self._stale)

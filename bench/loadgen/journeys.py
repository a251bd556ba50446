"""The simulated users: what each one visits, how long it thinks, and what every page visit is worth.

A client: home → invoices → an invoice (a row of the list it just got) → documents → files.
A staff member: contacts → a record (a row of the list it just got) → invoices list.

A client opens a fresh tab for each journey (a visit to the portal now and then); a staff member keeps
one tab for the whole run and goes round the journey in it, its first page reached again by the
shell's "Contacts" link (--fresh-tabs changes who opens fresh tabs). A tab's first page is a full
page load (the websocket upgrade and the
CONNECT packet carrying hydrate_and_load; the pathname as Chromium sends it after the static server's
redirect to the trailing-slash URL), the others are client-side navigations, as when a user clicks
the portal's links. What Chromium sends for a click (tests/data/reflex_frames.json): the route change's
on_load_internal, and nothing else, for the shell's navigation links (the phone menu's state is the
browser's) as for a link inside the page (an invoice, a contact).
Between pages, and before the next journey (a new tab), the user thinks 2–5 s (uniform). A visit
that times out or whose socket fails ends the tab; the journey goes on in a fresh tab (a reload).

A visit's latency: from the first byte the tab sends for it (the upgrade for a tab's first page, the
click's first event for a navigation) to the update that sets is_hydrated (the page's last on_load
handler has run). Its outcome: ok, error (protocol.problems saw a redirect, a toast, a red notice, a refusal;
the page's own state never arrived; the socket failed), or timeout (no final update within
--timeout s).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.loadgen import protocol as p
from bench.loadgen.transport import TabClosed, TabTimeout


@dataclass(frozen=True)
class Page:
    route: str              # the app's route (the name the tables print)
    state: str              # the class of the page's on_load handler (portal_app/portal_app.py PAGES)
    param: str = ""         # the dynamic route segment, filled from the previous page's rows
    rows_key: str = ""      # which key of the previous page's rows holds it

    def path(self, value: str = "") -> str:
        return self.route.replace(f"[{self.param}]", value) if self.param else self.route


CLIENT_JOURNEY = (
    Page("/", "HomeState"),
    Page("/invoices", "ClientInvoicesState"),
    Page("/invoices/[invoice_id]", "ClientInvoiceState", "invoice_id", "id"),
    Page("/documents", "ClientDocumentsState"),
    Page("/files", "ClientFilesState"),
)
STAFF_JOURNEY = (
    Page("/staff/contacts", "ContactsState"),
    Page("/staff/contacts/[contact_id]", "ContactRecordState", "contact_id", "public_id"),
    Page("/staff/invoices", "StaffInvoicesState"),
)
JOURNEYS = {"client": CLIENT_JOURNEY, "staff": STAFF_JOURNEY}
BASE_STATE = "BaseState"    # the shell's state: the page-level notice, who is looking


@dataclass(slots=True)
class Visit:
    done: float             # time.monotonic() when answered (or given up)
    route: str
    first: bool             # a tab's first page (upgrade + hydrate) rather than a navigation
    ms: float
    outcome: str            # ok | error | timeout
    detail: str = ""


@dataclass
class Stats:
    visits: list[Visit] = field(default_factory=list)
    open_tabs: int = 0
    tabs_opened: int = 0
    notes: dict[str, int] = field(default_factory=dict)

    def note(self, text: str) -> None:
        self.notes[text] = self.notes.get(text, 0) + 1


@dataclass
class Settings:
    think: tuple[float, float] = (2.0, 5.0)
    timeout: float = 10.0
    hashes: list[str] | None = None
    state_schema: str | None = None


class User:
    """One simulated person, running journeys in fresh tabs until `stop` is set or `until` passes."""

    def __init__(self, kind: str, cookie: str, make_tab: Callable, stats: Stats, settings: Settings,
                 rng: random.Random, fresh_tabs: bool = True):
        self.kind, self.cookie, self.make_tab, self.fresh_tabs = kind, cookie, make_tab, fresh_tabs
        self.stats, self.settings, self.rng = stats, settings, rng
        self.pages = JOURNEYS[kind]
        self.tab = None
        self.known: dict[str, list] = {}   # page states this tab holds (name -> its rows), as the browser keeps them
        self.connected = asyncio.Event()   # set once its first page visit ended (answered, failed or timed out)

    async def think(self, stop: asyncio.Event) -> None:
        try:
            await asyncio.wait_for(stop.wait(), self.rng.uniform(*self.settings.think))
        except TimeoutError:
            pass

    async def run(self, stop: asyncio.Event, until: float, max_journeys: int = 1_000_000) -> None:
        try:
            for _ in range(max_journeys):
                if stop.is_set() or time.monotonic() > until:
                    return
                await self.journey(stop, until)
                if self.fresh_tabs:
                    await self._close_tab()
                await self.think(stop)
        finally:
            await self._close_tab()

    async def _close_tab(self) -> None:
        if self.tab is not None:
            tab, self.tab = self.tab, None
            self.stats.open_tabs -= 1
            await tab.close()

    async def journey(self, stop: asyncio.Event, until: float) -> None:
        rows: list[dict] = []
        for i, page in enumerate(self.pages):
            if stop.is_set() or time.monotonic() > until:
                return
            if i:
                await self.think(stop)
                if stop.is_set():
                    return
            value = ""
            if page.param:
                links = [r.get(page.rows_key) for r in rows if isinstance(r, dict) and r.get(page.rows_key)]
                if not links:
                    self.stats.visits.append(Visit(time.monotonic(), page.route, self.tab is None, 0.0, "error",
                                                   "no row to open on the previous page"))
                    continue
                value = str(self.rng.choice(links))
            rows = await self.visit(page, value)

    async def visit(self, page: Page, value: str) -> list[dict]:
        """One page visit; returns the rows of the page's state (for the next page's link)."""
        params = {page.param: value} if page.param else None
        path = page.path(value)
        first = self.tab is None
        t0 = time.monotonic()
        deadline = t0 + self.settings.timeout
        try:
            if first:
                self.known = {}  # a new tab holds no page's state yet
                self.tab = self.make_tab(self.cookie)
                self.stats.open_tabs += 1
                self.stats.tabs_opened += 1
                loaded = path if path.endswith("/") else path + "/"
                event = p.hydrate_event(loaded, params, hashes=self.settings.hashes)
                await self.tab.open(p.boot_auth(event, self.settings.state_schema), deadline)
            else:
                await self.tab.send(p.navigation_event(path, params))
            seen, problems, rows = False, [], []
            for _ in range(10_000):  # updates in one page load: a handful; bounded
                update = await self.tab.next_update(deadline)
                if update is None:
                    self._record(t0, page, first, "timeout", f"no final update in {self.settings.timeout:g} s")
                    await self._close_tab()
                    return []
                values = p.find_state(update, page.state)
                if values is not None:
                    seen = True
                    if isinstance(values.get("rows" + p.VAR_SUFFIX), list):
                        rows = values["rows" + p.VAR_SUFFIX]
                    self.known[page.state] = rows or self.known.get(page.state, [])
                problems.extend(p.problems(update))
                if p.page_loaded(update):
                    break
            else:
                raise TabClosed("no final update among 10,000 updates")
            for note in self.tab.notes:
                self.stats.note(note)
            self.tab.notes.clear()
            if not seen and page.state in self.known:
                # The app sends only vars that changed: revisited in the same tab with nothing
                # new, the page's state is what the tab already holds (as a browser's would).
                seen, rows = True, self.known[page.state]
            if problems:
                self._record(t0, page, first, "error", "; ".join(problems))
            elif not seen:
                self._record(t0, page, first, "error", f"{page.state} never arrived")
            else:
                self._record(t0, page, first, "ok")
            return rows
        except TabTimeout as exc:
            self._record(t0, page, first, "timeout", str(exc))
            await self._close_tab()
            return []
        except TabClosed as exc:
            self._record(t0, page, first, "error", f"socket: {exc}")
            await self._close_tab()
            return []
        except p.ProtocolError as exc:
            self._record(t0, page, first, "error", f"protocol: {exc}")
            await self._close_tab()
            return []

    def _record(self, t0: float, page: Page, first: bool, outcome: str, detail: str = "") -> None:
        now = time.monotonic()
        self.stats.visits.append(Visit(now, page.route, first, (now - t0) * 1000, outcome, detail))
        self.connected.set()

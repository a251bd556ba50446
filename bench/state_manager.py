#!/usr/bin/env python3
"""The embedded default's state manager: what Reflex's disk manager costs, against the memory
manager, and what one client tab's state weighs (issue 20).

    .venv/bin/python bench/state_manager.py [--files 5000] [--tabs 150] [--seconds 20] [--json out.json]

Three figures, in one process, with the app's real state tree (portal_app.portal_app imported):

1. **The disk manager's scan.** `StateManagerDisk._process_write_queue` calls
   `_purge_expired_states` (list `.states`, stat every file) on every wake: after each batch of
   due writes, and every `REFLEX_STATE_MANAGER_DISK_DEBOUNCE` (2 s) when idle. Timed here on a
   folder of `--files` state files (median and max of 20 passes).
2. **Events under load.** `--tabs` tabs each send about one event a second (exponential gaps)
   for `--seconds`; an event is what Reflex does around a handler: `modify_state` on the tab's
   token, one var of one substate changed. Timed: from when each event was due to its exit
   (p50/p95/max: the loop's lag counts, as it does for a real event), and the event loop's
   lag (a 10 ms sleep's overshoot, p95/max) -- for the disk manager with
   `--files` files already in `.states` (a server that has run a while), the same with a 10 s
   write debounce instead of 2 s, the disk manager on an empty folder, and the memory manager.
3. **One client tab's state.** A fresh root State (every substate of the app is created with
   it) and the same tree after the client home, invoice list, invoice page and document list of
   the demo workspace were loaded through their on_load handlers, signed in as the demo client:
   tracemalloc's net allocation and the pickled size (what the disk and Redis managers store).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import secrets
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import ROOT, bench_env, load_line, machine, p95, temp_dir, write_json


def _ms(values: list[float]) -> dict:
    return {"n": len(values), "p50_ms": round(statistics.median(values), 2), "p95_ms": round(p95(values), 2),
            "max_ms": round(max(values), 2)}


def scan_cost(folder: Path, n_files: int) -> dict:
    """`_purge_expired_states` over n_files fresh state files (none expired: a pass only looks)."""
    from reflex.istate.manager.disk import StateManagerDisk

    payload = os.urandom(1500)  # about a substate's pickle; the scan reads only names and mtimes
    for i in range(n_files):
        (folder / f"{i:032x}.pkl").write_bytes(payload)
    manager = StateManagerDisk()
    manager.__dict__["states_directory"] = folder  # (a cached_property: pinned to this folder)
    times = []
    for _ in range(20):
        t0 = time.perf_counter()
        manager._purge_expired_states()
        times.append((time.perf_counter() - t0) * 1000)
    return {"files": n_files, "median_ms": round(statistics.median(times), 2), "max_ms": round(max(times), 2)}


async def _load(manager, tabs: int, seconds: float) -> dict:
    from reflex.istate.manager.token import BaseStateToken
    from reflex.state import State

    from portal_app.state.portal.home import HomeState

    tokens = [BaseStateToken(ident=f"bench-{secrets.token_hex(8)}", cls=State) for _ in range(tabs)]
    for token in tokens:  # each tab hydrated once, as a page load does
        async with manager.modify_state(token) as root:
            (await root.get_state(HomeState)).greeting_name = "Casey"
    events: list[float] = []
    lags: list[float] = []
    stop = time.perf_counter() + seconds

    async def tab(token) -> None:
        rng = random.Random(token.ident)
        due = time.perf_counter() + rng.random()
        n = 0
        while due < stop:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            async with manager.modify_state(token) as root:
                home = await root.get_state(HomeState)
                n += 1
                home.greeting_name = f"Casey {n}"
            # from when the event was due: what the loop's lag adds to it counts
            events.append((time.perf_counter() - due) * 1000)
            due = time.perf_counter() + rng.expovariate(1.0)

    async def probe() -> None:
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            await asyncio.sleep(0.01)
            lags.append((time.perf_counter() - t0 - 0.01) * 1000)

    await asyncio.gather(probe(), *(tab(t) for t in tokens))
    await manager.close()
    return {"events": _ms(events), "loop_lag": _ms(lags)}


def load_figures(folder: Path, n_files: int, tabs: int, seconds: float) -> dict:
    from reflex.istate.manager.disk import StateManagerDisk
    from reflex.istate.manager.memory import StateManagerMemory

    out = {}
    for name, make in (
        (f"disk, {n_files} files in .states", lambda: _disk(folder)),
        (f"disk, {n_files} files, debounce 10 s", lambda: _disk(folder, debounce=10.0)),
        ("disk, empty .states", lambda: _disk(temp_dir("portal-bench-states-empty-"))),
        ("memory", StateManagerMemory),
    ):
        manager = make()
        out[name] = asyncio.run(_load(manager, tabs, seconds))
        extra = ""
        if isinstance(manager, StateManagerDisk):
            extra = f"   ({sum(1 for _ in manager.states_directory.iterdir())} files after the run)"
        f = out[name]
        print(f"  {name:36} event p50 {f['events']['p50_ms']:6.2f} p95 {f['events']['p95_ms']:6.2f} "
              f"max {f['events']['max_ms']:7.2f} ms | loop lag p95 {f['loop_lag']['p95_ms']:6.2f} "
              f"max {f['loop_lag']['max_ms']:7.2f} ms{extra}")
    return out


def _disk(folder: Path, debounce: float | None = None):
    from reflex.istate.manager.disk import StateManagerDisk

    manager = StateManagerDisk()
    manager.__dict__["states_directory"] = folder
    if debounce is not None:  # REFLEX_STATE_MANAGER_DISK_DEBOUNCE (2 s by default)
        manager._write_debounce_seconds = debounce
    return manager


def tab_size(tmp: Path) -> dict:
    """One client tab: fresh tree, then home + invoices + an invoice + documents loaded."""
    from reflex.istate.data import RouterData
    from reflex.state import State
    from reflex_base.event import Event
    from sqlmodel import select

    from portal_app.db import unit_of_work
    from portal_app.models import Invoice, Workspace
    from portal_app.services.accounts.auth import sign_in
    from portal_app.services.portal.demo import DEMO_CLIENT_EMAIL, seed_demo
    from portal_app.state.portal.documents import ClientDocumentsState
    from portal_app.state.portal.home import HomeState
    from portal_app.state.portal.invoices import ClientInvoicesState, ClientInvoiceState
    from portal_app.state.session_guard import SessionGuard

    with unit_of_work() as db:
        seed_demo(db, "http://localhost:3000", "bench-staff-password", "bench-client-password")
    with unit_of_work() as db:
        ws = db.exec(select(Workspace)).one()
        cookie = sign_in(db, ws.id, "client", DEMO_CLIENT_EMAIL, "bench-client-password")
        invoice = db.exec(select(Invoice).where(Invoice.workspace_id == ws.id, Invoice.status != "draft")).first()
        invoice_id = invoice.public_id if invoice else ""

    def count(state) -> int:
        return 1 + sum(count(s) for s in state.substates.values())

    def stored(state) -> int:  # what the disk and Redis managers write: each substate on its own
        return len(state._serialize()) + sum(stored(s) for s in state.substates.values())

    pages = ((HomeState, "/"), (ClientInvoicesState, "/invoices"), (ClientInvoiceState, f"/invoices/{invoice_id}"),
             (ClientDocumentsState, "/documents"))

    def hydrated():
        root = State(_reflex_internal_init=True)
        for state_cls, path in pages:
            headers = {"host": "localhost", "origin": "http://localhost", "cookie": f"portal_session={cookie}"}
            root.router_data = {"headers": headers, "pathname": path, "asPath": path}
            root.router = RouterData.from_router_data(root.router_data)
            asyncio.run(SessionGuard().preprocess(app=None, state=root,
                                                  event=Event(name=f"{state_cls.get_full_name()}.load")))
            state = root.get_substate(state_cls.get_full_name().split(".")[1:])
            result = state_cls.event_handlers["load"].fn(state)
            if asyncio.iscoroutine(result):
                asyncio.run(result)
        return root

    warm = hydrated()  # first loads import modules and fill SQLAlchemy's caches: not a tab's cost
    n = 20
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    fresh_roots = [State(_reflex_internal_init=True) for _ in range(n)]
    gc.collect()
    fresh = tracemalloc.take_snapshot()
    roots = [hydrated() for _ in range(n)]
    gc.collect()
    loaded = tracemalloc.take_snapshot()
    tracemalloc.stop()

    def net(a, b) -> int:
        return sum(s.size_diff for s in b.compare_to(a, "filename"))

    assert len(fresh_roots) == len(roots) == n
    return {"substates": count(warm), "tabs_measured": n,
            "fresh_bytes": net(before, fresh) // n, "fresh_stored_bytes": stored(fresh_roots[0]),
            "loaded_bytes": net(fresh, loaded) // n, "loaded_stored_bytes": stored(roots[0]),
            "invoice_loaded": bool(invoice_id)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--files", type=int, default=5000)
    ap.add_argument("--tabs", type=int, default=150)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--json", type=Path, default=ROOT / "test-artifacts" / "bench-state-manager.json")
    args = ap.parse_args()

    tmp = temp_dir("portal-bench-states-")
    bench_env(tmp)
    os.environ["PORTAL_DATABASE_URL"] = f"sqlite:///{tmp / 'bench.db'}"
    os.environ["PORTAL_BASE_URL"] = "http://localhost:3000"
    os.environ["PORTAL_DEMO"] = "1"
    from sqlmodel import SQLModel

    import portal_app.models
    import portal_app.portal_app  # noqa: F401  (registers every state of the app)
    from portal_app.db import get_engine
    from portal_app.settings import reset_settings_cache

    reset_settings_cache()
    SQLModel.metadata.create_all(get_engine())

    states = tmp / "states"
    states.mkdir()
    print(load_line()[0])
    scan = scan_cost(states, args.files)
    print(f"1. disk manager scan of .states ({args.files} files): median {scan['median_ms']} ms, "
          f"max {scan['max_ms']} ms a pass")
    print(f"2. {args.tabs} tabs, ~1 event/s each, {args.seconds:.0f} s:")
    load = load_figures(states, args.files, args.tabs, args.seconds)
    tab = tab_size(tmp)
    print(f"3. one client tab ({tab['substates']} states in its tree, mean of {tab['tabs_measured']} tabs): fresh "
          f"{tab['fresh_bytes'] / 1024:.1f} KiB in memory ({tab['fresh_stored_bytes'] / 1024:.1f} KiB serialized); "
          f"home + invoices + an invoice + documents loaded: {tab['loaded_bytes'] / 1024:.1f} KiB more in memory "
          f"({tab['loaded_stored_bytes'] / 1024:.1f} KiB serialized)")
    write_json(args.json, {"machine": machine(), "load": load_line()[1], "scan": scan, "events": load, "tab": tab,
                           "args": vars(args)})
    return 0


if __name__ == "__main__":
    sys.exit(main())

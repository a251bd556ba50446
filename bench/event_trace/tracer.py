"""Times the phases of each Reflex event in the server process, by wrapping Reflex 0.10.1's
event processor and our state base (bench/page_load.py --trace). Wall time in milliseconds,
per event name and phase, written as JSON to $BENCH_TRACE_DIR/<pid>.json every 10 events.

Phases (nested: a phase's time includes the ones under it):
  task       the event from its task's start to its end (lock, preprocess, handler, delta, emit)
  guard      our session guard (Reflex middleware preprocess)
  handler    process_event: the handler, its delta and its emit
  emit       the delta's computation and its emit (chain_updates)
  hop        BaseState._run: to the event thread and back, with the work
  work       BaseState._run_here in the event thread: context, use case, commit
  context    event_context: the cached (workspace, actor, branding), checked or resolved
  commit     leaving the unit of work (the commit)
  work cpu   the event thread's CPU time in `work` (wall beyond it: waiting for the GIL, the disk, a CPU)
  use case   profile.update_profile (the round trip's save), inside `work`
  audit      audit.record, inside the use case
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import json
import os
import sys
import threading
import time
from collections import defaultdict

SAMPLES: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
EVENT: contextvars.ContextVar[str] = contextvars.ContextVar("bench_event", default="?")
_count = [0]


def _record(phase: str, started: float) -> None:
    SAMPLES[EVENT.get()][phase].append((time.perf_counter() - started) * 1000)


def dump() -> None:
    folder = os.environ.get("BENCH_TRACE_DIR")
    if folder and SAMPLES:
        with open(os.path.join(folder, f"{os.getpid()}.json"), "w") as f:
            json.dump({name: dict(phases) for name, phases in SAMPLES.items()}, f)


def _timed_async(owner, attr: str, phase: str) -> None:
    orig = getattr(owner, attr)

    @functools.wraps(orig)
    async def timed(*a, **k):
        started = time.perf_counter()
        try:
            return await orig(*a, **k)
        finally:
            _record(phase, started)
    setattr(owner, attr, timed)


def _timed_sync(owner, attr: str, phase: str) -> None:
    orig = getattr(owner, attr)

    @functools.wraps(orig)
    def timed(*a, **k):
        started = time.perf_counter()
        try:
            return orig(*a, **k)
        finally:
            _record(phase, started)
    setattr(owner, attr, timed)


def _reflex() -> None:
    import reflex.app_mixins.middleware as middleware
    from reflex_base.event.processor import base_state_processor as bsp
    from reflex_base.event.processor import event_processor as ep

    orig = ep.EventProcessor._process_event_queue_entry

    async def task(self, *, entry, registered_handler):
        parts = entry.event.name.split(".")
        EVENT.set(".".join(parts[-2:]))
        started = time.perf_counter()
        try:
            return await orig(self, entry=entry, registered_handler=registered_handler)
        finally:
            _record("task", started)
            _count[0] += 1
            if _count[0] % 10 == 0:
                dump()
    ep.EventProcessor._process_event_queue_entry = task  # type: ignore[method-assign]
    _timed_async(middleware.MiddlewareMixin, "_preprocess", "guard")
    _timed_async(bsp, "process_event", "handler")
    _timed_async(bsp, "chain_updates", "emit")


def _ours_when_imported() -> None:
    """Our state base is imported by the app after this runs: patch it once it is there."""
    def wait_and_patch() -> None:
        for _ in range(3000):
            if "portal_app.state.base" in sys.modules:
                break
            time.sleep(0.1)
        else:
            return
        base = sys.modules["portal_app.state.base"]
        _timed_async(base.BaseState, "_run", "hop")
        _timed_sync(base.BaseState, "_run_here", "work")
        run_here = base.BaseState._run_here

        @functools.wraps(run_here)
        def counted(*a, **k):  # the work's own CPU time: wall beyond it is waiting (GIL, disk, the CPU)
            started = time.thread_time()
            try:
                return run_here(*a, **k)
            finally:
                SAMPLES[EVENT.get()]["work cpu"].append((time.thread_time() - started) * 1000)
        base.BaseState._run_here = counted
        import portal_app.services.accounts.profile as profile
        import portal_app.services.audit as audit
        _timed_sync(profile, "update_profile", "use case")
        _timed_sync(audit, "record", "audit")
        _timed_sync(base, "event_context", "context")
        orig_uow = base.unit_of_work

        @contextlib.contextmanager
        def unit_of_work(*a, **k):
            with orig_uow(*a, **k) as db:
                yield db
                started = time.perf_counter()
            _record("commit", started)
        base.unit_of_work = unit_of_work
    threading.Thread(target=wait_and_patch, name="bench-trace", daemon=True).start()


def install() -> None:
    _reflex()
    _ours_when_imported()

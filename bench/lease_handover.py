#!/usr/bin/env python3
"""How long a tab's state lock takes to change workers with Reflex's opportunistic lock (issue 20).

    .venv/bin/python bench/lease_handover.py [--trials 200] [--hold-ms 5000 --lock-ms 10000]
        [--contenders 1|2] [--no-bg] [--fixed] [--scenario handover|local] [--debug]

Two OS processes stand for the two granian workers, each with its own StateManagerRedis on the
local Redis (db `--db`, 7 by default; only that db is flushed) and REFLEX_OPLOCK_ENABLED:

- **handover** (a reload whose new socket lands on the other worker): process A takes a fresh
  token T (so it holds T's lease), then keeps modifying it like a tab's events (every 20-300 ms)
  and, unless --no-bg, like a live follower too (a concurrent background modification every
  50-400 ms); after 0-300 ms process B starts `--contenders` concurrent modifications of T (the
  hydrate and the page's on_load) and times each from its start to holding the state.
- **local**: one process, `--tokens` tokens each with an events loop and a background loop for
  `--seconds`; every modification is timed (the same-process hand-over, when a lease ends).

Printed: p50 / p95 / max of the waits and how many exceeded 1 s. Every loop is bounded in count
and time; a wait is cut at the lock expiration plus 5 s and counted as such. `--fixed` uses the
app's state manager (portal_app/state_manager.py) instead of Reflex's.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing as mp
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

if __name__ in {"__main__", "__mp_main__"} and "--debug" in sys.argv:
    os.environ["REFLEX_STATE_MANAGER_REDIS_DEBUG"] = "true"
os.environ["REFLEX_OPLOCK_ENABLED"] = "true"

import reflex as rx


class Lease(rx.State):
    """The smallest tree the manager accepts: the root State and one substate."""

    n: int = 0


def _manager(args):
    from redis.asyncio import Redis

    if args.fixed:
        from portal_app.state_manager import PortalStateManagerRedis as cls
    else:
        from reflex.istate.manager.redis import StateManagerRedis as cls
    return cls(redis=Redis.from_url(f"redis://127.0.0.1:6379/{args.db}"), token_expiration=300,
               lock_expiration=args.lock_ms, lock_warning_threshold=args.lock_ms - 1,
               oplock_hold_time_ms=args.hold_ms)


def _token(ident: str):
    from reflex.istate.manager.token import BaseStateToken

    return BaseStateToken(ident=ident, cls=Lease)


async def _modify(manager, ident: str, cap: float) -> float:
    """One event's modification; the seconds until the state was in hand (cut at `cap`)."""
    started = time.monotonic()
    got = asyncio.Event()

    async def run():
        async with manager.modify_state(_token(ident)) as root:
            got.set()
            (await root.get_state(Lease)).n += 1

    task = asyncio.create_task(run())
    try:
        await asyncio.wait_for(got.wait(), cap)
    except TimeoutError:
        pass
    waited = time.monotonic() - started
    try:
        await asyncio.wait_for(task, cap)
    except (TimeoutError, Exception):  # a stuck or failed modification is the figure, not a crash
        task.cancel()
    return waited


async def _loop(manager, ident: str, gaps: tuple[float, float], until: float, cap: float,
                waits: list[float] | None = None) -> None:
    for _ in range(10_000):
        if time.monotonic() >= until:
            return
        waited = await _modify(manager, ident, cap)
        if waits is not None:
            waits.append(waited)
        await asyncio.sleep(random.uniform(*gaps))


def _log_to(path: str) -> None:
    logging.basicConfig(filename=path, level=logging.DEBUG, format="%(message)s")
    logging.getLogger("redis").setLevel(logging.WARNING)
    logging.getLogger("asyncio").setLevel(logging.WARNING)


def holder(conn, args) -> None:
    """Process A: on ("hold", T) take T and keep modifying it until ("stop",)."""
    if args.debug:
        _log_to(f"/tmp/lease_handover.A.{os.getpid()}.log")

    async def main():
        manager = _manager(args)
        cap = args.lock_ms / 1000 + 5
        await manager._ensure_lock_task_subscribed(timeout=5)
        loop = asyncio.get_running_loop()
        for _ in range(args.trials + 1):
            cmd = await loop.run_in_executor(None, conn.recv)
            if cmd[0] == "quit":
                break
            ident = cmd[1]
            await _modify(manager, ident, cap)
            for _ in range(100):  # the lease is taken on the first event after the subscription
                if ident in manager._local_leases:
                    break
                await _modify(manager, ident, cap)
            until = time.monotonic() + args.hold_ms / 1000 + args.lock_ms / 1000 + 10
            tasks = [asyncio.create_task(_loop(manager, ident, (0.02, 0.3), until, cap))]
            if args.bg:
                tasks.append(asyncio.create_task(_loop(manager, ident, (0.05, 0.4), until, cap)))
            conn.send(("ready", ident in manager._local_leases))
            await loop.run_in_executor(None, conn.recv)  # ("stop",)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            conn.send(("stopped",))
        await manager.close()

    asyncio.run(main())


def contender(conn, args) -> None:
    """Process B: on ("take", T) wait 0-300 ms, then `contenders` concurrent modifications."""
    if args.debug:
        _log_to(f"/tmp/lease_handover.B.{os.getpid()}.log")

    async def main():
        manager = _manager(args)
        cap = args.lock_ms / 1000 + 5
        await manager._ensure_lock_task_subscribed(timeout=5)
        loop = asyncio.get_running_loop()
        for _ in range(args.trials + 1):
            cmd = await loop.run_in_executor(None, conn.recv)
            if cmd[0] == "quit":
                break
            await asyncio.sleep(random.uniform(0, 0.3))
            waits = await asyncio.gather(*(
                _modify(manager, cmd[1], cap) for _ in range(args.contenders)))
            conn.send(("waits", list(waits)))
        await manager.close()

    asyncio.run(main())


def _flush(db: int) -> None:
    import redis

    redis.Redis(host="127.0.0.1", port=6379, db=db).flushdb()


def _summary(label: str, waits: list[float]) -> str:
    if not waits:
        return f"{label}: no waits"
    ordered = sorted(waits)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    slow = sum(1 for w in waits if w > 1)
    return (f"{label}: n={len(waits)} p50 {statistics.median(waits) * 1000:.1f} ms, "
            f"p95 {p95 * 1000:.1f} ms, max {ordered[-1] * 1000:.0f} ms, >1 s: {slow}")


def handover(args) -> None:
    ctx = mp.get_context("spawn")
    a_end, a_conn = ctx.Pipe()
    b_end, b_conn = ctx.Pipe()
    procs = [ctx.Process(target=holder, args=(a_conn, args), daemon=True),
             ctx.Process(target=contender, args=(b_conn, args), daemon=True)]
    for proc in procs:
        proc.start()
    firsts: list[float] = []
    alls: list[float] = []
    leased = 0
    deadline = time.monotonic() + args.budget
    trials = 0
    try:
        for _ in range(args.trials):
            if time.monotonic() > deadline:
                break
            ident = f"lease-{uuid.uuid4().hex}"
            a_end.send(("hold", ident))
            if not a_end.poll(30):
                raise SystemExit("process A did not answer")
            leased += bool(a_end.recv()[1])
            time.sleep(random.uniform(0, 0.3))
            b_end.send(("take", ident))
            if not b_end.poll(args.lock_ms / 1000 + 30):
                raise SystemExit("process B did not answer")
            waits = b_end.recv()[1]
            if args.debug and max(waits) > 1:
                print(f"  slow: {ident} {[round(w, 3) for w in waits]}", flush=True)
            firsts.append(min(waits))
            alls.extend(waits)
            a_end.send(("stop",))
            if not a_end.poll(args.lock_ms / 1000 + 30):
                raise SystemExit("process A did not stop")
            a_end.recv()
            trials += 1
    finally:
        for end in (a_end, b_end):
            end.send(("quit",))
        for proc in procs:
            proc.join(15)
            if proc.is_alive():
                proc.terminate()
    print(f"handover: {trials} trials, hold {args.hold_ms} ms, lock {args.lock_ms} ms, "
          f"{args.contenders} contender(s) in B, A {'with' if args.bg else 'without'} a background "
          f"loop, {'fixed' if args.fixed else 'Reflex'} manager; A held a lease in {leased}")
    print("  " + _summary("B's first modification", firsts))
    print("  " + _summary("B's every modification", alls))


def local(args) -> None:
    if args.debug:
        _log_to(f"/tmp/lease_handover.local.{os.getpid()}.log")

    async def main():
        manager = _manager(args)
        cap = args.lock_ms / 1000 + 5
        await manager._ensure_lock_task_subscribed(timeout=5)
        until = time.monotonic() + args.seconds
        waits: list[float] = []
        tasks = []
        for _ in range(args.tokens):
            ident = f"lease-{uuid.uuid4().hex}"
            tasks.append(_loop(manager, ident, (0.02, 0.3), until, cap, waits))
            if args.bg:
                tasks.append(_loop(manager, ident, (0.05, 0.4), until, cap, waits))
        await asyncio.gather(*tasks)
        await manager.close()
        return waits

    waits = asyncio.run(main())
    print(f"local: {args.tokens} tokens for {args.seconds} s, hold {args.hold_ms} ms, lock "
          f"{args.lock_ms} ms, {'with' if args.bg else 'without'} a background loop, "
          f"{'fixed' if args.fixed else 'Reflex'} manager")
    print("  " + _summary("every modification", waits))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=["handover", "local"], default="handover")
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--budget", type=float, default=600, help="seconds, at most")
    parser.add_argument("--hold-ms", type=int, default=5000)
    parser.add_argument("--lock-ms", type=int, default=10000)
    parser.add_argument("--contenders", type=int, default=1)
    parser.add_argument("--no-bg", dest="bg", action="store_false")
    parser.add_argument("--tokens", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--db", type=int, default=7)
    parser.add_argument("--fixed", action="store_true")
    parser.add_argument("--debug", action="store_true")
    args = parser.parse_args(argv)
    args.trials = max(1, min(args.trials, 5000))
    args.seconds = min(args.seconds, 600)
    _flush(args.db)
    try:
        (handover if args.scenario == "handover" else local)(args)
    finally:
        _flush(args.db)


if __name__ == "__main__":
    main()

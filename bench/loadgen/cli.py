"""The ramp: sign in, start users step by step, hold each step, measure, print (usage: __init__.py)."""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import math
import os
import random
import shutil
import signal
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from urllib.parse import urlsplit

from bench.loadgen import procstat
from bench.loadgen import protocol as p
from bench.loadgen.journeys import Settings, Stats, User, Visit
from bench.page_load import PYTHON, ROOT, BenchError, free_port, log

ACCOUNTS = {"client": "client@demo.example:casey-client-1", "staff": "owner@demo.example:northwind-owner"}
DEFAULT_JSON = ROOT / "test-artifacts" / "bench" / "load.json"


# ---------------------------------------------------------------------------------- target


def loopback_target(url: str):
    """(base URL as the browser sees it, loopback address to connect to, port); anything that is not
    http on 127.0.0.1, localhost or ::1 is refused: this tool sends traffic to loopback only."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme != "http" or host not in ("127.0.0.1", "localhost", "::1"):
        raise BenchError(f"refusing {url!r}: only http://127.0.0.1, http://localhost or http://[::1] (loopback)")
    connect = "127.0.0.1" if host == "localhost" else host
    if not ipaddress.ip_address(connect).is_loopback:  # belt and braces
        raise BenchError(f"refusing {url!r}: not loopback")
    try:
        port = parts.port or 80
    except ValueError:
        raise BenchError(f"bad port in {url!r}") from None
    return f"http://{parts.netloc}", connect, port


async def sign_in(session, target, kind: str, login: str) -> tuple[str, float]:
    """The sign-in form's POST (api/auth_routes.py): returns the `portal_session=…` cookie and the ms it took."""
    email, _, password = login.partition(":")
    from bench.loadgen.transport import USER_AGENT

    t0 = time.monotonic()
    async with session.post(f"{target.http_root}/api/auth/{kind}/login", data={"email": email, "password": password},
                            headers={"Host": target.host_header, "Origin": target.base_url, "User-Agent": USER_AGENT},
                            allow_redirects=False) as resp:
        await resp.read()
        location = resp.headers.get("Location", "")
        morsel = resp.cookies.get("portal_session")
    ms = (time.monotonic() - t0) * 1000
    if resp.status != 303 or morsel is None or not morsel.value or "error=" in location:
        raise BenchError(f"sign-in as {email} failed: HTTP {resp.status}, Location {location!r}")
    return f"portal_session={morsel.value}", ms


# --------------------------------------------------------------------------------- figures


def pct(values: list[float], q: float) -> float | None:
    """Nearest rank."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def _r(x: float | None, nd: int = 1) -> float | None:
    return None if x is None else round(x, nd)


@dataclass
class Probe:
    proc: asyncio.subprocess.Process
    samples: list[tuple[float, float, str]] = field(default_factory=list)
    reader: asyncio.Task | None = None

    async def read(self) -> None:
        assert self.proc.stdout is not None
        for _ in range(10_000_000):  # one line per 100 ms: bounded by the probe's own --seconds
            line = await self.proc.stdout.readline()
            if not line:
                return
            t, ms, status = line.decode().split()
            self.samples.append((float(t), float(ms), status))

    def window(self, t0: float, t1: float) -> dict:
        inside = [(ms, st) for t, ms, st in self.samples if t0 <= t <= t1]
        ok = [ms for ms, st in inside if st == "200"]
        return {"n": len(inside), "failed": len(inside) - len(ok), "p50_ms": _r(pct(ok, 50), 2),
                "p95_ms": _r(pct(ok, 95), 2), "max_ms": _r(max(ok) if ok else None, 2)}


async def start_probe(target, seconds: float) -> Probe:
    proc = await asyncio.create_subprocess_exec(
        str(PYTHON), "-m", "bench.loadgen.probe", "--port", str(target.port), "--connect", target.connect_host,
        "--host-header", target.host_header, "--seconds", str(int(seconds)), cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stdin=asyncio.subprocess.DEVNULL)
    probe = Probe(proc)
    probe.reader = asyncio.create_task(probe.read())
    return probe


class AppProcs:
    """The app's processes: the tree under the started process, or (--url) the processes holding the
    listening socket and their trees; and the services it uses (production): the PostgreSQL backends
    serving its database, and redis-server (shared with anyone else using it). Found again at every
    step (a worker may be replaced)."""

    def __init__(self, root_pid: int | None, port: int, pg_database: str | None = None, redis: bool = False):
        self.root_pid, self.port, self.pg_database, self.redis = root_pid, port, pg_database, redis

    def pids(self) -> list[int]:
        roots = [self.root_pid] if self.root_pid else procstat.listening_pids(self.port)
        found: set[int] = set()
        for r in roots:
            found.update(procstat.tree(r))
        return sorted(found)

    def service_pids(self) -> list[int]:
        found = []
        if self.pg_database:
            found += procstat.pids_by_cmdline(b"postgres: ", f" {self.pg_database} ".encode())
        if self.redis:
            found += procstat.pids_by_cmdline(b"/usr/bin/redis-server") + procstat.pids_by_cmdline(b"redis-server")
        return sorted(set(found))

    @staticmethod
    def sample(pids: list[int]) -> dict[int, procstat.ProcSample]:
        return {pid: s for pid in pids if (s := procstat.sample(pid)) is not None}


def _cpu_rows(before: dict, after: dict, wall: float) -> list[dict]:
    rows = []
    for pid, s1 in sorted(after.items()):
        s0 = before.get(pid)
        cpu = (s1.cpu_s - s0.cpu_s) / wall * 100 if s0 else None
        wait = (s1.wait_s - s0.wait_s) / wall * 100 if s0 else None
        rows.append({"pid": pid, "ppid": s1.ppid, "name": s1.name, "rss_mb": round(s1.rss_kb / 1024, 1),
                     "cpu_pct": _r(cpu), "runq_wait_pct": _r(wait)})
    return rows


def step_figures(n_users: int, visits: list[Visit], t0: float, t1: float, stats: Stats, probe: Probe,
                 before: dict, after: dict, rss_max_kb: int, gen_cpu: tuple, mach: tuple,
                 conns: list[int], unconnected: int, services: tuple[dict, dict]) -> dict:
    wall = t1 - t0
    inside = [v for v in visits if t0 <= v.done <= t1]
    ok = [v.ms for v in inside if v.outcome == "ok"]
    answered = [v for v in inside if v.outcome != "timeout"]
    errors = [v for v in inside if v.outcome == "error"]
    kinds: dict[str, int] = {}
    for v in errors:
        key = v.detail.split(";")[0][:100]
        kinds[key] = kinds.get(key, 0) + 1
    procs = _cpu_rows(before, after, wall)
    svc = _cpu_rows(*services, wall)
    routes: dict[str, dict] = {}
    for route in sorted({v.route for v in inside}, key=lambda r: (r.startswith("/staff"), r)):
        mine = [v for v in inside if v.route == route]
        lat = [v.ms for v in mine if v.outcome == "ok"]
        first = [v.ms for v in mine if v.outcome == "ok" and v.first]
        routes[route] = {"n": len(mine), "ok": len(lat), "p50_ms": _r(pct(lat, 50)), "p95_ms": _r(pct(lat, 95)),
                         "first_visits": len(first), "first_p50_ms": _r(pct(first, 50)),
                         "errors": sum(v.outcome == "error" for v in mine),
                         "timeouts": sum(v.outcome == "timeout" for v in mine)}
    busy = (mach[1][0] - mach[0][0]) / max(1, mach[1][1] - mach[0][1]) * 100
    return {
        "users": n_users, "unconnected_users": unconnected, "hold_s": round(wall, 1),
        "conns_min": min(conns), "conns_max": max(conns), "conns_mean": round(sum(conns) / len(conns), 1),
        "events": len(inside), "events_per_s": round(len(answered) / wall, 2),
        "p50_ms": _r(pct(ok, 50)), "p95_ms": _r(pct(ok, 95)), "p99_ms": _r(pct(ok, 99)),
        "max_ms": _r(max(ok) if ok else None),
        "ok": len(ok), "errors": len(errors), "timeouts": sum(v.outcome == "timeout" for v in inside),
        "error_kinds": dict(sorted(kinds.items(), key=lambda kv: -kv[1])[:5]),
        "ping": probe.window(t0, t1),
        "app": {"rss_mb": round(sum(s.rss_kb for s in after.values()) / 1024, 1),
                "rss_max_mb": round(rss_max_kb / 1024, 1),
                "pss_mb": round(sum(procstat.pss_kb(pid) or 0 for pid in after) / 1024, 1),
                "cpu_pct": _r(sum(pr["cpu_pct"] or 0 for pr in procs)),
                "runq_wait_pct": _r(sum(pr["runq_wait_pct"] or 0 for pr in procs)), "processes": procs},
        "services": {"cpu_pct": _r(sum(pr["cpu_pct"] or 0 for pr in svc)) if svc else None, "processes": svc},
        # the generator's own process per event (tabs, framing, JSON, bookkeeping, the /proc sampling);
        # its probe process apart (a fixed ~10 requests/s whatever the load)
        "generator": {"cpu_pct": _r(sum(gen_cpu) / wall * 100), "probe_cpu_pct": _r(gen_cpu[2] / wall * 100),
                      "cpu_ms_per_event": _r((gen_cpu[0] + gen_cpu[1]) * 1000 / len(answered), 3) if answered else None,
                      "user_ms_per_event": _r(gen_cpu[0] * 1000 / len(answered), 3) if answered else None,
                      "system_ms_per_event": _r(gen_cpu[1] * 1000 / len(answered), 3) if answered else None,
                      "rss_mb": round((procstat.rss_kb(os.getpid()) or 0) / 1024, 1)},
        "machine_busy_pct": round(busy, 1), "loadavg": os.getloadavg(),
        # CPU used by anything else on the machine (other people's work), in % of one core
        "others_cpu_pct": round(max(0.0, busy * (os.cpu_count() or 1) - sum(pr["cpu_pct"] or 0 for pr in procs + svc)
                                    - sum(gen_cpu) / wall * 100), 1),
        "by_route": routes,
    }


HEAD = (f"{'users':>5} {'conns':>5} {'ev/s':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'err':>4} {'t/o':>4} "
        f"{'ping p50/p95 ms':>15} {'app RSS':>8} {'app CPU':>7} {'app wait':>8} {'db+redis':>8} {'gen CPU':>7} "
        f"{'gen ms/ev':>9} {'others':>6}")


def _f(x, width: int, nd: int = 1) -> str:
    return f"{'-':>{width}}" if x is None else f"{x:>{width}.{nd}f}"


def row(s: dict) -> str:
    ping = f"{_f(s['ping']['p50_ms'], 6)}/{_f(s['ping']['p95_ms'], 6)}"
    return (f"{s['users']:>5} {s['conns_mean']:>5.0f} {s['events_per_s']:>6.1f} {_f(s['p50_ms'], 7)} {_f(s['p95_ms'], 7)} "
            f"{_f(s['p99_ms'], 7)} {s['errors']:>4} {s['timeouts']:>4} {ping:>15} {s['app']['rss_mb']:>5.0f} MB "
            f"{s['app']['cpu_pct']:>5.0f} % {s['app']['runq_wait_pct']:>6.0f} % {_f(s['services']['cpu_pct'], 6, 0)} % "
            f"{s['generator']['cpu_pct']:>5.1f} % {_f(s['generator']['cpu_ms_per_event'], 9, 2)} "
            f"{s['others_cpu_pct']:>4.0f} %")


def process_lines(s: dict) -> list[str]:
    procs = s["app"]["processes"] + s["services"]["processes"]
    pids = {pr["pid"] for pr in procs}
    return [f"        pid {pr['pid']:>7}{' (child of ' + str(pr['ppid']) + ')' if pr['ppid'] in pids else '':<20} "
            f"{pr['name'][:36]:<36} {pr['rss_mb']:>6.0f} MB  CPU {_f(pr['cpu_pct'], 5)} %  wait {_f(pr['runq_wait_pct'], 5)} %"
            for pr in procs]


def print_report(report: dict) -> None:
    a, m = report["settings"], report["machine"]
    print()
    print(f"Load: config {report['config']}, {report['target']}, Reflex {m['reflex']}, transport {a['transport']}; "
          f"think {a['think'][0]:g}–{a['think'][1]:g} s, staff share {a['staff_share']:.0%}, fresh tab per journey: "
          f"{a['fresh_tabs']}, hold {a['hold']:g} s per step, timeout {a['timeout']:g} s"
          + ("" if report["compiled_hashes"] else "; hydrating without the compiled state hashes"))
    print(f"Machine: {m['cpus']} CPUs ({m['cpu']}), shared; signed in once per account before the ramp: "
          f"{', '.join(f'{k} {v:.0f} ms' for k, v in report['sign_in_ms'].items())} (not in the figures)")
    print("users: simulated users; conns: open websockets (mean over the hold); ev/s: page visits answered per s;")
    print("p50/p95/p99: latency of the visits answered without error, from the tab's first byte for the page to the")
    print("  update that sets is_hydrated; err, t/o: visits with an error / no answer in time; ping: GET /ping every")
    print("  100 ms beside the load; app RSS: sum over the app's processes (PSS in the JSON); app CPU: % of one")
    print("  core, summed; db+redis: the PostgreSQL backends of the app's database and redis-server (production);")
    print("  app wait: time the app's threads were ready to run but waited for a CPU, % of the hold (summed over")
    print("  threads; the machine is shared); gen CPU: this generator + its probe, % of one core; gen ms/ev: the")
    print("  generator's own CPU per visit; others: CPU used by everything else on the machine, % of one core")
    print()
    print(HEAD)
    print("-" * len(HEAD))
    for s in report["steps"]:
        print(row(s))
        for line in process_lines(s):
            print(line)
        if s["error_kinds"]:
            print("        errors: " + "; ".join(f"{n}× {k}" for k, n in s["error_kinds"].items()))
        if s["ping"]["failed"]:
            print(f"        /ping: {s['ping']['failed']} of {s['ping']['n']} probes failed or timed out (5 s)")
        if s["unconnected_users"]:
            print(f"        {s['unconnected_users']} users never got their first page within the wait")
    print()
    print("By page (ok visits, p50 / p95 ms; first = a tab's first page, whose time includes the websocket upgrade):")
    for s in report["steps"]:
        parts = [f"{r} {d['p50_ms']}/{d['p95_ms']}" + (f" (first {d['first_p50_ms']})" if d["first_visits"] else "")
                 for r, d in s["by_route"].items()]
        print(f"  {s['users']:>4} users: " + ", ".join(parts))
    if report["notes"]:
        print("Notes: " + "; ".join(f"{n}× {k}" for k, n in report["notes"].items()))


# -------------------------------------------------------------------------------------- run


def staff_at(index: int, share: float) -> bool:
    """Spreads staff evenly: user i is staff when floor((i+1)·share) grows."""
    return math.floor((index + 1) * share) > math.floor(index * share)


async def run_load(args, target, procs: AppProcs, facts: dict | None) -> dict:
    import aiohttp

    from bench.loadgen.transport import TRANSPORTS

    settings = Settings(think=tuple(args.think), timeout=args.timeout,
                        hashes=facts["hashes"] if facts else None, state_schema=facts["state_schema"] if facts else None)
    per_step = args.ramp + args.timeout + 30 + args.hold
    budget = len(args.steps) * per_step + 60
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar()) as session:
        kinds = ["client"] + (["staff"] if args.staff_share > 0 else [])
        cookies, sign_in_ms = {}, {}
        for kind in kinds:
            cookies[kind], sign_in_ms[kind] = await sign_in(session, target, kind, getattr(args, f"{kind}_login"))
        log(f"signed in: {', '.join(f'{k} in {v:.0f} ms' for k, v in sign_in_ms.items())}")
        tab_cls = TRANSPORTS[args.transport]

        def make_tab(cookie):
            return tab_cls(session, target, cookie)

        stats = Stats()
        stop = asyncio.Event()
        until = time.monotonic() + budget
        users: list[User] = []
        tasks: list[asyncio.Task] = []
        probe = await start_probe(target, budget)
        steps: list[dict] = []
        try:
            for n in args.steps:
                new = max(0, n - len(users))
                log(f"step {n} users: starting {new} over {args.ramp:g} s")
                for _ in range(new):
                    idx = len(users)
                    kind = "staff" if staff_at(idx, args.staff_share) else "client"
                    user = User(kind, cookies[kind], make_tab, stats, settings, random.Random(args.seed * 1_000_003 + idx),
                                fresh_tabs=args.fresh_tabs in (kind, "all"))
                    users.append(user)
                    tasks.append(asyncio.create_task(user.run(stop, until)))
                    await asyncio.sleep(args.ramp / new)
                waiters = [asyncio.create_task(u.connected.wait()) for u in users if not u.connected.is_set()]
                if waiters:
                    _done, pending = await asyncio.wait(waiters, timeout=args.timeout + 30)
                    for w in pending:
                        w.cancel()
                unconnected = sum(not u.connected.is_set() for u in users)
                log(f"step {n} users: {len(users) - unconnected} answered their first page; holding {args.hold:g} s")
                pids, svc_pids = procs.pids(), procs.service_pids()
                pids_before, svc_before = procs.sample(pids), procs.sample(svc_pids)
                mach0, gen0 = procstat.machine_ticks(), _gen_cpu(probe)
                t0 = time.monotonic()
                rss_max, conns = 0, [stats.open_tabs]
                for _ in range(int(args.hold)):
                    await asyncio.sleep(max(0.0, t0 + len(conns) - time.monotonic()))
                    rss_max = max(rss_max, sum(s.rss_kb for s in procs.sample(pids).values()))
                    conns.append(stats.open_tabs)
                await asyncio.sleep(max(0.0, t0 + args.hold - time.monotonic()))
                t1 = time.monotonic()
                gen1, mach1 = _gen_cpu(probe), procstat.machine_ticks()
                after, svc_after = procs.sample(pids), procs.sample(svc_pids)
                rss_max = max(rss_max, sum(s.rss_kb for s in after.values()))
                fig = step_figures(n, stats.visits, t0, t1, stats, probe, pids_before, after, rss_max,
                                   tuple(b - a for a, b in zip(gen0, gen1, strict=True)),
                                   (mach0, mach1), conns, unconnected, (svc_before, svc_after))
                steps.append(fig)
                print(row(fig), file=sys.stderr, flush=True)
        finally:
            stop.set()
            if tasks:
                _done, pending = await asyncio.wait(tasks, timeout=args.timeout + 5)
                for t in pending:
                    t.cancel()
                await asyncio.gather(*pending, return_exceptions=True)
            if probe.proc.returncode is None:
                probe.proc.terminate()
            try:
                await asyncio.wait_for(probe.proc.wait(), 5)
            except TimeoutError:
                probe.proc.kill()
            if probe.reader:
                probe.reader.cancel()
    return {"steps": steps, "sign_in_ms": sign_in_ms, "notes": stats.notes, "tabs_opened": stats.tabs_opened}


def _gen_cpu(probe: Probe) -> tuple[float, float, float]:
    """CPU seconds so far: this process (user, system), the probe process."""
    user, system = procstat.cpu_split(os.getpid()) or (0.0, 0.0)
    return user, system, procstat.cpu_seconds(probe.proc.pid) or 0.0


def machine() -> dict:
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return {"cpus": os.cpu_count(), "cpu": cpu, "reflex": version("reflex"), "aiohttp": version("aiohttp"),
            "python": sys.version.split()[0]}


def read_facts(web: Path | None) -> dict | None:
    """What the compiled frontend sends on a tab's first connect (hashes, schema), if its .web is at hand."""
    if web is None:
        return None
    ctx = web / "utils" / "context.jsx"
    if not ctx.exists():
        log(f"no {ctx}: tabs hydrate without the compiled state hashes (as a reconnecting tab does)")
        return None
    return p.compiled_facts(ctx.read_text())


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    from bench.loadgen import __doc__ as usage

    ap = argparse.ArgumentParser(prog="python -m bench.loadgen", description=usage,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", choices=("embedded", "production"),
                    default=os.environ.get("PORTAL_LOAD_CONFIG", "embedded") or "embedded",
                    help="how the fresh app runs (default: $PORTAL_LOAD_CONFIG or embedded)")
    ap.add_argument("--url", help="an already running app instead (loopback only), e.g. http://localhost:3000")
    ap.add_argument("--web-dir", type=Path, help="with --url: the app's .web (for the compiled state hashes)")
    ap.add_argument("--steps", default="25,50,100,150", help="users per ramp step (default 25,50,100,150)")
    ap.add_argument("--hold", type=float, default=30, help="seconds each step is measured, once all its users are in")
    ap.add_argument("--ramp", type=float, default=5, help="seconds over which a step's new users arrive")
    ap.add_argument("--think", default="2,5", help="think time between pages, min,max seconds (default 2,5)")
    ap.add_argument("--timeout", type=float, default=10, help="seconds a page visit may take before it is a timeout")
    ap.add_argument("--staff-share", type=float, default=0.2, help="share of users who are staff (default 0.2)")
    ap.add_argument("--fresh-tabs", choices=("client", "staff", "all", "none"), default="client",
                    help="who opens a fresh tab for each journey (default client; the others keep one tab)")
    ap.add_argument("--transport", choices=("raw", "socketio"), default="raw")
    ap.add_argument("--client-login", default=ACCOUNTS["client"], help="email:password of the client account")
    ap.add_argument("--staff-login", default=ACCOUNTS["staff"], help="email:password of the staff account")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", type=Path, nargs="?", const=DEFAULT_JSON, help=f"also write JSON (default {DEFAULT_JSON})")
    ap.add_argument("--build-timeout", type=float, default=900)
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (logs)")
    ap.add_argument("--record", type=Path, help="record a protocol capture (browser + generator) to this file and stop")
    args = ap.parse_args(argv)
    try:
        args.steps = [int(x) for x in args.steps.split(",") if x.strip()]
        args.think = [float(x) for x in args.think.split(",")]
    except ValueError:
        ap.error("--steps and --think take comma-separated numbers")
    if not args.steps or any(n < 1 for n in args.steps) or args.steps != sorted(args.steps):
        ap.error("--steps: positive, increasing user counts")
    if len(args.think) != 2 or not 0 <= args.think[0] <= args.think[1]:
        ap.error("--think: min,max with 0 <= min <= max")
    if not 0 <= args.staff_share <= 1:
        ap.error("--staff-share: between 0 and 1")
    if args.hold < 1 or args.timeout <= 0 or args.ramp < 0:
        ap.error("--hold >= 1, --timeout > 0, --ramp >= 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    def _unwind(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _unwind)
    signal.signal(signal.SIGHUP, _unwind)
    from bench.loadgen import launch
    from bench.loadgen.transport import Target

    app = None
    tmp = None
    ok = False
    try:
        if args.url:
            base, connect, port = loopback_target(args.url)
            web, config = args.web_dir, "given (--url)"
            procs = AppProcs(None, port)
        else:
            tmp = Path(tempfile.mkdtemp(prefix="portal-load-"))
            log(f"working in {tmp}")
            port = free_port(set())
            app = launch.prepare(args.config, tmp, port)
            launch.launch(app, args.build_timeout)
            base, connect, port = loopback_target(app.base_url)
            web, config = launch.web_dir(app.app_dir), args.config
            procs = AppProcs(app.proc.pid, port, app.pg_database, "REFLEX_REDIS_URL" in app.env)
        target = Target(base, connect, port, version("reflex"))
        facts = read_facts(web)
        if args.record:
            from bench.loadgen.record import record

            asyncio.run(record(target, args, facts, args.record))
            ok = True
            return 0
        print(f"\n{HEAD}\n{'-' * len(HEAD)}", file=sys.stderr, flush=True)
        result = asyncio.run(run_load(args, target, procs, facts))
        report = {"config": config, "target": base, "settings": {k: (str(v) if isinstance(v, Path) else v)
                                                                for k, v in vars(args).items()},
                  "machine": machine(), "compiled_hashes": facts is not None, **result}
        print_report(report)
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(report, indent=2, default=str) + "\n")
            log(f"wrote {args.json}")
        ok = True
        return 0
    except BenchError as exc:
        print(f"\nLOAD RUN FAILED: {exc}", file=sys.stderr)
        return 1
    except Exception:
        traceback.print_exc()
        return 1
    finally:
        if app is not None:
            app.stop()
        if tmp is not None:
            if ok and not args.keep:
                shutil.rmtree(tmp, ignore_errors=True)
            else:
                log(f"kept {tmp} (setup.log, server.log)")

#!/usr/bin/env python3
"""Page-load and event round-trip benchmark: the client portal vs. a blank Reflex app.

Run with the project's virtualenv (Playwright lives there):

    .venv/bin/python bench/page_load.py [--runs 10] [--json out.json] [--trace]

Both apps are production builds (`reflex run --env prod --single-port`) served on free
ports from temporary copies, so a concurrent build in /work/main/.web is never touched:

* our app: rxconfig.py, portal_app/, assets/, alembic/, alembic.ini and reflex.lock/ are
  copied into a temp dir; it gets its own SQLite database, storage folder and secret key
  file there; `python -m portal_app.cli migrate` and `seed` run first, as `make run` does.
* blank app: `reflex init --name blank --template blank --no-agents` in another temp dir,
  its page replaced by a counter.

Measured in headless Chromium (Playwright, /usr/bin/chromium), times taken inside the page
with performance.now() (whose origin is the navigation start):

* load-to-interactive: navigation start -> the page's Reflex state has arrived. Ours: the
  client home '/' shows the heading "Hello, Casey" (set by HomeState.load, the page's
  on_load). Blank: the counter button is visible and rx.State.is_hydrated is true (set
  after hydration and the on_load events), shown by a "Ready" marker.
* event round trip: in-page click -> DOM update, seen by a MutationObserver. Ours: on
  /profile, change Company (alternating between two values) and click "Save changes" until
  "Your details were saved." appears (a real event: DB write + audit record). Blank: click
  "Increment" until the count shows the next number.

Each iteration opens fresh pages (same browser context, so the HTTP cache is warm, as for a
returning user); the iterations alternate between the two apps so background noise hits
both alike. Iteration 0 is a warm-up and not counted.

--trace: both servers also time the phases of each event inside the process (their Python
processes load bench/event_trace/sitecustomize.py; tracer.py lists the phases), printed per
event after the runs: where a round trip's server time goes, ours beside the blank app's.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import traceback
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = VENV_BIN / "python"
REFLEX = VENV_BIN / "reflex"
TOOLS_BIN = ROOT / ".tools" / "node_modules" / ".bin"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
APP_SOURCES = ["rxconfig.py", "portal_app", "assets", "alembic", "alembic.ini", "reflex.lock"]

CLIENT_EMAIL = "client@demo.example"
CLIENT_PASSWORD = "casey-client-1"
HOME_HEADING = "Hello, Casey"
SAVED_TEXT = "Your details were saved."
COMPANY_VALUES = ("Acme Bakery", "Acme Bakery Ltd")

NAV_TIMEOUT_MS = 30_000
READY_TIMEOUT_MS = 30_000
EVENT_TIMEOUT_MS = 15_000
SETTLE_S = 0.3  # let trailing hydration events finish before a measured click

BLANK_PAGE = textwrap.dedent('''\
    """Blank Reflex app with a counter: the benchmark's baseline."""

    import reflex as rx


    class State(rx.State):
        count: int = 0

        @rx.event
        def increment(self):
            self.count += 1


    def index() -> rx.Component:
        return rx.container(
            rx.vstack(
                rx.heading("Counter", as_="h1", size="7"),
                rx.text(State.count, id="count", size="6"),
                rx.button("Increment", on_click=State.increment, id="increment", size="3"),
                rx.cond(rx.State.is_hydrated, rx.text("Ready", id="hydrated", size="1")),
                spacing="4",
            ),
        )


    app = rx.App()
    app.add_page(index)
''')

# ---------------------------------------------------------------------------- utilities


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class BenchError(RuntimeError):
    pass


def free_port(taken: set[int]) -> int:
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("", 0))
            port = s.getsockname()[1]
        if port not in taken:
            taken.add(port)
            return port
    raise BenchError("could not find a free port")


def base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env["PATH"] = os.pathsep.join([str(TOOLS_BIN), str(VENV_BIN), env.get("PATH", "")])
    env["VIRTUAL_ENV"] = str(ROOT / ".venv")
    env["REFLEX_USE_SYSTEM_BUN"] = "1"
    env["REFLEX_TELEMETRY_ENABLED"] = "false"
    env["REFLEX_CHECK_LATEST_VERSION"] = "false"
    env["PYTHONUNBUFFERED"] = "1"
    env.pop("PYTHONPATH", None)
    return env


def tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join(text[-lines:])


def run_step(cmd: list[str], cwd: Path, env: dict, timeout: float, logfile: Path) -> str:
    """Runs a set-up command to completion (own process group, killed on timeout)."""
    log(f"$ {' '.join(cmd)}   (cwd {cwd})")
    with open(logfile, "ab") as out:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            kill_group(proc)
            raise BenchError(f"{' '.join(cmd)} timed out after {timeout:.0f}s; log {logfile}:\n"
                             f"{tail(logfile)}") from exc
    if rc != 0:
        raise BenchError(f"{' '.join(cmd)} exited {rc}; log {logfile}:\n{tail(logfile)}")
    return logfile.read_text(errors="replace")


def kill_group(proc: subprocess.Popen, grace: float = 15.0) -> None:
    """SIGTERM the process group, then SIGKILL whatever is left."""
    try:
        pgid = os.getpgid(proc.pid)
    except ProcessLookupError:
        pgid = proc.pid  # leader gone; the group may still have members
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            proc.poll()
            try:
                os.killpg(pgid, 0)  # anyone left in the group?
            except ProcessLookupError:
                return
            time.sleep(0.2)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


@dataclass
class Server:
    name: str
    cwd: Path
    port: int
    env: dict
    logfile: Path
    proc: subprocess.Popen | None = None
    ready_s: float | None = None

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}"

    def start(self) -> None:
        cmd = [str(REFLEX), "run", "--env", "prod", "--single-port", "--frontend-port", str(self.port)]
        log(f"[{self.name}] $ {' '.join(cmd)}   (cwd {self.cwd}, log {self.logfile})")
        self._t0 = time.monotonic()
        self._out = open(self.logfile, "ab")  # noqa: SIM115 - the server writes to it until stop() closes it
        self.proc = subprocess.Popen(cmd, cwd=self.cwd, env=self.env, stdin=subprocess.DEVNULL,
                                     stdout=self._out, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def wait_ready(self, timeout: float, paths: tuple[str, ...]) -> None:
        """Polls until every path answers 200 (the build runs first: minutes)."""
        deadline = self._t0 + timeout
        pending = list(paths)
        last = ""
        while pending:
            if self.proc.poll() is not None:
                raise BenchError(f"[{self.name}] reflex run exited {self.proc.returncode} before "
                                 f"serving; log {self.logfile}:\n{tail(self.logfile)}")
            if time.monotonic() > deadline:
                raise BenchError(f"[{self.name}] not serving {pending[0]} after {timeout:.0f}s "
                                 f"(last: {last}); log {self.logfile}:\n{tail(self.logfile)}")
            try:
                with urllib.request.urlopen(self.url + pending[0], timeout=5) as resp:
                    if resp.status == 200:
                        pending.pop(0)
                        continue
                    last = f"HTTP {resp.status}"
            except (urllib.error.URLError, OSError) as exc:
                last = str(exc)
            time.sleep(1.0)
        self.ready_s = time.monotonic() - self._t0
        log(f"[{self.name}] serving at {self.url} after {self.ready_s:.1f}s (build + start)")

    def stop(self) -> None:
        if self.proc is None:
            return
        log(f"[{self.name}] stopping (process group {self.proc.pid})")
        kill_group(self.proc)
        self.proc = None
        self._out.close()


# ----------------------------------------------------------------------------- set-up


def prepare_ours(tmp: Path, port: int, timeout: float) -> Server:
    app_dir = tmp / "ours"
    app_dir.mkdir()
    for name in APP_SOURCES:
        src = ROOT / name
        if not src.exists():
            if name in ("reflex.lock", "assets"):  # optional: the app may have no static assets yet
                continue
            raise BenchError(f"missing {src}")
        if src.is_dir():
            shutil.copytree(src, app_dir / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(src, app_dir / name)
    data = tmp / "ours-data"
    data.mkdir()
    env = base_env()
    env.update({
        "PORTAL_PORT": str(port),
        "PORTAL_BASE_URL": f"http://localhost:{port}",
        "PORTAL_DATABASE_URL": f"sqlite:///{data}/bench.db",
        "PORTAL_STORAGE_DIR": str(data / "files"),
    })
    logfile = tmp / "ours-setup.log"
    run_step([str(PYTHON), "-m", "portal_app.cli", "migrate"], app_dir, env, timeout, logfile)
    out = run_step([str(PYTHON), "-m", "portal_app.cli", "seed"], app_dir, env, timeout, logfile)
    if CLIENT_EMAIL not in out:
        raise BenchError(f"seed did not print the demo client sign-in; log {logfile}:\n{tail(logfile)}")
    return Server("ours", app_dir, port, env, tmp / "ours-server.log")


def prepare_blank(tmp: Path, port: int, timeout: float) -> Server:
    app_dir = tmp / "blank"
    app_dir.mkdir()
    env = base_env()
    logfile = tmp / "blank-setup.log"
    run_step([str(REFLEX), "init", "--name", "blank", "--template", "blank", "--no-agents"],
             app_dir, env, timeout, logfile)
    page = app_dir / "blank" / "blank.py"
    if not page.exists():
        raise BenchError(f"reflex init did not create {page}; log {logfile}:\n{tail(logfile)}")
    page.write_text(BLANK_PAGE)
    return Server("blank", app_dir, port, env, tmp / "blank-server.log")


# ------------------------------------------------------------------------ measurement

# Installed before any page script runs: records performance.now() the first time the
# predicate holds, checked on every DOM mutation and on every animation frame.
READY_WATCH = """
(() => {
  const ready = () => { %s };
  const done = () => {
    if (window.__benchReady !== undefined) return true;
    let ok = false;
    try { ok = ready(); } catch (e) { ok = false; }
    if (ok) { window.__benchReady = performance.now(); obs.disconnect(); }
    return ok;
  };
  const obs = new MutationObserver(done);
  obs.observe(document, {subtree: true, childList: true, characterData: true, attributes: true});
  const frame = () => { if (!done()) requestAnimationFrame(frame); };
  requestAnimationFrame(frame);
})();
"""

OURS_READY = f"""
  return [...document.querySelectorAll('h1')].some(
    h => h.textContent.trim() === {json.dumps(HOME_HEADING)} && h.checkVisibility());
"""

BLANK_READY = """
  const b = document.getElementById('increment');
  return !!(b && b.checkVisibility() && document.getElementById('hydrated'));
"""

NAV_TIMING = """
() => {
  const n = performance.getEntriesByType('navigation')[0];
  const fcp = performance.getEntriesByName('first-contentful-paint')[0];
  const ws = window.__benchWs || {sent: [], recv: []};
  const before = (xs) => xs.filter(t => t <= window.__benchReady);
  return {ready: window.__benchReady, ttfb: n ? n.responseStart : null,
          ws_first_sent: ws.sent.length ? ws.sent[0] : null,
          ws_last_recv: before(ws.recv).length ? before(ws.recv).slice(-1)[0] : null,
          ws_frames: before(ws.sent).length + '/' + before(ws.recv).length,
          dcl: n ? n.domContentLoadedEventEnd : null, load: n ? n.loadEventEnd : null,
          fcp: fcp ? fcp.startTime : null, url: location.href};
}
"""

# Clicks a button from inside the page and resolves with the time until DONE holds, observed
# by a MutationObserver installed before the click. The condition is pasted into the source
# (no eval/new Function: the portal's CSP has no 'unsafe-eval').
CLICK_RTT = """
async ({button, timeout}) => {
  const done = () => { %s };
  const btn = [...document.querySelectorAll('button')].find(b => b.textContent.trim() === button);
  if (!btn) return {error: 'button not found: ' + button};
  if (done()) return {error: 'done before the click'};
  return await new Promise((resolve) => {
    let t0 = 0;
    const obs = new MutationObserver(() => {
      if (done()) {
        const t1 = performance.now(); obs.disconnect();
        const ws = window.__benchWs || {sent: [], recv: []};
        const sent = ws.sent.find(t => t >= t0);
        const recv = sent === undefined ? undefined : ws.recv.find(t => t >= sent);
        resolve({ms: t1 - t0, to_send: sent === undefined ? null : sent - t0,
                 server: recv === undefined ? null : recv - sent, render: recv === undefined ? null : t1 - recv});
      }
    });
    obs.observe(document.body, {subtree: true, childList: true, characterData: true});
    setTimeout(() => {
      obs.disconnect();
      const alerts = [...document.querySelectorAll('[role=alert], [data-sonner-toast]')]
        .map(e => e.textContent.trim());
      resolve({error: 'no DOM update within ' + timeout + ' ms; alerts: ' + JSON.stringify(alerts)});
    }, timeout);
    t0 = performance.now();
    btn.click();
  });
}
"""

# Installed before any page script runs: timestamps every websocket frame the page sends and
# receives (a 'message' listener added at construction runs before socket.io's own onmessage),
# so a round trip splits into click -> frame sent, frame sent -> first answer, answer -> DOM.
SOCKET_WATCH = """
(() => {
  const W = window.WebSocket;
  window.__benchWs = {sent: [], recv: []};
  const Watched = function (...args) {
    const ws = new W(...args);
    const send = ws.send.bind(ws);
    ws.send = (d) => { window.__benchWs.sent.push(performance.now()); return send(d); };
    ws.addEventListener('message', () => window.__benchWs.recv.push(performance.now()));
    return ws;
  };
  Watched.prototype = W.prototype;
  for (const k of ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED']) Watched[k] = W[k];
  window.WebSocket = Watched;
})();
"""

# Waits inside the page (setTimeout polling) until COND holds; Playwright's
# wait_for_function would evaluate a string, which the portal's CSP refuses.
WAIT_IN_PAGE = """
async (timeout) => {
  const cond = () => { %s };
  const end = performance.now() + timeout;
  while (performance.now() < end) {
    try { if (cond()) return true; } catch (e) {}
    await new Promise(r => setTimeout(r, 10));
  }
  return false;
}
"""


def wait_in_page(page, cond_body: str, timeout_ms: int) -> None:
    if not page.evaluate(WAIT_IN_PAGE % cond_body, timeout_ms):
        raise TimeoutError(f"condition not met within {timeout_ms} ms: {cond_body.strip()}")


@dataclass
class Samples:
    values: dict[str, list[float]] = field(default_factory=dict)

    def add(self, metric: str, value: float | None) -> None:
        if value is not None and value > 0:
            self.values.setdefault(metric, []).append(float(value))


class PageProblems:
    """Collects uncaught page errors and console errors of one page."""

    def __init__(self, page, label: str):
        self.items: list[str] = []
        page.on("pageerror", lambda exc: self.items.append(f"{label}: pageerror: {exc}"))
        page.on("console", lambda msg: self.items.append(f"{label}: console.{msg.type}: {msg.text}")
                if msg.type == "error" else None)


def open_and_wait_ready(ctx, url: str, predicate: str, label: str, problems: list[str]):
    page = ctx.new_page()
    watcher = PageProblems(page, label)
    page.add_init_script(READY_WATCH % predicate)
    page.add_init_script(SOCKET_WATCH)
    page.goto(url, wait_until="commit", timeout=NAV_TIMEOUT_MS)
    try:
        wait_in_page(page, "return window.__benchReady !== undefined;", READY_TIMEOUT_MS)
        page.wait_for_load_state("load", timeout=NAV_TIMEOUT_MS)
    except Exception as exc:
        problems.extend(watcher.items)
        body = ""
        try:
            body = page.inner_text("body", timeout=2000)[:800]
        except Exception:
            pass
        raise BenchError(f"{label}: {url} never became ready ({type(exc).__name__}); "
                         f"now at {page.url}; page errors: {watcher.items}; body text: {body!r}") from exc
    timing = page.evaluate(NAV_TIMING)
    log(f"{label}: websocket frames sent/received before ready {timing['ws_frames']}")
    return page, watcher, timing


def sign_in(ctx, base: str) -> None:
    page = ctx.new_page()
    watcher = PageProblems(page, "ours /login")
    page.goto(base + "/login", timeout=NAV_TIMEOUT_MS)
    page.get_by_label("Email").fill(CLIENT_EMAIL, timeout=NAV_TIMEOUT_MS)
    page.get_by_label("Password").fill(CLIENT_PASSWORD)
    with page.expect_navigation(timeout=NAV_TIMEOUT_MS):
        page.get_by_role("button", name="Sign in").click()
    try:
        page.wait_for_url(base + "/", timeout=NAV_TIMEOUT_MS)
        page.get_by_role("heading", name=HOME_HEADING).wait_for(state="visible", timeout=READY_TIMEOUT_MS)
    except Exception as exc:
        raise BenchError(f"sign-in as {CLIENT_EMAIL} did not land on the home page: now at {page.url}; "
                         f"page errors: {watcher.items}; body: {page.inner_text('body')[:800]!r}") from exc
    page.close()


def add_breakdown(samples: Samples, r: dict) -> None:
    samples.add("rtt_to_send", r.get("to_send"))
    samples.add("rtt_server", r.get("server"))
    samples.add("rtt_render", r.get("render"))


def measure_ours(ctx, base: str, i: int, samples: Samples, problems: list[str]) -> None:
    # load-to-interactive on the home page
    page, watcher, t = open_and_wait_ready(ctx, base + "/", OURS_READY, "ours /", problems)
    if not t["url"].rstrip("/").endswith(f":{base.rsplit(':', 1)[1]}"):
        raise BenchError(f"ours /: ended up at {t['url']} (signed out?)")
    problems.extend(watcher.items)
    page.close()
    if i > 0:
        samples.add("load_to_interactive", t["ready"])
        samples.add("ttfb", t["ttfb"])
        samples.add("first_contentful_paint", t["fcp"])
        samples.add("dom_content_loaded", t["dcl"])
        samples.add("ws_first_sent", t["ws_first_sent"])
        samples.add("ws_last_recv", t["ws_last_recv"])

    # event round trip: save the contact details form on /profile
    page = ctx.new_page()
    watcher = PageProblems(page, "ours /profile")
    page.add_init_script(SOCKET_WATCH)
    page.goto(base + "/profile", wait_until="commit", timeout=NAV_TIMEOUT_MS)
    company = page.get_by_label("Company")
    try:
        # ProfileState.load has filled the form (the inputs are keyed on the loaded values)
        wait_in_page(page, "const f = document.getElementById('f-first_name'); "
                           "return !!f && f.value === 'Casey';", READY_TIMEOUT_MS)
        company.wait_for(state="visible", timeout=READY_TIMEOUT_MS)
    except Exception as exc:
        raise BenchError(f"ours /profile: form never loaded (now at {page.url}); page errors: "
                         f"{watcher.items}; body: {page.inner_text('body')[:800]!r}") from exc
    time.sleep(SETTLE_S)
    current = company.input_value()
    company.fill(COMPANY_VALUES[1] if current == COMPANY_VALUES[0] else COMPANY_VALUES[0])
    done = (f"return [...document.querySelectorAll('[role=alert]')]"
            f".some(e => e.textContent.includes({json.dumps(SAVED_TEXT)}));")
    r = page.evaluate(CLICK_RTT % done, {"button": "Save changes", "timeout": EVENT_TIMEOUT_MS})
    problems.extend(watcher.items)
    page.close()
    if "error" in r:
        raise BenchError(f"ours /profile 'Save changes' round trip: {r['error']}; page errors: {watcher.items}")
    if i > 0:
        samples.add("event_round_trip", r["ms"])
        add_breakdown(samples, r)


def measure_blank(ctx, base: str, i: int, samples: Samples, problems: list[str]) -> None:
    page, watcher, t = open_and_wait_ready(ctx, base + "/", BLANK_READY, "blank /", problems)
    time.sleep(SETTLE_S)
    before = page.inner_text("#count").strip()
    if not before.isdigit():
        raise BenchError(f"blank /: counter shows {before!r}")
    done = f"return document.getElementById('count').textContent.trim() === '{int(before) + 1}';"
    r = page.evaluate(CLICK_RTT % done, {"button": "Increment", "timeout": EVENT_TIMEOUT_MS})
    problems.extend(watcher.items)
    page.close()
    if "error" in r:
        raise BenchError(f"blank 'Increment' round trip: {r['error']}; page errors: {watcher.items}")
    if i > 0:
        samples.add("load_to_interactive", t["ready"])
        samples.add("ttfb", t["ttfb"])
        samples.add("first_contentful_paint", t["fcp"])
        samples.add("dom_content_loaded", t["dcl"])
        samples.add("ws_first_sent", t["ws_first_sent"])
        samples.add("ws_last_recv", t["ws_last_recv"])
        samples.add("event_round_trip", r["ms"])
        add_breakdown(samples, r)


# ---------------------------------------------------------------------------- report


def percentile(values: list[float], p: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    xs = sorted(values)
    if len(xs) == 1:
        return xs[0]
    k = (len(xs) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def summarize(values: list[float]) -> dict:
    return {"n": len(values), "median": statistics.median(values), "p90": percentile(values, 90),
            "mean": statistics.fmean(values), "min": min(values), "max": max(values)}


def machine_info() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    try:
        nproc = int(subprocess.run(["nproc"], capture_output=True, text=True, timeout=5).stdout.strip())
    except Exception:
        nproc = len(os.sched_getaffinity(0))
    versions = {}
    from importlib.metadata import PackageNotFoundError, version
    for pkg in ("reflex", "playwright", "granian"):
        try:
            versions[pkg] = version(pkg)
        except PackageNotFoundError:
            versions[pkg] = None
    try:
        versions["bun"] = subprocess.run([str(TOOLS_BIN / "bun"), "--version"], capture_output=True,
                                         text=True, timeout=10).stdout.strip()
    except Exception:
        versions["bun"] = None
    return {"nproc": nproc, "cpu": cpu, "mem_gb": mem_gb, "loadavg_start": os.getloadavg(),
            "python": platform.python_version(), "platform": platform.platform(),
            "versions": versions, "redis_state": bool(os.environ.get("REFLEX_REDIS_URL"))}


LABELS = [
    ("load_to_interactive", "load-to-interactive (ms)"),
    ("event_round_trip", "event round trip (ms)"),
    ("rtt_to_send", "  click -> frame sent (ms)"),
    ("rtt_server", "  frame sent -> answer (ms)"),
    ("rtt_render", "  answer -> DOM updated (ms)"),
    ("ttfb", "  time to first byte (ms)"),
    ("first_contentful_paint", "  first contentful paint (ms)"),
    ("dom_content_loaded", "  DOMContentLoaded (ms)"),
    ("ws_first_sent", "  first websocket frame sent (ms)"),
    ("ws_last_recv", "  last frame received before ready (ms)"),
]


def print_table(result: dict) -> None:
    ours, blank = result["ours"]["summary"], result["blank"]["summary"]
    m = result["machine"]
    print()
    print(f"Page load benchmark: production builds, headless Chromium {m['versions'].get('chromium')}, "
          f"Reflex {m['versions'].get('reflex')}")
    print(f"N = {result['runs']} runs per metric (+1 warm-up not counted); nproc = {m['nproc']} "
          f"({m['cpu']}, {m['mem_gb']} GB); load average at start {m['loadavg_start'][0]:.2f}, "
          f"at end {m['loadavg_end'][0]:.2f}")
    print("Ours: client home '/' until 'Hello, Casey' is visible; round trip = /profile 'Save changes' "
          "-> 'Your details were saved.'")
    print("Blank: counter page until button visible + state hydrated; round trip = 'Increment' -> "
          "next number")
    print()
    head = f"{'metric':<32} {'our app p50 / p90':>20} {'blank app p50 / p90':>22} {'ratio (p50)':>12}"
    print(head)
    print("-" * len(head))
    for key, label in LABELS:
        if key not in ours or key not in blank:
            continue
        o, b = ours[key], blank[key]
        ratio = o["median"] / b["median"] if b["median"] else float("nan")
        print(f"{label:<32} {o['median']:>9.1f} / {o['p90']:>8.1f} {b['median']:>11.1f} / {b['p90']:>8.1f} "
              f"{ratio:>11.2f}x")
    print()
    print(f"Build + start until serving: ours {result['ours']['ready_s']:.0f} s, "
          f"blank {result['blank']['ready_s']:.0f} s")
    if result["problems"]:
        print("Page errors seen during the runs:")
        for p in result["problems"][:20]:
            print(f"  {p}")


# ------------------------------------------------------------------------------ trace

TRACE_DIR = Path(__file__).resolve().parent / "event_trace"
TRACE_PHASES = ("task", "guard", "handler", "hop", "work", "work cpu", "context", "use case", "audit", "commit", "emit")


def trace_into(server: Server, folder: Path) -> None:
    """The server's Python processes load bench/event_trace (its sitecustomize), which writes
    the phases of every event to `folder`."""
    folder.mkdir()
    server.env["PYTHONPATH"] = str(TRACE_DIR)
    server.env["BENCH_TRACE_DIR"] = str(folder)


def print_trace(name: str, folder: Path) -> None:
    """p50 (and count) of each phase, per event, from the server's trace files."""
    merged: dict[str, dict[str, list[float]]] = {}
    for path in folder.glob("*.json"):
        for event, phases in json.loads(path.read_text()).items():
            for phase, values in phases.items():
                merged.setdefault(event, {}).setdefault(phase, []).extend(values)
    print(f"\nServer-side phases of each event, {name} (p50 ms, n; bench/event_trace/tracer.py says what each is):")
    if not merged:
        print("  (no trace written)")
    for event in sorted(merged):
        phases = merged[event]
        cells = [f"{ph} {statistics.median(phases[ph]):.2f} ({len(phases[ph])})" for ph in TRACE_PHASES if ph in phases]
        print(f"  {event[-48:]:48s} " + " | ".join(cells))


# ------------------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=10, help="measured runs per metric (default 10)")
    ap.add_argument("--json", metavar="PATH", help="also write the results (with raw samples) as JSON")
    ap.add_argument("--build-timeout", type=float, default=900,
                    help="seconds each app may take to build and start serving (default 900)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, builds)")
    ap.add_argument("--trace", action="store_true",
                    help="time each event's phases inside both servers (bench/event_trace) and print them")
    args = ap.parse_args(argv)
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    for path in (PYTHON, REFLEX, TOOLS_BIN / "bun", Path(CHROMIUM)):
        if not path.exists():
            print(f"missing {path} (run `make install-dev` first)", file=sys.stderr)
            return 2

    # SIGTERM/SIGHUP unwind through the finally below, so the servers always get stopped.
    def _unwind(signum, _frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, _unwind)
    signal.signal(signal.SIGHUP, _unwind)

    started = time.monotonic()
    machine = machine_info()
    tmp = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    log(f"working in {tmp}")
    servers: list[Server] = []
    ok = False
    try:
        ports: set[int] = set()
        ours = prepare_ours(tmp, free_port(ports), 300)
        blank = prepare_blank(tmp, free_port(ports), 300)
        if args.trace:
            for server in (ours, blank):
                trace_into(server, tmp / f"trace-{server.name}")
        # Build one after the other: two concurrent vite builds on 2 cores help nobody.
        for server, paths in ((ours, ("/ping", "/api/health", "/login")), (blank, ("/ping", "/"))):
            servers.append(server)
            server.start()
            server.wait_ready(args.build_timeout, paths)

        from playwright.sync_api import sync_playwright

        problems: list[str] = []
        s_ours, s_blank = Samples(), Samples()
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            machine["versions"]["chromium"] = browser.version
            try:
                ctx_ours = browser.new_context(viewport={"width": 1280, "height": 800})
                ctx_blank = browser.new_context(viewport={"width": 1280, "height": 800})
                sign_in(ctx_ours, ours.url)
                log(f"signed in as {CLIENT_EMAIL}; measuring {args.runs} runs (+1 warm-up)")
                for i in range(args.runs + 1):
                    measure_ours(ctx_ours, ours.url, i, s_ours, problems)
                    measure_blank(ctx_blank, blank.url, i, s_blank, problems)
                    if i:
                        log(f"run {i}/{args.runs}: ours load {s_ours.values['load_to_interactive'][-1]:.0f} ms, "
                            f"rtt {s_ours.values['event_round_trip'][-1]:.1f} ms | blank load "
                            f"{s_blank.values['load_to_interactive'][-1]:.0f} ms, "
                            f"rtt {s_blank.values['event_round_trip'][-1]:.1f} ms")
            finally:
                browser.close()

        machine["loadavg_end"] = os.getloadavg()
        if args.trace:
            for server in (ours, blank):
                print_trace(server.name, tmp / f"trace-{server.name}")
        result = {
            "runs": args.runs,
            "machine": machine,
            "ours": {"ready_s": ours.ready_s, "samples": s_ours.values,
                     "summary": {k: summarize(v) for k, v in s_ours.values.items()}},
            "blank": {"ready_s": blank.ready_s, "samples": s_blank.values,
                      "summary": {k: summarize(v) for k, v in s_blank.values.items()}},
            "ratio_median": {k: statistics.median(v) / statistics.median(s_blank.values[k])
                             for k, v in s_ours.values.items() if k in s_blank.values},
            "problems": problems,
        }
        print_table(result)
        result["elapsed_s"] = time.monotonic() - started
        print(f"Total time {result['elapsed_s']:.0f} s")
        if args.json:
            Path(args.json).write_text(json.dumps(result, indent=2))
            log(f"wrote {args.json}")
        ok = True
        return 0
    except BenchError as exc:
        print(f"\nBENCHMARK FAILED: {exc}", file=sys.stderr)
        return 1
    except Exception:
        traceback.print_exc()
        return 1
    finally:
        for server in reversed(servers):
            try:
                server.stop()
            except Exception as exc:
                log(f"could not stop {server.name}: {exc}")
        if ok and not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            log(f"kept {tmp} (logs: *-setup.log, *-server.log)")


if __name__ == "__main__":
    sys.exit(main())

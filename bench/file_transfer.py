#!/usr/bin/env python3
"""File transfer benchmark: upload through the staff UI and download over HTTP, on local
disk storage and on S3 (moto), with the app's memory watched throughout.

    .venv/bin/python bench/file_transfer.py [--size-mb 200] [--json PATH] [--keep]

For each storage config the production app (`reflex run --env prod --single-port`) is
served from one temporary copy of the project, as bench/page_load.py does (helpers are
imported from it), each config with its own SQLite database, storage folder and
PORTAL_DEMO=1 seed; PORTAL_FILE_MAX_BYTES is raised above the file size. The frontend is
built once, by the first `reflex run`; the second config runs the same `reflex run` on
the same port (the built bundle has the port baked in) with its compile and build steps
replaced by no-ops, so it serves that build. S3 is moto's ThreadedMotoServer in its own
process (so moto and the measuring client do not share a GIL); the app reaches it
through PORTAL_S3_ENDPOINT_URL.

* upload: Chromium (/usr/bin/chromium) signed in as the demo owner on /staff/files; the
  generated file (random bytes, on disk) goes into `#files input[type=file]`; time from
  the in-page click on "Upload 1 file" until the row shows "Uploaded" (performance.now()).
  "bytes sent" is the first moment the row showed "Saving…" (progress 100 %, the app is
  storing the file), when seen.
* download: httpx GET of the row's "Download" href with the browser context's session
  cookie (sent only to the app's origin); S3's 302 to a presigned URL is followed;
  streamed to disk in 1 MiB reads, timed to the last byte; SHA-256 checked afterwards.
* memory: RSS summed over the `reflex run` process tree (supervisor + granian workers),
  read from /proc every 50 ms in a thread. Baseline = median over the second before a
  transfer; peak = highest sample during it. Summed RSS counts pages shared after fork
  once per process; compare deltas. MiB = 2**20 bytes throughout.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from page_load import (
    APP_SOURCES,
    CHROMIUM,
    CHROMIUM_ARGS,
    PYTHON,
    REFLEX,
    ROOT,
    TOOLS_BIN,
    BenchError,
    Server,
    base_env,
    free_port,
    kill_group,
    log,
    machine_info,
    run_step,
    tail,
)

MiB = 1 << 20
STAFF_EMAIL, STAFF_PASSWORD = "owner@demo.example", "northwind-owner"
SESSION_COOKIE = "portal_session"
BUCKET = "portal-bench"
DEFAULT_JSON = ROOT / "test-artifacts" / "bench" / "file_transfer.json"
SAMPLE_S = 0.05
NAV_TIMEOUT_MS = 60_000

# `reflex run`, with its compile and frontend build skipped: serves the build already in .web/.
LAUNCH_PREBUILT = """
import sys
import reflex.reflex as rr
import reflex.utils.build as rb
rr._compile_app = lambda **kw: None
rb.setup_frontend_prod = lambda root: None
sys.argv = ["reflex", *sys.argv[1:]]
sys.exit(rr.cli())
"""

MOTO = """
import signal, sys
from moto.server import ThreadedMotoServer
server = ThreadedMotoServer(ip_address="127.0.0.1", port=int(sys.argv[1]), verbose=False)
server.start()
print("moto ready", flush=True)
signal.sigwait({signal.SIGTERM, signal.SIGINT})
server.stop()
"""

# Clicks the upload button in the page, then records when the file's row first shows
# "Saving…" and when it shows "Uploaded" or "Failed" (MutationObserver + 20 ms timer).
CLICK_UPLOAD = """
({button, name}) => {
  const leaf = (row, text) => [...row.querySelectorAll('*')]
    .some(e => e.children.length === 0 && e.textContent.trim() === text);
  const r = window.__xfer = {t0: 0, saving: null, done: null, outcome: null, message: ''};
  const check = () => {
    if (r.outcome) return;
    const bar = document.querySelector(`[role=progressbar][aria-label="Upload progress of ${name}"]`);
    const row = bar && bar.parentElement;
    if (!row) return;
    const now = performance.now();
    if (r.saving === null && leaf(row, 'Saving…')) r.saving = now - r.t0;
    for (const outcome of ['Uploaded', 'Failed']) {
      if (leaf(row, outcome)) {
        r.done = now - r.t0; r.outcome = outcome; r.message = row.textContent;
        obs.disconnect(); clearInterval(timer);
      }
    }
  };
  const btn = [...document.querySelectorAll('button')].find(b => b.textContent.trim() === button);
  if (!btn) return 'button not found: ' + button;
  const obs = new MutationObserver(check);
  obs.observe(document.body, {subtree: true, childList: true, characterData: true});
  const timer = setInterval(check, 20);
  r.t0 = performance.now();
  btn.click();
  return 'clicked';
}
"""


# ------------------------------------------------------------------------------ memory


def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry.name}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(entry.name))
    return kids


def process_tree(root: int) -> list[int]:
    kids, out, todo = _children_map(), [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(kids.get(pid, []))
    return out


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return "?"


class TreeSampler(threading.Thread):
    """Samples the summed RSS of a process tree every 50 ms (the tree is re-read each second)."""

    PAGE = os.sysconf("SC_PAGE_SIZE")

    def __init__(self, root_pid: int):
        super().__init__(daemon=True)
        self.root = root_pid
        self.samples: list[tuple[float, int, dict[int, int]]] = []  # (monotonic, total, per pid)
        self._halt = threading.Event()

    def run(self) -> None:
        pids, scanned = [], 0.0
        while not self._halt.is_set():
            now = time.monotonic()
            if now - scanned > 1.0:
                pids, scanned = process_tree(self.root), now
            per = {}
            for pid in pids:
                try:
                    per[pid] = int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * self.PAGE
                except (OSError, IndexError, ValueError):
                    pass
            self.samples.append((now, sum(per.values()), per))
            self._halt.wait(SAMPLE_S)

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=2)

    def window(self, t0: float, t1: float) -> list[tuple[float, int, dict[int, int]]]:
        return [s for s in list(self.samples) if t0 <= s[0] <= t1]

    def baseline(self, t0: float, t1: float) -> float:
        w = self.window(t0, t1)
        return statistics.median(s[1] for s in w) / MiB if w else float("nan")

    def peak(self, t0: float, t1: float) -> dict:
        w = self.window(t0, t1)
        if not w:
            return {"mib": float("nan"), "samples": 0, "by_process": {}}
        t, total, per = max(w, key=lambda s: s[1])
        return {"mib": total / MiB, "samples": len(w), "at_s": t - t0,
                "by_process": {f"{'supervisor' if pid == self.root else 'child'} {pid} ({_comm(pid)})":
                               round(rss / MiB, 1) for pid, rss in per.items()}}


# ----------------------------------------------------------------------------- set-up


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("0.0.0.0", port))
            return True
        except OSError:
            return False


def make_file(path: Path, size: int) -> str:
    digest = hashlib.sha256()
    with open(path, "wb") as fh:
        left = size
        while left:
            block = os.urandom(min(MiB, left))
            digest.update(block)
            fh.write(block)
            left -= len(block)
    return digest.hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(MiB):
            digest.update(block)
    return digest.hexdigest()


def copy_app(app_dir: Path) -> None:
    app_dir.mkdir()
    for name in APP_SOURCES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, app_dir / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        elif src.exists():
            shutil.copy2(src, app_dir / name)
    web = ROOT / ".web"
    if (web / "node_modules").is_dir():  # as tests/e2e/conftest.py: reuse installed frontend packages
        skip = {"build", ".react-router", "backend.zip"}
        shutil.copytree(web, app_dir / ".web", symlinks=True,
                        ignore=lambda d, names: skip & set(names) if Path(d) == web else set())


@dataclass
class AppServer(Server):
    prebuilt: bool = False

    def start(self) -> None:
        if not self.prebuilt:
            return super().start()
        args = ["run", "--env", "prod", "--single-port", "--frontend-port", str(self.port)]
        log(f"[{self.name}] $ reflex {' '.join(args)}   (prebuilt frontend, cwd {self.cwd}, log {self.logfile})")
        self._t0 = time.monotonic()
        self._out = open(self.logfile, "ab")  # noqa: SIM115 - the server writes to it until stop() closes it
        self.proc = subprocess.Popen([str(PYTHON), "-c", LAUNCH_PREBUILT, *args], cwd=self.cwd, env=self.env,
                                     stdin=subprocess.DEVNULL, stdout=self._out, stderr=subprocess.STDOUT,
                                     start_new_session=True)


def start_moto(tmp: Path, stack: list) -> tuple[str, subprocess.Popen]:
    port = free_port(set())
    with open(tmp / "moto.log", "ab") as logfile:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen([str(PYTHON), "-c", MOTO, str(port)], stdin=subprocess.DEVNULL, stdout=logfile,
                                stderr=subprocess.STDOUT, start_new_session=True, env=base_env())
    stack.append(("moto", proc))
    url = f"http://127.0.0.1:{port}"
    import boto3

    client = boto3.client("s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id="test",
                          aws_secret_access_key="test")
    deadline = time.monotonic() + 60
    while True:
        try:
            client.create_bucket(Bucket=BUCKET)
            break
        except Exception as exc:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise BenchError(f"moto did not start: {exc}; log:\n{tail(tmp / 'moto.log')}") from exc
            time.sleep(0.3)
    log(f"moto S3 at {url} (pid {proc.pid}), bucket {BUCKET}")
    return url, proc


def prepare_config(tmp: Path, app_dir: Path, name: str, port: int, size: int, s3_url: str | None,
                   prebuilt: bool) -> AppServer:
    data = tmp / f"{name}-data"
    data.mkdir()
    env = base_env()
    env.pop("REFLEX_REDIS_URL", None)  # disk state manager in both configs: storage is the only difference
    env.update({
        "PORTAL_PORT": str(port), "PORTAL_BASE_URL": f"http://localhost:{port}", "PORTAL_DEMO": "1",
        "PORTAL_DATABASE_URL": f"sqlite:///{data}/bench.db", "PORTAL_STORAGE_DIR": str(data / "files"),
        "PORTAL_FILE_MAX_BYTES": str(size + 64 * MiB),
    })
    if s3_url:
        env.update({"PORTAL_STORAGE": "s3", "PORTAL_S3_BUCKET": BUCKET, "PORTAL_S3_ENDPOINT_URL": s3_url,
                    "PORTAL_S3_ACCESS_KEY_ID": "test", "PORTAL_S3_SECRET_ACCESS_KEY": "test"})
    logfile = tmp / f"{name}-setup.log"
    run_step([str(PYTHON), "-m", "portal_app.cli", "migrate"], app_dir, env, 300, logfile)
    run_step([str(PYTHON), "-m", "portal_app.cli", "seed"], app_dir, env, 300, logfile)
    return AppServer(name, app_dir, port, env, tmp / f"{name}-server.log", prebuilt=prebuilt)


# ------------------------------------------------------------------------ measurement


def sign_in_staff(ctx, base: str):
    page = ctx.new_page()
    page.goto(base + "/staff/login", timeout=NAV_TIMEOUT_MS)
    page.get_by_label("Email").fill(STAFF_EMAIL, timeout=NAV_TIMEOUT_MS)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    try:
        page.wait_for_url(lambda url: "/staff/login" not in url, timeout=NAV_TIMEOUT_MS)
    except Exception as exc:
        raise BenchError(f"staff sign-in failed: at {page.url}; body {page.inner_text('body')[:600]!r}") from exc
    return page


def upload(page, base: str, path: Path, sampler: TreeSampler, timeout_s: float) -> dict:
    from playwright.sync_api import expect

    page.goto(base + "/staff/files", timeout=NAV_TIMEOUT_MS)
    page.locator("#files input[type=file]").set_input_files(str(path), timeout=NAV_TIMEOUT_MS)
    expect(page.get_by_text("Ready to upload:")).to_be_visible(timeout=NAV_TIMEOUT_MS)
    expect(page.get_by_role("button", name="Upload 1 file")).to_be_enabled(timeout=NAV_TIMEOUT_MS)
    time.sleep(1.0)  # the baseline window
    t_click = time.monotonic()
    said = page.evaluate(CLICK_UPLOAD, {"button": "Upload 1 file", "name": path.name})
    if said != "clicked":
        raise BenchError(f"upload: {said}")
    deadline = t_click + timeout_s
    while True:
        r = page.evaluate("() => window.__xfer")
        if r["outcome"]:
            break
        if time.monotonic() > deadline:
            alerts = page.locator("[role=alert]").all_inner_texts()
            raise BenchError(f"upload not finished after {timeout_s:.0f}s: {r}; alerts {alerts}")
        time.sleep(0.1)
    t_end = time.monotonic()
    if r["outcome"] != "Uploaded":
        raise BenchError(f"upload failed in the UI: {r['message']!r}")
    link = page.locator(f'a[aria-label="Download {path.name}"]')
    link.first.wait_for(timeout=NAV_TIMEOUT_MS)
    return {"seconds": r["done"] / 1000, "bytes_sent_seconds": (r["saving"] / 1000) if r["saving"] else None,
            "href": link.first.get_attribute("href"),
            "rss_baseline_mib": sampler.baseline(t_click - 1.0, t_click),
            "rss_peak": sampler.peak(t_click, t_end)}


def download(base: str, href: str, cookie: str, dest: Path, sampler: TreeSampler) -> dict:
    import httpx

    origin = urlsplit(base)[:2]
    url, hops, received = urljoin(base, href), [], 0
    time.sleep(1.0)  # the baseline window
    t0 = time.monotonic()
    with httpx.Client(timeout=httpx.Timeout(60.0)) as client:
        for _ in range(5):
            headers = {"cookie": f"{SESSION_COOKIE}={cookie}"} if urlsplit(url)[:2] == origin else {}
            with client.stream("GET", url, headers=headers) as resp:
                if resp.is_redirect:
                    hops.append(f"{resp.status_code} -> {urlsplit(resp.headers['location']).netloc}")
                    url = urljoin(url, resp.headers["location"])
                    continue
                if resp.status_code != 200:
                    raise BenchError(f"download {url}: HTTP {resp.status_code} {resp.read()[:300]!r}")
                with open(dest, "wb") as fh:
                    for block in resp.iter_raw(MiB):
                        fh.write(block)
                        received += len(block)
                break
        else:
            raise BenchError(f"download: too many redirects {hops}")
    t1 = time.monotonic()
    return {"seconds": t1 - t0, "bytes": received, "redirects": hops,
            "rss_baseline_mib": sampler.baseline(t0 - 1.0, t0), "rss_peak": sampler.peak(t0, t1)}


def run_config(browser, server: AppServer, src: Path, size: int, digest: str, tmp: Path,
               timeout_s: float, moto_proc) -> dict:
    sampler = TreeSampler(server.proc.pid)
    moto_sampler = TreeSampler(moto_proc.pid) if moto_proc else None
    sampler.start()
    if moto_sampler:
        moto_sampler.start()
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = sign_in_staff(ctx, server.url)
        log(f"[{server.name}] signed in as {STAFF_EMAIL}; uploading {src.name}")
        up = upload(page, server.url, src, sampler, timeout_s)
        log(f"[{server.name}] uploaded in {up['seconds']:.1f}s; downloading {up['href']}")
        cookie = next((c["value"] for c in ctx.cookies(server.url) if c["name"] == SESSION_COOKIE), None)
        if not cookie:
            raise BenchError(f"no {SESSION_COOKIE} cookie in the browser context: {[c['name'] for c in ctx.cookies()]}")
        dest = tmp / f"{server.name}-downloaded.bin"
        down = download(server.url, up["href"], cookie, dest, sampler)
        down["sha256_ok"] = down["bytes"] == size and sha256_file(dest) == digest
        dest.unlink()
        log(f"[{server.name}] downloaded {down['bytes']} bytes in {down['seconds']:.1f}s, "
            f"SHA-256 {'matches' if down['sha256_ok'] else 'DIFFERS'}")
    finally:
        ctx.close()
        sampler.stop()
        if moto_sampler:
            moto_sampler.stop()
    for phase in (up, down):
        phase["mib_per_s"] = size / MiB / phase["seconds"]
    result = {"upload": up, "download": down, "ready_s": server.ready_s,
              "rss_samples": len(sampler.samples)}
    if moto_sampler and moto_sampler.samples:
        result["s3_server_rss_peak_mib"] = max(s[1] for s in moto_sampler.samples) / MiB
    return result


# ---------------------------------------------------------------------------- report


def print_table(result: dict) -> None:
    m, size_mib = result["machine"], result["size_mib"]
    print()
    print(f"File transfer benchmark: {size_mib:g} MiB random file; production build (reflex run --env prod "
          f"--single-port), Reflex {m['versions'].get('reflex')}, granian {m['versions'].get('granian')}, "
          f"headless Chromium {m['versions'].get('chromium')}")
    print(f"nproc = {m['nproc']} ({m['cpu']}, {m['mem_gb']} GB); load average at start "
          f"{m['loadavg_start'][0]:.2f}, at end {m['loadavg_end'][0]:.2f}")
    print("upload = click 'Upload 1 file' -> row shows 'Uploaded' (staff UI, chunked upload endpoint); "
          "sent = until the row showed 'Saving…'")
    print("download = httpx GET /api/files/<id>/download with the session cookie, streamed to disk "
          "(S3: 302 -> presigned URL followed)")
    print("app RSS = summed over the `reflex run` process tree, every 50 ms; base = median of the second "
          "before, peak = max during")
    print()
    head = (f"{'storage':<8} {'upload s':>9} {'MiB/s':>7} {'sent s':>7} {'download s':>11} {'MiB/s':>7} "
            f"{'sha256':>7} | {'RSS base':>9} {'peak up':>8} {'(+)':>6} | {'RSS base':>9} {'peak dl':>8} {'(+)':>6}")
    print(head)
    print(f"{'':<8} {'':>9} {'':>7} {'':>7} {'':>11} {'':>7} {'':>7} | {'MiB':>9} {'MiB':>8} {'':>6} | "
          f"{'MiB':>9} {'MiB':>8} {'':>6}")
    print("-" * len(head))
    for name, r in result["configs"].items():
        if "error" in r:
            print(f"{name:<8} FAILED: {r['error'][:150]}")
            continue
        up, dn = r["upload"], r["download"]
        sent = f"{up['bytes_sent_seconds']:.1f}" if up["bytes_sent_seconds"] else "-"
        print(f"{name:<8} {up['seconds']:>9.1f} {up['mib_per_s']:>7.1f} {sent:>7} {dn['seconds']:>11.1f} "
              f"{dn['mib_per_s']:>7.1f} {'ok' if dn['sha256_ok'] else 'BAD':>7} | "
              f"{up['rss_baseline_mib']:>9.0f} {up['rss_peak']['mib']:>8.0f} "
              f"{up['rss_peak']['mib'] - up['rss_baseline_mib']:>+6.0f} | "
              f"{dn['rss_baseline_mib']:>9.0f} {dn['rss_peak']['mib']:>8.0f} "
              f"{dn['rss_peak']['mib'] - dn['rss_baseline_mib']:>+6.0f}")
    print()
    for name, r in result["configs"].items():
        if "error" in r:
            continue
        for phase in ("upload", "download"):
            by = r[phase]["rss_peak"]["by_process"]
            print(f"{name} {phase} peak by process (MiB): " + "; ".join(f"{k}: {v}" for k, v in by.items()))
        if r["download"]["redirects"]:
            print(f"{name} download redirects: {', '.join(r['download']['redirects'])}")
        if "s3_server_rss_peak_mib" in r:
            print(f"{name}: moto S3 server (not the app) peak RSS {r['s3_server_rss_peak_mib']:.0f} MiB")
    rises = [(r[p]["rss_peak"]["mib"] - r[p]["rss_baseline_mib"], f"{n} {p}")
             for n, r in result["configs"].items() if "error" not in r for p in ("upload", "download")]
    if rises:
        rise, where = max(rises)
        print(f"Largest app RSS rise during a transfer: {rise:+.0f} MiB ({where}), "
              f"{100 * rise / size_mib:.0f}% of the file size")
    print("Build + start until serving: " + ", ".join(
        f"{n} {r['ready_s']:.0f} s" for n, r in result["configs"].items() if r.get("ready_s")))


# ------------------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size-mb", type=float, default=200, help="file size in MiB (default 200)")
    ap.add_argument("--json", metavar="PATH", default=str(DEFAULT_JSON), help=f"default {DEFAULT_JSON}")
    ap.add_argument("--build-timeout", type=float, default=900, help="seconds to build and start (default 900)")
    ap.add_argument("--transfer-timeout", type=float, default=1800, help="seconds per upload (default 1800)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, builds)")
    args = ap.parse_args(argv)
    size = int(args.size_mb * MiB)
    if size < 1:
        ap.error("--size-mb must be positive")
    for path in (PYTHON, REFLEX, TOOLS_BIN / "bun", Path(CHROMIUM)):
        if not path.exists():
            print(f"missing {path} (run `make install-dev` first)", file=sys.stderr)
            return 2

    def _unwind(signum, _frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, _unwind)
    signal.signal(signal.SIGHUP, _unwind)

    started = time.monotonic()
    machine = machine_info()
    tmp = Path(tempfile.mkdtemp(prefix="portal-bench-files-"))
    log(f"working in {tmp}")
    stack: list[tuple[str, object]] = []  # things to stop, in reverse order
    ok = False
    try:
        src = tmp / f"bench-{args.size_mb:g}MiB.bin"
        t = time.monotonic()
        digest = make_file(src, size)
        log(f"generated {src.name}: {size} bytes of random data in {time.monotonic() - t:.1f}s, sha256 {digest[:16]}…")
        app_dir = tmp / "app"
        copy_app(app_dir)
        port = free_port(set())

        from playwright.sync_api import sync_playwright

        configs: dict[str, dict] = {}
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            machine["versions"]["chromium"] = browser.version
            try:
                for i, name in enumerate(("local", "s3")):
                    moto_proc, s3_url = None, None
                    if name == "s3":
                        s3_url, moto_proc = start_moto(tmp, stack)
                    deadline = time.monotonic() + 60
                    while not port_is_free(port):
                        if time.monotonic() > deadline:
                            raise BenchError(f"port {port} still busy after the previous server stopped")
                        time.sleep(0.5)
                    server = prepare_config(tmp, app_dir, name, port, size, s3_url, prebuilt=i > 0)
                    stack.append(("server", server))
                    server.start()
                    server.wait_ready(args.build_timeout, ("/ping", "/api/health", "/staff/login"))
                    try:
                        configs[name] = run_config(browser, server, src, size, digest, tmp,
                                                   args.transfer_timeout, moto_proc)
                    except BenchError as exc:
                        log(f"[{name}] FAILED: {exc}")
                        configs[name] = {"error": str(exc), "ready_s": server.ready_s}
                    while stack:  # this config's server (and moto) stop before the next starts
                        stop(stack.pop())
            finally:
                browser.close()

        machine["loadavg_end"] = os.getloadavg()
        result = {"size_bytes": size, "size_mib": size / MiB, "sha256": digest, "machine": machine,
                  "configs": configs}
        print_table(result)
        result["elapsed_s"] = time.monotonic() - started
        print(f"Total time {result['elapsed_s']:.0f} s")
        out = Path(args.json)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2))
        log(f"wrote {out}")
        ok = not any("error" in r for r in configs.values())
        return 0 if ok else 1
    except BenchError as exc:
        print(f"\nBENCHMARK FAILED: {exc}", file=sys.stderr)
        return 1
    except Exception:
        traceback.print_exc()
        return 1
    finally:
        while stack:
            stop(stack.pop())
        if ok and not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            log(f"kept {tmp} (logs: *-setup.log, *-server.log, moto.log)")


def stop(item: tuple[str, object]) -> None:
    kind, thing = item
    try:
        if kind == "server":
            thing.stop()
        else:
            log(f"stopping moto (pid {thing.pid})")
            kill_group(thing, grace=5.0)
    except Exception as exc:
        log(f"could not stop {kind}: {exc}")


if __name__ == "__main__":
    sys.exit(main())

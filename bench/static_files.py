#!/usr/bin/env python3
"""A bundle file served by granian itself (`serve`) or through the app (what `reflex run` does).

    .venv/bin/python bench/static_files.py [--requests 200] [--json out.json]

The production start (`python -m portal_app.cli serve`, portal_app/serve.py) hands `/assets/…`
to granian's static-file support; `reflex run --env prod` serves the same files from the app
(Reflex's PrecompressedStaticFiles mount, behind our middlewares). Both servers here are the
same launcher, one worker, the app under no load, the repository's frontend build (built first
if it is missing or stale, as `serve` does); the second one is started without the static
mount, so the file goes through the app.

For each: `--requests` sequential GETs of the largest JavaScript bundle on one keep-alive
connection (httpx), without and with `Accept-Encoding: gzip` -- total time, p50/p95 per
request, bytes on the wire -- and the CPU time the worker process used meanwhile: in all, and
on its main thread, where the Python event loop runs (granian's Rust threads are the others).
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import ROOT, load_line, machine, p95, temp_dir, write_json
from tests.support.services import free_port

TICK = os.sysconf("SC_CLK_TCK")


def _cpu(stat_path: str) -> float:
    fields = Path(stat_path).read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1] == str(pid):
                    out.append(int(entry))
            except OSError:
                pass
    return out


def start(port: int, tmp: Path, static: bool) -> subprocess.Popen:
    env = {**os.environ, "PORTAL_PORT": str(port), "PORTAL_DATABASE_URL": f"sqlite:///{tmp / 'bench.db'}",
           "PORTAL_STORAGE_DIR": str(tmp / "files"), "PORTAL_SECRET_KEY_FILE": str(tmp / "secret.key"),
           "PORTAL_DEMO": "0", "PORTAL_BASE_URL": f"http://localhost:{port}"}
    env.pop("REFLEX_REDIS_URL", None)
    subprocess.run([sys.executable, "-m", "portal_app.cli", "migrate"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    code = textwrap.dedent(f"""
        import dataclasses, os
        from portal_app import serve
        os.environ.update({{k: v for k, v in serve.build_env({port}).items() if k.startswith("REFLEX_") or k == "PATH"}})
        plan = serve.plan("127.0.0.1", {port})
        serve._run_granian(plan if {static} else dataclasses.replace(plan, static=()))
    """)
    log = open(tmp / f"server-{port}.log", "w")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    import httpx

    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/ping", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.5)
    raise SystemExit(f"the server on {port} did not start: {(tmp / f'server-{port}.log').read_text()[-2000:]}")


def measure(port: int, pid: int, path: str, n: int, encoding: str) -> dict:
    import httpx

    workers = _children(pid)
    assert len(workers) == 1, workers
    worker = workers[0]
    url = f"http://127.0.0.1:{port}{path}"
    times, wire = [], 0
    with httpx.Client(headers={"accept-encoding": encoding}) as client:
        for _ in range(20):  # warm-up
            client.get(url)
        cpu0, main0 = _cpu(f"/proc/{worker}/stat"), _cpu(f"/proc/{worker}/task/{worker}/stat")
        t0 = time.perf_counter()
        for _ in range(n):
            s = time.perf_counter()
            with client.stream("GET", url) as r:
                for _chunk in r.iter_raw():
                    pass
                wire += r.num_bytes_downloaded
                assert r.status_code == 200, r.status_code
                headers = dict(r.headers)
            times.append((time.perf_counter() - s) * 1000)
        total = (time.perf_counter() - t0) * 1000
        cpu1, main1 = _cpu(f"/proc/{worker}/stat"), _cpu(f"/proc/{worker}/task/{worker}/stat")
    keep = ("content-type", "content-encoding", "cache-control", "etag", "x-content-type-options")
    return {"requests": n, "accept_encoding": encoding, "total_ms": round(total), "p50_ms": round(statistics.median(times), 2),
            "p95_ms": round(p95(times), 2), "bytes_each": wire // n,
            "worker_cpu_ms": round((cpu1 - cpu0) * 1000), "event_loop_thread_cpu_ms": round((main1 - main0) * 1000),
            "headers": {k: headers[k] for k in keep if k in headers}}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--json", type=Path, default=ROOT / "test-artifacts" / "bench-static-files.json")
    args = ap.parse_args()

    import json

    from portal_app import serve
    from tests.support.services import service_up

    try:  # the port the current build was made for, when nobody listens on it: no rebuild
        port = int(json.loads((serve.web_dir() / "build" / serve.STAMP).read_text())["port"])
        if service_up("127.0.0.1", port):
            port = free_port()
    except (OSError, ValueError, KeyError):
        port = free_port()
    os.environ.update({k: v for k, v in serve.build_env(port).items() if k.startswith("REFLEX_") or k == "PATH"})
    os.environ["PORTAL_PORT"] = str(port)
    tmp = temp_dir("portal-bench-static-")
    report: dict = {"machine": machine(), "load": load_line()[1]}
    print(load_line()[0])
    if not serve.build_is_current(ROOT, port):
        print(f"building the frontend for port {port} …", flush=True)
        serve.build_frontend(ROOT, port)
    bundle = max((serve.client_dir() / "assets").glob("*.js"), key=lambda p: p.stat().st_size)
    results = {}
    for label, static in (("granian static", True), ("through the app", False)):
        proc = start(port, tmp, static)
        try:
            for encoding in ("identity", "gzip"):
                r = measure(port, proc.pid, f"/assets/{bundle.name}", args.requests, encoding)
                results[f"{label}, {encoding}"] = r
                print(f"  {label:16} {encoding:8} {bundle.name} ({bundle.stat().st_size} B): {r['requests']} in "
                      f"{r['total_ms']} ms, p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms, {r['bytes_each']} B each on "
                      f"the wire; worker CPU {r['worker_cpu_ms']} ms, of which its event-loop thread "
                      f"{r['event_loop_thread_cpu_ms']} ms")
                print(f"      {r['headers']}")
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(30)
    report["results"] = results
    write_json(args.json, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())

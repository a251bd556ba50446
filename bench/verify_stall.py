#!/usr/bin/env python3
"""/verify under attack: does a hostile PDF upload stall everyone else's requests?

    .venv/bin/python bench/verify_stall.py [--uploads 4] [--objects 60000] [--json PATH]

The app's production build (`reflex run --env prod --single-port`, one worker, its own
SQLite database and storage, migrated and seeded) is started from a temporary copy of this
checkout, as bench/page_load.py does (its helpers are reused). Run this file from another
checkout (e.g. a worktree of main) to measure that checkout's code.

The hostile file is the one from issue 11: a sealed PDF plus one incremental update of
`--objects` tiny objects, all reachable from the catalog (pypdf writes it; ~2.8 MB for
60,000). `--uploads` copies of it are posted at once to Reflex's upload route `/_upload`,
as the browser's upload component does (multipart field "files", headers
reflex-client-token — a fresh tab token each, whose /verify page a Socket.IO client
hydrated first, as a browser tab does — and reflex-event-handler = VerifyState.check;
anonymous, no cookie). Meanwhile one client asks `GET /api/health` every 20 ms.

Printed: /api/health latency (p50, p95, max, count) with the server idle, then while the
uploads run; each upload's time and what the page answered (verdict or refusal). Results
go to test-artifacts/bench/verify_stall.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import threading
import time
import traceback
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from page_load import ROOT, BenchError, free_port, log, machine_info, prepare_ours

sys.path.insert(0, str(ROOT))
DEFAULT_JSON = ROOT / "test-artifacts" / "bench" / "verify_stall.json"
HANDLER = ("reflex___state____state.portal_app___state___base____base_state."
           "portal_app___state___verify____verify_state.check")


def hostile_pdf(objects: int) -> bytes:
    from fpdf import FPDF

    from portal_app.adapters.pdf_complete import complete_document
    from portal_app.adapters.pdf_records import CertificateInfo
    from portal_app.adapters.sealing import new_sealing_identity

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(0, 10, "Services agreement")
    original = bytes(pdf.output())
    import hashlib
    cert = CertificateInfo(title="Services agreement", document_id="doc_bench", workspace_name="Elsewhere",
                           original_sha256=hashlib.sha256(original).hexdigest(), signers=[], events=[])
    sealed = complete_document(original, [], cert, new_sealing_identity("Bench sealing", "Elsewhere")).data
    from tests.support.pdf_samples import many_objects_update

    return many_objects_update(sealed, objects)


def summary(values: list[float]) -> dict:
    if not values:
        return {"count": 0}
    ordered = sorted(values)
    return {"count": len(values), "p50_ms": statistics.median(ordered),
            "p95_ms": ordered[max(0, round(0.95 * len(ordered)) - 1)], "max_ms": ordered[-1]}


def health_once(client, base: str) -> float:
    t0 = time.perf_counter()
    r = client.get(base + "/api/health", timeout=60)
    elapsed = (time.perf_counter() - t0) * 1000
    if r.status_code != 200:
        raise BenchError(f"/api/health answered {r.status_code}")
    return elapsed


async def _as_tab(base: str, data: bytes):
    """An anonymous browser tab on /verify: a Socket.IO connection under a fresh tab token
    that hydrates the page (uploads are accepted only for a tab whose state a page loaded:
    state/session_guard.py), then the upload under that token."""
    import asyncio

    import httpx
    import socketio
    from reflex.state import State
    from reflex_base.utils.format import format_event_handler

    token, hydrated = str(uuid.uuid4()), asyncio.Event()
    sio = socketio.AsyncClient(reconnection=False)
    sio.on("event", lambda update: hydrated.set(), namespace="/_event")  # the hydrate's snapshot arrived
    hydrate = {"name": format_event_handler(State.event_handlers["hydrate_and_load"]), "payload": {},
               "router_data": {"pathname": "/verify", "query": {}, "asPath": "/verify"}}
    await sio.connect(f"{base}?token={token}", socketio_path="/_event", transports=["websocket"],
                      headers={"Origin": base}, auth={"event": hydrate}, namespaces=["/_event"],
                      wait_timeout=15)
    try:
        await asyncio.wait_for(hydrated.wait(), timeout=60)
        async with httpx.AsyncClient(timeout=300) as client:
            return await client.post(base + "/_upload", files={"files": ("hostile.pdf", data, "application/pdf")},
                                     headers={"reflex-client-token": token, "reflex-event-handler": HANDLER,
                                              "Origin": base})
    finally:
        await sio.disconnect()


def upload(base: str, data: bytes, out: dict) -> None:
    import asyncio

    t0 = time.perf_counter()
    try:
        r = asyncio.run(_as_tab(base, data))
        out["status"] = r.status_code
        text = r.text
        verdict = next(iter(__import__("re").findall(r'"verdict"\s*:\s*"([a-z_]+)"', text)), "")
        error = next(iter(__import__("re").findall(r'"error[^"]*"\s*:\s*"([^"]+)"', text)), "")
        out["answer"] = verdict or error or text[:200]
    except Exception as exc:
        out["answer"] = f"{type(exc).__name__}: {exc}"
    out["seconds"] = time.perf_counter() - t0


def measure(base: str, data: bytes, uploads: int) -> dict:
    import httpx

    with httpx.Client() as client:
        for _ in range(5):
            health_once(client, base)  # warm
        idle = [health_once(client, base) for _ in range(50)]
        results = [{} for _ in range(uploads)]
        threads = [threading.Thread(target=upload, args=(base, data, results[i])) for i in range(uploads)]
        for t in threads:
            t.start()
        under = []
        while any(t.is_alive() for t in threads):
            under.append(health_once(client, base))
            time.sleep(0.02)
        for t in threads:
            t.join()
    return {"idle": summary(idle), "under_attack": summary(under), "uploads": results}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--uploads", type=int, default=4)
    ap.add_argument("--objects", type=int, default=60_000)
    ap.add_argument("--json", metavar="PATH", default=str(DEFAULT_JSON))
    ap.add_argument("--build-timeout", type=float, default=900)
    args = ap.parse_args(argv)
    data = hostile_pdf(args.objects)
    log(f"hostile PDF: {len(data) / 1e6:.1f} MB, one update of {args.objects} objects")
    tmp = Path(tempfile.mkdtemp(prefix="portal-bench-verify-"))
    server = None
    try:
        server = prepare_ours(tmp, free_port(set()), 300)
        server.start()
        server.wait_ready(args.build_timeout, ("/ping", "/api/health", "/verify"))
        result = measure(server.url, data, args.uploads)
        result.update({"checkout": str(ROOT), "hostile_bytes": len(data), "objects": args.objects,
                       "machine": machine_info()})
        print(f"\n/api/health latency, ms ({ROOT})")
        for name in ("idle", "under_attack"):
            s = result[name]
            print(f"  {name:13s} p50 {s.get('p50_ms', 0):8.1f}  p95 {s.get('p95_ms', 0):8.1f}  "
                  f"max {s.get('max_ms', 0):8.1f}  (n={s['count']})")
        for i, u in enumerate(result["uploads"]):
            print(f"  upload {i + 1}: {u.get('seconds', 0):.1f} s, HTTP {u.get('status')}: {u.get('answer')}")
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result, indent=2))
        log(f"wrote {args.json}")
        return 0
    except BenchError as exc:
        print(f"\nBENCHMARK FAILED: {exc}", file=sys.stderr)
        return 1
    except Exception:
        traceback.print_exc()
        return 1
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

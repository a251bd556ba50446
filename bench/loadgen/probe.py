"""The /ping probe beside the load, in a process of its own (so the generator's event loop never
delays it): `GET /ping` every --every s on a fresh loopback connection, with the app's Host header,
until --seconds pass; one line per request on stdout: `<time.monotonic()> <ms> <status or error>`.

    python -m bench.loadgen.probe --port 3000 --host-header localhost:3000 --seconds 600
"""

from __future__ import annotations

import argparse
import http.client
import sys
import time


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--connect", default="127.0.0.1")
    ap.add_argument("--host-header", required=True)
    ap.add_argument("--every", type=float, default=0.1)
    ap.add_argument("--seconds", type=float, required=True)
    ap.add_argument("--timeout", type=float, default=5.0)
    args = ap.parse_args(argv)
    if args.connect not in ("127.0.0.1", "::1"):
        print("the probe only talks to loopback", file=sys.stderr)
        return 2
    start = time.monotonic()
    for k in range(int(args.seconds / args.every) + 1):
        due = start + k * args.every
        now = time.monotonic()
        if due < now - args.every:  # fell behind (a slow answer): skip the missed slots
            continue
        if due > now:
            time.sleep(due - now)
        t0 = time.monotonic()
        try:
            conn = http.client.HTTPConnection(args.connect, args.port, timeout=args.timeout)
            conn.request("GET", "/ping", headers={"Host": args.host_header, "Connection": "close"})
            resp = conn.getresponse()
            resp.read()
            status = str(resp.status)
            conn.close()
        except (OSError, http.client.HTTPException) as exc:
            status = type(exc).__name__
        t1 = time.monotonic()
        try:
            print(f"{t1:.6f} {(t1 - t0) * 1000:.3f} {status}", flush=True)
        except BrokenPipeError:
            return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())

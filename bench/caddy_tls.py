#!/usr/bin/env python3
"""Time from the first https visit of a custom domain to the served page, the certificate issued on
the way: Chromium -> Caddy (deploy/Caddyfile, on-demand TLS) -> its ask to the app -> Pebble (ACME)
-> the page from the app (`cli serve`, production build, SQLite, one worker).

    .venv/bin/python bench/caddy_tls.py [--hosts 5] [--json out.json]

The stack is tests/integration/test_caddy_tls.py's (tests/support/tls_stack.py): Pebble with
PEBBLE_VA_ALWAYS_VALID=1 and no artificial sleeps, on loopback, so the figure is Caddy's and the
app's part plus an ACME exchange with no network and no real validation (a real CA validates over
the internet: Let's Encrypt typically takes a few seconds). `--hosts` fresh domains are each added,
verified and assigned through the services; each is visited once in a fresh browser page (time to
the sign-in heading), then again (the certificate cached: the page alone); as many other fresh domains get just a TLS
handshake from Python (the certificate alone: the ask, the ACME order, the issuance).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import ROOT, load_line, machine, temp_dir, write_json
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.custom_domains import connect_domain
from tests.support.tls_stack import Caddy, Pebble, Portal, binaries_missing, handshake, names_of

HEADING = "Sign in to your portal"


def _pin(pem: str) -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    der = x509.load_pem_x509_certificate(pem.encode()).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    missing = binaries_missing() + ([CHROMIUM] if not Path(CHROMIUM).exists() else [])
    if missing:
        raise SystemExit(f"missing: {', '.join(missing)} (`make install-dev` installs them)")

    from playwright.sync_api import sync_playwright

    tmp = temp_dir("portal-bench-caddy-")
    t0 = time.monotonic()
    portal = Portal(tmp / "app")
    app_s = time.monotonic() - t0
    stops = [portal.stop]
    try:
        hosts = [f"portal{i}.bench-tls.test" for i in range(args.hosts)]
        bare = [f"tls{i}.bench-tls.test" for i in range(args.hosts)]
        for host in hosts + bare:
            connect_domain(portal.database_url, host)
        pebble = Pebble(tmp / "pebble")
        stops.append(pebble.stop)
        caddy = Caddy(tmp / "caddy", upstream=portal.upstream, client_build=portal.client_build,
                      base_host="base.bench-tls.test", pebble=pebble)
        stops.append(caddy.stop)
        first: list[float] = []
        again: list[float] = []
        handshakes: list[float] = []
        for host in bare:  # the certificate alone: a TLS handshake with a fresh name, no page
            start = time.perf_counter()
            assert names_of(handshake(caddy.https_port, host)) == [host]
            handshakes.append((time.perf_counter() - start) * 1000)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
                *CHROMIUM_ARGS, "--host-resolver-rules=MAP *.test 127.0.0.1",
                f"--ignore-certificate-errors-spki-list={_pin(pebble.issuing_intermediate_pem())}"])
            for host in hosts:
                for into in (first, again):
                    page = browser.new_page()
                    start = time.perf_counter()
                    response = page.goto(f"https://{host}:{caddy.https_port}/login")
                    page.get_by_role("heading", name=HEADING).wait_for()
                    into.append((time.perf_counter() - start) * 1000)
                    assert response is not None and response.status == 200
                    assert (response.security_details() or {}).get("subjectName") == host
                    page.close()
            browser.close()
    finally:
        for stop in reversed(stops):
            stop()

    load, load_avg = load_line()
    report = {
        "hosts": args.hosts, "app_start_with_build_s": round(app_s, 1),
        "first_visit_ms": {"p50": round(statistics.median(first), 1), "max": round(max(first), 1),
                           "all": [round(v, 1) for v in first]},
        "first_handshake_ms": {"p50": round(statistics.median(handshakes), 1), "max": round(max(handshakes), 1)},
        "cached_certificate_visit_ms": {"p50": round(statistics.median(again), 1), "max": round(max(again), 1)},
        "load_average": load_avg, "machine": machine(),
    }
    print(f"TLS on demand (Caddy {_caddy_version()} + Pebble, loopback), {args.hosts} fresh hosts:")
    print(f"  first https visit -> served page (certificate issued): p50 {report['first_visit_ms']['p50']} ms, "
          f"max {report['first_visit_ms']['max']} ms")
    print(f"  first TLS handshake alone (ask + ACME order + issuance): p50 "
          f"{report['first_handshake_ms']['p50']} ms, max {report['first_handshake_ms']['max']} ms")
    print(f"  the same page again (certificate cached):              p50 "
          f"{report['cached_certificate_visit_ms']['p50']} ms")
    print(f"  (the app's start with its frontend build: {app_s:.1f} s)")
    if load:
        print(f"  {load}")
    if args.json:
        write_json(args.json if args.json.is_absolute() else ROOT / args.json, report)


def _caddy_version() -> str:
    import subprocess

    return subprocess.run(["caddy", "version"], capture_output=True, text=True).stdout.split()[0]


if __name__ == "__main__":
    main()

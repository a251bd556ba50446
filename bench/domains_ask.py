#!/usr/bin/env python3
"""Custom domains (issue 17): Caddy's on-demand TLS question, GET /api/domains/allowed, with
`--domains` custom domains in the table (10,000 by default).

    .venv/bin/python bench/domains_ask.py [--requests 1000] [--domains 10000] [--pg]

A throwaway database (SQLite file, or a PostgreSQL database of its own with --pg) gets one
workspace and its custom domains, made through the services (domains.add_domain; every other
one verified against an in-memory DNS stand-in and assigned to the Client Portal). Then the
route is asked `--requests` times, in turn about a served host (200), a pending one (404) and
an unknown one (404), after a warm-up, two ways:
- the ASGI app (SecurityHeaders around the api/ routes) called directly in one event loop:
  the route's own cost (routing, the thread hop, the one indexed query);
- over Starlette's TestClient (in process, its httpx transport and portal thread included).
Wall clock per request: p50, p95 (nearest rank), min. The load average is printed (on a shared
2-core machine the figures follow it).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import (
    bench_env,
    build_shop,
    load_line,
    make_pg_database,
    server_version,
    sqlite_url,
    summary,
    temp_dir,
    use_database,
)

ASK = "/api/domains/allowed"
TARGET = "bench.example.test"  # PORTAL_CNAME_TARGET's default: the bench's base host


class ZoneDns:
    """The DNS adapter's interface over a dict (the bench measures the ask, not DNS)."""

    def __init__(self) -> None:
        self.zone: dict[str, list[str]] = {}

    def cname(self, name: str) -> list[str]:
        return [TARGET] if name in self.zone else []

    def txt(self, name: str) -> list[str]:
        return self.zone.get(name, [])


def build(engine, n: int) -> tuple[list[str], list[str]]:
    """(served hostnames, pending hostnames), n custom domains made through the services."""
    from sqlmodel import Session

    from portal_app.services.portal import domains

    domains.MAX_DOMAINS = n  # one workspace holds them all here (20 in the app)
    now = datetime.now(UTC)
    dns = ZoneDns()
    served, pending = [], []
    with Session(engine, expire_on_commit=False) as db:
        shop = build_shop(db, 0, 0, stripe=False)
        for i in range(n):
            v = domains.add_domain(db, shop.staff, f"portal{i}.customer{i % 997}.test", now=now)
            if i % 2 == 0:
                dns.zone[f"_portal-verify.{v.hostname}"] = [f"portal-verify={v.verification_token}"]
                dns.zone[v.hostname] = [TARGET]
                domains.verify_domain(db, shop.staff, v.public_id, dns, now=now)  # type: ignore[arg-type]
                domains.assign_domain(db, shop.staff, v.public_id)
                served.append(v.hostname)
            else:
                pending.append(v.hostname)
            if i % 500 == 499:
                db.commit()
        db.commit()
    return served, pending


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--domains", type=int, default=10000)
    parser.add_argument("--pg", action="store_true", help="PostgreSQL (127.0.0.1) instead of SQLite")
    args = parser.parse_args()

    tmp = temp_dir("bench_domains_")
    bench_env(tmp)
    url = make_pg_database() if args.pg else sqlite_url(tmp)
    engine = use_database(url)

    from starlette.testclient import TestClient

    from portal_app.api.routes import build_api
    from portal_app.api.security_headers import SecurityHeaders
    from tests.support.asgi import asgi_get

    t0 = time.perf_counter()
    served, pending = build(engine, args.domains)
    print(f"built {args.domains:,} custom domains through the services in {time.perf_counter() - t0:.1f} s "
          f"({server_version(engine)})")
    asks = []
    for i in range(args.requests):
        kind = i % 3
        if kind == 0:
            asks.append((served[(i * 7919) % len(served)], 200))
        elif kind == 1:
            asks.append((pending[(i * 7919) % len(pending)], 404))
        else:
            asks.append((f"nobody{i}.example.test", 404))
    app = SecurityHeaders(build_api())

    async def direct() -> list[float]:
        for name, status in asks[:50]:
            assert (await asgi_get(app, ASK, f"domain={name}", host=TARGET))[0] == status
        times = []
        for name, status in asks:
            t = time.perf_counter()
            got, _headers, _body = await asgi_get(app, ASK, f"domain={name}", host=TARGET)
            times.append((time.perf_counter() - t) * 1000)
            assert got == status, (name, got)
        return times

    figures = summary(asyncio.run(direct()))
    print(f"GET {ASK}?domain=… ASGI app direct, {args.requests} requests: p50 {figures['median_ms']} ms, "
          f"p95 {figures['p95_ms']} ms, min {figures['min_ms']} ms")
    times = []
    with TestClient(app, base_url=f"https://{TARGET}") as client:
        for name, status in asks[:50]:
            assert client.get(ASK, params={"domain": name}).status_code == status
        for name, status in asks:
            t = time.perf_counter()
            resp = client.get(ASK, params={"domain": name})
            times.append((time.perf_counter() - t) * 1000)
            assert resp.status_code == status
    figures = summary(times)
    print(f"GET {ASK}?domain=… over TestClient, {args.requests} requests: p50 {figures['median_ms']} ms, "
          f"p95 {figures['p95_ms']} ms, min {figures['min_ms']} ms")
    line, _load = load_line()
    if line:
        print(line)


if __name__ == "__main__":
    main()

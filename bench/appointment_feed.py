#!/usr/bin/env python3
"""Appointments (issue 16): the private calendar feed through its route, for a client with
`--appointments` appointments (500 by default).

    .venv/bin/python bench/appointment_feed.py [--requests 30] [--appointments 500] [--pg]

A throwaway database (SQLite file, or a PostgreSQL database of its own with --pg) gets one
workspace, one client and their appointments, made through the services
(appointments.create_appointment: 30 or 60 minutes, in Europe/Berlin, America/New_York and
Asia/Kolkata in turn, with notes and a meeting link, two a day from tomorrow on, every tenth one
cancelled), and a feed token (feeds.reset_feed). Then `GET /api/calendar/feed/<token>.ics`
through the api/ app inside SecurityHeaders, over Starlette's TestClient (in process, no
network), `--requests` times after one warm-up: wall clock per request (p50, p95 nearest rank,
min), the response size, and the number of events parsed back. The load average is printed (on
a shared 2-core machine the figures follow it).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta
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

ZONES = ("Europe/Berlin", "America/New_York", "Asia/Kolkata")


def build(engine, n: int) -> tuple[str, str]:
    """The client's feed token and the host; n appointments made through the services."""
    from sqlmodel import Session

    from portal_app.access import Client
    from portal_app.services.appointments import appointments as appts
    from portal_app.services.appointments import feeds

    with Session(engine, expire_on_commit=False) as db:
        shop = build_shop(db, 1, 1, stripe=False)
        contact = shop.contacts[0]
        account = shop.accounts[contact.id]
        start_day = datetime.now(UTC).date() + timedelta(days=1)
        for i in range(n):
            day = start_day + timedelta(days=i // 2)
            zone = ZONES[i % 3]
            hour = 10 if i % 2 == 0 else 15
            length = 30 if i % 4 else 60
            start = datetime(day.year, day.month, day.day, hour)  # a wall time in `zone`
            a = appts.create_appointment(
                db, shop.staff, contact=contact.public_id, zone=zone, title=f"Check-in #{i + 1}",
                starts_at=start.isoformat(), ends_at=(start + timedelta(minutes=length)).isoformat(),
                location=f"https://meet.example.com/room-{i}",
                client_notes="Agenda: review, next steps; bring the brief.", internal_notes="Not in any feed")
            if i % 10 == 9:
                appts.cancel_appointment(db, shop.staff, a.public_id)
            if i % 50 == 49:
                db.commit()
        db.commit()
        client = Client(shop.ws.id, contact.id, account.id, contact.email, contact.display_name)
        token = feeds.reset_feed(db, client)
        db.commit()
        return token, shop.host


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--appointments", type=int, default=500)
    parser.add_argument("--pg", action="store_true", help="PostgreSQL (127.0.0.1) instead of SQLite")
    args = parser.parse_args()

    tmp = temp_dir("bench_feed_")
    bench_env(tmp)
    url = make_pg_database() if args.pg else sqlite_url(tmp)
    engine = use_database(url)

    from icalendar import Calendar
    from starlette.testclient import TestClient

    from portal_app.api.routes import build_api
    from portal_app.api.security_headers import SecurityHeaders

    t0 = time.perf_counter()
    token, host = build(engine, args.appointments)
    print(f"built {args.appointments} appointments through the services in {time.perf_counter() - t0:.1f} s "
          f"({server_version(engine)})")

    path = f"/api/calendar/feed/{token}.ics"
    times: list[float] = []
    with TestClient(SecurityHeaders(build_api()), base_url=f"https://{host}") as client:
        resp = client.get(path)  # warm-up (VTIMEZONE cache, connections)
        assert resp.status_code == 200, resp.status_code
        for _ in range(args.requests):
            t = time.perf_counter()
            resp = client.get(path)
            times.append((time.perf_counter() - t) * 1000)
            assert resp.status_code == 200
    body = resp.content
    events = Calendar.from_ical(body).walk("VEVENT")
    figures = summary(times)
    print(f"GET {path[:30]}….ics, {args.requests} requests: p50 {figures['median_ms']} ms, "
          f"p95 {figures['p95_ms']} ms, min {figures['min_ms']} ms")
    print(f"response: {len(body):,} bytes ({len(body) / 1024:.0f} KiB), {len(events)} events, "
          f"content-type {resp.headers['content-type']!r}, cache-control {resp.headers['cache-control']!r}")
    line, _load = load_line()
    if line:
        print(line)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Appointments (issue 16), the pure parts: free-slot computation for a team, and the .ics feed.

    .venv/bin/python bench/appointment_slots.py [--runs 50] [--busy 2000] [--events 500]

Slots: a 10-person team, each in their own zone (Europe/Berlin, America/New_York,
Asia/Kolkata in turn), Mon–Fri 09:00–12:00 and 13:00–17:00 local, one day off each; a 30-minute
booking type with a 10-minute buffer, 4 h notice; a 30-day window (2026-10-12 .. 11-11, over
Berlin's and New York's autumn changes). `--busy` existing appointments (30 or 60 min, on the
half-hour grid inside each person's hours, seeded random) are spread over the month and the
team. One run = free_slots() for every team member (what "any free staff" booking asks for).
Also a 5-minute grid, to show the cost follows intervals, not minutes.

Feed: feed() for `--events` appointments over a year in the three zones (with description,
location, link, organizer, attendee): time to bytes, and the size.

Wall clock with time.perf_counter, p50 and p95 (nearest rank) over `--runs` runs, after one
warm-up run. Pure Python on one core: no database, no network. The load average is printed
(on a shared 2-core machine the figures follow it).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import load_line, p95

from portal_app.services.appointments.ics import IcsEvent, feed
from portal_app.services.appointments.slots import BookingRules, WeeklyHours, free_slots

ZONES = ("Europe/Berlin", "America/New_York", "Asia/Kolkata")
HOURS = {d: [(clock(9), clock(12)), (clock(13), clock(17))] for d in range(5)}
WINDOW_START = datetime(2026, 10, 12, tzinfo=UTC)
WINDOW_END = WINDOW_START + timedelta(days=30)


def team(n: int = 10) -> list[WeeklyHours]:
    return [WeeklyHours(ZONES[i % 3], HOURS, days_off=frozenset({date(2026, 10, 19) + timedelta(days=i)}))
            for i in range(n)]


def busy_for(members: list[WeeklyHours], total: int, seed: int = 16) -> list[list[tuple[datetime, datetime]]]:
    """`total` appointments spread over the team and the month, inside working hours."""
    rnd = random.Random(seed)
    out: list[list[tuple[datetime, datetime]]] = [[] for _ in members]
    workdays = [WINDOW_START.date() + timedelta(days=d) for d in range(30)]
    workdays = [d for d in workdays if d.weekday() < 5]
    for k in range(total):
        who = k % len(members)
        zone = ZoneInfo(members[who].zone)
        day = rnd.choice(workdays)
        start_t, end_t = rnd.choice(HOURS[day.weekday()])
        slots = (end_t.hour - start_t.hour) * 2
        local = datetime.combine(day, start_t, tzinfo=zone) + timedelta(minutes=30 * rnd.randrange(slots))
        start = local.astimezone(UTC)
        out[who].append((start, start + timedelta(minutes=rnd.choice((30, 60)))))
    return out


def timed(fn, runs: int) -> tuple[list[float], object]:
    result = fn()  # warm-up
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return times, result


def line(label: str, times: list[float], extra: str = "") -> str:
    return (f"{label:<58} p50 {statistics.median(times):8.2f} ms   p95 {p95(times):8.2f} ms"
            f"   min {min(times):7.2f} ms{extra}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--busy", type=int, default=2000)
    parser.add_argument("--events", type=int, default=500)
    args = parser.parse_args()

    load, _ = load_line()
    print(f"python {sys.version.split()[0]}; {load}")
    members = team()
    busy = busy_for(members, args.busy)
    now = WINDOW_START - timedelta(hours=1)
    for label, rules in (
        ("slots: 10 staff x 30 days, 30-min type, 10-min buffer",
         BookingRules(duration=timedelta(minutes=30), buffer=timedelta(minutes=10), min_notice=timedelta(hours=4))),
        ("slots: same on a 5-minute grid",
         BookingRules(duration=timedelta(minutes=30), buffer=timedelta(minutes=10), min_notice=timedelta(hours=4),
                      step=timedelta(minutes=5))),
    ):
        def run(rules: BookingRules = rules) -> int:
            return sum(len(free_slots(m, b, rules, now=now, window_start=WINDOW_START, window_end=WINDOW_END))
                       for m, b in zip(members, busy, strict=True))

        times, count = timed(run, args.runs)
        print(line(label, times, f"   ({count} free slots, {args.busy} busy, {args.runs} runs)"))

    stamp = datetime(2026, 1, 2, 9, tzinfo=UTC)
    events = []
    for i in range(args.events):
        start = datetime(2026, 1, 5, 14, tzinfo=UTC) + timedelta(hours=17 * i)
        events.append(IcsEvent(
            uid=f"ap_{i:08x}@portal.example.test", sequence=i % 3, start=start, end=start + timedelta(minutes=30),
            zone=ZONES[i % 3], summary=f"Consultation #{i}, follow-up; bring documents",
            description="Agenda:\n- review the year\n- questions, next steps; fees\n" * 3,
            location="https://meet.example.test/room/abc-def-ghi",
            url=f"https://portal.example.test/portal/appointments/ap_{i:08x}",
            organizer_email="anna@business.example.test", organizer_name="Anna Staff",
            attendee_email="bob@client.example.test", attendee_name="Bob Client", cancelled=i % 20 == 0))
    times, data = timed(lambda: feed(events, name="Bob Client — appointments", stamp=stamp), args.runs)
    assert isinstance(data, bytes)
    print(line(f"feed: {args.events} events, 3 zones, over a year", times,
               f"   ({len(data):,} bytes, {args.runs} runs)"))


if __name__ == "__main__":
    main()

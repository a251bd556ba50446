"""Load generator: simulated browser tabs speaking Reflex's websocket protocol to the portal.

    make bench-load                                   # a fresh app, embedded config, 25,50,100,150 users
    PORTAL_LOAD_CONFIG=production make bench-load     # PostgreSQL + Redis state + 2 granian workers
    .venv/bin/python -m bench.loadgen [--config embedded|production] [--steps 25,50,100,150]
        [--hold 30] [--think 2,5] [--staff-share 0.2] [--timeout 10] [--json [PATH]] [--keep]
    .venv/bin/python -m bench.loadgen --url http://localhost:3000 [--web-dir .web]   # an app already running
    .venv/bin/python -m bench.loadgen --record tests/data/reflex_frames.json         # re-record the test capture

Run it from the repository root. Without --url it copies this checkout to a temp dir, gives it its own
database (embedded: SQLite; production: a fresh PostgreSQL database and an empty Redis db, both
removed afterwards), migrates and seeds the demo workspace and starts the production build on a free
port (bench/loadgen/launch.py `start_app`). It signs in once per account (the demo client and the
staff owner; argon2 and the throttle make sign-in no part of the figures; all simulated users of a
kind share that session), then ramps: for each step it adds users over --ramp s, waits until each has
had its first page, holds --hold s and prints one line (the table is explained under it).

Users (journeys.py): clients go home → invoices → an invoice → documents → files, a fresh tab per
journey; staff go contacts → a record → invoices list round and round in one tab; 2–5 s think time.
Each page visit is what Chromium sends for it (protocol.py, checked against frames recorded from
Chromium in tests/data/reflex_frames.json): a tab's first page is the websocket upgrade (Host,
Origin, the portal_session cookie, Sec-WebSocket-Protocol) whose CONNECT packet carries
hydrate_and_load with the compiled state hashes; a click on a link is on_load_internal (the
shell's navigation links too: the phone menu's open/closed state is the browser's). A visit ends
with the update that sets is_hydrated; it is an error when the app answers with a redirect, a toast, a red notice, a
refusal, or never sends the page's state.

Measured per step: open websockets, visits answered per second, p50/p95/p99 latency, errors, timeouts,
the app's processes (RSS from /proc/<pid>/status, CPU from /proc/<pid>/stat over the hold), a
GET /ping every 100 ms from a separate process (probe.py), the generator's own CPU and the machine's.

Cost of the generator, measured on the shared 2-core machine (20 users without think time, 41–62
visits/s answered, three runs of each alternating): about 1.3 ms CPU per page visit with the raw
transport (aiohttp websocket + our framing; ~1.0 ms user, ~0.3 ms system: loopback sends are charged
to the sender), 39 MB; python-socketio's AsyncClient (--transport socketio) costs ~1.75 ms per visit
and 51 MB. 500 users (10–20 s think, 33 visits/s) held 500 sockets from one process at 1.8 ms per
visit, 6.6 % of one core; 500 users with 2–5 s think would ask ~140 visits/s: ~0.2 of one core.

Traffic goes to loopback only (--url refuses anything but 127.0.0.1, localhost and ::1); every loop
is bounded by a count or a deadline.
"""

"""The job queue, on the app's own database (docs/architecture.md, "Jobs").

- `queue`: enqueue in the caller's transaction (run_at, unique_key, max_attempts, priority),
  claims (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: BEGIN IMMEDIATE), leases, heartbeat,
  retries with exponential backoff and jitter, dead jobs.
- `periodic`: the cron-like registry, enqueued once cluster-wide per time slot.
- `runner`: one job in its transaction, and the worker loop (threads, graceful stop).

What each kind does is the worker's (portal_app/worker.py, HANDLERS); services enqueue
through services/outbox.enqueue. No `import reflex` here.
"""

"""Loaded by every Python process started with this folder on PYTHONPATH (bench/page_load.py
--trace puts it there for the two apps it serves): in the app's server process it times the
phases of each Reflex event (bench/event_trace/tracer.py). Nothing happens unless
BENCH_TRACE_DIR is set."""

import os
import sys

if os.environ.get("BENCH_TRACE_DIR") and not any(a.endswith(("cli", "portal_app.cli")) for a in sys.argv[:3]):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    try:
        import tracer

        tracer.install()
    except Exception as exc:  # a bench aid: never stop the app for it
        print(f"event trace not installed: {exc}", file=sys.stderr)

"""Waiting for what a server does in its own time (a worker's email), bounded."""

from __future__ import annotations

import time


def until(find, timeout: float, failure: str):
    """What `find()` returns once it is not None, asked again every 0.3 s: the server's worker
    delivers mail in its own time. `timeout` only bounds a hang, it times nothing."""
    deadline = time.monotonic() + timeout
    while (found := find()) is None:
        assert time.monotonic() < deadline, failure
        time.sleep(0.3)
    return found

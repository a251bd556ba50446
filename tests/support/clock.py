"""A clock a test moves by hand, for production code that reads an injectable clock.

Set it in place of a module's clock (`monkeypatch.setattr(worker, "clock", clock)`) and
step it with `clock.advance(seconds=...)`: a boundary is then crossed exactly when the test
says, however busy the machine is.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from portal_app.models import utcnow


class Clock:
    def __init__(self, now: datetime | None = None):
        self.now = now or utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now

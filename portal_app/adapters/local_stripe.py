"""The demo's local payments test mode: localstripe, a Stripe API stand-in, as a child process
of the app on a loopback port (local_stripe_child.py). No Reflex, no database.

While it runs (`active()`), the demo key DEMO_SECRET_KEY is routed to it (`api_base_for`) and
its stand-in Stripe.js is what the payment page loads (`js_url_for`); any other key goes where
PORTAL_STRIPE_API_BASE says (the real Stripe by default), so a real key never reaches the
stand-in and the demo key never reaches Stripe. Whether to start it is decided by
services/billing/demo_payments.py; the app starts it (portal_app.py, a lifespan task) and
stops it when it stops.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import quote

log = logging.getLogger("portal.payments")

DEMO_SECRET_KEY = "sk_test_portal_demo_local_stripe"
DEMO_PUBLISHABLE_KEY = "pk_test_portal_demo_local_stripe"
START_SECONDS = 30.0
WEBHOOK_EVENTS = ["payment_intent.succeeded", "payment_intent.payment_failed"]


class LocalStripeError(Exception):
    """The stand-in could not be started or configured; `str()` says why (for the log)."""


@dataclass
class LocalStripe:
    url: str                       # http://127.0.0.1:<port>
    proc: subprocess.Popen | None  # None: a stand-in this process did not start (tests)

    @property
    def js_url(self) -> str:
        return f"{self.url}/js.stripe.com/v3/"

    def register_webhook(self, name: str, url: str, secret: str) -> None:
        """What a person does in Stripe's dashboard: send payment events to `url`, signed with `secret`."""
        body = json.dumps({"url": url, "secret": secret, "events": WEBHOOK_EVENTS}).encode()
        request = urllib.request.Request(f"{self.url}/_config/webhooks/{quote(name, safe='')}", data=body,
                                         headers={"content-type": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as r:
                status = r.status
        except (OSError, urllib.error.URLError) as exc:
            raise LocalStripeError(f"registering the webhook failed: {exc}") from None
        if status != 200:
            raise LocalStripeError(f"registering the webhook failed: HTTP {status}")

    def stop(self) -> None:
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def answers(url: str) -> bool:
    """Whether a stand-in answers at `url` (its fake Stripe.js: no key needed)."""
    try:
        with urllib.request.urlopen(f"{url}/js.stripe.com/v3/", timeout=2) as r:
            return r.status == 200
    except (OSError, urllib.error.URLError):
        return False


def start_process(timeout: float = START_SECONDS) -> LocalStripe:
    """Starts the stand-in and waits until it answers. Raises LocalStripeError."""
    try:
        proc = subprocess.Popen([sys.executable, "-m", "portal_app.adapters.local_stripe_child"],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                                text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    except OSError as exc:
        raise LocalStripeError(f"it could not be run: {exc}") from None
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stdout is not None
    out = proc.stdout

    def read() -> None:
        for line in out:
            lines.put(line)

    threading.Thread(target=read, name="local-stripe-out", daemon=True).start()
    stand_in = LocalStripe("", proc)
    deadline = time.monotonic() + timeout
    try:
        while not stand_in.url:
            if proc.poll() is not None:
                raise LocalStripeError(f"it exited with status {proc.returncode}")
            if time.monotonic() > deadline:
                raise LocalStripeError(f"it did not start within {timeout:.0f} s")
            try:
                line = lines.get(timeout=0.2)
            except queue.Empty:
                continue
            if line.startswith("PORT "):
                stand_in.url = f"http://127.0.0.1:{int(line.split()[1])}"
        while not answers(stand_in.url):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise LocalStripeError(f"it did not answer on {stand_in.url}")
            time.sleep(0.1)
    except BaseException:
        stand_in.stop()
        raise
    return stand_in


# -- the running test mode of this process ----------------------------------------------------

_active: LocalStripe | None = None


def active() -> LocalStripe | None:
    return _active


def set_active(stand_in: LocalStripe | None) -> None:
    global _active
    _active = stand_in


def api_base_for(secret_key: str) -> str | None:
    """The stand-in's URL for the demo key while it runs, else None (the configured Stripe)."""
    return _active.url if _active is not None and secret_key == DEMO_SECRET_KEY else None


def js_url_for(secret_key: str) -> str | None:
    return _active.js_url if _active is not None and secret_key == DEMO_SECRET_KEY else None

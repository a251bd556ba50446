"""localstripe, the Stripe API stand-in, as a real HTTP server for the integration tests.

`localstripe_url` starts `python -m localstripe --port N --from-scratch` in a subprocess on
a free loopback port once per test session, waits until it answers, yields its base URL
(give it to StripeGateway as api_base, or set PORTAL_STRIPE_API_BASE) and stops it at the
end. It is made available to every integration test by one import line in
tests/integration/conftest.py.

Under CI (CI=true or PORTAL_REQUIRE_SERVICES=1) a localstripe that does not start fails the
tests that need it; on a laptop they are skipped with the reason.

What to know about localstripe 1.15.10:
- It accepts any secret key that starts with `sk_` and is longer than 5 characters.
- It keeps state in memory and also pickles it to the fixed path /tmp/localstripe.pickle on
  every write (`--from-scratch` only stops it from loading that file at start).
- Webhook endpoints are registered with `POST /_config/webhooks/{id}` (JSON or form fields
  `url`, `secret`, optional `events` list); they live in memory and receive every later
  matching event of the process, about one second after the event.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import pytest

from tests.conftest import REQUIRE_SERVICES

STARTUP_SECONDS = 30
TEST_SECRET_KEY = "sk_test_portal_localstripe"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(base: str) -> bool:
    try:  # the fake Stripe.js needs no key: a 200 means the app is up and routing
        with urllib.request.urlopen(f"{base}/js.stripe.com/v3/", timeout=2) as r:
            return r.status == 200
    except (OSError, urllib.error.URLError):
        return False


def _unavailable(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"localstripe did not start: {reason}; CI needs it")
    pytest.skip(f"localstripe did not start: {reason}")


@pytest.fixture(scope="session")
def localstripe_url():
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tempfile.NamedTemporaryFile(prefix="localstripe-", suffix=".log", delete=False)
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "localstripe", "--port", str(port), "--from-scratch"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    except OSError as e:
        log.close()
        _unavailable(str(e))
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not _answers(base):
            if proc.poll() is not None:
                log.flush()
                tail = open(log.name, errors="replace").read()[-2000:]
                _unavailable(f"it exited with {proc.returncode}:\n{tail}")
            if time.monotonic() > deadline:
                _unavailable(f"no answer on {base} within {STARTUP_SECONDS} s")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()
        os.unlink(log.name)

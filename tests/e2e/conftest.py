"""End-to-end fixtures: the production build served as the README says, in a subprocess
with its own port, database and storage, in one of two configurations:

- embedded: SQLite, local storage, disk state manager, dev outbox (what `make run` uses);
- production: PostgreSQL, Redis state manager with two workers, S3 (moto's server) and
  SMTP (aiosmtpd in this process).

The app is copied into a temporary folder so that its build never touches the working
tree's .web/. Chromium is Debian's (/usr/bin/chromium).
"""

from __future__ import annotations

import email
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from email import policy
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.support.app_copy import copy_app
from tests.support.browser import ARTIFACTS, AXE, CHROMIUM, CHROMIUM_ARGS, ROOT
from tests.support.services import REQUIRE_SERVICES, free_port, make_pg_database, require_service
from tests.support.waiting import until

# An assertion waits up to 15 s for what it expects (Playwright's default is 5 s), as the contexts'
# actions wait 20 s (tests/support/journey.py): `make test` runs these journeys beside the unit and
# integration tests on two cores, and a page's answer that arrives in 6 s on a starved machine is
# not a failure. A passing expectation returns as soon as it holds.
expect.set_options(timeout=15_000)


@dataclass
class Mailbox:
    messages: list = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    def link_for(self, to: str, timeout: float = 30, path: str = "") -> str:
        """The link in the newest email to `to` (whose link goes to `path`, if given)."""
        def find() -> str | None:
            for msg in reversed(self.messages):
                if to in str(msg["To"]):
                    text = msg.get_body(preferencelist=("plain",)).get_content()
                    assert msg.get_body(preferencelist=("html",)) is not None, "no HTML part"
                    link = re.search(r"https?://\S+", text).group(0)
                    if path in link:
                        return link
            return None

        return until(find, timeout, f"no email to {to} with a link to {path or 'anything'} arrived at the SMTP server")


@dataclass
class Server:
    config: str
    url: str
    proc: subprocess.Popen
    log_path: Path
    mailbox: Mailbox | None
    env: dict
    stripe_url: str = ""
    setup_done: bool = False
    wrong_password_shown: bool = False

    @property
    def app_dir(self) -> Path:
        """The tree the server runs from (its data/secret.key and relative paths)."""
        return self.log_path.parent / "app"

    def dev_mail_link(self, to: str, path: str = "", timeout: float = 30) -> str:
        """Embedded config: the link (to `path`, if given) in the newest dev-outbox mail to
        `to`, read from the server's own database, as the person the mail was for would get
        it; the outbox page shows such links redacted to everyone else (issue #11). Waits for
        the worker to deliver."""
        import sqlalchemy as sa

        engine = sa.create_engine(self.env["PORTAL_DATABASE_URL"])

        def find() -> str | None:
            with engine.connect() as conn:
                bodies = conn.execute(sa.text("SELECT text_body FROM dev_mail WHERE to_addr = :to "
                                              "ORDER BY id DESC"), {"to": to}).scalars().all()
            links = (re.search(r"https?://\S+", body) for body in bodies)
            return next((m.group(0) for m in links if m and path in m.group(0)), None)

        try:
            return until(find, timeout, f"no email to {to} with a link to {path or 'anything'} reached the dev outbox")
        finally:
            engine.dispose()

    def stop(self) -> None:
        """Stops the app as Ctrl-C would (its process group gets SIGTERM)."""
        _stop(self.proc)

    def log_tail(self, n: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""


def _jobs_report(server: Server) -> str:
    """The server's unfinished jobs and its last finished ones: what a failing journey that
    waited for the worker (a seal, an email) needs to tell "not run" from "run, not shown"."""
    import sqlalchemy as sa

    engine = sa.create_engine(server.env["PORTAL_DATABASE_URL"])
    cols = "id, kind, attempts, created_at, next_attempt_at, locked_by, done_at, dead_at, last_error"
    try:
        with engine.connect() as conn:
            open_ = conn.execute(sa.text(f"SELECT {cols} FROM outbox_message WHERE done_at IS NULL "
                                         "ORDER BY id DESC LIMIT 30")).all()
            done = conn.execute(sa.text(f"SELECT {cols} FROM outbox_message WHERE done_at IS NOT NULL "
                                        "ORDER BY done_at DESC LIMIT 15")).all()
    except Exception as exc:  # the report must never hide the failure it explains
        return f"(jobs unreadable: {exc})"
    finally:
        engine.dispose()
    return "\n".join(["unfinished (newest first):", *map(str, open_), "last finished:", *map(str, done)])


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed journey carries its server's log tail and job table in the report (CI prints
    only the report: the server's log stays on the machine that ran it)."""
    outcome = yield
    report = outcome.get_result()
    srv = item.funcargs.get("server") if hasattr(item, "funcargs") else None
    if report.when == "call" and report.failed and isinstance(srv, Server):
        report.sections.append((f"server log ({srv.config}), last lines", srv.log_tail(80)))
        report.sections.append((f"server jobs ({srv.config})", _jobs_report(srv)))


def _wait_up(server: Server, timeout: float) -> None:
    """Until the app answers; `timeout` only bounds a hang (on the monotonic clock, as until())."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(f"app exited early:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(server.url + "/api/health", timeout=2) as resp:
                if resp.status == 200:
                    with urllib.request.urlopen(server.url + "/staff/login", timeout=5) as page:
                        if page.status == 200:
                            return
        except OSError:
            pass
        time.sleep(2)
    raise RuntimeError(f"app did not come up in {timeout}s:\n{server.log_tail()}")


def _start_services(config: str, stack: list) -> tuple[dict, Mailbox | None]:
    if config == "embedded":
        return {"PORTAL_MAIL": "outbox", "PORTAL_DEMO": "1"}, None
    require_service("PostgreSQL", "127.0.0.1", 5432)
    require_service("Redis", "127.0.0.1", 6379)
    import boto3
    from aiosmtpd.controller import Controller
    from moto.server import ThreadedMotoServer

    s3_port, smtp_port = free_port(), free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=s3_port, verbose=False)
    moto.start()
    stack.append(moto.stop)
    s3_url = f"http://127.0.0.1:{s3_port}"
    boto3.client("s3", endpoint_url=s3_url, region_name="us-east-1", aws_access_key_id="test",
                 aws_secret_access_key="test").create_bucket(Bucket="portal-e2e")
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    stack.append(controller.stop)
    return {
        "PORTAL_DATABASE_URL": make_pg_database("portal_e2e"),
        "REFLEX_REDIS_URL": "redis://127.0.0.1:6379/3",
        "GRANIAN_WORKERS": "2",
        "PORTAL_STORAGE": "s3", "PORTAL_S3_BUCKET": "portal-e2e", "PORTAL_S3_ENDPOINT_URL": s3_url,
        "PORTAL_S3_ACCESS_KEY_ID": "test", "PORTAL_S3_SECRET_ACCESS_KEY": "test",
        "PORTAL_MAIL": "smtp", "PORTAL_SMTP_HOST": "127.0.0.1", "PORTAL_SMTP_PORT": str(smtp_port),
        "PORTAL_SMTP_SECURITY": "none", "PORTAL_DEMO": "0",
    }, mailbox


def _require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        if REQUIRE_SERVICES:
            pytest.fail("Chromium is not installed at /usr/bin/chromium (make install-dev installs it)")
        pytest.skip("Chromium is not installed at /usr/bin/chromium; `make install-dev` installs it "
                    "(under CI, or with PORTAL_REQUIRE_SERVICES=1, this fails instead of skipping)")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _serve(config: str, stripe_url: str, extra_env: dict | None = None):
    """The app as `make run` starts it (migrate, seed, `reflex run --env prod --single-port`) in
    `config`; with `stripe_url`, its Stripe API and Stripe.js are that localstripe, else the app's
    own (demo test payments, embedded only). `extra_env`: settings of this server's own (e.g. the
    DNS server its domain checks ask)."""
    _require_chromium()
    stack: list = []
    tmp = Path(tempfile.mkdtemp(prefix=f"portal-e2e-{config}-"))
    port = free_port()
    extra, mailbox = _start_services("embedded" if config in ("demo", "domains") else config, stack)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "REFLEX_REDIS"))}
    tools = ROOT / ".tools" / "node_modules" / ".bin"
    env.update({
        "PATH": f"{tools}:{Path(sys.executable).parent}:{env.get('PATH', '')}",
        "REFLEX_USE_SYSTEM_BUN": "1", "REFLEX_TELEMETRY_ENABLED": "false",
        "REFLEX_CHECK_LATEST_VERSION": "false",
        "PORTAL_PORT": str(port), "PORTAL_BASE_URL": f"http://localhost:{port}",
        "PORTAL_DATABASE_URL": f"sqlite:///{tmp}/portal.db",
        "PORTAL_STORAGE_DIR": str(tmp / "files"),
        "PORTAL_WORKER_INTERVAL": "0.5",
        **extra,
        **(extra_env or {}),
    })
    if stripe_url:  # Stripe: the API and Stripe.js of localstripe (the page loads its fake Stripe.js)
        env.update({"PORTAL_STRIPE_API_BASE": stripe_url, "PORTAL_STRIPE_JS_URL": f"{stripe_url}/js.stripe.com/v3/"})
    app_dir = copy_app(tmp)
    py = sys.executable
    for cmd in (["-m", "portal_app.cli", "migrate"], ["-m", "portal_app.cli", "seed"]):
        subprocess.run([py, *cmd], cwd=app_dir, env=env, check=True, capture_output=True, timeout=120)
    log_path = tmp / "app.log"
    log = open(log_path, "w")  # noqa: SIM115 - the server writes to it; closed in the finally below
    proc = subprocess.Popen(
        [str(Path(py).parent / "reflex"), "run", "--env", "prod", "--single-port",
         "--frontend-port", str(port)],
        cwd=app_dir, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    srv = Server(config, f"http://localhost:{port}", proc, log_path, mailbox, env, stripe_url)
    try:
        _wait_up(srv, timeout=600)
        yield srv
    finally:
        _stop(proc)
        log.close()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copy2(log_path, ARTIFACTS / f"server-{config}.log")
        for stop in reversed(stack):
            stop()
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session", params=["embedded", "production"])
def server(request, localstripe_url):
    yield from _serve(request.param, localstripe_url)


@pytest.fixture(scope="module")
def demo_server():
    """`make run` as a newcomer runs it: demo mode, embedded, no Stripe settings at all, so the
    app runs its own test payments (services/billing/demo_payments.py)."""
    yield from _serve("demo", "")


@pytest.fixture(scope="module")
def browser():
    # Module scope, not session: Playwright's sync API keeps an event loop running on this
    # thread while it is open, which would break later tests that call asyncio.run().
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Axe:
    """axe-core, evaluated through the DevTools protocol (our CSP forbids injected scripts)."""

    def __init__(self):
        self.source = AXE.read_text()
        self.results: dict[str, list] = {}

    def scan(self, page, name: str) -> None:
        page.evaluate(self.source + ";0")
        result = page.evaluate("async () => { const r = await axe.run(document, {resultTypes: ['violations']});"
                               " return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
                               " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})); }")
        self.results[name] = result

    def serious(self) -> dict[str, list]:
        return {page: [v for v in vs if v["impact"] in ("serious", "critical")]
                for page, vs in self.results.items()
                if any(v["impact"] in ("serious", "critical") for v in vs)}


@pytest.fixture
def axe():
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `make install` (npm install in .tools/)")
    return Axe()


@pytest.fixture(scope="module")
def domains_server():
    """(server, zone): the embedded demo whose custom-domain checks ask a local DNS server on a
    loopback port (tests/support/dns_server.py) answering from `zone`, a dict the journey fills
    as staff would create records at their DNS provider (read at every question)."""
    from tests.support.dns_server import local_dns

    zone: dict = {}
    with local_dns(zone) as address:
        for srv in _serve("domains", "", {"PORTAL_DNS_SERVER": address}):
            yield srv, zone


@pytest.fixture(scope="module")
def resolving_browser():
    """Chromium that sends every *.test name to this machine: a custom domain (portal.acme.test)
    reaches the app's own port, as DNS would send it to the deployment."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM,
                               args=[*CHROMIUM_ARGS, "--host-resolver-rules=MAP *.test 127.0.0.1"])
        yield b
        b.close()

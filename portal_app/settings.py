"""Every configuration value, read from the environment once, typed and documented.

The README's settings table is generated from SETTINGS_DOC below; keep them together.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

SETTINGS_DOC: list[tuple[str, str, str]] = [
    ("PORTAL_DATABASE_URL", "sqlite:///data/portal.db", "SQLAlchemy URL. PostgreSQL: postgresql+psycopg://user@host/db"),
    ("PORTAL_BASE_URL", "http://localhost:$PORTAL_PORT", "Public URL of the default workspace; links in emails are "
                                                         "built from it"),
    ("PORTAL_PORT", "3000", "Port `make run` and `make serve` serve on"),
    ("PORTAL_DEMO", "1", "1 seeds a demo workspace (public passwords) when the database is empty; refused unless "
                         "PORTAL_BASE_URL is a local http address (localhost, 127.0.0.1, [::1], *.localhost, *.test). "
                         "A real install sets 0"),
    ("PORTAL_CORS_ORIGINS", "(the base URL)", "Comma-separated origins allowed for CORS and the websocket"),
    ("PORTAL_SESSION_IDLE_MINUTES", "120", "A session unused this long ends"),
    ("PORTAL_SESSION_MAX_HOURS", "336", "A session ends this long after sign-in whatever happens"),
    ("PORTAL_INVITE_DAYS", "7", "Days an invitation link stays valid"),
    ("PORTAL_LOGIN_MAX_FAILURES", "5", "Failed sign-ins per address (and per IP x4) in the window before throttling"),
    ("PORTAL_LOGIN_WINDOW_MINUTES", "15", "Throttling window"),
    ("PORTAL_CARD_MAX_DECLINES", "5", "Cards a client may have declined (Pay Now) in the window before Pay Now waits"),
    ("PORTAL_CARD_DECLINE_WINDOW_MINUTES", "60", "Window for PORTAL_CARD_MAX_DECLINES"),
    ("PORTAL_LOGO_MAX_BYTES", "1048576", "Largest logo accepted"),
    ("PORTAL_FILE_MAX_BYTES", "524288000", "Largest shared file accepted (staff and client uploads), in bytes"),
    ("PORTAL_FILE_QUOTA_BYTES", "10737418240", "Total bytes of shared files a workspace may store"),
    ("PORTAL_DOCUMENT_MAX_BYTES", "26214400", "Largest PDF accepted for signature, in bytes"),
    ("PORTAL_DOCUMENT_MAX_PAGES", "500", "Most pages a PDF for signature may have"),
    ("PORTAL_DOWNLOAD_LINK_SECONDS", "120", "Lifetime of a presigned S3 download link (the app checks access before each one)"),
    ("PORTAL_STORAGE", "local", "`local` or `s3`"),
    ("PORTAL_STORAGE_DIR", "data/files", "Folder for local storage (never a public folder)"),
    ("PORTAL_S3_BUCKET", "", "S3 bucket (MinIO, R2 and other S3 APIs work)"),
    ("PORTAL_S3_ENDPOINT_URL", "", "S3 endpoint URL; empty means AWS"),
    ("PORTAL_S3_REGION", "us-east-1", "S3 region"),
    ("PORTAL_S3_ACCESS_KEY_ID", "", "S3 credentials (empty: boto3's default chain)"),
    ("PORTAL_S3_SECRET_ACCESS_KEY", "", "S3 credentials"),
    ("PORTAL_MAIL", "outbox", "`outbox` (dev: mail is kept in the database; the workspace owner reads it at "
                              "/staff/outbox, one-time links of mail to others redacted) or `smtp`"),
    ("PORTAL_MAIL_FROM", "portal@localhost", "Sender address"),
    ("PORTAL_SMTP_HOST", "localhost", "SMTP host"),
    ("PORTAL_SMTP_PORT", "587", "SMTP port"),
    ("PORTAL_SMTP_SECURITY", "starttls", "`starttls`, `ssl` or `none`"),
    ("PORTAL_SMTP_USERNAME", "", "SMTP user (empty: no AUTH)"),
    ("PORTAL_SMTP_PASSWORD", "", "SMTP password"),
    ("PORTAL_SMTP_CA_FILE", "", "PEM file of CA certificates to trust for the SMTP server's TLS certificate (empty: "
                                "the system's)"),
    ("PORTAL_SECRET_KEY", "", "Key(s) that encrypt secrets at rest (Stripe keys); comma-separated for rotation, the "
                              "first encrypts. Empty: PORTAL_SECRET_KEY_FILE"),
    ("PORTAL_SECRET_KEY_FILE", "data/secret.key", "Created with a random key when PORTAL_SECRET_KEY is empty; back it "
                                                  "up once, apart from the database backups (see below)"),
    ("PORTAL_STRIPE_API_BASE", "", "Stripe API base URL; empty means the real Stripe (the tests point it at localstripe)"),
    ("PORTAL_STRIPE_JS_URL", "https://js.stripe.com/v3/", "Where the payment page loads Stripe.js from (localstripe "
                                                          "serves a stand-in at `/js.stripe.com/v3/`)"),
    ("PORTAL_TRUSTED_PROXY_HOPS", "0", "Reverse proxies in front of the app; >0 takes the client IP from "
                                       "X-Forwarded-For (throttling, sessions, the IP recorded on signatures)"),
    ("PORTAL_WORKER_INTERVAL", "1.0", "Seconds between job-queue polls of an idle worker "
     "(the in-process one, and `cli worker` without `--poll`)"),
    ("PORTAL_EVENT_THREADS", "8", "Threads per worker process that run event handlers' database work off the event loop "
     "(keep it at or below the database pool: 15 on PostgreSQL)"),
    ("REFLEX_REDIS_URL", "", "Redis URL (redis://host:6379/0): tabs' state lives there, shared by several workers. "
                             "Empty: in the one server process (see \"Where a tab's state lives\")"),
    ("PORTAL_WORKERS", "0", "Server processes `serve` starts; 0: one per CPU core with REFLEX_REDIS_URL, else 1. "
                            "More than 1 needs REFLEX_REDIS_URL"),
    ("PORTAL_TAB_STATE_MINUTES", "60", "How long the server keeps a tab's state after the tab's last event (memory or "
                                       "Redis); the bound on memory per tab"),
    ("PORTAL_WEBHOOKS_ALLOW_LOOPBACK", "0", "Tests only: 1 lets outbound webhooks reach a receiver on this machine "
                                            "(127.0.0.0/8, ::1); refused unless PORTAL_BASE_URL is a local http address"),
    ("PORTAL_CNAME_TARGET", "(the base URL's host)", "Custom domains: the host a workspace's domain must point "
                                                     "its CNAME record at (Settings › Domains shows it)"),
    ("PORTAL_DNS_SERVER", "", "Custom domains: the DNS server (ip or ip:port) their records are checked with; "
                              "empty: the system's resolvers"),
    ("PORTAL_LIBRARY_LOG_LEVEL", "WARNING", "Log level of third-party libraries (fontTools, pyhanko, pypdf, urllib3, "
                                           "boto3, stripe, SQLAlchemy): INFO or DEBUG to hear them again"),
]


class SettingsError(ValueError):
    """A configuration the app refuses to start with; the message says what to change."""


LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


def is_local_url(url: str) -> bool:
    """A plain-http address on this machine or a reserved test name: where demo mode may run."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return parts.scheme == "http" and (host in LOCAL_HOSTS or host.endswith((".localhost", ".test")))


def demo_problem(demo: bool, base_url: str) -> str:
    """Why demo mode may not run at this base URL ("" when it may). Demo mode seeds a
    workspace whose passwords are printed in the README: a real install must be chosen on
    purpose (PORTAL_DEMO=0), never reached by forgetting a default."""
    if not demo or is_local_url(base_url):
        return ""
    return (f"PORTAL_DEMO=1 (the default) seeds a demo workspace whose passwords are public, so it runs "
            f"only on a local http address (localhost, 127.0.0.1, [::1], *.localhost, *.test), and "
            f"PORTAL_BASE_URL is {base_url}. For a real install set PORTAL_DEMO=0; to try the demo, "
            f"use PORTAL_BASE_URL=http://localhost:<port>.")


def _env(name: str, default: str) -> str:
    value = os.environ.get(name)
    return default if value is None or value == "" else value


def library_log_level() -> str:
    """PORTAL_LIBRARY_LOG_LEVEL, read on its own (logging is set up before the other settings
    are checked): an unknown name falls back to WARNING."""
    level = _env("PORTAL_LIBRARY_LOG_LEVEL", "WARNING").upper()
    return level if level in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL") else "WARNING"


@dataclass(frozen=True)
class Settings:
    database_url: str
    base_url: str
    port: int
    demo: bool
    cors_origins: tuple[str, ...]
    session_idle_minutes: int
    session_max_hours: int
    invite_days: int
    login_max_failures: int
    login_window_minutes: int
    card_max_declines: int
    card_decline_window_minutes: int
    logo_max_bytes: int
    file_max_bytes: int
    document_max_bytes: int
    document_max_pages: int
    file_quota_bytes: int
    download_link_seconds: int
    storage: str
    storage_dir: str
    s3_bucket: str
    s3_endpoint_url: str
    s3_region: str
    s3_access_key_id: str
    s3_secret_access_key: str
    mail: str
    mail_from: str
    smtp_host: str
    smtp_port: int
    smtp_security: str
    smtp_username: str
    smtp_password: str
    smtp_ca_file: str
    secret_key: str
    secret_key_file: str
    stripe_api_base: str
    stripe_js_url: str
    worker_interval: float
    trusted_proxy_hops: int
    event_threads: int
    redis_url: str
    workers: int
    tab_state_minutes: int
    webhooks_allow_loopback: bool = False
    cname_target: str = ""
    dns_server: str = ""

    @property
    def dev_mode(self) -> bool:
        """The portal runs on a local http address (the demo, a developer's machine): webhook
        endpoints may then use plain http."""
        return is_local_url(self.base_url)

    @property
    def base_host(self) -> str:
        return (urlsplit(self.base_url).hostname or "localhost").lower()

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")


def load_settings() -> Settings:
    """Raises SettingsError for a configuration the app must not start with."""
    port = int(_env("PORTAL_PORT", "3000"))
    base_url = _env("PORTAL_BASE_URL", f"http://localhost:{port}").rstrip("/")
    demo = _env("PORTAL_DEMO", "1") not in ("0", "false", "no")
    problem = demo_problem(demo, base_url)
    if problem:
        raise SettingsError(problem)
    origins = _env("PORTAL_CORS_ORIGINS", "")
    if origins:
        cors = tuple(o.strip().rstrip("/") for o in origins.split(",") if o.strip())
    else:
        parts = urlsplit(base_url)
        cors = (f"{parts.scheme}://{parts.netloc}",)
        if parts.hostname == "localhost":
            cors += (f"{parts.scheme}://127.0.0.1" + (f":{parts.port}" if parts.port else ""),)
    redis_url = _env("REFLEX_REDIS_URL", "")
    workers = max(0, int(_env("PORTAL_WORKERS", "0")))
    if workers > 1 and not redis_url:
        raise SettingsError(f"PORTAL_WORKERS={workers} needs REFLEX_REDIS_URL: without Redis each server process "
                            "keeps its own tabs' state, and a tab's next request may reach another process. "
                            "Set REFLEX_REDIS_URL, or PORTAL_WORKERS=1.")
    allow_loopback = _env("PORTAL_WEBHOOKS_ALLOW_LOOPBACK", "0") in ("1", "true", "yes")
    if allow_loopback and not is_local_url(base_url):
        raise SettingsError(f"PORTAL_WEBHOOKS_ALLOW_LOOPBACK=1 lets webhooks reach services on this machine; it is "
                            f"for tests only and refused while PORTAL_BASE_URL ({base_url}) is not a local http "
                            "address. Remove it.")
    return Settings(
        database_url=_env("PORTAL_DATABASE_URL", "sqlite:///data/portal.db"),
        base_url=base_url,
        port=port,
        demo=demo,
        cors_origins=cors,
        session_idle_minutes=int(_env("PORTAL_SESSION_IDLE_MINUTES", "120")),
        session_max_hours=int(_env("PORTAL_SESSION_MAX_HOURS", "336")),
        invite_days=int(_env("PORTAL_INVITE_DAYS", "7")),
        login_max_failures=int(_env("PORTAL_LOGIN_MAX_FAILURES", "5")),
        login_window_minutes=int(_env("PORTAL_LOGIN_WINDOW_MINUTES", "15")),
        card_max_declines=max(1, int(_env("PORTAL_CARD_MAX_DECLINES", "5"))),
        card_decline_window_minutes=max(1, int(_env("PORTAL_CARD_DECLINE_WINDOW_MINUTES", "60"))),
        logo_max_bytes=int(_env("PORTAL_LOGO_MAX_BYTES", str(1024 * 1024))),
        file_max_bytes=int(_env("PORTAL_FILE_MAX_BYTES", str(500 * 1024 * 1024))),
        file_quota_bytes=int(_env("PORTAL_FILE_QUOTA_BYTES", str(10 * 1024 ** 3))),
        document_max_bytes=int(_env("PORTAL_DOCUMENT_MAX_BYTES", str(25 * 1024 * 1024))),
        document_max_pages=int(_env("PORTAL_DOCUMENT_MAX_PAGES", "500")),
        download_link_seconds=max(1, min(3600, int(_env("PORTAL_DOWNLOAD_LINK_SECONDS", "120")))),
        storage=_env("PORTAL_STORAGE", "local"),
        storage_dir=_env("PORTAL_STORAGE_DIR", "data/files"),
        s3_bucket=_env("PORTAL_S3_BUCKET", ""),
        s3_endpoint_url=_env("PORTAL_S3_ENDPOINT_URL", ""),
        s3_region=_env("PORTAL_S3_REGION", "us-east-1"),
        s3_access_key_id=_env("PORTAL_S3_ACCESS_KEY_ID", ""),
        s3_secret_access_key=_env("PORTAL_S3_SECRET_ACCESS_KEY", ""),
        mail=_env("PORTAL_MAIL", "outbox"),
        mail_from=_env("PORTAL_MAIL_FROM", "portal@localhost"),
        smtp_host=_env("PORTAL_SMTP_HOST", "localhost"),
        smtp_port=int(_env("PORTAL_SMTP_PORT", "587")),
        smtp_security=_env("PORTAL_SMTP_SECURITY", "starttls"),
        smtp_username=_env("PORTAL_SMTP_USERNAME", ""),
        smtp_password=_env("PORTAL_SMTP_PASSWORD", ""),
        smtp_ca_file=_env("PORTAL_SMTP_CA_FILE", ""),
        secret_key=_env("PORTAL_SECRET_KEY", ""),
        secret_key_file=_env("PORTAL_SECRET_KEY_FILE", "data/secret.key"),
        stripe_api_base=_env("PORTAL_STRIPE_API_BASE", "").rstrip("/"),
        stripe_js_url=_env("PORTAL_STRIPE_JS_URL", "https://js.stripe.com/v3/"),
        worker_interval=float(_env("PORTAL_WORKER_INTERVAL", "1.0")),
        trusted_proxy_hops=max(0, int(_env("PORTAL_TRUSTED_PROXY_HOPS", "0"))),
        event_threads=max(1, min(64, int(_env("PORTAL_EVENT_THREADS", "8")))),
        redis_url=redis_url,
        workers=workers,
        tab_state_minutes=max(1, int(_env("PORTAL_TAB_STATE_MINUTES", "60"))),
        webhooks_allow_loopback=allow_loopback,
        cname_target=_cname_target(base_url),
        dns_server=_env("PORTAL_DNS_SERVER", ""),
    )


def _cname_target(base_url: str) -> str:
    target = _env("PORTAL_CNAME_TARGET", "").strip().lower().rstrip(".")
    if not target:
        return (urlsplit(base_url).hostname or "localhost").lower()
    if "://" in target or "/" in target or ":" in target or " " in target:
        raise SettingsError(f"PORTAL_CNAME_TARGET is a host name (such as portal.example.net), not {target!r}.")
    return target


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()


def reset_settings_cache() -> None:
    """Tests change the environment and call this."""
    get_settings.cache_clear()

"""Which browser origins may talk to the app: the websocket upgrade (Reflex's socket.io server),
CORS, and the CSRF check of our form posts (api/forms.same_origin) ask `origin_allowed`.

Allowed: the configured origins (PORTAL_CORS_ORIGINS, by default the base URL's origin:
settings.cors_origins) and `https://<hostname>` of every hostname the portal serves
(workspaces.serving_hostnames: verified domains). On a local http install (PORTAL_BASE_URL a
local http address, settings.is_local_url) a served *local* name (localhost, loopback,
*.localhost, *.test) is also allowed over http and on any port: the tests and the demo run
there. Anything else -- an unverified or removed domain, an unknown host, `null`, a path or
credentials in the value -- gets nothing. Never `*`.

The served hostnames are read once per ORIGIN_TTL per process (one query, not one per
request; off the event loop after the first: ServedHosts), so a newly verified domain works,
and a removed one stops working, within seconds.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from portal_app.settings import LOCAL_HOSTS, get_settings, is_local_url

ORIGIN_TTL = 5.0  # seconds a process keeps its list of served hostnames
log = logging.getLogger("portal.origins")


def _load_from_db() -> frozenset[str]:
    from sqlmodel import Session

    from portal_app.db import get_engine
    from portal_app.services.portal.workspaces import serving_hostnames

    with Session(get_engine()) as db:
        return serving_hostnames(db)


def _in_a_thread(fn: Callable[[], None]) -> None:
    threading.Thread(target=fn, name="served-hosts", daemon=True).start()


class ServedHosts:
    """The hostnames the portal serves, read again when `ttl` seconds old.

    The checks run on the event loop (engine.io's origin callable, the CORS middleware), and
    reading every served hostname is one query but not a free one (about 30 ms for 5,000
    domains on SQLite): only a process's first question waits for it. After that a stale list
    answers while a thread reads the table again (`spawn`; tests run it at once, or later), so
    a domain verified or removed is seen one refresh later -- within seconds. `clock`:
    monotonic seconds."""

    def __init__(self, load: Callable[[], frozenset[str]] = _load_from_db, ttl: float = ORIGIN_TTL,
                 clock: Callable[[], float] = time.monotonic,
                 spawn: Callable[[Callable[[], None]], None] = _in_a_thread):
        self._load, self._ttl, self._clock, self._spawn = load, ttl, clock, spawn
        self._hosts: frozenset[str] = frozenset()
        self._until: float | None = None
        self._refreshing = False
        self._generation = 0  # forget() makes an older refresh's answer void
        self._lock = threading.Lock()
        self.loads = 0  # how many times the table was read (tests)

    def get(self) -> frozenset[str]:
        if self._until is not None:
            if self._clock() >= self._until:
                self._refresh_later()
            return self._hosts
        with self._lock:
            if self._until is None:  # the first question (or the first after forget): wait for it
                self._store(self._load(), self._generation)
            return self._hosts

    def _store(self, hosts: frozenset[str], generation: int) -> None:
        if generation == self._generation:
            self._hosts, self._until = hosts, self._clock() + self._ttl
            self.loads += 1

    def _refresh_later(self) -> None:
        with self._lock:
            if self._refreshing:
                return
            self._refreshing = True
            generation = self._generation

        def refresh() -> None:
            try:
                hosts = self._load()
            except Exception:  # the database is away: keep the list, try again a TTL later
                log.exception("could not read the served hostnames")
                hosts = self._hosts
            with self._lock:
                self._store(hosts, generation)
                self._refreshing = False

        self._spawn(refresh)

    def forget(self) -> None:
        """Read the table again at the next question, and wait for it (tests)."""
        with self._lock:
            self._until = None
            self._generation += 1


SERVED = ServedHosts()


def _is_local_name(host: str) -> bool:
    return host in LOCAL_HOSTS or host.endswith((".localhost", ".test"))


def parse_origin(origin: str | None) -> tuple[str, str, int | None] | None:
    """(scheme, hostname, port) of a well-formed http(s) origin, else None: an origin is
    scheme://host[:port] and nothing more (no path, query, user or trailing junk)."""
    if not origin or len(origin) > 300:
        return None
    try:
        parts = urlsplit(origin)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password \
            or parts.path or parts.query or parts.fragment or "," in origin or " " in origin:
        return None
    return parts.scheme, parts.hostname.lower(), port


def origin_allowed(origin: str | None, served: ServedHosts | None = None) -> bool:
    """Whether a browser page at `origin` may open our websocket, make CORS requests, and post
    our forms (the last with the same-host rule of api/forms.same_origin on top)."""
    parsed = parse_origin(origin)
    if parsed is None:
        return False
    settings = get_settings()
    if origin in settings.cors_origins:
        return True
    scheme, host, port = parsed
    local = is_local_url(settings.base_url) and _is_local_name(host)
    if scheme == "http" and not local:
        return False
    if scheme == "https" and port not in (None, 443) and not local:
        return False
    try:
        return host in (served or SERVED).get()
    except Exception:  # no database to ask: only the configured origins
        log.exception("could not read the served hostnames")
        return False


def socket_origin_allowed(origin: str | None, environ: dict | None = None) -> bool:
    """engineio's `cors_allowed_origins` callable (origin, environ): the websocket upgrade and
    the polling requests of Reflex's socket.io server (installed by api/origins.install)."""
    return origin_allowed(origin)

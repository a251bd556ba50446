"""Hosts, origins and per-host sessions (issue 17, part B).

- Which Host a request names (workspaces.request_host): one Host header, X-Forwarded-Host only
  behind PORTAL_TRUSTED_PROXY_HOPS proxies; the same rule for events (state/base.py) as for
  the api/ routes.
- Which origins are ours (services/portal/origins.py): the configured ones and the served
  domains', read once per few seconds per process.
- Sessions are per host: a session signed in on one hostname is worthless on another, of the
  same workspace or another; one from before (host NULL) keeps working; `end_sessions_on_host`
  ends those of a removed domain.
"""

from __future__ import annotations

import pytest
from sqlmodel import select

from portal_app.access import Anonymous, Client, Staff
from portal_app.db import unit_of_work
from portal_app.models import AuthSession, Domain, Workspace
from portal_app.services import sessions
from portal_app.services.accounts import auth
from portal_app.services.portal import origins, workspaces
from portal_app.settings import reset_settings_cache
from portal_app.state.base import CONTEXTS, event_context
from tests.support.states import run_handler
from tests.support.world import HOST_A, HOST_B

ALT_A = "portal.alpha-studio.test"  # a second (custom) domain of workspace A


# --- which Host a request names ----------------------------------------------------------------

@pytest.mark.parametrize("hosts, forwarded, hops, expected", [
    (["alpha.example.test"], [], 0, "alpha.example.test"),
    (["Alpha.Example.test:8443"], [], 0, "Alpha.Example.test:8443"),  # hostname_of lowercases, drops the port
    ([], [], 0, ""),
    (["alpha.example.test", "beta.example.test"], [], 0, ""),  # two Host lines (api/: Starlette's list)
    (["alpha.example.test, beta.example.test"], [], 0, ""),  # two Host lines as Reflex joins them
    (["alpha.example.test", "alpha.example.test"], [], 0, ""),  # even the same one twice
    # without trusted proxies X-Forwarded-Host is anyone's to send: ignored
    (["internal:8000"], ["alpha.example.test"], 0, "internal:8000"),
    (["alpha.example.test"], ["beta.example.test"], 0, "alpha.example.test"),
    # behind one trusted proxy: the entry it wrote (the right-most), never a client's before it
    (["internal:8000"], ["alpha.example.test"], 1, "alpha.example.test"),
    (["internal:8000"], ["evil.test, alpha.example.test"], 1, "alpha.example.test"),
    (["internal:8000"], ["evil.test", "alpha.example.test"], 1, "alpha.example.test"),
    (["internal:8000"], ["evil.test, alpha.example.test, proxy.internal"], 2, "alpha.example.test"),
    # a proxy that sets none passes the client's Host on
    (["alpha.example.test"], [], 1, "alpha.example.test"),
    (["alpha.example.test"], ["beta.example.test"], 2, "alpha.example.test"),
    (["a.test", "b.test"], [], 1, ""),
])
def test_request_host(hosts, forwarded, hops, expected):
    assert workspaces.request_host(hosts, forwarded, hops) == expected


def _set_env(monkeypatch, **env):
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    reset_settings_cache()


def test_duplicate_host_headers_reach_no_portal_in_an_event(world):
    state, _ = run_handler(_home_state(), "load", (), f"{HOST_A}, {HOST_B}", None, "/")
    assert state.no_portal and state.business_name == ""
    state, _ = run_handler(_home_state(), "load", (), HOST_A, None, "/")
    assert not state.no_portal and state.business_name == "Alpha Studio"


def _home_state():
    from portal_app.state.portal.home import HomeState

    return HomeState


def _run_with_headers(headers: dict[str, str]):
    """HomeState.load with exactly these upgrade headers (run_handler sets only Host)."""
    import asyncio

    from reflex.istate.data import RouterData
    from reflex.state import State
    from reflex_base.event import Event

    import portal_app.portal_app  # noqa: F401
    from portal_app.state.session_guard import SessionGuard

    cls = _home_state()
    root = State(_reflex_internal_init=True)
    root.router_data = {"headers": headers, "pathname": "/", "asPath": "/"}
    root.router = RouterData.from_router_data(root.router_data)
    asyncio.run(SessionGuard().preprocess(app=None, state=root, event=Event(name=f"{cls.get_full_name()}.load")))
    state = root.get_substate(cls.get_full_name().split(".")[1:])
    result = cls.event_handlers["load"].fn(state)
    if asyncio.iscoroutine(result):
        asyncio.run(result)
    return state


def test_x_forwarded_host_counts_for_events_only_behind_a_trusted_proxy(world, monkeypatch):
    headers = {"host": "internal:8000", "x-forwarded-host": HOST_B}
    assert _run_with_headers(headers).no_portal  # nobody vouches for it: ignored
    _set_env(monkeypatch, PORTAL_TRUSTED_PROXY_HOPS="1")
    CONTEXTS.clear()
    state = _run_with_headers(headers)
    assert not state.no_portal and state.business_name == "Beta Books"
    # and a forged one before the proxy's own is not read
    state = _run_with_headers({"host": "internal:8000", "x-forwarded-host": f"{HOST_B}, {HOST_A}"})
    assert state.business_name == "Alpha Studio"


# --- which origins are ours --------------------------------------------------------------------

class FakeTable:
    def __init__(self, hosts):
        self.hosts = frozenset(hosts)
        self.now = 100.0

    def load(self):
        return self.hosts

    def clock(self):
        return self.now


def test_served_hosts_are_read_once_per_ttl_and_a_change_is_seen_after_it():
    table = FakeTable({"alpha.example.test"})
    served = origins.ServedHosts(load=table.load, ttl=5.0, clock=table.clock, spawn=lambda refresh: refresh())
    for _ in range(100):
        assert origins.origin_allowed("https://alpha.example.test", served)
    assert served.loads == 1  # not one query per request
    table.hosts = frozenset({"alpha.example.test", "new.example.test"})
    table.now += 4.9
    assert not origins.origin_allowed("https://new.example.test", served)  # still the list of 4.9 s ago
    table.now += 0.2
    assert origins.origin_allowed("https://new.example.test", served)  # verified a moment ago: works
    table.hosts = frozenset({"new.example.test"})  # alpha removed
    table.now += 5.0
    assert not origins.origin_allowed("https://alpha.example.test", served)
    assert served.loads == 3


def test_after_the_first_read_a_stale_list_answers_while_a_thread_reads_the_table():
    """The checks run on the event loop: only the first question waits for the query."""
    table, pending = FakeTable({"alpha.example.test"}), []
    served = origins.ServedHosts(load=table.load, ttl=5.0, clock=table.clock, spawn=pending.append)
    assert origins.origin_allowed("https://alpha.example.test", served) and served.loads == 1
    table.hosts, table.now = frozenset({"new.example.test"}), table.now + 6
    for _ in range(3):  # stale: answered from the old list, one refresh asked for
        assert origins.origin_allowed("https://alpha.example.test", served)
        assert not origins.origin_allowed("https://new.example.test", served)
    assert len(pending) == 1 and served.loads == 1
    pending.pop()()  # the thread's read lands
    assert origins.origin_allowed("https://new.example.test", served)
    assert not origins.origin_allowed("https://alpha.example.test", served)
    # forget() voids a read begun before it, and the next question reads afresh
    table.now += 6
    assert origins.origin_allowed("https://new.example.test", served) and len(pending) == 1
    table.hosts = frozenset({"later.example.test"})
    served.forget()
    assert origins.origin_allowed("https://later.example.test", served)
    table.hosts = frozenset({"new.example.test"})
    pending.pop()()
    assert origins.origin_allowed("https://later.example.test", served)


def test_a_table_that_cannot_be_read_allows_only_the_configured_origins():
    def broken():
        raise RuntimeError("database away")

    served = origins.ServedHosts(load=broken)
    assert not origins.origin_allowed("https://alpha.example.test", served)
    assert origins.origin_allowed("https://portal.example.test", served)


@pytest.mark.parametrize("origin, ok", [
    ("https://portal.example.test", True),  # the base URL's origin (settings.cors_origins)
    ("https://alpha.example.test", True),  # a served domain
    ("https://alpha.example.test:443", True),
    ("https://unknown.example.test", False),
    ("http://alpha.example.test", False),  # an https deployment takes no plain http
    ("https://alpha.example.test:8443", False),
    ("https://alpha.example.test/", False),  # an origin has no path
    ("https://alpha.example.test/x", False),
    ("https://user@alpha.example.test", False),
    ("https://alpha.example.test.evil.example", False),
    ("https://evil.example/alpha.example.test", False),
    ("null", False), ("", False), (None, False), ("*", False),
    ("javascript://alpha.example.test", False),
    ("https://alpha.example.test, https://evil.example", False),
])
def test_origin_allowed_on_an_https_deployment(origin, ok):
    served = origins.ServedHosts(load=lambda: frozenset({"alpha.example.test"}))
    assert origins.origin_allowed(origin, served) is ok


def test_a_local_install_also_takes_plain_http_for_local_names_only(monkeypatch):
    _set_env(monkeypatch, PORTAL_BASE_URL="http://localhost:3000")
    served = origins.ServedHosts(load=lambda: frozenset({"localhost", "127.0.0.1", "alpha.example.test",
                                                         "portal.acme.com"}))
    assert origins.origin_allowed("http://localhost:3000", served)
    assert origins.origin_allowed("http://alpha.example.test:41234", served)
    assert origins.origin_allowed("https://alpha.example.test:8443", served)
    assert not origins.origin_allowed("http://portal.acme.com", served)  # not a local name
    assert origins.origin_allowed("https://portal.acme.com", served)
    assert not origins.origin_allowed("http://beta.example.test", served)  # not served


def test_the_served_hostnames_are_the_verified_domains(db, world):
    db.add(Domain(hostname="pending.example.test", workspace_id=world.ws_a.id, status="pending"))
    db.commit()
    names = workspaces.serving_hostnames(db)
    assert {HOST_A, HOST_B} <= names and "pending.example.test" not in names
    origins.SERVED.forget()
    assert origins.origin_allowed(f"https://{HOST_A}")
    assert not origins.origin_allowed("https://pending.example.test")


def test_the_socket_callable_takes_origin_and_environ(db, world):
    origins.SERVED.forget()
    assert origins.socket_origin_allowed(f"https://{HOST_B}", {"HTTP_HOST": HOST_B})
    assert not origins.socket_origin_allowed("https://evil.example", {})
    assert not origins.socket_origin_allowed(None, {})


def test_the_app_installs_the_origin_checks():
    import reflex.app as rx_app

    import portal_app.portal_app as module
    from portal_app.api.origins import DomainCORS

    assert module.app.sio.eio.cors_allowed_origins is origins.socket_origin_allowed
    assert rx_app.cors.CORSMiddleware is DomainCORS
    assert [m.cls for m in module.app._api.user_middleware if "CORS" in m.cls.__name__] == [DomainCORS]


# --- sessions are per host ---------------------------------------------------------------------

@pytest.fixture
def alt_domain(db, world):
    """Workspace A answers on a second, custom domain too."""
    db.add(Domain(hostname=ALT_A, workspace_id=world.ws_a.id, status="verified", assigned=True))
    db.commit()
    CONTEXTS.clear()
    return ALT_A


def _actor(host: str, token: str):
    with unit_of_work() as db:
        return sessions.context_for(db, host, token)[1]


def _event_actor(host: str, token: str):
    with unit_of_work() as db:
        return event_context(db, host, token).actor


def test_sign_in_records_the_hostname(db, world):
    token = auth.sign_in(db, world.ws_a.id, "client", "alice@client.example", world.password,
                         host="Alpha.Example.Test:8443")
    db.commit()
    sess = db.exec(select(AuthSession).where(AuthSession.client_account_id == world.account_a1.id)).one()
    assert sess.host == HOST_A
    assert token


def test_a_session_from_one_host_is_worthless_on_another(db, world, alt_domain):
    token = auth.sign_in(db, world.ws_a.id, "client", "alice@client.example", world.password, host=HOST_A)
    staff = auth.start_staff_session(db, world.owner_user, host=alt_domain)
    db.commit()
    for resolve in (_actor, _event_actor):
        assert isinstance(resolve(HOST_A, token), Client)
        assert isinstance(resolve(f"{HOST_A}:443", token), Client)  # the port is not the host
        assert isinstance(resolve(alt_domain, token), Anonymous)  # same workspace, other domain
        assert isinstance(resolve(HOST_B, token), Anonymous)  # another workspace's domain
        assert isinstance(resolve(alt_domain, staff), Staff)
        assert isinstance(resolve(HOST_A, staff), Anonymous)
        assert isinstance(resolve("", token), Anonymous)


def test_a_session_from_before_hosts_works_on_every_host_of_its_workspace(db, world, alt_domain):
    legacy = auth.start_client_session(db, world.account_a1)  # no host: NULL, as every older session
    db.commit()
    assert db.exec(select(AuthSession.host)).all() == [None]
    assert isinstance(_event_actor(HOST_A, legacy), Client)
    assert isinstance(_event_actor(alt_domain, legacy), Client)
    assert isinstance(_event_actor(HOST_B, legacy), Anonymous)  # never another workspace's


def test_a_session_on_one_host_is_refused_by_a_page_event_on_another(db, world, alt_domain):
    token = auth.sign_in(db, world.ws_a.id, "client", "alice@client.example", world.password, host=alt_domain)
    db.commit()
    state, _ = run_handler(_home_state(), "load", (), alt_domain, token, "/")
    assert state.viewer_kind == "client"
    state, _ = run_handler(_home_state(), "load", (), HOST_A, token, "/")
    assert state.viewer_kind == "anonymous"


def test_end_sessions_on_host_ends_that_hosts_sessions_only(db, world, alt_domain):
    on_alt = [auth.start_client_session(db, world.account_a1, host=alt_domain),
              auth.start_staff_session(db, world.owner_user, host=alt_domain.upper())]
    on_base = auth.start_client_session(db, world.account_a1, host=HOST_A)
    legacy = auth.start_client_session(db, world.account_a2)
    on_b = auth.start_client_session(db, world.account_b1, host=alt_domain)  # (never valid: other workspace)
    db.commit()
    assert isinstance(_event_actor(alt_domain, on_alt[0]), Client)  # cached now
    version = db.get(Workspace, world.ws_a.id).context_version

    assert auth.end_sessions_on_host(db, world.ws_a.id, f"{alt_domain}.") == 0  # not a hostname we hold
    assert auth.end_sessions_on_host(db, world.ws_a.id, alt_domain.upper()) == 2
    db.commit()
    db.expire_all()
    assert db.get(Workspace, world.ws_a.id).context_version > version  # open tabs re-resolve
    for token in on_alt:
        assert isinstance(_event_actor(alt_domain, token), Anonymous)
    assert isinstance(_event_actor(HOST_A, on_base), Client)
    assert isinstance(_event_actor(alt_domain, legacy), Client)
    ended_b = db.exec(select(AuthSession).where(AuthSession.workspace_id == world.ws_b.id)).one()
    assert ended_b.revoked_at is None and on_b
    assert auth.end_sessions_on_host(db, world.ws_a.id, alt_domain) == 0  # nothing left to end
    assert auth.end_sessions_on_host(db, world.ws_a.id, "") == 0

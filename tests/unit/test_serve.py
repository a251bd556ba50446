"""The production start (portal_app/serve.py) is configured as the README says: workers from the
cores or PORTAL_WORKERS, granian's static mount on the build's /assets folder and nowhere an app
path or a page lives, and a rebuild only when what the build is made from changed. Nothing is
started here; tests/integration/test_production_serve.py starts it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from portal_app import serve
from portal_app.settings import reset_settings_cache


@pytest.mark.parametrize(("setting", "redis", "cores", "expected"), [
    (0, "", 8, 1),                              # no Redis: the tabs' state lives in the one process
    (0, "redis://127.0.0.1:6379/0", 2, 2),      # one per core
    (0, "redis://127.0.0.1:6379/0", 16, 16),
    (3, "redis://127.0.0.1:6379/0", 2, 3),      # PORTAL_WORKERS wins
    (1, "redis://127.0.0.1:6379/0", 8, 1),
])
def test_worker_count(setting, redis, cores, expected):
    assert serve.worker_count(setting, redis, cores) == expected


@pytest.fixture
def settings_env(monkeypatch):
    for name in ("REFLEX_REDIS_URL", "PORTAL_WORKERS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PORTAL_PORT", "3456")
    monkeypatch.setenv("PORTAL_BASE_URL", "http://localhost:3456")
    reset_settings_cache()
    yield monkeypatch
    monkeypatch.undo()
    reset_settings_cache()


def test_the_plan_follows_the_settings(settings_env):
    settings_env.setattr(serve, "cores", lambda: 2)
    p = serve.plan("127.0.0.1")
    assert (p.port, p.workers, p.redis_url) == (3456, 1, "")
    assert p.static == ((("/assets", serve.web_dir() / "build" / "client" / "assets"),))

    settings_env.setenv("REFLEX_REDIS_URL", "redis://127.0.0.1:6379/0")
    reset_settings_cache()
    assert serve.plan("127.0.0.1").workers == 2
    settings_env.setenv("PORTAL_WORKERS", "3")
    reset_settings_cache()
    assert serve.plan("127.0.0.1").workers == 3


def test_no_static_route_shadows_an_app_path_or_a_page():
    from portal_app.portal_app import PAGES

    pages = [route for route, *_ in PAGES]
    routes = [route for route, _ in serve.STATIC_ROUTES]
    assert serve.shadowed_app_paths(routes, pages) == []
    for path in ("/_event", "/_upload", "/api", "/ping"):
        assert path in serve.APP_PATHS
    # the check itself: a static route at the root, or over /api or a page, is caught
    assert serve.shadowed_app_paths(["/"], pages) == sorted({*serve.APP_PATHS, *pages})
    assert serve.shadowed_app_paths(["/api/files"]) == ["/api"]
    assert serve.shadowed_app_paths(["/staff"], pages) == sorted(p for p in pages if p.startswith("/staff"))
    assert serve.shadowed_app_paths(["/_eventual"]) == []


def _tree(root: Path) -> Path:
    (root / "portal_app" / "pages").mkdir(parents=True)
    (root / "rxconfig.py").write_text("config = 1\n")
    (root / "portal_app" / "pages" / "home.py").write_text("TITLE = 'Home'\n")
    return root


def test_the_build_digest_follows_sources_port_and_build_settings_only(tmp_path, monkeypatch):
    for name in serve.BUILD_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("REFLEX_REDIS_URL", raising=False)
    root = _tree(tmp_path)
    first = serve.build_digest(root, 3000)
    assert serve.build_digest(root, 3000) == first
    assert serve.build_digest(root, 3001) != first  # the page's websocket URL names the port
    monkeypatch.setenv("REFLEX_REDIS_URL", "redis://127.0.0.1:6379/0")
    assert serve.build_digest(root, 3000) == first  # the backend's settings are not the build's
    monkeypatch.setenv("REFLEX_FRONTEND_PATH", "/portal")
    assert serve.build_digest(root, 3000) != first
    monkeypatch.delenv("REFLEX_FRONTEND_PATH")
    cache = root / "portal_app" / "__pycache__"
    cache.mkdir()
    (cache / "home.cpython-311.pyc").write_bytes(b"\0")
    (root / "data").mkdir()
    (root / "data" / "portal.db").write_bytes(b"rows")
    (root / "assets" / "external" / "portal_app").mkdir(parents=True)  # what Reflex's compile links there
    (root / "assets" / "external" / "portal_app" / "pad.jsx").write_text("export {}")
    assert serve.build_digest(root, 3000) == first  # compiled files, data and the compile's own links are not sources
    (root / "portal_app" / "pages" / "home.py").write_text("TITLE = 'Welcome'\n")
    assert serve.build_digest(root, 3000) != first
    (root / "portal_app" / "pages" / "home.py").write_text("TITLE = 'Home'\n")
    (root / "portal_app" / "pages" / "new.py").write_text("")
    assert serve.build_digest(root, 3000) != first


def test_a_build_is_current_only_with_its_stamp_and_assets(tmp_path, monkeypatch):
    root = _tree(tmp_path / "app")
    web = tmp_path / "web"
    monkeypatch.setattr(serve, "web_dir", lambda: web)
    assert not serve.build_is_current(root, 3000)
    (web / "build" / "client" / "assets").mkdir(parents=True)
    (web / "build" / serve.STAMP).write_text(json.dumps({"digest": serve.build_digest(root, 3000), "port": 3000}))
    assert serve.build_is_current(root, 3000)
    assert not serve.build_is_current(root, 3001)
    (root / "rxconfig.py").write_text("config = 2\n")
    assert not serve.build_is_current(root, 3000)


def test_with_redis_a_worker_keeps_its_tabs_state_under_reflexs_opportunistic_lock():
    from portal_app.serve import state_env

    held = {"REFLEX_OPLOCK_ENABLED": "true", "REFLEX_OPLOCK_HOLD_TIME": "20s",
            "REFLEX_REDIS_LOCK_EXPIRATION": "30000"}
    assert state_env("redis://127.0.0.1:6379/0", {}) == held
    assert state_env("redis://127.0.0.1:6379/0", {"REFLEX_OPLOCK_ENABLED": "false"}) == {}  # an explicit choice stands
    assert state_env("redis://127.0.0.1:6379/0", {"REFLEX_OPLOCK_ENABLED": "true"}) == {
        "REFLEX_OPLOCK_HOLD_TIME": "20s", "REFLEX_REDIS_LOCK_EXPIRATION": "30000"}
    # a hold time or a lock expiration of one's own: the other stays Reflex's (the hold must stay
    # below the expiration, and Reflex's default hold is half of it)
    assert state_env("redis://127.0.0.1:6379/0", {"REFLEX_OPLOCK_HOLD_TIME": "2s"}) == {"REFLEX_OPLOCK_ENABLED": "true"}
    assert state_env("redis://127.0.0.1:6379/0", {"REFLEX_REDIS_LOCK_EXPIRATION": "5000"}) == {
        "REFLEX_OPLOCK_ENABLED": "true"}
    assert state_env("", {}) == {}  # in-process state: nothing to lock


def test_the_lease_reflex_is_given_is_shorter_than_its_lock():
    """Reflex refuses to start when the hold time is not below the lock's expiration."""
    from datetime import timedelta

    from reflex_base.environment import interpret_timedelta_env

    from portal_app.serve import LOCK_EXPIRATION_MS, OPLOCK_HOLD

    hold = interpret_timedelta_env(OPLOCK_HOLD, "REFLEX_OPLOCK_HOLD_TIME")
    assert timedelta(0) < hold < timedelta(milliseconds=int(LOCK_EXPIRATION_MS))

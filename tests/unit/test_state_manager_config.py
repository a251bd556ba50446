"""Where a tab's state lives (rxconfig.py, README "Where a tab's state lives"): the memory of the
one server process by default, Redis when REFLEX_REDIS_URL is set, and REFLEX_STATE_MANAGER_MODE
still overrides; PORTAL_TAB_STATE_MINUTES is how long a tab's state is kept, for both."""

from __future__ import annotations

import pytest
from reflex.istate.manager import StateManager
from reflex.istate.manager.memory import StateManagerMemory
from reflex_base.config import reload_config
from reflex_base.constants import StateManagerMode

from portal_app.settings import SettingsError, load_settings


@pytest.fixture
def config_env(monkeypatch):
    for name in ("REFLEX_REDIS_URL", "REFLEX_STATE_MANAGER_MODE", "REFLEX_REDIS_TOKEN_EXPIRATION",
                 "PORTAL_TAB_STATE_MINUTES", "PORTAL_WORKERS"):
        monkeypatch.delenv(name, raising=False)
    yield monkeypatch
    monkeypatch.undo()
    reload_config()


def test_the_default_keeps_tabs_in_memory_for_an_hour_after_their_last_event(config_env):
    config = reload_config()
    assert config.state_manager_mode == StateManagerMode.MEMORY
    assert config.redis_token_expiration == 3600
    manager = StateManager.create()
    assert isinstance(manager, StateManagerMemory)
    assert manager.token_expiration == 3600


def test_redis_url_selects_redis_and_the_expiry_setting_applies(config_env):
    config_env.setenv("REFLEX_REDIS_URL", "redis://127.0.0.1:6379/0")
    config_env.setenv("PORTAL_TAB_STATE_MINUTES", "20")
    config = reload_config()
    assert config.state_manager_mode == StateManagerMode.REDIS
    assert config.redis_token_expiration == 20 * 60


def test_reflex_state_manager_mode_still_overrides(config_env):
    config_env.setenv("REFLEX_STATE_MANAGER_MODE", "disk")
    assert reload_config().state_manager_mode == StateManagerMode.DISK


def test_several_workers_without_redis_are_refused(config_env):
    config_env.setenv("PORTAL_WORKERS", "2")
    with pytest.raises(SettingsError, match="REFLEX_REDIS_URL"):
        load_settings()
    config_env.setenv("REFLEX_REDIS_URL", "redis://127.0.0.1:6379/0")
    assert load_settings().workers == 2

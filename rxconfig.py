"""Reflex configuration: everything configurable comes from portal_app.settings."""

import reflex as rx
from reflex.constants import StateManagerMode
from reflex.plugins import SitemapPlugin

from portal_app.bundles import VendorChunk
from portal_app.settings import SettingsError, load_settings

try:
    _settings = load_settings()  # read again on every reload_config() (tests change the environment)
except SettingsError as exc:  # e.g. PORTAL_DEMO=1 on a public or https base URL: do not start
    raise SystemExit(f"Client Portal will not start: {exc}") from None

config = rx.Config(
    app_name="portal_app",
    # CORS and websocket origins: the base URL (and configured origins), never "*".
    cors_allowed_origins=list(_settings.cors_origins),
    telemetry_enabled=False,
    # The client IP events see (recorded on signatures, used by throttling) comes from
    # X-Forwarded-For only through this many trusted proxies, as for the api/ routes.
    trusted_proxy_hops=_settings.trusted_proxy_hops,
    show_built_with_reflex=False,
    plugins=[rx.plugins.RadixThemesPlugin(
        theme=rx.theme(appearance="light", accent_color="blue", gray_color="slate", radius="medium")),
        # the browser's libraries in one chunk, not ~50 (portal_app/bundles.py)
        VendorChunk()],
    # The sitemap would list every staff page; pages are not for crawlers.
    disable_plugins=[SitemapPlugin],
    # Where a tab's state lives (README, "Where a tab's state lives"): Redis when REFLEX_REDIS_URL is
    # set (several workers share it), else the memory of the one server process. Not Reflex's default
    # disk manager: it keeps the same states in memory and also pickles them to .states/, scanning every
    # file there on each wake (bench/state_manager.py: event p95 ~85 ms at 5,000 files), and `reflex
    # run` empties .states/ at every start, so the files never carried a tab across a restart anyway.
    # REFLEX_STATE_MANAGER_MODE still overrides this.
    state_manager_mode=StateManagerMode.REDIS if _settings.redis_url else StateManagerMode.MEMORY,
    # How long a tab's state is kept after its last event (memory and Redis alike).
    redis_token_expiration=_settings.tab_state_minutes * 60,
)

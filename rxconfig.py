"""Reflex configuration: everything configurable comes from portal_app.settings."""

import reflex as rx
from reflex.plugins import SitemapPlugin

from portal_app.settings import SettingsError, get_settings

try:
    _settings = get_settings()
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
        theme=rx.theme(appearance="light", accent_color="blue", gray_color="slate", radius="medium"))],
    # The sitemap would list every staff page; pages are not for crawlers.
    disable_plugins=[SitemapPlugin],
)

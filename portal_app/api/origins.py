"""Origins follow domains (services/portal/origins.py decides): installed into Reflex's two
origin checks, its CORS middleware and its socket.io server.

- CORS: Reflex adds Starlette's CORSMiddleware itself, three times (its own API, our api/
  Starlette, the top app), each with `config.cors_allowed_origins` read once. `install_cors`
  (before rx.App is created) makes Reflex build `DomainCORS` instead: the same middleware
  whose origin test is `origin_allowed`, so a newly verified domain is allowed within seconds
  and a removed one no longer is, without a restart.
- The websocket: engine.io checks the Origin of every upgrade and polling request against its
  `cors_allowed_origins`; `install_socket` sets it to a callable (engineio >= 4 calls it with
  (origin, environ)) once rx.App has created its socket.io server.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from starlette.middleware.cors import CORSMiddleware

from portal_app.services.portal import origins


class DomainCORS(CORSMiddleware):
    """Starlette's CORS middleware (credentials, methods and headers as Reflex configures
    them) whose allowed origins are the configured ones plus the served domains."""

    def is_allowed_origin(self, origin: str) -> bool:
        return origins.origin_allowed(origin)


def install_cors() -> None:
    """Before rx.App(...): Reflex's App._add_cors builds `reflex.app.cors.CORSMiddleware`;
    that name (only reflex.app's, not Starlette's) now means DomainCORS."""
    import reflex.app as rx_app

    rx_app.cors = SimpleNamespace(CORSMiddleware=DomainCORS)  # type: ignore[assignment]


def install_socket(app: Any) -> None:
    """After rx.App(...) (its __post_init__ creates app.sio): the engine.io server under
    Reflex's socket.io server asks `socket_origin_allowed` for every Origin."""
    if app.sio is None:
        raise RuntimeError("The app has no socket.io server to guard (state disabled?)")
    app.sio.eio.cors_allowed_origins = origins.socket_origin_allowed

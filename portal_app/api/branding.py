"""GET /api/logo/{workspace}: a workspace's logo; GET /favicon.ico and /apple-touch-icon.png: the
icons of the workspace the Host reaches. Public, like the rest of its branding."""

from __future__ import annotations

import logging
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from portal_app.db import unit_of_work
from portal_app.services.portal import brand_images

log = logging.getLogger("portal.api")


async def logo(request: Request) -> Response:
    try:
        with unit_of_work() as db:
            data, content_type = brand_images.logo_bytes(db, request.path_params["workspace"])
    except Exception:  # a missing or unreadable logo is a plain 404
        return Response("Not found", status_code=404, media_type="text/plain")
    return Response(data, media_type=content_type, headers={
        "cache-control": "public, max-age=86400",
        "content-security-policy": "default-src 'none'; sandbox",
    })


_ASSETS = Path(__file__).resolve().parents[2] / "assets"
_DEFAULT_ICONS = {"ico": ("favicon.ico", "image/x-icon"), "touch": ("apple-touch-icon.png", "image/png")}


def _icon(kind: str):
    async def serve(request: Request) -> Response:
        """The favicon of the workspace the Host reaches (derived from its logo, or uploaded), else
        the neutral default from assets/: never a 404. Pages link it with ?v=<version>, so a
        changed icon is a new address; the plain address is kept an hour."""
        def load() -> tuple[bytes, str] | None:
            with unit_of_work() as db:
                return brand_images.icon_for_host(db, request.headers.get("host", ""), kind)

        try:
            found = await run_in_threadpool(load)
        except Exception:  # an unreadable stored icon: the default rather than a broken tab
            log.exception("favicon of %s unreadable", request.headers.get("host", ""))
            found = None
        if found is None:
            name, content_type = _DEFAULT_ICONS[kind]
            found = ((_ASSETS / name).read_bytes(), content_type)
        data, content_type = found
        return Response(data, media_type=content_type, headers={
            "cache-control": "public, max-age=3600",
            "vary": "host",
            "content-security-policy": "default-src 'none'; sandbox",
        })

    return serve


favicon = _icon("ico")
touch_icon = _icon("touch")

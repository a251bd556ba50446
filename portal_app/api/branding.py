"""GET /api/logo/{workspace}: a workspace's logo, public like the rest of its branding."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from portal_app.db import unit_of_work
from portal_app.services.portal import portal_settings


async def logo(request: Request) -> Response:
    try:
        with unit_of_work() as db:
            data, content_type = portal_settings.logo_bytes(db, request.path_params["workspace"])
    except Exception:  # a missing or unreadable logo is a plain 404
        return Response("Not found", status_code=404, media_type="text/plain")
    return Response(data, media_type=content_type, headers={
        "cache-control": "public, max-age=86400",
        "content-security-policy": "default-src 'none'; sandbox",
    })

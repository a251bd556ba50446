"""Calling an ASGI app directly, in the test's own event loop, for latency figures: no
TestClient (its portal thread and httpx transport cost 2-5 ms a request on a loaded 2-core
machine, which would drown a route that answers in well under one).

    status, headers, body = await asgi_get(app, "/api/domains/allowed", "domain=x.test", host="a.test")
"""

from __future__ import annotations

from typing import Any


async def asgi_get(app: Any, path: str, query: str = "", *, host: str = "localhost",
                   headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    raw = [(b"host", host.encode())] + [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
             "scheme": "https", "path": path, "raw_path": path.encode(), "query_string": query.encode(),
             "root_path": "", "headers": raw, "client": ("127.0.0.1", 50000), "server": (host, 443)}
    status, out_headers, body = 0, {}, bytearray()

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
            out_headers.update({k.decode().lower(): v.decode() for k, v in message.get("headers", [])})
        elif message["type"] == "http.response.body":
            body.extend(message.get("body", b""))

    await app(scope, receive, send)
    return status, out_headers, bytes(body)

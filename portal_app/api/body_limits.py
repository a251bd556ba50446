"""ASGI guard: every request body has a limit before anything reads it.

What Reflex 0.10.1 does with `POST /_upload` (reflex_components_core/core/_upload.py): it
looks up the handler named by the `reflex-event-handler` header; a *buffered* handler
(`files: list[rx.UploadFile]`) gets `await request.form()`, which spools the whole
multipart body to temporary files (Starlette's SpooledTemporaryFile, rolled to disk past
1 MB) before the handler runs — so the handler's own `read(limit + 1)` comes too late. A
*streaming* background handler (`rx.UploadChunkIterator`) is fed chunk by chunk and the
body is bounded by what the handler keeps (our Files pages write to a private temp file
and stop at PORTAL_FILE_MAX_BYTES), but nothing bounds how long a client may keep sending.

So the limit sits here, in front of the whole app (api/ routes, Reflex's own endpoints and
the frontend mount alike), and not in a handler:

- `/_upload`: the limit is the named handler's own (`upload_limits`, wired by
  portal_app.py, which knows the State classes); no header or an unknown handler name is
  refused with 400 before a byte is read.
- the api/ routes that take a file (`route_limits()`: POST /api/conversations/messages, a
  chat message with its attachment) their own limit, which the route enforces again itself.
- every other HTTP request: DEFAULT_MAX_BODY (the api/ routes keep their own, smaller caps:
  forms 16 KB, Stripe webhooks 512 KB).
- A declared `Content-Length` over the limit gets 413 at once; a malformed one 400.
- A body streamed without a length is counted as it arrives; past the limit the app is
  told the client went away (`http.disconnect`: Starlette's form parser then closes and
  removes its temporary files, Reflex's streaming parser cancels the handler) and the
  client gets 413 instead of whatever the app would have answered.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

UPLOAD_PATH = "/_upload"
DEFAULT_MAX_BODY = 1024 * 1024
MULTIPART_SLACK = 64 * 1024  # boundaries, part headers and the bound-args field of one upload

Limits = Mapping[str, int]


def route_limits() -> dict[str, int]:
    """POST paths outside `/_upload` that accept more than DEFAULT_MAX_BODY."""
    from portal_app.api.conversations import max_body

    return {"/api/conversations/messages": max_body()}


async def _plain(send, status: int, text: str) -> None:
    body = text.encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body, "more_body": False})


class BodyLimits:
    """`BodyLimits(app, upload_limits=callable returning {handler name: max body bytes})`.

    The callable is asked on every upload (settings are read at request time, so a changed
    environment in tests or a reload takes effect)."""

    def __init__(self, app, *, upload_limits: Callable[[], Limits] | None = None,
                 default_limit: int = DEFAULT_MAX_BODY):
        self.app = app
        self.upload_limits = upload_limits or (lambda: {})
        self.default_limit = default_limit

    def _limit(self, scope) -> tuple[int | None, str]:
        """(limit, "") or (None, reason for a 400)."""
        path = scope.get("path", "")
        if path.rstrip("/") != UPLOAD_PATH or scope.get("method") != "POST":
            if scope.get("method") == "POST":
                return max(self.default_limit, route_limits().get(path, 0)), ""
            return self.default_limit, ""
        handler = ""
        for key, value in scope.get("headers", []):
            if key.lower() == b"reflex-event-handler":
                handler = value.decode("latin-1")
        limit = self.upload_limits().get(handler) if handler else None
        if limit is None:
            return None, "This upload is not accepted here."
        return limit, ""

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, refusal = self._limit(scope)
        if limit is None:
            await _plain(send, 400, refusal)
            return
        declared = [v for k, v in scope.get("headers", []) if k.lower() == b"content-length"]
        if declared:
            try:
                length = int(declared[0])
                if length < 0 or len(set(declared)) > 1:
                    raise ValueError
            except ValueError:
                await _plain(send, 400, "The request's length could not be read.")
                return
            if length > limit:
                await _plain(send, 413, "The request is too large.")
                return

        seen = 0
        tripped = False
        started = False

        async def counted():
            nonlocal seen, tripped
            if tripped:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    tripped = True  # stop here: the app sees a client that went away
                    return {"type": "http.disconnect"}
            return message

        async def guarded(message):
            nonlocal started
            if tripped:
                if not started:
                    started = True
                    await _plain(send, 413, "The request is too large.")
                return  # whatever the app answers to a "disconnected" client is dropped
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except Exception:
            if not tripped:
                raise
            # e.g. a route that let ClientDisconnect escape: the refusal below is the answer
        if tripped and not started:
            started = True
            await _plain(send, 413, "The request is too large.")


def guard(upload_limits: Callable[[], Limits], default_limit: int = DEFAULT_MAX_BODY):
    """An api_transformer entry: `rx.App(api_transformer=[..., guard(limits), ...])`."""

    def wrap(app):
        return BodyLimits(app, upload_limits=upload_limits, default_limit=default_limit)

    return wrap

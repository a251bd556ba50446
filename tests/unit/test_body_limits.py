"""BodyLimits (portal_app/api/body_limits.py): every request body has a limit before anything
reads it. Driven through httpx's ASGITransport, which feeds a streamed request body to the
app chunk by chunk, around a Starlette app that parses the multipart form the way Reflex's
buffered upload path does (`await request.form()`, spooling files to temporary files)."""

from __future__ import annotations

import asyncio
import tempfile

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from portal_app.api.body_limits import DEFAULT_MAX_BODY, BodyLimits
from tests.support.tempdir import temp_state

MB = 1024 * 1024
HANDLER = "reflex___state____state.portal_app___state___x____x_state.upload"
BOUNDARY = "----limits"


class FormApp:
    """What Reflex's buffered upload does with the body; records how many bytes it read."""

    def __init__(self):
        self.calls = 0
        self.files: list[int] = []

        async def upload(request: Request):
            self.calls += 1
            form = await request.form()
            try:
                sizes = [len(await f.read()) for f in form.getlist("files")]
            finally:
                await form.close()
            self.files.append(sum(sizes))
            return JSONResponse({"sizes": sizes})

        self.app = Starlette(routes=[Route("/_upload", upload, methods=["POST"]),
                                     Route("/api/echo", upload, methods=["POST"])])


def _guarded(inner: FormApp, limit: int = 2 * MB) -> BodyLimits:
    return BodyLimits(inner.app, upload_limits=lambda: {HANDLER: limit})


def _multipart(size: int, chunk: int = 256 * 1024, pulled: list | None = None):
    head = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.pdf\"\r\n"
            "Content-Type: application/pdf\r\n\r\n").encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()

    async def body():
        yield head
        sent = 0
        while sent < size:
            n = min(chunk, size - sent)
            sent += n
            if pulled is not None:
                pulled.append(n)
            yield b"%" * n
        yield tail

    return body()


def _headers(handler: str | None = HANDLER, **extra) -> dict:
    headers = {"content-type": f"multipart/form-data; boundary={BOUNDARY}", "reflex-client-token": "t"}
    if handler is not None:
        headers["reflex-event-handler"] = handler
    return {**headers, **extra}


async def _post(app, path: str = "/_upload", **kwargs) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://portal.test") as c:
        return await c.post(path, **kwargs)


async def test_an_upload_within_its_handlers_limit_reaches_the_app_whole():
    inner = FormApp()
    resp = await _post(_guarded(inner), content=_multipart(MB), headers=_headers())
    assert resp.status_code == 200 and resp.json() == {"sizes": [MB]}


async def test_a_declared_length_over_the_limit_is_refused_before_the_app_runs():
    inner = FormApp()
    pulled: list = []
    resp = await _post(_guarded(inner), content=_multipart(120 * MB, pulled=pulled),
                       headers=_headers(**{"content-length": str(120 * MB)}))
    assert resp.status_code == 413 and "too large" in resp.text
    assert inner.calls == 0 and sum(pulled) == 0  # not a byte read


async def test_a_streamed_body_stops_at_the_named_handlers_limit():
    inner = FormApp()
    pulled: list = []
    resp = await _post(_guarded(inner, limit=2 * MB), content=_multipart(120 * MB, pulled=pulled),
                       headers=_headers())
    assert resp.status_code == 413
    assert inner.calls == 1 and inner.files == []  # the app saw a client that went away
    assert sum(pulled) <= 2 * MB + 256 * 1024  # read up to the limit, then no further


async def test_each_handler_has_its_own_limit():
    inner = FormApp()
    other = HANDLER.replace(".upload", ".other")
    app = BodyLimits(inner.app, upload_limits=lambda: {HANDLER: 2 * MB, other: 100 * 1024})
    assert (await _post(app, content=_multipart(MB), headers=_headers())).status_code == 200
    assert (await _post(app, content=_multipart(MB), headers=_headers(other))).status_code == 413


@pytest.mark.parametrize("handler", [None, "", "reflex___state____state.nobody.upload"])
async def test_no_or_an_unknown_handler_is_refused_before_reading(handler):
    inner = FormApp()
    pulled: list = []
    resp = await _post(_guarded(inner), content=_multipart(MB, pulled=pulled), headers=_headers(handler))
    assert resp.status_code == 400 and inner.calls == 0 and sum(pulled) == 0


@pytest.mark.parametrize("length", ["abc", "-1", "1e9"])
async def test_a_malformed_length_is_a_plain_400(length):
    inner = FormApp()
    resp = await _post(_guarded(inner), content=b"x", headers=_headers(**{"content-length": length}))
    assert resp.status_code == 400 and inner.calls == 0


async def test_other_request_bodies_have_the_default_limit():
    inner = FormApp()
    app = _guarded(inner)
    small = await _post(app, "/api/echo", content=_multipart(MB // 2), headers=_headers(None))
    assert small.status_code == 200
    big = await _post(app, "/api/echo", content=_multipart(DEFAULT_MAX_BODY + MB), headers=_headers(None))
    assert big.status_code == 413


async def test_parallel_oversize_uploads_leave_the_temp_disk_as_it_was(tmp_path, monkeypatch):
    # a temp folder of this test's own: other tests and processes write to the shared /tmp
    spool = tmp_path / "spool"
    spool.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spool))
    inner = FormApp()
    app = _guarded(inner, limit=4 * MB)  # past Starlette's 1 MB spool: parts go to disk
    before = temp_state()
    pulled: list[list] = [[] for _ in range(6)]
    results = await asyncio.gather(*[_post(app, content=_multipart(64 * MB, pulled=p), headers=_headers())
                                     for p in pulled])
    assert [r.status_code for r in results] == [413] * 6
    assert all(sum(p) <= 4 * MB + 256 * 1024 for p in pulled)
    assert temp_state() == before


async def test_websockets_and_lifespan_pass_untouched():
    seen: list = []

    async def app(scope, receive, send):
        seen.append(scope["type"])

    guard = BodyLimits(app, upload_limits=lambda: {})
    await guard({"type": "websocket", "path": "/_event", "headers": []}, None, None)
    await guard({"type": "lifespan"}, None, None)
    assert seen == ["websocket", "lifespan"]


def test_every_upload_handler_of_the_app_has_a_limit():
    """Every registered handler that takes rx.UploadFile or upload chunks is named in
    portal_app.upload_limits(), and nothing else is."""
    from reflex_base.event import resolve_upload_chunk_handler_param, resolve_upload_handler_param
    from reflex_base.registry import RegistrationContext

    import portal_app.portal_app as module

    takes_upload = set()
    for name, registered in RegistrationContext.get().event_handlers.items():
        for resolve in (resolve_upload_handler_param, resolve_upload_chunk_handler_param):
            try:
                resolve(registered.handler)
            except Exception:
                continue
            takes_upload.add(name)
    limits = module.upload_limits()
    assert takes_upload and set(limits) == takes_upload
    from portal_app.settings import get_settings

    s = get_settings()
    by_suffix = {k.rsplit(".", 2)[-2] + "." + k.rsplit(".", 1)[-1]: v for k, v in limits.items()}
    assert by_suffix["portal_app___state___staff___sealing____sealing_state.upload"] < 300 * 1024
    assert (by_suffix["portal_app___state___staff___configure_portal____portal_config_state.upload_logo"]
            < s.logo_max_bytes + 100 * 1024)
    assert (s.document_max_bytes < by_suffix["portal_app___state___staff___documents____new_document_state.upload"]
            < s.document_max_bytes + 100 * 1024)


async def test_the_chat_message_route_has_its_own_limit():
    """POST /api/conversations/messages carries one attachment (up to 10 MB): its body limit is
    the route's own (body_limits.route_limits), past the default; other paths keep the default."""
    from portal_app.api.conversations import max_body

    inner = FormApp()
    echo = inner.app.router.routes[1]
    inner.app.router.routes.append(Route("/api/conversations/messages", echo.endpoint, methods=["POST"]))
    app = _guarded(inner)
    fits = await _post(app, "/api/conversations/messages", content=_multipart(3 * MB), headers=_headers(None))
    assert fits.status_code == 200 and inner.files[-1] == 3 * MB
    over = await _post(app, "/api/conversations/messages", content=_multipart(max_body() + 1), headers=_headers(None))
    assert over.status_code == 413
    declared = await _post(app, "/api/conversations/messages", content=b"x",
                           headers=_headers(None, **{"content-length": str(max_body() + 1)}))
    assert declared.status_code == 413
    assert (await _post(app, "/api/echo", content=_multipart(3 * MB), headers=_headers(None))).status_code == 413

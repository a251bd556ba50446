"""The real ASGI app over a real socket (granian): body limits in front of Reflex's `/_upload`,
and unknown paths under /_… and /assets/ answered 404 by the frontend mount through the
security headers middleware (it used to hold the 404 page's start while the server was
told to send the file by path: a 500)."""

from __future__ import annotations

import asyncio
import socket
import threading

import httpx
import pytest

from tests.support.real_app import NOT_FOUND_PAGE, Served, build_real_app
from tests.support.tempdir import temp_state

MB = 1024 * 1024


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    with Served(build_real_app(tmp_path_factory.mktemp("real-app"))) as s:
        yield s


def _handler(state_cls, name: str) -> str:
    from reflex_base.utils.format import format_event_handler

    return format_event_handler(getattr(state_cls, name))


@pytest.mark.parametrize("path", ["/_upload", "/assets/nonexistent.js", "/_next/x", "/no/such/page"])
def test_unknown_paths_answer_404_with_the_security_headers(served, path):
    resp = httpx.get(served.url + path, headers={"accept-encoding": "gzip, br"})
    assert resp.status_code == 404
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in resp.headers["content-security-policy"]
    assert "404: Page not found" in resp.text
    if resp.headers["content-type"].startswith("text/html"):  # the page's scripts carry the nonce
        nonce = resp.headers["content-security-policy"].split("'nonce-")[1].split("'")[0]
        assert f'<script nonce="{nonce}">' in resp.text
        assert int(resp.headers["content-length"]) == len(resp.content) > len(NOT_FOUND_PAGE)


def _upload_raw(url: str, handler: str, total: int, *, declare: bool, chunk: int = MB) -> tuple[int, int]:
    """POST a multipart body of `total` file bytes to /_upload over a plain socket, as a
    hostile client would (no cookie); stop sending when the server answers or hangs up.
    Returns (status, body bytes the client managed to send)."""
    host, port = url.removeprefix("http://").split(":")
    boundary = "----hostile"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"big.pdf\"\r\n"
            "Content-Type: application/pdf\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    length = len(head) + total + len(tail)
    framing = f"Content-Length: {length}" if declare else "Transfer-Encoding: chunked"
    request = (f"POST /_upload HTTP/1.1\r\nHost: {host}:{port}\r\nreflex-client-token: stolen-tab-token\r\n"
               f"reflex-event-handler: {handler}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\n"
               f"{framing}\r\n\r\n").encode()

    def piece(data: bytes) -> bytes:
        return data if declare else b"%x\r\n%s\r\n" % (len(data), data)

    sent = 0
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(request)
        try:
            sock.sendall(piece(head))
            block = b"%" * chunk
            while sent < total:
                sock.setblocking(False)
                try:
                    if sock.recv(1, socket.MSG_PEEK):
                        break  # the server has answered: stop sending
                except BlockingIOError:
                    pass
                finally:
                    sock.setblocking(True)
                    sock.settimeout(30)
                sock.sendall(piece(block))
                sent += len(block)
            sock.sendall(piece(tail) + (b"" if declare else b"0\r\n\r\n"))
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = b""
        try:
            while b"\r\n" not in answer:
                data = sock.recv(4096)
                if not data:
                    break
                answer += data
        except (TimeoutError, ConnectionResetError):
            pass
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0
    return status, sent


def test_an_anonymous_declared_120_mb_upload_gets_413_before_a_byte_is_read(served):
    from portal_app.state.verify import VerifyState

    status, sent = _upload_raw(served.url, _handler(VerifyState, "check"), 120 * MB, declare=True)
    assert status == 413
    assert sent < 120 * MB


def test_parallel_streamed_oversize_uploads_stop_at_the_handlers_limit_and_leave_no_temp_files(served):
    """Four anonymous chunked uploads of 120 MB each to buffered handlers (the logo, the
    sealing key, a document for signature): none is read past its handler's limit, and the
    temp folder (where Reflex's form parser spools) is as it was."""
    from portal_app.portal_app import upload_limits
    from portal_app.state.staff.configure_portal import PortalConfigState
    from portal_app.state.staff.documents import NewDocumentState
    from portal_app.state.staff.sealing import SealingState

    handlers = [_handler(PortalConfigState, "upload_logo"), _handler(SealingState, "upload"),
                _handler(NewDocumentState, "upload"), _handler(PortalConfigState, "upload_logo")]
    limits = upload_limits()
    before = temp_state()
    results: list = [None] * len(handlers)

    def run(i: int) -> None:
        results[i] = _upload_raw(served.url, handlers[i], 120 * MB, declare=False)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(handlers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    for handler, (status, sent) in zip(handlers, results, strict=True):
        # 413 from BodyLimits, or 403 from the upload session guard inside it (no cookie:
        # refused before a byte is read); the cut-off itself is tested in test_body_limits.py
        assert status in (403, 413)
        # what the client pushed: the limit plus what the kernel's socket buffers took in
        assert sent <= limits[handler] + 16 * MB
    assert temp_state() == before


@pytest.mark.parametrize("handler", ["", "reflex___state____state.no_such_state.upload"])
def test_an_upload_naming_no_known_handler_is_refused_with_400(served, handler):
    resp = httpx.post(served.url + "/_upload", content=b"x" * 1000,
                      headers={"reflex-client-token": "t", "reflex-event-handler": handler,
                               "content-type": "multipart/form-data; boundary=x"})
    assert resp.status_code == 400


def test_a_refused_upload_reaches_a_client_that_sends_the_body_after_the_head(served):
    """UploadGuard decides from the head (no state of that tab here), but reads the bounded
    body before answering: a client that sends head then body (httpx's async client, a
    browser) gets the 403 and its message, never a connection reset."""
    from portal_app.state.verify import VerifyState

    async def post_all() -> list[int]:
        async with httpx.AsyncClient(timeout=30) as client:
            got = []
            for _ in range(12):
                r = await client.post(served.url + "/_upload", files=[("files", ("a.pdf", b"%PDF-" + b"x" * 200_000))],
                                      headers={"reflex-client-token": "tab-without-a-page",
                                               "reflex-event-handler": _handler(VerifyState, "check")})
                assert "does not belong to your session" in r.text
                got.append(r.status_code)
            return got

    assert asyncio.run(post_all()) == [403] * 12

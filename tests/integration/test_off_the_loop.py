"""Nothing slow on the event loop (issue 11, item 7c): while argon2 runs for a sign-in, or the
PDF guard / a PKCS#12 parse runs for an upload handler, other requests and events of the
same worker go on.

Ordering, not wall-clock bounds: the slow piece (a stand-in) waits, in whatever thread it
was called from, until the other request has been answered. Run on the event loop, it
would block the loop and the other request could not be answered until the stand-in gave
up (after a few seconds); it records which happened.
"""

from __future__ import annotations

import asyncio
import threading

import httpx
import pytest

from portal_app.api.routes import build_api
from portal_app.api.security_headers import SecurityHeaders
from tests.support.api import ORIGIN, PW

GIVE_UP = 8.0  # seconds: only so that a blocked loop fails the test instead of hanging it


class Gate:
    """A slow call that holds until `other_done` is set (or gives up) and records which."""

    def __init__(self):
        self.entered = threading.Event()
        self.other_done = threading.Event()
        self.overlapped: bool | None = None

    def hold(self) -> None:
        self.entered.set()
        self.overlapped = self.other_done.wait(GIVE_UP)

    async def while_held(self, other) -> None:
        """Once the slow call is running, do `other()` and let the slow call finish."""
        for _ in range(int(GIVE_UP / 0.005)):
            if self.entered.is_set():
                break
            await asyncio.sleep(0.005)
        else:
            raise AssertionError("the slow call was never reached")
        try:
            await other()
        finally:
            self.other_done.set()


class SlowHasher:
    def __init__(self, inner, gate: Gate):
        self._inner, self._gate = inner, gate

    def verify(self, *args, **kwargs):
        self._gate.hold()
        return self._inner.verify(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._inner, name)


async def test_a_sign_in_hashing_does_not_hold_up_health(portal, monkeypatch):
    from portal_app.services import security

    gate = Gate()
    monkeypatch.setattr(security, "_hasher", SlowHasher(security._hasher, gate))
    transport = httpx.ASGITransport(app=SecurityHeaders(build_api()))
    async with httpx.AsyncClient(transport=transport, base_url=ORIGIN) as c:
        health: list = []

        async def ask_health():
            health.append(await c.get("/api/health"))

        sign_in = c.post("/api/auth/staff/login", data={"email": "owner@portal.example", "password": PW},
                         headers={"origin": ORIGIN})
        signed, _ = await asyncio.gather(sign_in, gate.while_held(ask_health))
    assert health[0].status_code == 200
    assert gate.overlapped is True, "health waited for the password hash: argon2 ran on the event loop"
    assert signed.status_code == 303 and signed.headers["location"] == "/staff"


# --- state handlers ---------------------------------------------------------------------

HOST = "portal.test"


class FakeUpload:
    def __init__(self, data: bytes, name: str):
        self._data, self.name, self.filename = data, name, name

    async def read(self, n: int = -1) -> bytes:
        return self._data if n < 0 else self._data[:n]


def _state(state_cls, cookie: str, path: str):
    from reflex.istate.data import RouterData
    from reflex.state import State

    import portal_app.portal_app  # noqa: F401  (registers every state)

    root = State(_reflex_internal_init=True)
    headers = {"host": HOST, "origin": f"https://{HOST}", "cookie": f"portal_session={cookie}"}
    root.router = RouterData.from_router_data({"headers": headers, "pathname": path, "asPath": path})
    return root.get_substate(state_cls.get_full_name().split(".")[1:])


@pytest.fixture
def owner_cookie(portal, db) -> str:
    from portal_app.services.accounts.auth import start_staff_session

    cookie = start_staff_session(db, portal.owner)
    db.commit()
    return cookie


def _run_beside_a_tick(handler_coro, gate: Gate):
    async def tick():
        await asyncio.sleep(0)  # any other event of the worker: it only needs the loop

    async def main():
        return (await asyncio.gather(handler_coro, gate.while_held(tick)))[0]

    return asyncio.run(main())


@pytest.mark.parametrize("which", ["document", "pkcs12"])
def test_upload_handlers_wait_for_the_pdf_guard_and_pkcs12_off_the_loop(portal, db, owner_cookie, monkeypatch,
                                                                       which):
    from portal_app.adapters import pdf_guard
    from portal_app.adapters import sealing as seal_adapter
    from portal_app.state.staff.documents import NewDocumentState
    from portal_app.state.staff.sealing import SealingState

    gate = Gate()

    def refuse_slowly(*args, **kwargs):
        gate.hold()
        raise (pdf_guard.PdfRejected("too_complex") if which == "document"
               else seal_adapter.SealingIdentityError("That file is not a PKCS#12 we can read."))

    if which == "document":
        monkeypatch.setattr(pdf_guard, "inspect_pdf", refuse_slowly)
        from portal_app.services.accounts.contacts import create_contact
        from portal_app.services.portal.workspaces import owner_actor

        contact = create_contact(db, owner_actor(portal.owner),
                                 {"first_name": "Cleo", "last_name": "Client", "email": "cleo@client.example"})
        db.commit()
        state = _state(NewDocumentState, owner_cookie, "/staff/documents/new")
        state.kind, state.title, state.contact = "contract", "Agreement", {"public_id": contact.public_id}
        coro = NewDocumentState.event_handlers["upload"].fn(state, [FakeUpload(b"%PDF-1.7 ...", "a.pdf")])
    else:
        monkeypatch.setattr(seal_adapter, "load_pkcs12", refuse_slowly)
        state = _state(SealingState, owner_cookie, "/staff/settings/sealing")
        coro = SealingState.event_handlers["upload"].fn(state, [FakeUpload(b"\x30\x82" * 50, "key.p12")])
    _run_beside_a_tick(coro, gate)
    assert gate.overlapped is True, "the event loop was blocked while the upload was checked"
    assert state.error  # the refusal still reaches the page as a human message

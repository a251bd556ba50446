"""A shared computer, in Chromium against the production build (issue #11).

Staff work in a tab (contacts, a contact record with internal notes, Team, Payments, the
dev outbox), sign out, and a client signs in in the same tab: every websocket frame that
tab receives from then on is collected and searched for the staff's data. The tab gets a
fresh Reflex token at sign-out.

Then the raw attacks of the security review, with nothing but the staff tab's token: a
websocket without the session cookie that asks for `hydrate` after the tab went away, and a
`POST /_upload` that names the staff tab and an owner-only upload handler.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import urllib.error
import urllib.request

from playwright.sync_api import expect

from tests.support.frames import received_frames as _frames
from tests.support.journey import Journey, create_contact, emailed_link, staff_sign_in

CLIENT = ("Sasha", "Shared", "sasha@shared.example")
PASSWORD = "a-long-client-password"
NAMESPACE = "/_event"  # Reflex's Socket.IO namespace, served at the same path


def _write_note(staff, note: str) -> str:
    """On the open contact record, save an internal note; the record's URL."""
    staff.locator("#f-notes").fill(note)
    staff.get_by_role("button", name="Save contact").click()
    expect(staff.get_by_text("Contact saved.")).to_be_visible()
    return staff.url


def test_signed_out_tab_carries_nothing_to_the_next_person(server, browser, axe):
    j = Journey(server, browser, axe)
    ctx = j.context()
    tab = j.page(ctx)
    frames = _frames(tab)
    note = f"NOTE-{secrets.token_hex(6)} internal: do not show"

    staff_sign_in(j, tab)
    create_contact(j, tab, *CLIENT)
    record = _write_note(tab, note)
    tab.get_by_role("button", name="Send Portal Invite").click()
    expect(tab.get_by_role("status").filter(has_text="Portal invitation sent.")).to_be_visible()
    link = emailed_link(j, tab, CLIENT[2])
    j.go(tab, record.replace(server.url, ""))
    for path in ("/staff/contacts", "/staff/team", "/staff/settings/payments", "/staff/invoices"):
        j.go(tab, path)
    if server.env.get("PORTAL_MAIL") == "outbox":
        j.go(tab, "/staff/outbox")
    staff_seen = "\n".join(frames)
    assert note in staff_seen  # the staff's own frames did carry it: the search below can fail
    staff_email = "owner@demo.example" if server.env["PORTAL_DEMO"] == "1" else "hana@harbor.example"
    # (not the invitation link: the next person opens it themselves)
    secrets_of_staff = [note, staff_email]
    other_client = "client@demo.example" if server.env["PORTAL_DEMO"] == "1" else None
    if other_client:
        assert other_client in staff_seen
        secrets_of_staff.append(other_client)
    token_before = tab.evaluate("sessionStorage.getItem('token')")

    tab.get_by_role("button", name="Sign out").first.click()
    tab.wait_for_url(re.compile(r"/staff/login/?\?signed_out=1"))
    tab.wait_for_load_state("networkidle")
    token_after = tab.evaluate("sessionStorage.getItem('token')")
    assert token_after and token_after != token_before, "sign-out must give the tab a fresh Reflex token"
    start = len(frames)

    # The next person: a client accepts their invitation in the same tab.
    tab.goto(link)
    tab.get_by_label("Password", exact=True).fill(PASSWORD)
    tab.get_by_label("Confirm password").fill(PASSWORD)
    tab.get_by_role("button", name="Accept invitation").click()
    expect(tab.get_by_role("heading", name=f"Hello, {CLIENT[0]}")).to_be_visible()
    for path in ("/", "/profile", "/invoices", "/documents", "/files"):
        j.go(tab, path)
    after = "\n".join(frames[start:])
    assert CLIENT[2] in after  # the client's own data arrived: the frames are the real ones
    leaked = [s for s in secrets_of_staff if s in after]
    assert not leaked, f"the signed-out staff's data reached the next person: {leaked}"

    tab.get_by_role("button", name="Sign out").first.click()
    tab.wait_for_url(re.compile(r"/login/?\?signed_out=1"))
    ctx.close()
    assert not j.errors, "\n".join(j.errors)


def _hydrate_name() -> str:
    from reflex.state import State
    from reflex_base.utils.format import format_event_handler

    return format_event_handler(State.event_handlers["hydrate_and_load"])


async def _replay_hydrate(url: str, tab_token: str, path: str, cookie: str | None,
                          until: str | None = None) -> str:
    """A raw Socket.IO client: the tab's token (and optionally a cookie), a hydrate, and
    every message the server sends back: until `until` has arrived (up to 15 s) when the
    caller knows what must come, else within a second of the first answer (a window for what
    must *not* come: a late message there can only make the check weaker, never fail it)."""
    import socketio

    received: list[str] = []
    done, arrived = asyncio.Event(), asyncio.Event()
    client = socketio.AsyncClient(reconnection=False)

    async def on_event(data):
        received.append(data if isinstance(data, str) else json.dumps(data))
        arrived.set()
        done.set()  # the hydrate's snapshot; what follows (on_load's updates) within a second

    client.on("event", on_event, namespace=NAMESPACE)

    headers = {"Origin": url}
    if cookie:
        headers["Cookie"] = cookie
    hydrate = {"name": _hydrate_name(), "payload": {},
               "router_data": {"pathname": path, "query": {}, "asPath": path}}
    await client.connect(f"{url}?token={tab_token}", socketio_path="/_event", transports=["websocket"],
                         headers=headers, auth={"event": hydrate}, namespaces=[NAMESPACE],
                         wait_timeout=15)
    try:
        await asyncio.wait_for(done.wait(), timeout=15)
        if until is None:
            await asyncio.sleep(1)
        else:  # wait for it, not a fixed second: a loaded server may take longer
            while until not in "".join(received):
                arrived.clear()
                await asyncio.wait_for(arrived.wait(), timeout=15)
    except TimeoutError:
        pass
    await client.disconnect()
    return "\n".join(received)


def _in_thread(coro):
    """Playwright's sync API keeps an event loop running on this thread: run there."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _upload_without_cookie(url: str, tab_token: str, handler: str, cookie: str = "") -> tuple[int, str]:
    boundary = "----portal" + secrets.token_hex(8)
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"seal.p12\"\r\n"
            f"Content-Type: application/x-pkcs12\r\n\r\nnot-a-real-pkcs12\r\n--{boundary}--\r\n").encode()
    req = urllib.request.Request(url + "/_upload", data=body, method="POST", headers={
        "Content-Type": f"multipart/form-data; boundary={boundary}", "reflex-client-token": tab_token,
        "reflex-event-handler": handler, "Origin": url, **({"Cookie": cookie} if cookie else {})})
    try:
        with urllib.request.urlopen(req, timeout=20) as resp:
            return resp.status, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


def test_a_tab_token_without_its_cookie_gets_nothing(server, browser, axe):
    from reflex_base.utils.format import format_event_handler

    from portal_app.state.staff.sealing import SealingState

    j = Journey(server, browser, axe)
    ctx = j.context()
    tab = j.page(ctx)
    note = f"REPLAY-{secrets.token_hex(6)} internal"
    staff_sign_in(j, tab)
    create_contact(j, tab, "Rory", "Replay", "rory@replay.example")
    record = _write_note(tab, note)
    j.go(tab, "/staff/settings/sealing")
    expect(tab.get_by_role("heading", name="Document sealing")).to_be_visible()
    tab_token = tab.evaluate("sessionStorage.getItem('token')")
    cookie = next(c for c in ctx.cookies() if c["name"] == "portal_session")
    path = record.replace(server.url, "")

    # The owner-only PKCS#12 upload, named with the staff tab's token but without the cookie.
    handler = format_event_handler(SealingState.event_handlers["upload"])
    status, body = _upload_without_cookie(server.url, tab_token, handler)
    assert status == 403 and "does not belong to your session" in body, (status, body)
    status, body = _upload_without_cookie(server.url, tab_token, handler, cookie="portal_session=forged")
    assert status == 403, (status, body)

    tab.close()  # the tab goes away; its state stays on the server under its token
    got = _in_thread(_replay_hydrate(server.url, tab_token, path, None))
    assert got, "the server answered nothing: the replay did not reach it"
    assert note not in got and "rory@replay.example" not in got
    # The cookie is the credential: with it, the same replay is the staff member's own page.
    own = _in_thread(_replay_hydrate(server.url, tab_token, path, f"portal_session={cookie['value']}",
                                     until="rory@replay.example"))
    assert "rory@replay.example" in own
    ctx.close()
    assert not j.errors, "\n".join(j.errors)

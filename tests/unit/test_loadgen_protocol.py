"""bench/loadgen's protocol layer against real frames: tests/data/reflex_frames.json holds what headless
Chromium and the portal's production build said to each other (a client's journey with a heartbeat,
a staff member's, an anonymous visit redirected to /login) and one CONNECT from the generator with a
state schema the backend does not have. Recorded by `python -m bench.loadgen --record …`.

The browser's frames are the reference: the generator must send byte for byte what Chromium sent for
the same page, and read every answer the way the page did (which update ends a page load, what is
an error)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from bench.loadgen import protocol as p
from bench.loadgen.journeys import BASE_STATE, JOURNEYS

FRAMES = Path(__file__).resolve().parents[1] / "data" / "reflex_frames.json"


def _doc() -> dict:
    return json.loads(FRAMES.read_text())


def _capture(prefix: str) -> dict:
    return next(c for c in _doc()["captures"] if c["name"].startswith(prefix))


def _socket(prefix: str, page_path: str) -> list[dict]:
    """The frames of the websocket a capture's page at `page_path` opened."""
    return next(s for s in _capture(prefix)["sockets"] if urlsplit(s["page"]).path == page_path)["frames"]


def _all_frames():
    for c in _doc()["captures"]:
        for s in c["sockets"]:
            yield from s["frames"]


def _visits(frames: list[dict]) -> list[tuple[list[dict], list[p.Update]]]:
    """Page visits as the generator times them: from an event the tab sends (the CONNECT's hydrate, or an
    "event" packet) when no visit is under way, through the events sent before the page loaded (a
    click's on_load_internal), and every update received until the next visit."""
    visits: list[tuple[list[dict], list[p.Update]]] = []
    under_way = False
    for f in frames:
        packet = p.decode(f["frame"])
        if f["dir"] == "out":
            event = packet.data["event"] if packet.sio == p.SIO_CONNECT else (
                packet.data[1] if packet.event_name == p.UPDATE_EVENT else None)
            if event is not None:
                if not under_way:
                    visits.append(([], []))
                    under_way = True
                visits[-1][0].append(event)
        elif (update := p.update_of(packet)) is not None:
            visits[-1][1].append(update)
            if p.page_loaded(update):
                under_way = False
    return visits


# ------------------------------------------------------------------------------------- framing


def test_every_recorded_frame_decodes_to_what_reflex_sends():
    kinds = set()
    for f in _all_frames():
        packet = p.decode(f["frame"])
        kinds.add((f["dir"], packet.eio, packet.sio))
        if packet.eio == p.EIO_OPEN:
            assert packet.data["sid"] and packet.data["pingInterval"] == 25000 and packet.data["upgrades"] == []
        if packet.eio == p.EIO_MESSAGE:
            assert packet.namespace == p.NAMESPACE
            assert packet.ack_id is None  # the browser emits without acks; the server's updates carry none
        if f["dir"] == "in" and packet.sio == p.SIO_CONNECT:
            assert packet.data["sid"]
    assert kinds == {("in", p.EIO_OPEN, None), ("in", p.EIO_MESSAGE, p.SIO_CONNECT), ("in", p.EIO_MESSAGE, p.SIO_EVENT),
                     ("in", p.EIO_PING, None), ("out", p.EIO_PONG, None), ("out", p.EIO_MESSAGE, p.SIO_CONNECT),
                     ("out", p.EIO_MESSAGE, p.SIO_EVENT), ("out", p.EIO_MESSAGE, p.SIO_DISCONNECT)}


@pytest.mark.parametrize("frame", [
    "", "x", "7", "4", "4x", "49/_event,[]",            # not Engine.IO / Socket.IO
    '42/_event,["event",{"delta":', "0{sid",          # truncated JSON
])
def test_what_is_not_the_protocol_is_refused(frame):
    with pytest.raises(p.ProtocolError):
        p.decode(frame)


@pytest.mark.parametrize("frame", [b"\x04hello", '451-/_event,["event",{"_placeholder":true,"num":0}]'])
def test_binary_frames_and_attachments_are_refused(frame):
    """Reflex sends neither: a binary packet means the server is not the one we think."""
    with pytest.raises(p.ProtocolError, match="binary"):
        p.decode(frame)


def test_namespace_ack_id_and_payload_are_told_apart():
    packet = p.decode('43/_event,12["ok",{"a":1}]')
    assert (packet.eio, packet.sio, packet.namespace, packet.ack_id, packet.data) == (
        p.EIO_MESSAGE, p.SIO_ACK, "/_event", 12, ["ok", {"a": 1}])
    packet = p.decode('42["event",{"delta":{}}]')
    assert (packet.namespace, packet.ack_id, packet.event_name) == ("/", None, "event")
    assert p.decode("41/_event,").sio == p.SIO_DISCONNECT
    assert p.decode('44/_event,{"message":"no"}').data == {"message": "no"}


# --------------------------------------------------------------- what the generator sends


def test_a_tabs_first_page_is_the_connect_chromium_sent():
    doc = _doc()
    connects = [f["frame"] for f in _all_frames() if f["dir"] == "out" and f["frame"].startswith("40")]
    browser = [f for c in doc["captures"] if c["source"].startswith("Chromium")
               for s in c["sockets"] for f in s["frames"] if f["dir"] == "out" and f["frame"].startswith("40")]
    assert len(browser) >= 5 and len(connects) == len(browser) + 1
    for f in browser:
        sent = p.decode(f["frame"]).data
        event = sent["event"]
        assert event["name"] == p.HYDRATE_AND_LOAD
        assert event["payload"]["hashes"] == doc["compiled"]["hashes"]  # read from the build's context.jsx
        assert sent["state_schema"] == doc["compiled"]["state_schema"]
        ours = p.encode_connect(p.boot_auth(
            p.hydrate_event(event["router_data"]["pathname"], hashes=doc["compiled"]["hashes"]),
            doc["compiled"]["state_schema"]))
        assert ours == f["frame"]


def test_a_navigation_is_the_event_chromium_sent():
    seen = 0
    for f in _all_frames():
        if f["dir"] != "out" or p.ON_LOAD_INTERNAL not in f["frame"]:
            continue
        rd = p.decode(f["frame"]).data[1]["router_data"]
        path, _, search = rd["asPath"].partition("?")
        from_search = dict(parse_qsl(search))
        params = {k: v for k, v in rd.get("query", {}).items() if k not in from_search}
        assert p.encode_event(p.UPDATE_EVENT, p.navigation_event(path, params or None, search)) == f["frame"]
        seen += 1
    assert seen == 8  # client: 4 clicks; staff: the redirect to the contacts and 2 clicks; anonymous: the redirect
    # the route parameter of a dynamic page travels in the query, as React Router's params
    invoice = next(f["frame"] for f in _all_frames() if '"/invoices/in_' in f["frame"] and f["dir"] == "out")
    rd = p.decode(invoice).data[1]["router_data"]
    assert rd["query"] == {"invoice_id": rd["pathname"].rsplit("/", 1)[1]}


def test_a_click_on_any_link_sends_only_the_routes_on_load():
    """The shell's navigation links (whose phone menu state is the browser's) and the links inside a page
    send the same: on_load_internal, nothing before it -- what the generator sends for each journey page."""
    for prefix, path in (("client", "/"), ("staff", "/staff/")):
        sent = [p.decode(f["frame"]).data[1]["name"].rsplit(".", 1)[1] for f in _socket(prefix, path)
                if f["dir"] == "out" and p.decode(f["frame"]).event_name == p.UPDATE_EVENT]
        assert sent == [p.ON_LOAD_INTERNAL.rsplit(".", 1)[1]] * len(sent), (prefix, sent)
        assert len(sent) >= len(JOURNEYS[prefix]) - 1, (prefix, sent)


def test_the_heartbeat_is_answered_as_chromium_answers_it():
    frames = _socket("client", "/")
    i = next(i for i, f in enumerate(frames) if f["dir"] == "in" and p.decode(f["frame"]).eio == p.EIO_PING)
    assert frames[i + 1] == {**frames[i + 1], "dir": "out", "frame": p.PONG_FRAME}


# ---------------------------------------------------------------- what the generator reads


def test_each_client_page_ends_with_one_final_update_carrying_its_state():
    visits = _visits(_socket("client", "/"))
    pages = [page.state for page in JOURNEYS["client"]]
    assert [[e["name"].rsplit(".", 1)[1] for e in sent] for sent, _ in visits] == [
        ["hydrate_and_load"], ["on_load_internal"], ["on_load_internal"], ["on_load_internal"], ["on_load_internal"]]
    for (_sent, updates), state in zip(visits, pages, strict=True):
        assert [p.page_loaded(u) for u in updates].count(True) == 1, state
        assert p.page_loaded(updates[-1]), state  # nothing of the page comes after it
        assert any(p.find_state(u, state) is not None for u in updates), state
        assert [x for u in updates for x in p.problems(u)] == []
    # the first page's snapshot was diffed against the compiled defaults (the hashes did their work)
    assert len(json.dumps(visits[0][1][0].delta)) < 4000


def test_the_rows_hold_the_links_the_browser_followed():
    for prefix, path, list_state, key in (("client", "/", "ClientInvoicesState", "id"),
                                          ("staff", "/staff/", "ContactsState", "public_id")):
        visits = _visits(_socket(prefix, path))
        rows = [r for _, updates in visits for u in updates
                if (v := p.find_state(u, list_state)) for r in v.get("rows" + p.VAR_SUFFIX, [])]
        followed = [e["router_data"]["pathname"].rsplit("/", 1)[1] for sent, _ in visits for e in sent
                    if e["name"] == p.ON_LOAD_INTERNAL and e["router_data"].get("query")]
        assert followed and followed[0] in [r[key] for r in rows]
    assert {page.rows_key for page in JOURNEYS["client"] + JOURNEYS["staff"] if page.param} == {"id", "public_id"}


def test_a_redirect_to_the_sign_in_page_is_an_error():
    visits = _visits(_socket("anonymous", "/"))
    _sent, updates = visits[0]
    assert [x for u in updates for x in p.problems(u)] == ["redirect to /login?next=/"]
    assert [p.redirect_of(u) for u in updates if p.redirect_of(u)] == ["/login?next=/"]
    assert p.page_loaded(updates[-1])  # the chain still ends: set_is_hydrated runs after the redirect
    # the staff home's redirect (to the contacts) is read the same way
    staff = _visits(_socket("staff", "/staff/"))
    assert [p.redirect_of(u) for u in staff[0][1] if p.redirect_of(u)] == ["/staff/contacts"]


def test_a_state_mismatch_is_not_an_update():
    frames = _capture("generator")["sockets"][0]["frames"]
    packets = [p.decode(f["frame"]) for f in frames if f["dir"] == "in"]
    mismatch = [x for x in packets if x.event_name == p.STATE_MISMATCH]
    assert len(mismatch) == 1 and mismatch[0].data[1]["backend"] == _doc()["compiled"]["state_schema"]
    assert p.update_of(mismatch[0]) is None
    assert sum(p.page_loaded(u) for x in packets if (u := p.update_of(x))) == 1


def _final_and_branding():
    visits = _visits(_socket("client", "/"))
    base = next(n for u in visits[0][1] if (n := p.find_state_name(u, BASE_STATE)))  # the hydrate carried the branding
    _sent, updates = visits[1]
    # the load handler's update (the invoices list), with the shell's state beside it, as when the same
    # event changes both (a notice)
    page = copy.deepcopy(next(u for u in updates if p.find_state(u, "ClientInvoicesState") is not None))
    page.delta.setdefault(base, {})
    return updates[-1], page


def test_a_page_is_loaded_only_when_is_hydrated_turns_true():
    final, _ = _final_and_branding()
    assert p.page_loaded(final)
    changed = copy.deepcopy(final)
    changed.delta[p.ROOT_STATE][p.IS_HYDRATED] = False
    assert not p.page_loaded(changed)
    changed.delta[p.ROOT_STATE] = {"is_hydrated": True}  # a var without Reflex's suffix is another var
    assert not p.page_loaded(changed)
    assert not p.page_loaded(p.Update())


@pytest.mark.parametrize("change, found", [
    (lambda base, page: base.update({"notice_rx_state_": "Something went wrong", "notice_tone_rx_state_": "red"}),
     "base_state: notice 'Something went wrong'"),
    (lambda base, page: page.update({"refusal_rx_state_": "This invoice is not yours."}),
     "client_invoices_state: refusal 'This invoice is not yours.'"),
    (lambda base, page: page.update({"error_rx_state_": "No such contact."}),
     "client_invoices_state: error 'No such contact.'"),
    (lambda base, page: page.update({"found_rx_state_": False}), "client_invoices_state: not found"),
])
def test_the_apps_error_signals_are_errors(change, found):
    _final, branding = _final_and_branding()
    update = copy.deepcopy(branding)
    assert p.problems(update) == []
    change(p.find_state(update, BASE_STATE), p.find_state(update, "ClientInvoicesState"))
    assert p.problems(update) == [found]


def test_a_green_notice_and_an_empty_refusal_are_fine():
    _final, branding = _final_and_branding()
    update = copy.deepcopy(branding)
    p.find_state(update, BASE_STATE).update({"notice_rx_state_": "Saved.", "notice_tone_rx_state_": "green"})
    p.find_state(update, "ClientInvoicesState").update({"refusal_rx_state_": "", "found_rx_state_": True})
    assert p.problems(update) == []


def test_a_toast_from_the_backend_exception_handler_is_an_error():
    update = p.Update(events=[{"name": "_call_function", "payload": {"function": "…toast…"}}])
    assert p.problems(update) == ["backend exception (toast)"]


def test_the_compiled_facts_are_read_from_context_jsx():
    doc = _doc()
    text = ("export const initialStateHashes = " + json.dumps(doc["compiled"]["hashes"]) + "\n"
            f'export const stateSchema = "{doc["compiled"]["state_schema"]}"\n'
            f'export const state_name = "{p.ROOT_STATE}"\n')
    assert p.compiled_facts(text) == doc["compiled"]
    with pytest.raises(p.ProtocolError):
        p.compiled_facts(text.replace(p.ROOT_STATE, "other"))


# ----------------------------------------------------------------- the journeys and the app


def test_the_journeys_pages_are_the_apps_routes_and_on_load_states():
    """The generator finds a page's state by its class name (State.get_name ends in the snake-cased
    class): each journey page must be a route of the app whose on_load is a handler of that class, a
    substate of BaseState (where the generator reads the page-level notice)."""
    import portal_app.portal_app as module

    on_load = {route: handler for route, _component, handler, _title in module.PAGES}
    for page in JOURNEYS["client"] + JOURNEYS["staff"]:
        state = on_load[page.route].state
        assert state.__name__ == page.state, page.route
        assert state.get_full_name().endswith("____" + p.snake(page.state))
        assert any(c.__name__ == BASE_STATE for c in state.__mro__)


# ---------------------------------------------------------------------------------- the target


@pytest.mark.parametrize("url, expected", [
    ("http://localhost:3000", ("http://localhost:3000", "127.0.0.1", 3000)),
    ("http://127.0.0.1:3000/", ("http://127.0.0.1:3000", "127.0.0.1", 3000)),
    ("http://[::1]:8080", ("http://[::1]:8080", "::1", 8080)),
])
def test_loopback_targets_are_taken(url, expected):
    from bench.loadgen.cli import loopback_target

    assert loopback_target(url) == expected


@pytest.mark.parametrize("url", ["http://example.com:3000", "http://10.0.0.5:3000", "http://127.0.0.2:3000",
                                 "https://localhost:3000", "http://localhost.example.com", "ws://localhost:3000",
                                 "http://0.0.0.0:3000"])
def test_anything_but_loopback_is_refused(url):
    from bench.loadgen.cli import loopback_target
    from bench.page_load import BenchError

    with pytest.raises(BenchError, match="refusing"):
        loopback_target(url)

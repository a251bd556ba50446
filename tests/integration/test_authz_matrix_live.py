"""The authorization matrix, live (issue #11: "run the real background handlers", "run upload
handlers through the real `/_upload` route").

tests/unit/test_authz_matrix.py calls handler functions on a State tree it builds by hand;
for background handlers it runs stand-ins, and it never goes through `/_upload`. Here the
real ASGI app (`portal_app.portal_app.app()`, every api_transformer, lifespan and Reflex's
event processor) is served by granian on a real socket, and each actor of the unit matrix's
world is a browser tab (live_tabs.Tab): a Socket.IO connection carrying the actor's Host and
session cookie, hydrating the handler's page (its on_load runs), sending the page's own
events, then either

- posting the real multipart body to `/_upload` under the tab's token (UPLOADS), or
- sending the background event over the socket (BACKGROUND).

Each row of the tables below is a handler, its page and the expected outcome per actor (the
`_outcome` the handler left on the server: ok / signin / denied / invalid). Allowed actors:
the upload took effect (file stored, document created, logo stored, certificate replaced,
verdict given) or the live loop really read as that actor. Everyone else (deny rows): no
write to any table (`tables_snapshot`), and none of the other actors' addresses (FOREIGN)
in anything the socket or the upload response carried, nor in the tree a hydrate would send.
Per upload handler two sequences as well: the allowed actor's tab token replayed without the
cookie or with another actor's (403, nothing written), and the allowed actor signed out
before the upload (answered as the anonymous actor is, nothing written).

SQLite only: the guards under test (session_guard.py) and Reflex's transport do not depend
on the database, and the handlers' queries run on both databases in the unit matrix; a
second pass on PostgreSQL would double the file's runtime for no new path.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlmodel import select

from tests.support.docs import pdf_bytes
from tests.support.live_tabs import Tab, handler_name, wait_idle
from tests.support.matrix import (
    ACTORS,
    ADMIN,
    CLIENT,
    FOREIGN,
    PAYER,
    PUBLIC,
    SIGNIN_FOR_OTHERS,
    STAFF,
    STAFF_ON_A1,
    changed_tables,
    grid,
    logo_png,
    tables_snapshot,
)
from tests.support.real_app import Served, build_real_app

SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # see the module docstring

EVERY, MINUTES = 0.05, 0.4 / 60  # live loops: a check every 50 ms for 0.4 s, then they end
FOLLOWS: list[tuple[str, int]] = []  # (handler, marker reads that succeeded) per finished follow


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """The real app with its lifespan, in this process; the outbox worker is kept still (it
    would write mail rows at its own pace, under the table snapshots) and live loops are short."""
    import portal_app.worker as worker
    from portal_app.state import live as live_mod
    from portal_app.state.portal import invoices as invoices_client

    mp = pytest.MonkeyPatch()
    mp.setattr(worker, "run_forever", lambda interval, stop: stop.wait())
    real_follow = live_mod.follow

    async def follow(state, marker, refresh, **_kw):
        reads = []

        def counted(db, actor):
            value = marker(db, actor)
            reads.append(1)  # reached only when the marker was read as this actor
            return value

        try:
            await real_follow(state, counted, refresh, every=EVERY, minutes=MINUTES)
        finally:
            FOLLOWS.append((type(getattr(state, "__wrapped__", state)).__name__, len(reads)))

    mp.setattr(live_mod, "follow", follow)
    mp.setattr(invoices_client, "WATCH_EVERY", 0.05)
    mp.setattr(invoices_client, "WATCH_SECONDS", 0.4)
    try:
        with Served(build_real_app(tmp_path_factory.mktemp("live-matrix")), lifespan=True) as served:
            yield served
    finally:
        mp.undo()


@pytest.fixture
def world_live(world, db, actors):
    """The unit matrix's world; workspace A also accepts client uploads (so the client Files
    upload has actors it allows, not only refusals)."""
    from portal_app.services.portal.portal_settings import SECTIONS, portal_settings_for, update_portal_settings

    current = portal_settings_for(db, world.ws_a.id)
    update_portal_settings(db, world.staff_a, portal_title=current.portal_title, accent_color=current.accent_color,
                           brand_primary=None, brand_secondary=None, sections=dict.fromkeys(SECTIONS, True),
                           chat_widget=True, allow_client_uploads=True)
    db.commit()
    return world, actors


# --- the tables ------------------------------------------------------------------------------

@dataclass
class Row:
    state: type
    handler: str
    path: Callable | str
    expected: dict
    pre: tuple = ()                      # events the page sends first: (handler, payload or payload(world))
    files: Callable | None = None        # actor -> [(name, bytes, type)] (upload rows)
    took_effect: Callable | None = None  # (db, world, actor, tab) -> bool, for allowed actors
    read_only: bool = True               # (background) writes nothing even when allowed

    @property
    def id(self) -> str:
        return f"{self.state.__name__}.{self.handler}"

    def page(self, world) -> str:
        return self.path(world) if callable(self.path) else self.path


def _p12() -> tuple[bytes, str]:
    from portal_app.adapters.sealing import new_sealing_identity

    own = new_sealing_identity("Live Matrix legal", "Live Matrix")
    return own.pkcs12, own.password


def _count(db, model, *where) -> int:
    db.expire_all()
    return len(db.exec(select(model.id).where(*where)).all())


def _has_file(db, world, actor, tab) -> bool:
    from portal_app.models import FileItem

    return _count(db, FileItem, FileItem.name == f"live-{actor}.pdf") == 1


def _has_document(db, world, actor, tab) -> bool:
    from portal_app.models import Document

    return _count(db, Document, Document.title == f"Live offer {actor}") == 1


def _logo_stored(db, world, actor, tab) -> bool:
    from portal_app.models import PortalSettings

    db.expire_all()
    ws = world.ws_b.id if actor == "staff_b_on_b" else world.ws_a.id
    row = db.get(PortalSettings, ws)
    return bool(row.logo_key) and '"logo_url_rx_state_": "/api/logo/' in tab.seen()


def _favicon_stored(db, world, actor, tab) -> bool:
    from portal_app.models import PortalSettings

    db.expire_all()
    ws = world.ws_b.id if actor == "staff_b_on_b" else world.ws_a.id
    row = db.get(PortalSettings, ws)
    return row.favicon_uploaded and bool(row.favicon_key) and '"favicon_url_rx_state_": "/favicon.ico?v=' in tab.seen()


def _certificate_replaced(db, world, actor, tab) -> bool:
    from portal_app.models import SealingIdentity

    ws = world.ws_b.id if actor == "staff_b_on_b" else world.ws_a.id
    return _count(db, SealingIdentity, SealingIdentity.workspace_id == ws, SealingIdentity.source == "uploaded",
                  SealingIdentity.active.is_(True)) == 1


def _verdict_given(db, world, actor, tab) -> bool:
    return '"result_rx_state_": {' in tab.seen() and '"result_rx_state_": {}' not in tab.uploads[-1].body


def _chat_file_sent(db, world, actor, tab) -> bool:
    from portal_app.models import ConversationMessage

    return _count(db, ConversationMessage, ConversationMessage.attachment_name == f"live-{actor}.png") == 1


_P12: list = []


def upload_rows() -> list[Row]:
    from portal_app.state.portal.chat import ChatState
    from portal_app.state.portal.files import ClientFilesState
    from portal_app.state.staff.configure_portal import PortalConfigState
    from portal_app.state.staff.documents import NewDocumentState
    from portal_app.state.staff.files import StaffFilesState
    from portal_app.state.staff.inbox import InboxState
    from portal_app.state.staff.sealing import SealingState
    from portal_app.state.verify import VerifyState

    pdf = pdf_bytes(1)

    def declared(actor):
        return [{"name": f"live-{actor}.pdf", "size": len(pdf)}]

    def p12(_actor):
        if not _P12:
            _P12.append(_p12())
        return _P12[0]

    return [
        # Files: the page declares the files first (start_upload), then streams them to the
        # background receiver; client uploads are on in workspace A (world_live)
        Row(StaffFilesState, "receive_upload", "/staff/files", STAFF,
            pre=(("start_upload", lambda w, a: {"meta": declared(a)}),),
            files=lambda a: [(f"live-{a}.pdf", pdf, "application/pdf")], took_effect=_has_file),
        Row(ClientFilesState, "receive_upload", "/files", CLIENT,
            pre=(("start_upload", lambda w, a: {"meta": declared(a)}),),
            files=lambda a: [(f"live-{a}.pdf", pdf, "application/pdf")], took_effect=_has_file),
        # staff of B cannot pick A's client (not among their choices): nothing is stored
        Row(NewDocumentState, "upload", "/staff/documents/new", grid(STAFF, staff_b_on_b="invalid"),
            pre=(("set_title", lambda w, a: {"value": f"Live offer {a}"}), ("find_contacts", {"value": "alice"}),
                 ("choose_contact", lambda w, a: {"public_id": w.contact_a1.public_id})),
            files=lambda a: [("offer.pdf", pdf, "application/pdf")], took_effect=_has_document),
        Row(PortalConfigState, "upload_logo", "/staff/sites/portal", ADMIN,
            files=lambda a: [("logo.png", logo_png(), "image/png")], took_effect=_logo_stored),
        Row(PortalConfigState, "upload_favicon", "/staff/sites/portal", ADMIN,
            files=lambda a: [("favicon.png", logo_png(), "image/png")], took_effect=_favicon_stored),
        Row(SealingState, "upload", "/staff/settings/sealing", ADMIN,
            pre=(("set_password", lambda w, a: {"value": p12(a)[1]}),),
            files=lambda a: [("seal.p12", p12(a)[0], "application/x-pkcs12")], took_effect=_certificate_replaced),
        Row(VerifyState, "check", "/verify", PUBLIC,
            files=lambda a: [("sealed.pdf", pdf, "application/pdf")], took_effect=_verdict_given),
        # chat attachments (the chat is on in workspace A): a client into their own thread, staff
        # into A1's (B's owner finds no such conversation)
        Row(ChatState, "send_file", "/", CLIENT,
            files=lambda a: [(f"live-{a}.png", logo_png(), "image/png")], took_effect=_chat_file_sent),
        Row(InboxState, "send_file", lambda w: f"/staff/inbox/{w.chat_conversations['a1']}", STAFF_ON_A1,
            files=lambda a: [(f"live-{a}.png", logo_png(), "image/png")], took_effect=_chat_file_sent),
    ]


def background_rows() -> list[Row]:
    from portal_app.state.portal.invoices import ClientInvoiceState
    from portal_app.state.signing import SigningState
    from portal_app.state.staff.document_detail import StaffDocumentState
    from portal_app.state.staff.documents import StaffDocumentsState
    from portal_app.state.staff.domains import DomainsState
    from portal_app.state.staff.invoice_detail import StaffInvoiceState
    from portal_app.state.staff.invoice_list import StaffInvoicesState

    pay = lambda w: f"/invoices/{w.client_invoices['sent']}"  # noqa: E731
    return [
        Row(StaffInvoicesState, "follow", "/staff/invoices", STAFF),
        Row(StaffInvoiceState, "follow", lambda w: f"/staff/invoices/{w.staff_invoices['pay']}", STAFF_ON_A1),
        Row(StaffDocumentsState, "follow", "/staff/documents", STAFF),
        Row(StaffDocumentState, "follow", lambda w: f"/staff/documents/{w.docs['edit']}", STAFF_ON_A1),
        # staff are sent to their own page (a redirect, nothing read) and follow nothing here
        Row(SigningState, "follow", lambda w: f"/documents/{w.docs['sent']}",
            grid(**SIGNIN_FOR_OTHERS, client_a2="denied", staff_a="ok", member_a="ok", staff_b_on_b="denied")),
        # Pay Now: the card form (pay_with_card) chains charge_card; a forged charge_card or
        # watch_payment sent straight over the socket finds nothing to charge or watch
        Row(ClientInvoiceState, "charge_card", pay, PAYER, pre=(("open_pay", {}),
                                                                ("pay_with_card", {"token": "tok_live"})),
            read_only=False),
        Row(ClientInvoiceState, "watch_payment", pay, PAYER, pre=(("open_pay", {}), ("action_done", {"message": ""}))),
        # Settings › Domains: the page follows its domains (owners and admins; B's owner follows
        # B's); a forged run_check with no Verify before it checks nothing and writes nothing
        Row(DomainsState, "follow", "/staff/settings/domains", ADMIN),
        Row(DomainsState, "run_check", "/staff/settings/domains", ADMIN),
    ]


# Upload receivers are background handlers too; they are run the only way a browser can,
# through /_upload (UPLOADS above), not as a bare socket event.
UPLOAD_RECEIVERS = {"StaffFilesState.receive_upload", "ClientFilesState.receive_upload"}


def test_every_upload_and_background_handler_is_in_the_live_tables():
    """A new upload handler (the app's `_upload_handlers()`) or background handler (any
    `background=True` handler of any State class) fails here until it has a row."""
    from reflex.state import State

    import portal_app.portal_app as module

    uploads = {handler_name(r.state, r.handler) for r in upload_rows()}
    app_uploads = set(module._upload_handlers())
    assert app_uploads == uploads, f"upload handlers vs the live table: {sorted(app_uploads ^ uploads)}"

    background, todo = set(), list(State.get_substates())
    while todo:
        cls = todo.pop()
        todo.extend(cls.get_substates())
        if cls.__module__.startswith("portal_app"):
            background |= {f"{cls.__name__}.{name}" for name, h in cls.event_handlers.items() if h.is_background}
    listed = {r.id for r in background_rows()} | (UPLOAD_RECEIVERS & {r.id for r in upload_rows()})
    assert background == listed, f"background handlers vs the live table: {sorted(background ^ listed)}"


# --- running a row -----------------------------------------------------------------------

def _payload(spec, world, actor) -> dict:
    return spec(world, actor) if callable(spec) else dict(spec)


async def _open(live, world, actors, row: Row, actor: str) -> Tab:
    host, cookie = actors[actor]
    tab = await Tab(live, host, cookie, row.page(world)).open()
    for name, spec in row.pre:
        await tab.emit(row.state, name, **_payload(spec, world, actor))
    return tab


def _leaks(actor: str, *texts: str) -> list[str]:
    return [secret for secret in FOREIGN[actor] for text in texts if secret in text]


def _is_refusal(status: int) -> bool:
    return status == 403


@SQLITE
@pytest.mark.parametrize("row", upload_rows(), ids=lambda r: r.id)
def test_upload_through_the_real_route(live, world_live, db, row):
    """Every actor: a tab on the handler's page, the page's own steps, then the real
    multipart POST to /_upload under that tab's token and cookie."""
    world, actors = world_live
    failures, deny_rows = [], 0

    async def run():
        nonlocal deny_rows
        for actor in ACTORS:
            before = tables_snapshot(db)
            tab = await _open(live, world, actors, row, actor)
            got = await tab.upload(row.state, row.handler, row.files(actor))
            outcome, tree = tab.server_state()
            await tab.close()
            want = row.expected[actor]
            if not _status_ok(row, got.status):
                failures.append(f"{row.id} as {actor}: /_upload answered {got.status} {got.body[:200]}")
            if outcome != want:
                failures.append(f"{row.id} as {actor}: expected {want}, got {outcome}")
            if want == "ok":
                if not row.took_effect(db, world, actor, tab):
                    failures.append(f"{row.id} as {actor}: allowed, but the upload took no effect")
                continue
            deny_rows += 1
            after = tables_snapshot(db)
            if after != before:
                failures.append(f"{row.id} as {actor}: a refused upload wrote to {changed_tables(before, after)}")
            if leaked := _leaks(actor, tab.seen(), tree):
                failures.append(f"{row.id} as {actor}: other people's data reached the tab: {leaked}")

    asyncio.run(run())
    assert not failures, "\n".join(failures)
    print(f"\nlive {row.id}: {len(ACTORS)} actors, {deny_rows} deny rows (no write, no foreign data)")


def _receiver(row: Row) -> bool:
    """The streamed Files receivers: their refusal is the page's `upload_error` (the
    handler's `_outcome` is start_upload's), and a receiver that refuses stops reading the
    body, which Reflex answers with 400 ("returned before consuming all upload chunks")."""
    return row.id in UPLOAD_RECEIVERS


def _status_ok(row: Row, status: int) -> bool:
    return status < 400 or status == 403 or (status == 400 and _receiver(row))


def _first_allowed(row: Row) -> str:
    return next(a for a in ACTORS if a != "anon" and row.expected[a] == "ok")


def _other(row: Row, actor: str) -> str:
    """Another signed-in actor, preferably one the handler allows on its own page: the
    refusal is then about whose tab it is, not about what that actor may do."""
    others = [a for a in ACTORS if a not in ("anon", actor)]
    return next((a for a in others if row.expected[a] == "ok" and a != "staff_b_on_b"), others[0])


@SQLITE
@pytest.mark.parametrize("row", upload_rows(), ids=lambda r: r.id)
def test_upload_token_replay_is_refused(live, world_live, db, row):
    """The allowed actor's tab token, with no cookie or with another actor's cookie: 403 and
    nothing written. Then the same tab with its own cookie: the upload goes through (so the
    refusals were about the credential, not a tab that could not upload)."""
    world, actors = world_live
    actor = _first_allowed(row)
    other = _other(row, actor)

    async def run():
        tab = await _open(live, world, actors, row, actor)
        before = tables_snapshot(db)
        for cookie, who in ((None, "no cookie"), (actors[other][1], f"{other}'s cookie"),
                            ("forged-session-token", "a forged cookie")):
            got = await tab.upload(row.state, row.handler, row.files(actor), cookie=cookie)
            assert got.status == 403, f"{row.id}: {actor}'s tab token with {who} got {got.status} {got.body[:300]}"
            assert "does not belong to your session" in got.body
            assert not _leaks("anon", got.body), got.body
        after = tables_snapshot(db)
        assert after == before, f"{row.id}: a replayed token wrote to {changed_tables(before, after)}"
        got = await tab.upload(row.state, row.handler, row.files(actor))
        assert got.status < 300 and row.took_effect(db, world, actor, tab), (got.status, got.body[:300])
        await tab.close()

    asyncio.run(run())


@SQLITE
@pytest.mark.parametrize("row", upload_rows(), ids=lambda r: r.id)
def test_upload_after_sign_out_is_answered_as_anonymous(live, world_live, db, row):
    """The allowed actor's tab is ready to upload; the session is signed out (elsewhere, or
    the cookie was kept by whoever sits at the computer next). An upload carrying the dead
    cookie is answered as the anonymous actor is (for every handler but /verify: refused),
    one without the cookie gets 403; nothing is written, and nothing of anyone reaches the tab."""
    from portal_app.services.accounts import auth

    world, actors = world_live
    actor = _first_allowed(row)
    host, cookie = actors[actor]

    async def run():
        tab = await _open(live, world, actors, row, actor)
        auth.sign_out(db, cookie)
        db.commit()
        before = tables_snapshot(db)
        seen_before = len(tab.received)
        got = await tab.upload(row.state, row.handler, row.files(actor))
        outcome, tree = tab.server_state()
        assert _status_ok(row, got.status), (got.status, got.body[:300])
        want = row.expected["anon"]
        if _receiver(row):  # refused by the receiver itself (start_upload had accepted the files)
            error = tab.server_vars(row.state)["upload_error"]
            assert got.status == 403 or "sign in" in error.lower(), f"{row.id}: after sign-out: {error!r}"
        else:
            assert outcome == want or got.status == 403, f"{row.id}: after sign-out {outcome}/{got.status}, want {want}"
        none = await tab.upload(row.state, row.handler, row.files(actor), cookie=None)
        assert none.status == 403, (none.status, none.body[:300])
        await tab.close()
        after = tables_snapshot(db)
        if want != "ok":
            assert after == before, f"{row.id}: signed out, the upload wrote to {changed_tables(before, after)}"
            assert not row.took_effect(db, world, actor, tab)
        later = "\n".join([*tab.received[seen_before:], got.body, none.body])
        everyone = FOREIGN["anon"]
        assert not [e for e in everyone if e in later], f"{row.id}: data reached a signed-out tab: {later[:500]}"

    asyncio.run(run())


@SQLITE
@pytest.mark.parametrize("row", background_rows(), ids=lambda r: r.id)
def test_background_handler_over_the_socket(live, world_live, db, row):
    """Every actor: a tab on the page (its load runs, and may start the handler itself), the
    page's own steps, then the background event sent over the socket. Allowed actors: the
    live loop read as them (follow), or the handler ran its course; everyone: what the
    socket carried after the event holds no foreign data for deny rows, and read-only
    handlers wrote nothing (for allowed actors too)."""
    world, actors = world_live
    failures, deny_rows = [], 0

    async def run():
        nonlocal deny_rows
        for actor in ACTORS:
            tab = await _open(live, world, actors, row, actor)
            FOLLOWS.clear()
            before, mark = tables_snapshot(db), len(tab.received)
            await tab.emit(row.state, row.handler)
            wait_idle(live)
            outcome, tree = tab.server_state()
            await tab.close()
            after = tables_snapshot(db)
            after_event = "\n".join(tab.received[mark:])
            want = row.expected[actor]
            follows = [n for name, n in FOLLOWS if name == row.state.__name__]
            # A follow's outcome is whether its loop read as this actor (`_outcome` is the
            # page load's, or the staff shell's load_nav's); Pay Now's background events are
            # reached only through the page's card steps, whose rule `_outcome` shows.
            if row.handler != "follow" and outcome != want:
                failures.append(f"{row.id} as {actor}: expected {want}, got {outcome}")
            if row.handler == "follow":
                if want == "ok" and not any(n >= 2 for n in follows):
                    failures.append(f"{row.id} as {actor}: allowed, but the live loop never read ({follows})")
                if want != "ok" and any(follows):
                    failures.append(f"{row.id} as {actor}: refused, but the live loop read as them ({follows})")
            if (row.read_only or want != "ok") and after != before:
                failures.append(f"{row.id} as {actor}: wrote to {changed_tables(before, after)}")
            if want != "ok":
                deny_rows += 1
                if leaked := _leaks(actor, after_event, tab.seen(), tree):
                    failures.append(f"{row.id} as {actor}: other people's data reached the tab: {leaked}")

    asyncio.run(run())
    assert not failures, "\n".join(failures)
    print(f"\nlive {row.id}: {len(ACTORS)} actors, {deny_rows} deny rows (no write, no foreign data)")

"""The authorization matrix (docs/design.md §3).

Every event handler of every State class and every api/ route is listed with the expected
outcome for each kind of actor (the rows: tests/support/matrix.py). A handler or route
missing from the matrix fails `test_every_handler_is_in_the_matrix` /
`test_every_route_is_in_the_matrix`.

Handlers run for real (tests/support/states.py run_handler): a State tree is built, its router carries the Host and the
HttpOnly session cookie exactly as the websocket's upgrade request would, and the
handler's server-side outcome (`_outcome`: ok / signin / denied / invalid) is compared,
plus leak checks on what the state holds afterwards.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlmodel import select

from portal_app.models import AuditEvent, DevMail, OutboxMessage, PortalSettings
from tests.support.matrix import ACTORS, FOREIGN, changed_tables, matrix, tables_snapshot
from tests.support.states import run_handler


def all_handlers() -> set[tuple[str, str]]:
    """Every handler of every State class the app defines (walked from Reflex's root)."""
    from reflex.state import State

    import portal_app.portal_app  # noqa: F401

    found = set()
    todo = list(State.get_substates())
    while todo:
        cls = todo.pop()
        if cls.__module__.startswith("portal_app"):
            for name in cls.event_handlers:
                found.add((cls.__name__, name))
        todo.extend(cls.get_substates())
    return found


def test_every_handler_is_in_the_matrix(world):
    listed = {(cls.__name__, handler) for cls, handler, *_ in matrix(world)}
    missing = all_handlers() - listed
    assert not missing, f"handlers missing from the authorization matrix: {sorted(missing)}"
    stale = listed - all_handlers()
    assert not stale, f"matrix rows for handlers that no longer exist: {sorted(stale)}"


def test_every_route_is_in_the_matrix():
    from portal_app.api.routes import ROUTES, build_api

    served = set()
    for route in build_api().routes:
        for method in route.methods or []:
            if method != "HEAD":
                served.add((method, route.path))
    assert served == set(ROUTES), f"routes vs matrix differ: {served ^ set(ROUTES)}"


def _settings_snapshot(db, ws_id) -> dict:
    db.expire_all()
    row = db.get(PortalSettings, ws_id)
    return row.model_dump()


@pytest.mark.parametrize("actor", ACTORS)
def test_matrix(world, db, actors, actor):
    host, cookie = actors[actor]
    failures = []
    no_leak_rows = 0
    for state_cls, handler, args, path, expected, *explicit_pre in matrix(world):
        args = tuple(a() if callable(a) else a for a in args)
        path = path() if callable(path) else path
        before = _settings_snapshot(db, world.ws_a.id)
        audit_before = db.exec(select(AuditEvent.id)).all()
        tables_before = tables_snapshot(db) if expected not in ("setvar", "local") else None
        if expected == "setvar":
            # setvar reaches only explicitly written set_* handlers: no var is settable by name.
            state = None
            try:
                run_handler(state_cls, handler, args, host, cookie, path)
                failures.append(f"{state_cls.__name__}.setvar{args[:1]} was accepted")
            except AttributeError:
                pass
            continue
        pre = ("load",) if (state_cls.__name__, handler) == ("PortalConfigState", "save") else ()
        pre = explicit_pre[0] if explicit_pre else pre
        if isinstance(expected, tuple) and expected[0] == "background" and len(expected) == 3:
            # Other background events: their first act is the page's own rule (the checker).
            expected, check = expected[1], expected[2]
            state, _ = run_handler(state_cls, "load", (), host, cookie, path)
            check(state)
        elif isinstance(expected, tuple) and expected[0] == "background":
            # A background upload handler runs outside the request; its first act is the page's
            # own access rule (_upload_folder), checked here for every actor.
            expected = expected[1]
            state, _ = run_handler(state_cls, "upload_progress", ({},), host, cookie, path)
            asyncio.run(state._run(lambda db, ws, a, state=state: state._upload_folder(db, a)))
        else:
            state, _result = run_handler(state_cls, handler, args, host, cookie, path, pre)
        if expected == "local":
            # Only this browser's form vars change; nothing is read or written server-side.
            if _settings_snapshot(db, world.ws_a.id) != before or db.exec(select(AuditEvent.id)).all() != audit_before:
                failures.append(f"{state_cls.__name__}.{handler}: local handler wrote data")
            continue
        want = expected[actor]
        got = state._outcome
        if want == "denied_kept":
            # Refused after a page load this actor is allowed (it keeps what it may read):
            # the deny assertion is that nothing was written.
            if got != "denied":
                failures.append(f"{state_cls.__name__}.{handler} as {actor}: expected denied, got {got}")
            if db.exec(select(AuditEvent.id)).all() != audit_before or _settings_snapshot(db, world.ws_a.id) != before:
                failures.append(f"{state_cls.__name__}.{handler} as {actor}: a refused call wrote data")
            continue
        if got != want:
            failures.append(f"{state_cls.__name__}.{handler} as {actor}: expected {want}, got {got}")
        if want != "ok":
            # Deny assertion: nothing of anyone else's anywhere in the tree a hydrate would send
            # (every substate, not only this page's), and no row of any table written.
            dumped = json.dumps(state._get_root_state().dict(), default=str)
            for secret in FOREIGN[actor]:
                if secret in dumped:
                    failures.append(f"{state_cls.__name__}.{handler} as {actor}: the tree holds {secret}")
            if _settings_snapshot(db, world.ws_a.id) != before:
                failures.append(f"{state_cls.__name__}.{handler} as {actor}: settings changed on a denied call")
            if tables_snapshot(db) != tables_before:
                failures.append(f"{state_cls.__name__}.{handler} as {actor}: a refused call wrote to "
                                f"{changed_tables(tables_before, tables_snapshot(db))}")
            no_leak_rows += 1
    assert not failures, "\n".join(failures)
    # every actor but the owner is refused somewhere: those rows were checked for leaks
    print(f"\nmatrix[{actor}]: {len(matrix(world))} rows, {no_leak_rows} refused calls checked for "
          "leaks in the whole tree and writes to every table")
    assert actor == "staff_a" or no_leak_rows > 10, no_leak_rows


@pytest.mark.parametrize("actor", [a for a in ACTORS if a != "staff_a"])
def test_a_refused_refund_writes_nothing(world, db, actors, actor):
    """Deny assertion for the refund handler: whoever is refused, no refund row, no attempt,
    no audit event and no outbox message exists afterwards, and the balance is unchanged."""
    from portal_app.models import Invoice, LedgerEntry, PaymentAttempt
    from portal_app.state.staff.invoice_detail import StaffInvoiceState

    host, cookie = actors[actor]
    path = f"/staff/invoices/{world.staff_invoices['refund']}"
    counts = lambda: (len(db.exec(select(AuditEvent.id)).all()), len(db.exec(select(OutboxMessage.id)).all()),  # noqa: E731
                      len(db.exec(select(PaymentAttempt.id)).all()))
    db.expire_all()
    before = counts()
    for pre in (("load", ("open_refund", (world.refundable_payment,))), ()):
        state, _ = run_handler(StaffInvoiceState, "refund_payment", ({"refund_amount": "40.00"},), host, cookie,
                               path, pre)
        assert state._outcome in ("denied", "signin")
    db.expire_all()
    assert db.exec(select(LedgerEntry).where(LedgerEntry.kind == "refund")).all() == []
    assert counts() == before
    inv = db.exec(select(Invoice).where(Invoice.public_id == world.staff_invoices["refund"])).one()
    assert (inv.paid_minor, inv.balance_minor) == (4_000, 6_000)


def test_staff_of_another_workspace_sees_only_their_contacts(world, db, actors):
    from portal_app.state.staff.contacts import ContactsState

    host, cookie = actors["staff_b_on_b"]
    state, _ = run_handler(ContactsState, "load", (), host, cookie, "/staff/contacts")
    emails = {r["email"] for r in state.rows}
    assert emails == {"carol@client.example"}


def test_client_sees_only_their_own_profile(world, db, actors):
    from portal_app.state.portal.profile import ProfileState

    for actor, email in [("client_a1", "alice@client.example"), ("client_a2", "bob@client.example")]:
        host, cookie = actors[actor]
        state, _ = run_handler(ProfileState, "load", (), host, cookie, "/profile")
        assert state.email == email
        assert state._outcome == "ok"


def test_disabled_section_is_refused_by_url(world, db, actors):
    from portal_app.services.portal.portal_settings import update_portal_settings
    from portal_app.state.portal.appointments import AppointmentsState, BookState
    from portal_app.state.portal.invoices import ClientInvoicesState

    update_portal_settings(db, world.staff_a, portal_title="P", accent_color="#123456", brand_primary=None,
                           brand_secondary=None, sections={"invoices": True, "appointments": False},
                           chat_widget=False)
    db.commit()
    host, cookie = actors["client_a1"]
    for state_cls, path in ((AppointmentsState, "/appointments"), (BookState, "/appointments/book")):
        state, _ = run_handler(state_cls, "load", (), host, cookie, path)
        assert state._outcome == "denied" and not state.available and "not available" in state.refusal
    state, _ = run_handler(ClientInvoicesState, "load", (), host, cookie, "/invoices")
    assert state._outcome == "ok" and state.loaded


def test_forged_invite_request_sends_nothing(world, db, actors):
    from portal_app.state.auth import InviteState

    host, cookie = actors["anon"]
    before = len(db.exec(select(OutboxMessage)).all())
    run_handler(InviteState, "request_new", (), host, cookie, "/invite?token=forged")
    db.expire_all()
    assert len(db.exec(select(OutboxMessage)).all()) == before and db.exec(select(DevMail)).all() == []


def test_forgot_password_answers_the_same_for_unknown_addresses(world, db, actors):
    from portal_app.state.auth import ForgotPasswordState

    host, cookie = actors["anon"]
    known, _ = run_handler(ForgotPasswordState, "request", ({"email": "alice@client.example"},), host, cookie,
                           "/forgot-password")
    unknown, _ = run_handler(ForgotPasswordState, "request", ({"email": "nobody@client.example"},), host,
                             cookie, "/forgot-password")
    assert (known._outcome, known.error) == (unknown._outcome, unknown.error) == ("ok", "")
    assert known.sent_to == "alice@client.example" and unknown.sent_to == "nobody@client.example"
    db.expire_all()
    sent = [json.loads(m.payload)["to"] for m in db.exec(select(OutboxMessage)).all()
            if "/reset-password" in json.loads(m.payload).get("text", "")]
    assert sent == ["alice@client.example"]  # only a real account gets a link

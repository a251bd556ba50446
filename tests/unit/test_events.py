"""Typed domain events (services/events.py) and the message bus's registry (services/bus.py).

Every event class is either handled or declared handler-less with a reason, never both and
never neither; every kind the registry names has its class; an event's payload is checked
against its fields when it is raised and when the worker reads it back.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from portal_app import worker
from portal_app.services import bus, events

PACKAGE = Path(__file__).resolve().parents[2] / "portal_app"
COMMANDS = set(worker.HANDLERS)  # what the worker carries out itself: not events


def test_every_event_class_is_handled_or_declared_and_not_both():
    classes = set(events.by_kind().values())
    handled, declared = set(bus.HANDLERS), set(bus.UNHANDLED)
    assert not classes - handled - declared, "neither handled nor declared (add it to services/bus.py)"
    assert not handled & declared, "both handled and declared handler-less"
    assert not (handled | declared) - classes, "the registry names a class that is not an event with a kind"
    assert all(bus.HANDLERS[cls] for cls in handled), "a handled kind needs at least one handler"
    assert all(len(reason) > 20 for reason in bus.UNHANDLED.values()), "each declaration says why"


def test_kinds_are_unique_and_not_commands():
    kinds = bus.kinds()
    assert len(kinds) == len(set(kinds)) == len(events.by_kind())
    assert not COMMANDS & set(kinds)


def _raised_kinds() -> set[str]:
    """Every event class a service raises: `events.raise_event(db, events.X(...))` or a class
    chosen first (`event = events.A if … else events.B`)."""
    names: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "events"
                    and node.attr[:1].isupper()):
                names.add(node.attr)
    classes = [getattr(events, n, None) for n in names]
    return {c.kind for c in classes if isinstance(c, type) and issubclass(c, events.Event) and c.kind}


def test_every_event_class_is_named_by_a_service_and_no_free_string_is_left():
    assert _raised_kinds() == set(events.by_kind())
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "enqueue"
                    and len(node.args) >= 3 and isinstance(node.args[2], ast.Constant)):
                assert node.args[2].value in COMMANDS, f"{path}: raise events.{node.args[2].value} as a typed event"


def test_payload_round_trip_keeps_the_rows_shape():
    shared = events.FileShared(workspace_id=3, item="fi_1", item_kind="folder", audience="all_clients")
    assert shared.payload() == {"item": "fi_1", "kind": "folder", "audience": "all_clients"}
    assert events.FileShared.from_payload(3, shared.payload()) == shared
    refund = events.InvoiceRefunded(workspace_id=1, invoice="in_1", number="INV-0001", balance=0)
    assert refund.payload() == {"invoice": "in_1", "number": "INV-0001", "balance": 0}  # no amount: left out
    done = events.DocumentCompleted.from_payload(2, {"document": "doc_1", "kind": "contract"})
    assert done.document_kind == "contract" and done.workspace_id == 2


@pytest.mark.parametrize("build", [
    lambda: events.InvoiceSent(workspace_id=1, invoice="in_1", number=7),            # a number is text
    lambda: events.InvoiceDisputed(workspace_id=1, invoice="in_1", amount="8000"),   # an amount is an int
    lambda: events.InvoicePaid(workspace_id=1, invoice="in_1", number="N", paid=1, balance=0, overpaid=1),
    lambda: events.InvoiceDisputed(workspace_id=1, invoice="in_1", amount=True),     # a bool is not an amount
    lambda: events.DocumentCompleted(workspace_id=1, document="d", document_kind="poem"),
    lambda: events.FileShared(workspace_id=1, item="fi_1", item_kind="file"),        # to whom?
    lambda: events.FileShared(workspace_id=1, item="fi_1", item_kind="page", contact="ct_1"),
    lambda: events.FileShared(workspace_id=1, item="fi_1", item_kind="file", contact="ct_1", audience="all_clients"),
    lambda: events.InvoiceViewed(workspace_id="1", invoice="in_1"),
])
def test_a_wrongly_typed_event_is_refused_when_raised(build):
    with pytest.raises(TypeError):
        build()


@pytest.mark.parametrize("payload", [
    {"invoice": "in_1"},                                     # a field missing
    {"invoice": "in_1", "number": "N", "extra": 1},          # a key no field has
    {"invoice": None, "number": "N"},                        # None where text is required
])
def test_a_payload_that_does_not_fit_is_refused_when_read(payload):
    with pytest.raises(TypeError):
        events.InvoiceSent.from_payload(1, payload)


def test_dispatch_refuses_an_unknown_kind_and_runs_nothing_for_a_declared_one(db, world):
    with pytest.raises(bus.UnknownEvent):
        bus.dispatch(db, world.ws_a.id, "invoice.teleported", {})
    with pytest.raises(bus.UnknownEvent):
        bus.dispatch(db, world.ws_a.id, "email", {"to": "x"})  # a command is not an event
    event = bus.dispatch(db, world.ws_a.id, "document.voided", {"document": "doc_1"})
    assert event == events.DocumentVoided(workspace_id=world.ws_a.id, document="doc_1")
    assert not db.new and not db.dirty  # nothing written


def test_raise_event_writes_the_row_in_the_callers_transaction(db, world):
    from sqlmodel import select

    from portal_app.models import OutboxMessage

    events.raise_event(db, events.InvoiceViewed(workspace_id=world.ws_a.id, invoice="in_1"))
    db.rollback()  # the change did not commit: neither did its event
    assert db.exec(select(OutboxMessage)).all() == []
    msg = events.raise_event(db, events.InvoiceViewed(workspace_id=world.ws_a.id, invoice="in_1"))
    db.commit()
    assert (msg.kind, msg.workspace_id, msg.payload) == ("invoice.viewed", world.ws_a.id, '{"invoice": "in_1"}')

"""services/audit.py: append-only events, hash-chained per workspace, so tampering shows."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from sqlmodel import select

from portal_app.models import AuditEvent
from portal_app.services import audit
from portal_app.services.accounts.contacts import create_contact, update_contact

GENESIS = "0" * 64


def _rows(db, workspace_id) -> list[AuditEvent]:
    return db.exec(select(AuditEvent).where(AuditEvent.workspace_id == workspace_id)
                   .order_by(AuditEvent.seq)).all()


def _tamper(db, workspace_id: int, seq: int, **values) -> None:
    """What someone with database access might do: a raw UPDATE, committed."""
    sets = ", ".join(f"{k} = :{k}" for k in values)
    db.execute(sa.text(f"UPDATE audit_event SET {sets} WHERE workspace_id = :ws AND seq = :seq"),
               {"ws": workspace_id, "seq": seq, **values})
    db.commit()
    db.expire_all()


@pytest.fixture
def busy(db, world):
    """A few more events in workspace A through services; B keeps its own few."""
    for i in range(3):
        contact = create_contact(db, world.staff_a, {"first_name": f"Ann{i}", "email": f"ann{i}@x.example"})
    update_contact(db, world.member_a, contact.public_id, {"first_name": "Anne", "email": "ann2@x.example"})
    db.commit()
    return world


def test_chain_is_sequential_and_linked(db, busy):
    rows = _rows(db, busy.ws_a.id)
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1)) and len(rows) >= 7
    assert rows[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(rows, rows[1:], strict=False))
    assert len({r.hash for r in rows}) == len(rows)
    assert audit.verify_chain(db, busy.ws_a.id) == (True, None)
    assert audit.verify_chain(db, busy.ws_b.id) == (True, None)
    assert audit.verify_chain(db, 999_999) == (True, None)  # an empty chain is intact


def test_record_returns_the_event_and_defaults_to_system(db, world):
    ev = audit.record(db, world.ws_a.id, None, "test.thing", "contact", "ct_x", {"b": 1, "a": "é"})
    assert ev.actor_kind == "system" and ev.actor_label == "system"
    assert ev.detail == '{"a": "é", "b": 1}'  # sorted keys, text kept readable
    db.commit()
    assert audit.verify_chain(db, world.ws_a.id) == (True, None)


def test_events_for_a_subject_newest_first(db, busy):
    contact = create_contact(db, busy.staff_a, {"first_name": "Zoe", "email": "zoe@x.example"})
    update_contact(db, busy.staff_a, contact.public_id, {"first_name": "Zoë", "email": "zoe@x.example"})
    views = audit.events_for(db, busy.ws_a.id, "contact", contact.public_id)
    assert [v.action for v in views] == ["contact.updated", "contact.created"]
    assert views[0].detail == {"first_name": ["Zoe", "Zoë"]}
    assert audit.events_for(db, busy.ws_b.id, "contact", contact.public_id) == []


def test_tampered_detail_is_reported_with_its_seq(db, busy):
    rows = _rows(db, busy.ws_a.id)
    target = rows[2].seq
    forged = json.dumps({"name": "Someone Else"})
    _tamper(db, busy.ws_a.id, target, detail=forged)
    assert _rows(db, busy.ws_a.id)[2].detail == forged
    assert audit.verify_chain(db, busy.ws_a.id) == (False, target)


@pytest.mark.parametrize("column,value", [("action", "contact.deleted"), ("actor_label", "nobody@x"),
                                          ("subject_id", "ct_other")])
def test_tampering_any_hashed_column_shows(db, busy, column, value):
    _tamper(db, busy.ws_a.id, 4, **{column: value})
    assert audit.verify_chain(db, busy.ws_a.id) == (False, 4)


def test_rehashing_a_tampered_row_breaks_the_next_link(db, busy):
    rows = _rows(db, busy.ws_a.id)
    forged = rows[1].model_copy(update={"detail": json.dumps({"name": "Rewritten"})})
    new_hash = audit._digest(forged.prev_hash, forged)
    _tamper(db, busy.ws_a.id, 2, detail=json.dumps({"name": "Rewritten"}), hash=new_hash)
    assert audit.verify_chain(db, busy.ws_a.id) == (False, 3)


def test_deleted_event_shows_as_a_gap(db, busy):
    db.execute(sa.text("DELETE FROM audit_event WHERE workspace_id = :ws AND seq = 3"),
               {"ws": busy.ws_a.id})
    db.commit()
    assert audit.verify_chain(db, busy.ws_a.id) == (False, 4)


def test_chains_are_per_workspace(db, busy):
    a_rows, b_rows = _rows(db, busy.ws_a.id), _rows(db, busy.ws_b.id)
    assert a_rows[0].seq == b_rows[0].seq == 1
    assert b_rows[0].prev_hash == GENESIS
    assert {r.workspace_id for r in b_rows} == {busy.ws_b.id}
    # appending in B does not move A's sequence
    before = len(a_rows)
    create_contact(db, busy.staff_b, {"first_name": "Bea", "email": "bea@x.example"})
    db.commit()
    assert len(_rows(db, busy.ws_a.id)) == before
    assert _rows(db, busy.ws_b.id)[-1].seq == len(b_rows) + 1
    # tampering in A is A's problem only
    _tamper(db, busy.ws_a.id, 2, detail="{}")
    assert audit.verify_chain(db, busy.ws_a.id) == (False, 2)
    assert audit.verify_chain(db, busy.ws_b.id) == (True, None)


def test_seq_is_unique_per_workspace(db, world):
    """Two writers that read the same last event collide instead of forking the chain."""
    last = _rows(db, world.ws_a.id)[-1]
    db.add(AuditEvent(workspace_id=world.ws_a.id, seq=last.seq, actor_kind="system",
                      actor_label="system", action="fork", subject_type="x", subject_id="x",
                      detail="{}", prev_hash=last.prev_hash, hash="f" * 64))
    with pytest.raises(sa.exc.IntegrityError):
        db.flush()
    db.rollback()

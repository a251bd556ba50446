"""Every change of an appointment is in the workspace's audit log (services/audit.py), with who
made it and what changed: booked by staff or by the client, rescheduled (from/to), edited,
cancelled. A refused change (another workspace, a client past the cut-off, bad input, a taken
time) writes no audit row."""

from __future__ import annotations

import json

import pytest
from sqlmodel import col, select

from portal_app.errors import Forbidden, Invalid, NotFound
from portal_app.models import AuditEvent
from portal_app.services import audit
from portal_app.services.appointments import appointments as appts
from portal_app.services.appointments import booking
from tests.support.appointments import booking_type, freeze, open_hours, staff_public_id

TUE_10_BERLIN = "2026-12-08T09:00:00+00:00"


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    return freeze(monkeypatch)


def trail(db, a) -> list[tuple[str, str, str, dict]]:
    """(action, actor kind, actor label, detail) of the appointment's audit rows, oldest first."""
    rows = db.exec(select(AuditEvent).where(AuditEvent.subject_type == "appointment",
                                            AuditEvent.subject_id == a.public_id)
                   .order_by(col(AuditEvent.seq))).all()
    return [(e.action, e.actor_kind, e.actor_label, json.loads(e.detail)) for e in rows]


def appointment_rows(db) -> int:
    return len(db.exec(select(AuditEvent).where(AuditEvent.subject_type == "appointment")).all())


def make(db, world, **kw):
    values = {"contact": world.contact_a1.public_id, "starts_at": "2026-12-09T10:00", "ends_at": "2026-12-09T10:30",
              "zone": "Europe/Berlin", "title": "Kick-off"}
    values.update(kw)
    a = appts.create_appointment(db, world.staff_a, **values)
    db.commit()
    return a


def test_staff_booking_editing_moving_and_cancelling_are_audited(world, db):
    a = make(db, world)
    appts.update_appointment(db, world.staff_a, a.public_id, internal_notes="Upsell", title="Kick-off call")
    db.commit()
    appts.update_appointment(db, world.staff_a, a.public_id, starts_at="2026-12-10T14:00", ends_at="2026-12-10T15:00",
                             staff_member=staff_public_id(db, world.member_a))
    db.commit()
    appts.update_appointment(db, world.staff_a, a.public_id, title="Kick-off call")  # nothing changes: no row
    db.commit()
    appts.cancel_appointment(db, world.member_a, a.public_id)
    db.commit()
    staff, member = world.staff_a.email, world.member_a.email
    [booked, edited, moved, cancelled] = trail(db, a)
    assert booked == ("appointment.booked", "staff", staff,
                      {"by": "staff", "title": "Kick-off", "starts_at": "2026-12-09T09:00:00+00:00",
                       "ends_at": "2026-12-09T09:30:00+00:00", "zone": "Europe/Berlin",
                       "contact": world.contact_a1.public_id, "staff": staff_public_id(db, world.staff_a),
                       "booking_type": None})
    assert edited == ("appointment.edited", "staff", staff, {"by": "staff", "changed": ["title", "internal_notes"]})
    assert moved == ("appointment.rescheduled", "staff", staff,
                     {"by": "staff", "zone": "Europe/Berlin",
                      "from": {"starts_at": "2026-12-09T09:00:00+00:00", "ends_at": "2026-12-09T09:30:00+00:00",
                               "staff": staff_public_id(db, world.staff_a)},
                      "to": {"starts_at": "2026-12-10T13:00:00+00:00", "ends_at": "2026-12-10T14:00:00+00:00",
                             "staff": staff_public_id(db, world.member_a)}})
    assert cancelled == ("appointment.cancelled", "staff", member,
                         {"by": "staff", "starts_at": "2026-12-10T13:00:00+00:00",
                          "ends_at": "2026-12-10T14:00:00+00:00"})
    assert audit.verify_chain(db, world.ws_a.id) == (True, None)
    assert [v.action for v in audit.events_for(db, world.ws_a.id, "appointment", a.public_id)][0] == \
        "appointment.cancelled"


def test_a_client_booking_moving_and_cancelling_are_audited_as_the_client(world, db):
    open_hours(db, world.staff_a)
    bt = booking_type(db, world.staff_a)
    db.commit()
    a = booking.book(db, world.client_a1, bt.public_id, TUE_10_BERLIN, zone="Europe/Paris", notes="The logo")
    db.commit()
    booking.client_reschedule(db, world.client_a1, a.public_id, "2026-12-10T13:00:00+00:00")
    db.commit()
    appts.client_cancel(db, world.client_a1, a.public_id)
    db.commit()
    me = world.client_a1.email
    [booked, moved, cancelled] = trail(db, a)
    assert booked[:3] == ("appointment.booked", "client", me)
    assert booked[3]["by"] == "client" and booked[3]["booking_type"] == bt.public_id
    assert booked[3]["starts_at"] == TUE_10_BERLIN and booked[3]["zone"] == "Europe/Paris"
    assert moved == ("appointment.rescheduled", "client", me,
                     {"by": "client", "zone": "Europe/Paris",
                      "from": {"starts_at": TUE_10_BERLIN, "ends_at": "2026-12-08T09:30:00+00:00"},
                      "to": {"starts_at": "2026-12-10T13:00:00+00:00", "ends_at": "2026-12-10T13:30:00+00:00"}})
    assert cancelled == ("appointment.cancelled", "client", me,
                         {"by": "client", "starts_at": "2026-12-10T13:00:00+00:00",
                          "ends_at": "2026-12-10T13:30:00+00:00"})


def test_refused_changes_write_no_audit_row(world, db, clock):
    a = make(db, world)
    open_hours(db, world.staff_a)
    bt = booking_type(db, world.staff_a)
    db.commit()
    before = appointment_rows(db)
    refused = [
        (NotFound, lambda: appts.cancel_appointment(db, world.staff_b, a.public_id)),         # other workspace
        (NotFound, lambda: appts.client_cancel(db, world.client_a2, a.public_id)),            # someone else's
        (Forbidden, lambda: appts.cancel_appointment(db, world.client_a1, a.public_id)),      # a client is not staff
        (NotFound, lambda: appts.update_appointment(db, world.staff_b, a.public_id, title="Mine")),
        (Invalid, lambda: appts.update_appointment(db, world.staff_a, a.public_id, title="")),        # bad input
        (Invalid, lambda: appts.update_appointment(db, world.staff_a, a.public_id, title="x" * 10_000)),
        (Invalid, lambda: appts.update_appointment(db, world.staff_a, a.public_id, starts_at="2026-12-09T11:00",
                                                   ends_at="2026-12-09T10:00")),                 # ends first
        (Invalid, lambda: appts.create_appointment(db, world.staff_a, contact=world.contact_a1.public_id,
                                                   starts_at="2026-12-09T10:15", ends_at="2026-12-09T10:45",
                                                   zone="Europe/Berlin", title="Overlap")),      # time taken
        (Invalid, lambda: booking.book(db, world.client_a1, bt.public_id, "2026-12-09T09:00:00+00:00")),  # taken
        (Invalid, lambda: booking.book(db, world.client_a1, bt.public_id, "not a time")),
        (Forbidden, lambda: booking.book(db, world.staff_a, bt.public_id, TUE_10_BERLIN)),
    ]
    for error, change in refused:
        with pytest.raises(error):
            change()
        assert appointment_rows(db) == before, change
    db.rollback()
    clock.advance(days=1, hours=12)  # Tue 20:00 UTC: 13 h before it starts, past the 24 h cut-off
    with pytest.raises(Invalid):
        appts.client_cancel(db, world.client_a1, a.public_id)
    assert appointment_rows(db) == before
    db.rollback()
    appts.cancel_appointment(db, world.staff_a, a.public_id)
    db.commit()
    with pytest.raises(Invalid):  # already cancelled
        appts.cancel_appointment(db, world.staff_a, a.public_id)
    assert [t[0] for t in trail(db, a)] == ["appointment.booked", "appointment.cancelled"]

"""services/appointments core: staff make, edit, move and cancel a contact's appointments; clients
see only their own (while the section is on) in their zone and cancel up to the cut-off; one staff
member's calendar never holds two overlapping appointments; bad input gets a human message.
(Booking, availability and feeds: test_appointments_booking.py.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from portal_app.errors import Forbidden, Invalid, NotFound, NotSignedIn
from portal_app.models import Appointment, AppointmentSlotClaim, OutboxMessage, PortalSettings, TimelineEntry
from portal_app.models.appointments import AppointmentStatusError
from portal_app.services.appointments import appointments as appts
from portal_app.services.conversations import timeline
from tests.support.appointments import freeze, staff_public_id


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    return freeze(monkeypatch)


def make(db, world, **kw):
    values = {"contact": world.contact_a1.public_id, "starts_at": "2026-12-09T10:00", "ends_at": "2026-12-09T10:30",
              "zone": "Europe/Berlin", "title": "Kick-off", "location": "https://meet.example.com/k",
              "client_notes": "Bring the brief", "internal_notes": "Upsell the retainer"}
    values.update(kw)
    a = appts.create_appointment(db, world.staff_a, **values)
    db.commit()
    return a


def test_staff_make_an_appointment_in_a_zone_and_the_client_sees_it_in_theirs(world, db):
    a = make(db, world)
    assert a.starts_at == datetime(2026, 12, 9, 9, 0, tzinfo=UTC)  # 10:00 in Berlin is 09:00 UTC
    assert a.ends_at == datetime(2026, 12, 9, 9, 30, tzinfo=UTC)
    assert a.zone == "Europe/Berlin" and a.sequence == 0 and a.created_by == "staff" and a.public_id.startswith("ap_")
    assert len(db.exec(select(AppointmentSlotClaim).where(AppointmentSlotClaim.appointment_id == a.id)).all()) == 6
    mine = appts.client_appointments(db, world.client_a1, zone="America/New_York")
    [seen] = mine["upcoming"]
    assert seen["when"] == "Wed 09 Dec 2026, 04:00\u201304:30 (America/New_York)"
    assert seen["notes"] == "Bring the brief" and "internal_notes" not in seen and seen["can_change"]
    assert seen["with_name"] == "Ava Owner" and mine["past"] == []
    kinds = [m.kind for m in db.exec(select(OutboxMessage)).all()]
    assert "appointment.booked" in kinds
    entry = db.exec(select(TimelineEntry).where(TimelineEntry.kind == "appointment")).one()
    assert entry.contact_id == world.contact_a1.id and entry.title == "Appointment scheduled: Kick-off"
    assert "Europe/Berlin" in entry.detail
    assert "appointment" in timeline.KIND_LABELS


def test_a_bad_view_zone_falls_back_to_utc(world, db):
    make(db, world)
    [seen] = appts.client_appointments(db, world.client_a1, zone="Mars/Olympus")["upcoming"]
    assert seen["when"].endswith("(UTC)") and "09:00" in seen["when"]


def test_nobody_else_sees_or_changes_it(world, db):
    a = make(db, world)
    assert appts.client_appointments(db, world.client_a2)["upcoming"] == []          # other client, same workspace
    assert appts.client_appointments(db, world.client_b1)["upcoming"] == []          # client of workspace B
    for client in (world.client_a2, world.client_b1):
        with pytest.raises(NotFound):
            appts.client_cancel(db, client, a.public_id)
        with pytest.raises(NotFound):
            appts.client_appointment(db, client, a.public_id)
    with pytest.raises(NotFound):
        appts.cancel_appointment(db, world.staff_b, a.public_id)                       # staff of workspace B
    with pytest.raises(NotFound):
        appts.update_appointment(db, world.staff_b, a.public_id, title="Mine now")
    with pytest.raises(NotFound):   # staff of B cannot make one for A's contact
        appts.create_appointment(db, world.staff_b, contact=world.contact_a1.public_id, starts_at="2026-12-09T12:00",
                                 ends_at="2026-12-09T12:30", zone="UTC", title="x")
    with pytest.raises(Forbidden):
        appts.cancel_appointment(db, world.client_a1, a.public_id)                     # a client is not staff
    with pytest.raises(Forbidden):
        appts.create_appointment(db, world.client_a1, contact=world.contact_a1.public_id,
                                 starts_at="2026-12-09T12:00", ends_at="2026-12-09T12:30", zone="UTC", title="x")
    with pytest.raises(NotSignedIn):
        appts.client_appointments(db, world.anon)
    with pytest.raises(NotSignedIn):
        appts.staff_appointments(db, world.anon, start=datetime(2026, 12, 7, tzinfo=UTC),
                                 end=datetime(2026, 12, 14, tzinfo=UTC))
    with pytest.raises(Forbidden):  # staff use the staff pages
        appts.client_appointments(db, world.staff_a)
    assert db.get(Appointment, a.id).status == "scheduled"


def test_the_section_switched_off_hides_appointments_from_clients(world, db):
    a = make(db, world)
    ps = db.get(PortalSettings, world.ws_a.id)
    ps.show_appointments = False
    db.add(ps)
    db.commit()
    with pytest.raises(NotFound):
        appts.client_appointments(db, world.client_a1)
    with pytest.raises(NotFound):
        appts.client_cancel(db, world.client_a1, a.public_id)
    assert appts.next_appointment(db, world.client_a1) is None
    assert len(appts.contact_appointments(db, world.staff_a, world.contact_a1.public_id)) == 1  # staff still do


@pytest.mark.parametrize("changes, message", [
    ({"zone": "Europe/Atlantis"}, "not a time zone we know"),
    ({"zone": ""}, "Choose a time zone"),
    ({"zone": "../../etc/passwd"}, "not a time zone we know"),
    ({"ends_at": "2026-12-09T09:30"}, "end must be after the start"),
    ({"ends_at": "2026-12-09T10:00"}, "end must be after the start"),
    ({"starts_at": "tomorrow-ish"}, "date and time like"),
    ({"starts_at": ""}, "Start is required"),
    ({"starts_at": "2026-12-09T10:02"}, "steps of 5 minutes"),
    ({"ends_at": "2026-12-10T10:30"}, "at most 24 hours"),
    ({"title": ""}, "Title is required"),
    ({"title": "x" * 201}, "at most 200 characters"),
    ({"location": "y" * 501}, "at most 500 characters"),
    ({"client_notes": "z" * 2001}, "at most 2000 characters"),
    ({"internal_notes": "z" * 2001}, "at most 2000 characters"),
    ({"title": "bell \x07"}, "not allowed"),
    # 29 Mar 2026, 02:30 does not exist in Berlin (the clocks go from 02:00 to 03:00)
    ({"starts_at": "2026-03-29T02:30", "ends_at": "2026-03-29T03:30"}, "does not exist in Europe/Berlin"),
])
def test_bad_input_is_refused_in_words(world, db, changes, message):
    with pytest.raises(Invalid, match=message):
        make(db, world, **changes)
    db.rollback()
    assert db.exec(select(Appointment)).all() == []


def test_an_unknown_contact_or_colleague_is_not_found(world, db):
    with pytest.raises(NotFound):
        make(db, world, contact=world.contact_b1.public_id)
    with pytest.raises(NotFound):
        make(db, world, staff_member=staff_public_id(db, world.staff_b))


def test_the_repeated_autumn_hour_is_its_first_occurrence(world, db):
    # 25 Oct 2026: 02:30 happens twice in Berlin; the first is 00:30 UTC (still summer time)
    a = make(db, world, starts_at="2026-10-25T02:30", ends_at="2026-10-25T03:00")
    assert a.starts_at == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_one_staff_member_cannot_be_in_two_places(world, db):
    make(db, world)
    with pytest.raises(Invalid, match="Ava Owner already has an appointment"):
        make(db, world, starts_at="2026-12-09T10:25", ends_at="2026-12-09T11:00")  # overlaps by 5 minutes
    db.rollback()
    make(db, world, starts_at="2026-12-09T10:30", ends_at="2026-12-09T11:00")      # back to back is fine
    make(db, world, staff_member=staff_public_id(db, world.member_a))              # a colleague at the same time
    assert len(db.exec(select(Appointment)).all()) == 3


def test_edits_the_client_sees_raise_the_sequence_internal_notes_do_not(world, db):
    a = make(db, world)
    appts.update_appointment(db, world.staff_a, a.public_id, internal_notes="Only us")
    db.commit()
    assert db.get(Appointment, a.id).sequence == 0
    appts.update_appointment(db, world.staff_a, a.public_id, location="Room 2")
    db.commit()
    assert db.get(Appointment, a.id).sequence == 1
    moved = appts.reschedule_appointment(db, world.member_a, a.public_id, starts_at="2026-12-10T14:00",
                                         ends_at="2026-12-10T15:00")
    db.commit()
    assert moved.sequence == 2 and moved.starts_at == datetime(2026, 12, 10, 13, 0, tzinfo=UTC)
    cells = sorted(c.cell_start for c in db.exec(select(AppointmentSlotClaim)).all())
    assert len(cells) == 12 and cells[0] == moved.starts_at  # the old cells were given back
    make(db, world)  # the old time is free again
    changed = [m for m in db.exec(select(OutboxMessage)).all() if m.kind == "appointment.changed"]
    assert len(changed) == 2  # the location and the move; the internal note raised nothing


def test_moving_it_keeps_its_length_when_only_the_start_is_given(world, db):
    a = make(db, world)
    moved = appts.update_appointment(db, world.staff_a, a.public_id, starts_at="2026-12-11T16:00")
    assert moved.ends_at - moved.starts_at == timedelta(minutes=30)


def test_cancelling_frees_the_time_and_cannot_be_undone(world, db):
    a = make(db, world)
    appts.cancel_appointment(db, world.staff_a, a.public_id)
    db.commit()
    a = db.get(Appointment, a.id)
    assert a.status == "cancelled" and a.cancelled_at is not None and a.sequence == 1
    assert db.exec(select(AppointmentSlotClaim)).all() == []
    with pytest.raises(Invalid, match="already cancelled"):
        appts.cancel_appointment(db, world.staff_a, a.public_id)
    with pytest.raises(Invalid, match="cancelled"):
        appts.update_appointment(db, world.staff_a, a.public_id, title="Back on")
    with pytest.raises(AppointmentStatusError):
        a.move_to("scheduled")
    mine = appts.client_appointments(db, world.client_a1)
    assert mine["upcoming"] == [] and mine["past"][0]["status_label"] == "Cancelled"
    make(db, world)  # the same time can be given to someone else


def test_the_client_cancels_up_to_the_cut_off(world, db, clock):
    a = make(db, world)  # Wed 09:00 UTC; now Mon 08:00 UTC
    clock.advance(hours=25)  # Wed 09:00 - 24 h = Tue 09:00: still allowed at exactly the cut-off
    [seen] = appts.client_appointments(db, world.client_a1)["upcoming"]
    assert seen["can_change"]
    clock.advance(minutes=5)
    [seen] = appts.client_appointments(db, world.client_a1)["upcoming"]
    assert not seen["can_change"]
    with pytest.raises(Invalid, match="up to 24 hours before they start. Please contact us"):
        appts.client_cancel(db, world.client_a1, a.public_id)
    db.rollback()
    ps = db.get(PortalSettings, world.ws_a.id)
    ps.appointment_cancel_cutoff_hours = 2
    db.add(ps)
    db.commit()
    appts.client_cancel(db, world.client_a1, a.public_id)
    db.commit()
    a = db.get(Appointment, a.id)
    assert a.status == "cancelled"
    entry = db.exec(select(TimelineEntry).where(TimelineEntry.title == "You cancelled Kick-off")).one()
    staff_view = timeline.staff_timeline(db, world.staff_a, world.contact_a1.public_id).items
    assert any(i["title"] == "Alice Client cancelled Kick-off" for i in staff_view) and entry.client_visible


def test_past_appointments_are_listed_after_and_the_next_one_is_on_the_home(world, db, clock):
    early = make(db, world, starts_at="2026-12-08T10:00", ends_at="2026-12-08T11:00", title="First")
    make(db, world, starts_at="2026-12-10T10:00", ends_at="2026-12-10T11:00", title="Second")
    assert appts.next_appointment(db, world.client_a1)["title"] == "First"
    clock.advance(days=1, hours=3)  # Tue 11:00 UTC: First (09:00–10:00 UTC) is over
    mine = appts.client_appointments(db, world.client_a1)
    assert [v["title"] for v in mine["upcoming"]] == ["Second"]
    assert [v["title"] for v in mine["past"]] == ["First"] and not mine["past"][0]["can_change"]
    assert appts.next_appointment(db, world.client_a1)["title"] == "Second"
    assert appts.next_appointment(db, world.client_a2) is None
    with pytest.raises(Invalid):
        appts.client_cancel(db, world.client_a1, early.public_id)


def test_staff_calendar_window_and_contact_record(world, db):
    make(db, world)
    make(db, world, contact=world.contact_a2.public_id, staff_member=staff_public_id(db, world.member_a))
    week = appts.staff_appointments(db, world.member_a, start=datetime(2026, 12, 7, tzinfo=UTC),
                                    end=datetime(2026, 12, 14, tzinfo=UTC), zone="Europe/Berlin")
    assert len(week) == 2 and week[0]["internal_notes"] == "Upsell the retainer"
    assert "10:00" in week[0]["when"]
    only_max = appts.staff_appointments(db, world.staff_a, start=datetime(2026, 12, 7, tzinfo=UTC),
                                        end=datetime(2026, 12, 14, tzinfo=UTC),
                                        staff_member=staff_public_id(db, world.member_a))
    assert [v["with_name"] for v in only_max] == ["Bob Client"]
    assert appts.staff_appointments(db, world.staff_b, start=datetime(2026, 12, 7, tzinfo=UTC),
                                    end=datetime(2026, 12, 14, tzinfo=UTC)) == []
    with pytest.raises(Invalid):
        appts.staff_appointments(db, world.staff_a, start=datetime(2026, 12, 7, tzinfo=UTC),
                                 end=datetime(2027, 6, 1, tzinfo=UTC))
    assert [v["title"] for v in appts.contact_appointments(db, world.staff_a, world.contact_a2.public_id)] == [
        "Kick-off"]
    with pytest.raises(NotFound):
        appts.contact_appointments(db, world.staff_b, world.contact_a2.public_id)


def test_the_access_rules_and_their_sql_form_agree(world, db):
    from portal_app import access

    a = make(db, world)
    b = make(db, world, contact=world.contact_a2.public_id, starts_at="2026-12-09T12:00", ends_at="2026-12-09T12:30")
    for client in (world.client_a1, world.client_a2, world.client_b1):
        by_rule = {x.id for x in (a, b) if access.client_may_see_appointment(client, x)}
        by_sql = set(db.exec(select(Appointment.id).where(access.client_appointment_clause(Appointment, client))).all())
        assert by_rule == by_sql
    assert access.client_may_see_appointment(world.client_a1, a) and not access.client_may_see_appointment(
        world.client_a2, a)
    owner_id, member_id = world.staff_a.user_id, world.member_a.user_id
    assert access.require_edit_availability(world.member_a, member_id) == world.member_a
    assert access.require_edit_availability(world.staff_a, member_id) == world.staff_a  # an owner: anyone's
    with pytest.raises(Forbidden):
        access.require_edit_availability(world.member_a, owner_id)
    with pytest.raises(Forbidden):
        access.require_edit_availability(world.client_a1, member_id)
    with pytest.raises(NotSignedIn):
        access.require_edit_availability(world.anon, member_id)
    assert access.may_edit_availability(world.staff_a, member_id)
    assert not access.may_edit_availability(world.member_a, owner_id)
    assert not access.may_edit_availability(world.client_a1, member_id)
    with pytest.raises(NotSignedIn):
        access.require_manage_appointments(world.anon)
    with pytest.raises(Forbidden):
        access.require_manage_appointments(world.client_a1)


def test_a_booking_can_start_an_automation(world, db):
    from portal_app.services import events
    from portal_app.services.automations import triggers

    a = make(db, world)
    event = events.AppointmentBooked(workspace_id=world.ws_a.id, appointment=a.public_id,
                                     contact=world.contact_a1.public_id, by="staff")
    snap = triggers.build(db, event)
    assert snap is not None and snap.contact_id == world.contact_a1.id
    assert snap.vars["appointment"]["title"] == "Kick-off" and snap.vars["appointment"]["with"] == "Ava Owner"
    assert snap.dates["appointment.starts_at"].startswith("2026-12-09T09:00")
    assert "appointment.when" in triggers.BY_KIND["appointment.booked"].placeholders()
    other = events.AppointmentBooked(workspace_id=world.ws_b.id, appointment=a.public_id,
                                     contact=world.contact_a1.public_id, by="staff")
    assert triggers.build(db, other) is None  # another workspace's event never reaches A's appointment

"""Appointment emails and reminders (services/appointments/notify.py, reminders.py): the client's
email with its .ics on create, change and cancel (parsed back: METHOD, SEQUENCE, UID), in their
own zone; the staff member's notice when the client acted; nothing for internal notes; reminders
once each with an injected clock, never for cancelled ones, never a 24 h reminder for an
appointment made 2 hours ahead, right across a DST change; feed URLs."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar
from sqlmodel import col, select

from portal_app.models import Appointment, ClientAccount, Contact, OutboxMessage, PortalSettings
from portal_app.services import bus
from portal_app.services.appointments import appointments as appts
from portal_app.services.appointments import booking, feeds, reminders
from tests.support.appointments import booking_type, freeze, open_hours


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    return freeze(monkeypatch)


def make(db, world, **kw):
    values = {"contact": world.contact_a1.public_id, "starts_at": "2026-12-08T10:00", "ends_at": "2026-12-08T10:30",
              "zone": "Europe/Berlin", "title": "Kick-off", "location": "https://meet.example.com/k",
              "client_notes": "Bring the brief", "internal_notes": "Upsell the retainer"}
    values.update(kw)
    a = appts.create_appointment(db, world.staff_a, **values)
    db.commit()
    return a


def run_events(db) -> None:
    """What the worker does with the pending appointment events: their handlers, then done."""
    rows = db.exec(select(OutboxMessage).where(col(OutboxMessage.kind).startswith("appointment."),
                                               col(OutboxMessage.done_at).is_(None))
                   .order_by(col(OutboxMessage.id))).all()
    for msg in rows:
        bus.dispatch(db, msg.workspace_id, msg.kind, json.loads(msg.payload))
        msg.done_at = datetime.now(UTC)
        db.add(msg)
    db.commit()


def emails(db, seen: set[int] | None = None) -> list[dict]:
    rows = db.exec(select(OutboxMessage).where(OutboxMessage.kind == "email").order_by(col(OutboxMessage.id))).all()
    out = []
    for m in rows:
        if seen is not None:
            if m.id in seen:
                continue
            seen.add(m.id)
        out.append(json.loads(m.payload))
    return out


def ics_of(payload: dict):
    [att] = [a for a in payload.get("attachments", []) if a["content_type"] == "text/calendar"]
    cal = Calendar.from_ical(base64.b64decode(att["data"]))
    [event] = cal.walk("VEVENT")
    return cal, event


# --- the client's emails -------------------------------------------------------------------------

def test_create_change_cancel_each_email_the_client_an_ics_that_replaces_the_last(world, db):
    seen: set[int] = set()
    a = make(db, world)
    run_events(db)
    [booked] = emails(db, seen)
    assert booked["to"] == "alice@client.example"
    assert booked["subject"] == "Appointment booked: Kick-off, Tue 08 Dec 2026, 10:00\u201310:30 (Europe/Berlin)"
    assert "Alpha Studio booked an appointment with you." in booked["text"]
    assert "Where: https://meet.example.com/k" in booked["text"] and "Bring the brief" in booked["text"]
    assert "With: Ava Owner" in booked["text"]
    assert "Upsell" not in booked["text"] + booked["html"]                      # internal notes stay inside
    assert "https://alpha.example.test/appointments" in booked["text"]
    cal, ev = ics_of(booked)
    assert str(cal["METHOD"]) == "REQUEST" and int(ev["SEQUENCE"]) == 0
    assert str(cal["PRODID"]) == "-//Alpha Studio//Appointments//EN"            # the business's, not ours
    assert b"Client Portal" not in base64.b64decode(booked["attachments"][0]["data"])
    assert str(ev["UID"]) == f"{a.public_id}@alpha.example.test"
    assert ev["DTSTART"].params["TZID"] == "Europe/Berlin" and ev["DTSTART"].dt.hour == 10
    assert "Upsell" not in base64.b64decode(booked["attachments"][0]["data"]).decode()
    assert str(ev["ORGANIZER"]) == "mailto:owner@alpha.example"
    assert str(ev["ATTENDEE"]) == "mailto:alice@client.example"

    appts.reschedule_appointment(db, world.staff_a, a.public_id, starts_at="2026-12-08T14:00",
                                 ends_at="2026-12-08T14:30")
    db.commit()
    run_events(db)
    [moved] = emails(db, seen)
    assert moved["subject"].startswith("Appointment moved: Kick-off, Tue 08 Dec 2026, 14:00")
    cal, ev = ics_of(moved)
    assert str(cal["METHOD"]) == "REQUEST" and int(ev["SEQUENCE"]) == 1
    assert str(ev["UID"]) == f"{a.public_id}@alpha.example.test"

    appts.cancel_appointment(db, world.staff_a, a.public_id)
    db.commit()
    run_events(db)
    [cancelled] = emails(db, seen)
    assert cancelled["subject"].startswith("Appointment cancelled: Kick-off")
    assert "Alpha Studio cancelled your appointment." in cancelled["text"]
    cal, ev = ics_of(cancelled)
    assert str(cal["METHOD"]) == "CANCEL" and int(ev["SEQUENCE"]) == 2 and str(ev["STATUS"]) == "CANCELLED"
    assert str(ev["UID"]) == f"{a.public_id}@alpha.example.test"
    assert cancelled["attachments"][0]["filename"] == "cancel.ics"
    # staff acted: no staff notice was sent at any point
    assert all(p["to"] == "alice@client.example" for p in emails(db))


def test_times_are_in_the_contacts_own_zone_when_known(world, db):
    contact = db.get(Contact, world.contact_a1.id)
    contact.time_zone = "America/New_York"
    db.add(contact)
    db.commit()
    make(db, world)
    run_events(db)
    [mail] = emails(db)
    assert "Tue 08 Dec 2026, 04:00\u201304:30 (America/New_York)" in mail["subject"]
    _cal, ev = ics_of(mail)
    assert ev["DTSTART"].params["TZID"] == "Europe/Berlin"   # the calendar entry keeps the zone it was made in


def test_a_bad_stored_zone_falls_back_to_utc_wording(world, db):
    contact = db.get(Contact, world.contact_a1.id)
    contact.time_zone = "Mars/Olympus"
    db.add(contact)
    db.commit()
    make(db, world)
    run_events(db)
    [mail] = emails(db)
    assert "09:00\u201309:30 (UTC)" in mail["subject"]


def test_internal_notes_only_email_nobody(world, db):
    a = make(db, world)
    run_events(db)
    before = len(emails(db))
    appts.update_appointment(db, world.staff_a, a.public_id, internal_notes="Call their CFO too")
    db.commit()
    run_events(db)
    assert len(emails(db)) == before


def test_a_stale_event_sends_nothing_the_newer_one_carries_the_state(world, db):
    a = make(db, world)
    appts.update_appointment(db, world.staff_a, a.public_id, title="Kick-off (long)")
    db.commit()
    run_events(db)
    [mail] = emails(db)   # the booked event is stale (sequence 0 < 1): only the change is emailed
    assert "Kick-off (long)" in mail["subject"] and int(ics_of(mail)[1]["SEQUENCE"]) == 1


def test_a_client_booking_moving_and_cancelling_tells_the_staff_member(world, db, clock):
    open_hours(db, world.staff_a, zone="Europe/Berlin")
    bt = booking_type(db, world.staff_a)
    db.commit()
    a = booking.book(db, world.client_a1, bt.public_id, "2026-12-09T09:00:00+00:00", zone="America/New_York")
    db.commit()
    run_events(db)
    mails = emails(db)
    assert [m["to"] for m in mails] == ["alice@client.example", "owner@alpha.example"]
    assert mails[0]["subject"].startswith("Appointment booked: 30-min check-in")
    assert "Your appointment is booked." in mails[0]["text"]
    assert mails[1]["subject"] == "Alice Client booked \u201c30-min check-in\u201d"
    assert "https://alpha.example.test/staff/calendar" in mails[1]["text"]
    assert "Wed 09 Dec 2026, 10:00–10:30 (Europe/Berlin)" in mails[1]["text"]   # the staff member's own zone
    assert "Wed 09 Dec 2026, 04:00–04:30 (America/New_York)" in mails[0]["subject"]  # the zone it was made in
    assert "attachments" not in mails[1]
    booking.client_reschedule(db, world.client_a1, a.public_id, "2026-12-09T10:00:00+00:00")
    db.commit()
    run_events(db)
    appts.client_cancel(db, world.client_a1, a.public_id)
    db.commit()
    run_events(db)
    subjects = [m["subject"] for m in emails(db)][2:]
    assert subjects[0].startswith("Appointment moved:") and subjects[1] == "Alice Client moved \u201c30-min check-in\u201d"
    assert subjects[2].startswith("Appointment cancelled:")
    assert subjects[3] == "Alice Client cancelled \u201c30-min check-in\u201d"


def test_a_disabled_client_or_one_without_email_is_not_emailed(world, db):
    account = db.get(ClientAccount, world.account_a1.id)
    account.status = "disabled"
    db.add(account)
    db.commit()
    make(db, world)
    run_events(db)
    assert emails(db) == []


def test_an_event_naming_another_workspaces_appointment_emails_nobody(world, db):
    a = make(db, world)
    bus.dispatch(db, world.ws_b.id, "appointment.booked",
                 {"appointment": a.public_id, "contact": world.contact_a1.public_id, "by": "staff"})
    assert emails(db) == []


def test_the_button_opens_the_portal_home_while_the_section_is_off(world, db):
    ps = db.get(PortalSettings, world.ws_a.id)
    ps.show_appointments = False
    db.add(ps)
    db.commit()
    make(db, world)
    run_events(db)
    [mail] = emails(db)
    assert "Open your client portal: https://alpha.example.test/" in mail["text"]


# --- reminders --------------------------------------------------------------------------------

def reminder_subjects(db) -> list[str]:
    return [m["subject"] for m in emails(db) if m["subject"].startswith("Reminder:")]


def test_reminders_go_once_each_at_their_time(world, db, clock):
    a = make(db, world, starts_at="2026-12-09T10:00", ends_at="2026-12-09T10:30")   # 09:00 UTC on the 9th
    start = a.starts_at
    assert reminders.send_due(db, start - timedelta(hours=24, minutes=1)) == 0       # not yet
    assert reminders.send_due(db, start - timedelta(hours=24)) == 1
    db.commit()
    assert reminders.send_due(db, start - timedelta(hours=23)) == 0                  # once
    db.commit()
    assert reminders.send_due(db, start - timedelta(hours=1, minutes=1)) == 0
    assert reminders.send_due(db, start - timedelta(minutes=59)) == 1
    db.commit()
    assert reminders.send_due(db, start - timedelta(minutes=50)) == 0
    assert reminder_subjects(db) == ["Reminder: Kick-off, Wed 09 Dec 2026, 10:00\u201310:30 (Europe/Berlin)"] * 2
    texts = [m["text"] for m in emails(db) if m["subject"].startswith("Reminder:")]
    assert "starts in 24 hours" in texts[0] and "starts in 1 hour" in texts[1]
    db.expire_all()
    row = db.get(Appointment, a.id)
    assert row.reminder_24h_sent_at == start - timedelta(hours=24)
    assert row.reminder_1h_sent_at == start - timedelta(minutes=59)


def test_a_second_worker_claims_nothing(world, db):
    a = make(db, world, starts_at="2026-12-09T10:00", ends_at="2026-12-09T10:30")
    now = a.starts_at - timedelta(hours=23)
    assert reminders.claim(db, a, "24h", now) is True
    assert reminders.claim(db, a, "24h", now) is False      # the UPDATE … WHERE sent_at IS NULL matched nothing
    db.rollback()


def test_cancelled_appointments_get_no_reminder(world, db):
    a = make(db, world, starts_at="2026-12-09T10:00", ends_at="2026-12-09T10:30")
    appts.cancel_appointment(db, world.staff_a, a.public_id)
    db.commit()
    assert reminders.send_due(db, a.starts_at - timedelta(hours=24)) == 0
    assert reminders.send_due(db, a.starts_at - timedelta(hours=1)) == 0
    assert reminder_subjects(db) == []


def test_no_day_ahead_reminder_for_an_appointment_made_two_hours_before(world, db, clock):
    a = make(db, world, starts_at="2026-12-07T11:00", ends_at="2026-12-07T11:30")   # 10:00 UTC; now is 08:00 UTC
    for minutes in range(0, 120, 5):
        reminders.send_due(db, clock.now + timedelta(minutes=minutes))
        db.commit()
    assert reminder_subjects(db) == [f"Reminder: Kick-off, {'Mon 07 Dec 2026, 11:00'}\u201311:30 (Europe/Berlin)"]
    assert "starts in 1 hour" in emails(db)[-1]["text"]
    db.expire_all()
    assert db.get(Appointment, a.id).reminder_24h_sent_at is None


def test_a_reminder_past_its_window_is_skipped(world, db):
    a = make(db, world, starts_at="2026-12-09T10:00", ends_at="2026-12-09T10:30")
    assert reminders.send_due(db, a.starts_at - timedelta(hours=17)) == 0       # the worker was down at 24 h
    assert reminders.send_due(db, a.starts_at - timedelta(minutes=40)) == 0     # and at 1 h
    assert reminders.send_due(db, a.starts_at + timedelta(minutes=1)) == 0      # started
    assert reminder_subjects(db) == []


def test_reminders_follow_the_workspace_setting(world, db):
    ps = db.get(PortalSettings, world.ws_a.id)
    ps.appointment_reminders = "48h,24h,15m"
    db.add(ps)
    db.commit()
    assert reminders.chosen("48h,24h,15m") == ["48h", "15m"] and reminders.chosen("") == []
    a = make(db, world, starts_at="2026-12-10T10:00", ends_at="2026-12-10T10:30")
    assert reminders.send_due(db, a.starts_at - timedelta(hours=24)) == 0       # 24h: the 48h one is this kind's
    assert reminders.send_due(db, a.starts_at - timedelta(hours=48)) == 1
    assert reminders.send_due(db, a.starts_at - timedelta(hours=1)) == 0
    assert reminders.send_due(db, a.starts_at - timedelta(minutes=15)) == 1
    ps.appointment_reminders = ""
    db.add(ps)
    db.commit()
    b = make(db, world, starts_at="2026-12-10T12:00", ends_at="2026-12-10T12:30")
    assert reminders.send_due(db, b.starts_at - timedelta(hours=24)) == 0
    assert reminders.send_due(db, b.starts_at - timedelta(hours=1)) == 0


def test_reminders_are_right_the_day_after_a_dst_change(world, db):
    # Europe/Berlin springs forward on Sun 28 Mar 2027 (CET+1 → CEST+2); Mon 29 Mar 10:00 local is 08:00 UTC.
    a = make(db, world, starts_at="2027-03-29T10:00", ends_at="2027-03-29T10:30")
    assert a.starts_at == datetime(2027, 3, 29, 8, 0, tzinfo=UTC)
    # 24 real hours before is 08:00 UTC on Sunday (10:00 CEST); a wall-clock "10:00 CET" would be 09:00 UTC
    assert reminders.send_due(db, datetime(2027, 3, 28, 7, 59, tzinfo=UTC)) == 0
    assert reminders.send_due(db, datetime(2027, 3, 28, 8, 0, tzinfo=UTC)) == 1
    db.commit()
    assert reminders.send_due(db, datetime(2027, 3, 29, 6, 59, tzinfo=UTC)) == 0
    assert reminders.send_due(db, datetime(2027, 3, 29, 7, 0, tzinfo=UTC)) == 1
    db.commit()
    assert reminder_subjects(db) == ["Reminder: Kick-off, Mon 29 Mar 2027, 10:00\u201310:30 (Europe/Berlin)"] * 2


def test_a_rescheduled_appointments_reminders_are_due_again(world, db):
    a = make(db, world, starts_at="2026-12-09T10:00", ends_at="2026-12-09T10:30")
    assert reminders.send_due(db, a.starts_at - timedelta(hours=24)) == 1
    db.commit()
    appts.reschedule_appointment(db, world.staff_a, a.public_id, starts_at="2026-12-10T10:00",
                                 ends_at="2026-12-10T10:30")
    db.commit()
    db.expire_all()
    moved = db.get(Appointment, a.id)
    assert moved.reminder_24h_sent_at is None and moved.reminder_1h_sent_at is None
    assert reminders.send_due(db, moved.starts_at - timedelta(hours=24)) == 1
    db.commit()
    assert len(reminder_subjects(db)) == 2


def test_the_reminder_job_is_periodic_on_the_worker():
    from portal_app import worker
    from portal_app.jobs import periodic

    assert periodic.PERIODIC["appointments.remind"].every_seconds == worker.REMIND_EVERY_SECONDS == 60
    assert "appointments.remind" in worker.HANDLERS
    assert reminders.window("15m")[1] >= timedelta(0) and reminders.MIN_WINDOW.total_seconds() > 60


def test_the_worker_job_uses_the_workers_clock(world, db, monkeypatch):
    from portal_app import worker

    a = make(db, world, starts_at="2026-12-09T10:00", ends_at="2026-12-09T10:30")
    monkeypatch.setattr(worker, "clock", lambda: a.starts_at - timedelta(hours=24))
    worker.HANDLERS["appointments.remind"](db, None, {})  # type: ignore[arg-type]
    db.commit()
    assert len(reminder_subjects(db)) == 1


def test_the_handlers_are_registered():
    from portal_app.services.appointments import notify
    from portal_app.services.events import AppointmentBooked, AppointmentCancelled, AppointmentChanged

    assert notify.on_booked in bus.HANDLERS[AppointmentBooked]
    assert notify.on_changed in bus.HANDLERS[AppointmentChanged]
    assert notify.on_cancelled in bus.HANDLERS[AppointmentCancelled]


# --- feed URLs --------------------------------------------------------------------------------

def test_feed_urls_use_the_configured_base_url(world):
    https, webcal = feeds.feed_url(world.ws_a, "tok_abc")
    assert https == "https://alpha.example.test/api/calendar/feed/tok_abc.ics"
    assert webcal == "webcal://alpha.example.test/api/calendar/feed/tok_abc.ics"

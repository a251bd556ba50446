"""The demo workspace `make run` seeds shows Appointments working at once: the owner's working
hours, two bookable kinds with free times, and one upcoming appointment of the demo client,
placed relative to the seed's clock (the same clock, the same appointment)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from portal_app.access import Client, Staff
from portal_app.models import Appointment, AuditEvent, BookingType, ClientAccount, Contact, StaffUser
from portal_app.services.appointments import appointments as appts
from portal_app.services.appointments import booking, free
from portal_app.services.portal.demo import (
    DEMO_APPOINTMENT,
    DEMO_BOOKING_TYPES,
    DEMO_CLIENT_EMAIL,
    demo_appointment_day,
    seed_demo,
)
from tests.support.appointments import freeze

# Thursday 10 Dec 2026, 15:00 UTC (09:00 in Chicago)
NOW = datetime(2026, 12, 10, 15, 0, tzinfo=UTC)


def _actors(db) -> tuple[Staff, Client]:
    owner = db.exec(select(StaffUser)).one()
    contact = db.exec(select(Contact).where(Contact.email == DEMO_CLIENT_EMAIL)).one()
    account = db.exec(select(ClientAccount).where(ClientAccount.contact_id == contact.id)).one()
    return (Staff(owner.workspace_id, owner.id, owner.role, owner.email, owner.name),
            Client(contact.workspace_id, contact.id, account.id, contact.email, contact.display_name))


@pytest.mark.parametrize("today, expected", [
    (date(2026, 12, 7), date(2026, 12, 9)),     # Monday → Wednesday
    (date(2026, 12, 10), date(2026, 12, 14)),   # Thursday → (Saturday) → Monday
    (date(2026, 12, 12), date(2026, 12, 14)),   # Saturday → Monday
    (date(2026, 12, 13), date(2026, 12, 15)),   # Sunday → Tuesday
])
def test_the_demo_appointment_is_on_a_weekday_two_days_on_or_later(today, expected):
    assert demo_appointment_day(today) == expected


def test_the_demo_client_has_an_upcoming_appointment_and_kinds_to_book(db, monkeypatch):
    freeze(monkeypatch, NOW)
    assert seed_demo(db, "http://localhost:3000", "staff-pass-123", "client-pass-123") is not None
    db.commit()
    staff, client = _actors(db)

    [a] = db.exec(select(Appointment)).all()
    assert (a.title, a.zone, a.status, a.created_by) == (DEMO_APPOINTMENT, "America/Chicago", "scheduled", "staff")
    # Monday 14 Dec 2026, 15:00–15:45 in Chicago (21:00 UTC)
    assert (a.starts_at, a.ends_at) == (datetime(2026, 12, 14, 21, 0, tzinfo=UTC),
                                        datetime(2026, 12, 14, 21, 45, tzinfo=UTC))
    mine = appts.client_appointments(db, client, zone="America/Chicago")
    [seen] = mine["upcoming"]
    assert seen["title"] == DEMO_APPOINTMENT and seen["can_change"] and seen["with_name"] == "Olivia Owner"
    assert seen["when"] == "Mon 14 Dec 2026, 15:00\u201315:45 (America/Chicago)" and mine["past"] == []
    assert appts.next_appointment(db, client, zone="America/Chicago")["id"] == a.public_id
    [booked] = db.exec(select(AuditEvent).where(AuditEvent.subject_id == a.public_id)).all()
    assert booked.action == "appointment.booked" and json.loads(booked.detail)["by"] == "staff"

    kinds = booking.client_booking_types(db, client)
    assert sorted(k["name"] for k in kinds) == sorted(DEMO_BOOKING_TYPES)
    assert all(k["active"] and k["staff_name"] == "Olivia Owner" for k in kinds)
    for kind in kinds:  # free times next week, none on the demo appointment's
        found = free.available_slots(db, client, kind["id"], NOW, NOW + timedelta(days=14), NOW)
        assert found, kind["name"]
        assert a.starts_at not in found
        assert all(s.weekday() < 5 for s in found)
    assert len(db.exec(select(BookingType)).all()) == 2


def test_the_demo_is_seeded_once(db, monkeypatch):
    freeze(monkeypatch, NOW)
    assert seed_demo(db, "http://localhost:3000", "staff-pass-123", "client-pass-123") is not None
    first = db.exec(select(Appointment)).one()
    assert seed_demo(db, "http://localhost:3000", "staff-pass-123", "client-pass-123") is None  # seeded once
    assert [(x.starts_at, x.ends_at) for x in db.exec(select(Appointment)).all()] == [(first.starts_at,
                                                                                        first.ends_at)]

"""Two clients book the same slot at the same moment, each in their own session and thread, on
SQLite and on PostgreSQL: exactly one gets it, the other is told the time was just taken. A third
pair races for overlapping (not equal) times of two booking types: again one wins."""

from __future__ import annotations

import threading

import pytest
from sqlmodel import Session, select

from portal_app.db import get_engine
from portal_app.errors import Invalid
from portal_app.models import Appointment, AppointmentSlotClaim
from portal_app.services.appointments import booking
from tests.support.appointments import booking_type, freeze, open_hours
from tests.support.world import World

TAKEN = "That time was just taken. Please pick another one."


def _race(db_url, jobs):
    """Run each job(session) in its own thread and session, released together by a barrier;
    each commits what it booked. Returns what each job ended with (an Appointment id or an error)."""
    barrier = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)

    def run(i, job):
        with Session(get_engine(db_url), expire_on_commit=False) as session:
            try:
                barrier.wait(timeout=30)
                a = job(session)
                session.commit()
                results[i] = a.id
            except Exception as exc:
                session.rollback()
                results[i] = exc

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=90)
    assert not any(t.is_alive() for t in threads), "a booking never finished"
    return results


@pytest.fixture
def setup(db_url, monkeypatch):
    freeze(monkeypatch)
    with Session(get_engine(db_url), expire_on_commit=False) as session:
        world = World(session)
        open_hours(session, world.staff_a)
        short = booking_type(session, world.staff_a)
        long = booking_type(session, world.staff_a, name="Kick-off", duration_minutes=60)
        session.commit()
    return world, short, long


@pytest.mark.parametrize("round_", range(3))
def test_two_clients_racing_for_one_slot_one_wins(db_url, setup, round_):
    world, short, _long = setup
    start = "2026-12-08T09:00:00+00:00"
    results = _race(db_url, [lambda s: booking.book(s, world.client_a1, short.public_id, start),
                             lambda s: booking.book(s, world.client_a2, short.public_id, start)])
    won = [r for r in results if isinstance(r, int)]
    lost = [r for r in results if not isinstance(r, int)]
    assert len(won) == 1 and len(lost) == 1, results
    assert isinstance(lost[0], Invalid) and lost[0].message == TAKEN
    with Session(get_engine(db_url)) as session:
        assert len(session.exec(select(Appointment)).all()) == 1
        assert len(session.exec(select(AppointmentSlotClaim)).all()) == 6


def test_overlapping_times_of_two_types_one_wins(db_url, setup):
    world, short, long = setup
    results = _race(db_url, [
        lambda s: booking.book(s, world.client_a1, long.public_id, "2026-12-08T09:00:00+00:00"),   # 10:00–11:00
        lambda s: booking.book(s, world.client_a2, short.public_id, "2026-12-08T09:30:00+00:00"),  # 10:30–11:00
    ])
    assert sum(isinstance(r, int) for r in results) == 1, results
    assert [r.message for r in results if isinstance(r, Invalid)] == [TAKEN]


def test_the_unique_claims_alone_refuse_a_double_booking(db_url, setup, monkeypatch):
    """Were the lock skipped and the re-check stale, the slot claims' unique key still lets one win."""
    from portal_app.models import StaffAvailability
    from portal_app.services.appointments import claims

    def no_lock(db, staff_id):
        return db.exec(select(StaffAvailability).where(StaffAvailability.staff_id == staff_id)).first()

    monkeypatch.setattr(claims, "lock_staff", no_lock)
    monkeypatch.setattr(claims, "busy", lambda *a, **kw: [])
    world, short, _long = setup
    start = "2026-12-08T09:00:00+00:00"
    results = _race(db_url, [lambda s: booking.book(s, world.client_a1, short.public_id, start),
                             lambda s: booking.book(s, world.client_a2, short.public_id, start)])
    assert sum(isinstance(r, int) for r in results) == 1, results
    assert [r.message for r in results if isinstance(r, Invalid)] == [TAKEN]

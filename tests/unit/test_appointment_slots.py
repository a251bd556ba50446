"""services/appointments/slots.py (pure): working hours with two intervals a day, days off,
buffers, minimum notice, horizon, window, step vs duration, busy intervals (touching edges
allowed, overlaps not), DST changes of America/New_York, Europe/Berlin and Asia/Kolkata's
+05:30 (09:00 local stays 09:00 local; spring-forward wall times skipped, fall-back ones used
once), bad input, and the fast walk agreeing with a slot-by-slot reference on random data."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from portal_app.services.appointments.slots import BookingRules, WeeklyHours, free_slots

BERLIN, NEW_YORK, KOLKATA = "Europe/Berlin", "America/New_York", "Asia/Kolkata"
WEEKDAYS = {d: [(time(9), time(12)), (time(13), time(17))] for d in range(5)}
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)  # a `now` before every window (with a horizon that reaches them)


def Rules(**kw) -> BookingRules:  # BookingRules with a horizon that reaches every window
    kw.setdefault("horizon", timedelta(days=3650))
    return BookingRules(**kw)


HALF_HOUR = Rules(duration=timedelta(minutes=30))


def at(zone: str, y: int, m: int, d: int, hh: int = 0, mm: int = 0, fold: int = 0) -> datetime:
    """The UTC instant of a local wall time."""
    return datetime(y, m, d, hh, mm, tzinfo=ZoneInfo(zone), fold=fold).astimezone(UTC)


def local(slots: list[datetime], zone: str) -> list[str]:
    return [s.astimezone(ZoneInfo(zone)).strftime("%a %m-%d %H:%M") for s in slots]


def day_slots(hours: WeeklyHours, rules: BookingRules, y: int, m: int, d: int, busy=(), now=EPOCH) -> list[datetime]:
    return free_slots(hours, list(busy), rules, now=now, window_start=at(hours.zone, y, m, d),
                      window_end=at(hours.zone, y, m, d) + timedelta(days=1))


def hhmm(slots: list[datetime], zone: str) -> list[str]:
    return [s.astimezone(ZoneInfo(zone)).strftime("%H:%M") for s in slots]


# ---------------------------------------------------------------- working hours, grid


def test_two_intervals_a_day_on_a_half_hour_grid():
    hours = WeeklyHours(BERLIN, WEEKDAYS)
    slots = day_slots(hours, HALF_HOUR, 2026, 6, 1)  # a Monday, CEST
    assert hhmm(slots, BERLIN) == ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30",
                                   "13:00", "13:30", "14:00", "14:30", "15:00", "15:30", "16:00", "16:30"]
    assert slots[0] == datetime(2026, 6, 1, 7, tzinfo=UTC) and all(s.tzinfo is UTC for s in slots)


def test_a_slot_never_crosses_the_end_of_its_interval():
    hours = WeeklyHours(BERLIN, WEEKDAYS)
    slots = day_slots(hours, Rules(duration=timedelta(minutes=45)), 2026, 6, 1)
    assert hhmm(slots, BERLIN) == ["09:00", "09:45", "10:30", "11:15", "13:00", "13:45", "14:30", "15:15", "16:00"]
    assert day_slots(WeeklyHours(BERLIN, {0: [(time(9), time(9, 20))]}), HALF_HOUR, 2026, 6, 1) == []


def test_step_shorter_than_duration():
    rules = Rules(duration=timedelta(hours=1), step=timedelta(minutes=15))
    slots = day_slots(WeeklyHours(BERLIN, {0: [(time(9), time(12))]}), rules, 2026, 6, 1)
    assert hhmm(slots, BERLIN) == ["09:00", "09:15", "09:30", "09:45", "10:00", "10:15", "10:30", "10:45", "11:00"]


def test_step_longer_than_duration_and_grid_from_each_interval_start():
    rules = Rules(duration=timedelta(minutes=20), step=timedelta(hours=1))
    hours = WeeklyHours(BERLIN, {0: [(time(9, 10), time(11, 30)), (time(13, 45), time(15, 5))]})
    assert hhmm(day_slots(hours, rules, 2026, 6, 1), BERLIN) == ["09:10", "10:10", "11:10", "13:45", "14:45"]


def test_weekend_and_days_off_offer_nothing():
    hours = WeeklyHours(BERLIN, WEEKDAYS, days_off=frozenset({date(2026, 6, 2)}))
    slots = free_slots(hours, [], HALF_HOUR, now=EPOCH, window_start=at(BERLIN, 2026, 6, 1),
                       window_end=at(BERLIN, 2026, 6, 8))  # Mon .. Sun
    days = sorted({s.astimezone(ZoneInfo(BERLIN)).date() for s in slots})
    assert days == [date(2026, 6, 1), date(2026, 6, 3), date(2026, 6, 4), date(2026, 6, 5)]
    assert len(slots) == 4 * 14


def test_overlapping_working_intervals_give_no_duplicates():
    hours = WeeklyHours(BERLIN, {0: [(time(10), time(12)), (time(9), time(11))]})
    slots = day_slots(hours, HALF_HOUR, 2026, 6, 1)
    assert hhmm(slots, BERLIN) == ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"]
    assert slots == sorted(set(slots))


# ---------------------------------------------------------------- busy, buffers


def test_busy_edges_touching_are_allowed_overlaps_are_not():
    hours = WeeklyHours(BERLIN, {0: [(time(9), time(12))]})
    busy = [(at(BERLIN, 2026, 6, 1, 10), at(BERLIN, 2026, 6, 1, 10, 30))]
    assert hhmm(day_slots(hours, HALF_HOUR, 2026, 6, 1, busy), BERLIN) == \
        ["09:00", "09:30", "10:30", "11:00", "11:30"]
    # one minute more on either side takes the neighbouring slot too
    busy = [(at(BERLIN, 2026, 6, 1, 9, 59), at(BERLIN, 2026, 6, 1, 10, 31))]
    assert hhmm(day_slots(hours, HALF_HOUR, 2026, 6, 1, busy), BERLIN) == ["09:00", "11:00", "11:30"]


def test_buffer_before_and_after_busy_intervals():
    hours = WeeklyHours(BERLIN, {0: [(time(9), time(12))]})
    busy = [(at(BERLIN, 2026, 6, 1, 10), at(BERLIN, 2026, 6, 1, 10, 30))]
    rules = Rules(duration=timedelta(minutes=30), buffer=timedelta(minutes=10))
    assert hhmm(day_slots(hours, rules, 2026, 6, 1, busy), BERLIN) == ["09:00", "11:00", "11:30"]
    fine = Rules(duration=timedelta(minutes=30), buffer=timedelta(minutes=10), step=timedelta(minutes=10))
    assert hhmm(day_slots(hours, fine, 2026, 6, 1, busy), BERLIN) == \
        ["09:00", "09:10", "09:20", "10:40", "10:50", "11:00", "11:10", "11:20", "11:30"]


def test_busy_intervals_in_any_order_and_any_zone():
    hours = WeeklyHours(BERLIN, {0: [(time(9), time(12))]})
    ny = ZoneInfo(NEW_YORK)
    busy = [
        (datetime(2026, 6, 1, 5, tzinfo=ny), datetime(2026, 6, 1, 5, 30, tzinfo=ny)),  # 11:00-11:30 Berlin
        (at(BERLIN, 2026, 6, 1, 9), at(BERLIN, 2026, 6, 1, 9, 15)),
        (at(BERLIN, 2026, 6, 1, 9, 10), at(BERLIN, 2026, 6, 1, 9, 40)),  # overlaps the one before
    ]
    assert hhmm(day_slots(hours, HALF_HOUR, 2026, 6, 1, busy), BERLIN) == ["10:00", "10:30", "11:30"]


def test_a_long_busy_interval_spanning_days():
    hours = WeeklyHours(BERLIN, WEEKDAYS)
    busy = [(at(BERLIN, 2026, 6, 1, 11), at(BERLIN, 2026, 6, 3, 14))]
    slots = free_slots(hours, busy, HALF_HOUR, now=EPOCH, window_start=at(BERLIN, 2026, 6, 1),
                       window_end=at(BERLIN, 2026, 6, 4))
    assert local(slots, BERLIN)[:4] == ["Mon 06-01 09:00", "Mon 06-01 09:30", "Mon 06-01 10:00", "Mon 06-01 10:30"]
    assert local(slots, BERLIN)[4] == "Wed 06-03 14:00" and len(slots) == 4 + 6


# ---------------------------------------------------------------- notice, horizon, window


def test_minimum_notice_counts_from_now():
    hours = WeeklyHours(BERLIN, WEEKDAYS)
    now = at(BERLIN, 2026, 6, 1, 9, 10)
    rules = Rules(duration=timedelta(minutes=30), min_notice=timedelta(hours=2))
    assert hhmm(day_slots(hours, rules, 2026, 6, 1, now=now), BERLIN)[:2] == ["11:30", "13:00"]
    rules = Rules(duration=timedelta(minutes=30), min_notice=timedelta(hours=2, minutes=20))
    assert hhmm(day_slots(hours, rules, 2026, 6, 1, now=now), BERLIN)[0] == "11:30"  # 11:30 == now + notice
    rules = Rules(duration=timedelta(minutes=30), min_notice=timedelta(hours=2, minutes=21))
    assert hhmm(day_slots(hours, rules, 2026, 6, 1, now=now), BERLIN)[0] == "13:00"
    rules = Rules(duration=timedelta(minutes=30), min_notice=timedelta(days=1))
    assert day_slots(hours, rules, 2026, 6, 1, now=now) == []
    # no notice: what has already started is not offered either
    assert hhmm(day_slots(hours, HALF_HOUR, 2026, 6, 1, now=now), BERLIN)[0] == "09:30"


def test_horizon_is_inclusive_and_window_end_exclusive():
    hours = WeeklyHours(BERLIN, WEEKDAYS)
    now = at(BERLIN, 2026, 6, 1, 8)
    rules = BookingRules(duration=timedelta(minutes=30), horizon=timedelta(days=1, hours=2))  # Tue 10:00
    slots = free_slots(hours, [], rules, now=now, window_start=now, window_end=now + timedelta(days=30))
    assert local(slots, BERLIN)[-1] == "Tue 06-02 10:00" and len(slots) == 14 + 3
    slots = free_slots(hours, [], HALF_HOUR, now=now, window_start=at(BERLIN, 2026, 6, 1, 10),
                       window_end=at(BERLIN, 2026, 6, 1, 11))
    assert hhmm(slots, BERLIN) == ["10:00", "10:30"]
    assert free_slots(hours, [], HALF_HOUR, now=now, window_start=now, window_end=now) == []
    past = BookingRules(duration=timedelta(minutes=30), horizon=timedelta(0))
    assert free_slots(hours, [], past, now=now, window_start=now, window_end=now + timedelta(days=3)) == []


# ---------------------------------------------------------------- DST and odd offsets


@pytest.mark.parametrize(("zone", "before", "after", "utc_before", "utc_after"), [
    (NEW_YORK, date(2026, 3, 6), date(2026, 3, 9), 14, 13),   # EST -> EDT, Sun 2026-03-08
    (NEW_YORK, date(2026, 10, 30), date(2026, 11, 2), 13, 14),  # EDT -> EST, Sun 2026-11-01
    (BERLIN, date(2026, 3, 27), date(2026, 3, 30), 8, 7),     # CET -> CEST, Sun 2026-03-29
    (BERLIN, date(2026, 10, 23), date(2026, 10, 26), 7, 8),   # CEST -> CET, Sun 2026-10-25
])
def test_nine_local_stays_nine_local_across_the_change(zone, before, after, utc_before, utc_after):
    hours = WeeklyHours(zone, WEEKDAYS)
    slots = free_slots(hours, [], HALF_HOUR, now=EPOCH, window_start=at(zone, before.year, before.month, before.day),
                       window_end=at(zone, after.year, after.month, after.day) + timedelta(days=1))
    by_day: dict[date, list[str]] = {}
    for s in slots:
        by_day.setdefault(s.astimezone(ZoneInfo(zone)).date(), []).append(s.astimezone(ZoneInfo(zone)).strftime("%H:%M"))
    assert sorted(by_day) == [before, after]
    assert by_day[before] == by_day[after] and len(by_day[after]) == 14 and by_day[after][0] == "09:00"
    assert slots[0] == datetime(before.year, before.month, before.day, utc_before, tzinfo=UTC)
    assert slots[14] == datetime(after.year, after.month, after.day, utc_after, tzinfo=UTC)


def test_spring_forward_skips_nonexistent_wall_times():
    sunday = {6: [(time(0), time(6))]}
    rules = Rules(duration=timedelta(hours=1), step=timedelta(minutes=30))
    ny = day_slots(WeeklyHours(NEW_YORK, sunday), rules, 2026, 3, 8)
    assert hhmm(ny, NEW_YORK) == ["00:00", "00:30", "01:00", "01:30", "03:00", "03:30", "04:00", "04:30", "05:00"]
    # 01:30 EST + 1 h of real time is 03:30 EDT: inside the interval, whose end is 06:00 EDT = 10:00 UTC
    assert ny[3] == datetime(2026, 3, 8, 6, 30, tzinfo=UTC) and ny[-1] + timedelta(hours=1) == \
        datetime(2026, 3, 8, 10, tzinfo=UTC)
    berlin = day_slots(WeeklyHours(BERLIN, {6: [(time(1), time(4))]}), HALF_HOUR, 2026, 3, 29)
    assert hhmm(berlin, BERLIN) == ["01:00", "01:30", "03:00", "03:30"]
    # an interval entirely inside the gap offers nothing
    assert day_slots(WeeklyHours(BERLIN, {6: [(time(2), time(2, 59))]}), HALF_HOUR, 2026, 3, 29) == []


def test_fall_back_uses_the_ambiguous_wall_time_once():
    rules = HALF_HOUR
    ny = day_slots(WeeklyHours(NEW_YORK, {6: [(time(0), time(4))]}), rules, 2026, 11, 1)
    assert ny == [datetime(2026, 11, 1, h, m, tzinfo=UTC) for h, m in
                  [(4, 0), (4, 30), (5, 0), (5, 30), (7, 0), (7, 30), (8, 0), (8, 30)]]
    assert hhmm(ny, NEW_YORK).count("01:00") == 1 and hhmm(ny, NEW_YORK).count("01:30") == 1
    berlin = day_slots(WeeklyHours(BERLIN, {6: [(time(1), time(4))]}), rules, 2026, 10, 25)
    assert berlin == [datetime(2026, 10, 24, 23, tzinfo=UTC), datetime(2026, 10, 24, 23, 30, tzinfo=UTC),
                      datetime(2026, 10, 25, 0, tzinfo=UTC), datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
                      datetime(2026, 10, 25, 2, tzinfo=UTC), datetime(2026, 10, 25, 2, 30, tzinfo=UTC)]
    assert hhmm(berlin, BERLIN) == ["01:00", "01:30", "02:00", "02:30", "03:00", "03:30"]


def test_fall_back_busy_interval_in_the_repeated_hour():
    # busy during the SECOND 01:00-02:00 (EST): the first 01:00/01:30 (EDT) stay free
    hours = WeeklyHours(NEW_YORK, {6: [(time(0), time(4))]})
    busy = [(at(NEW_YORK, 2026, 11, 1, 1, 0, fold=1), at(NEW_YORK, 2026, 11, 1, 2))]
    assert hhmm(day_slots(hours, HALF_HOUR, 2026, 11, 1, busy), NEW_YORK) == \
        ["00:00", "00:30", "01:00", "01:30", "02:00", "02:30", "03:00", "03:30"]
    busy = [(at(NEW_YORK, 2026, 11, 1, 1, 0, fold=0), at(NEW_YORK, 2026, 11, 1, 1, 30, fold=0))]
    assert hhmm(day_slots(hours, HALF_HOUR, 2026, 11, 1, busy), NEW_YORK) == \
        ["00:00", "00:30", "01:30", "02:00", "02:30", "03:00", "03:30"]


def test_kolkata_half_hour_offset():
    hours = WeeklyHours(KOLKATA, WEEKDAYS)
    slots = day_slots(hours, HALF_HOUR, 2026, 3, 9)  # Monday; India keeps +05:30 all year
    assert slots[0] == datetime(2026, 3, 9, 3, 30, tzinfo=UTC) and hhmm(slots, KOLKATA)[0] == "09:00"
    assert len(slots) == 14
    busy = [(datetime(2026, 3, 9, 4, tzinfo=UTC), datetime(2026, 3, 9, 4, 30, tzinfo=UTC))]  # 09:30-10:00 IST
    assert "09:30" not in hhmm(day_slots(hours, HALF_HOUR, 2026, 3, 9, busy), KOLKATA)
    # the window is in UTC: a UTC-midnight window starts at 05:30 IST, so Monday's local day is whole
    slots = free_slots(hours, [], HALF_HOUR, now=EPOCH, window_start=datetime(2026, 3, 9, tzinfo=UTC),
                       window_end=datetime(2026, 3, 10, tzinfo=UTC))
    assert len(slots) == 14


def test_a_staff_day_seen_from_another_zone_stays_on_the_staff_local_day():
    # Friday 16:30 in New York is Saturday 02:00 in Kolkata: it is a Friday slot of the New York staff member
    hours = WeeklyHours(NEW_YORK, {4: [(time(16), time(17))]})
    slots = free_slots(hours, [], HALF_HOUR, now=EPOCH, window_start=datetime(2026, 6, 5, tzinfo=UTC),
                       window_end=datetime(2026, 6, 7, tzinfo=UTC))
    assert local(slots, NEW_YORK) == ["Fri 06-05 16:00", "Fri 06-05 16:30"]


# ---------------------------------------------------------------- bad input


def test_bad_input_raises_value_error():
    hours = WeeklyHours(BERLIN, WEEKDAYS)
    naive = datetime(2026, 6, 1, 9)
    aware = at(BERLIN, 2026, 6, 1)
    with pytest.raises(ValueError, match="timezone-aware"):
        free_slots(hours, [], HALF_HOUR, now=naive, window_start=aware, window_end=aware + timedelta(days=1))
    with pytest.raises(ValueError, match="window_start must be timezone-aware"):
        free_slots(hours, [], HALF_HOUR, now=aware, window_start=naive, window_end=aware + timedelta(days=1))
    with pytest.raises(ValueError, match="busy"):
        free_slots(hours, [(naive, naive + timedelta(hours=1))], HALF_HOUR, now=aware, window_start=aware,
                   window_end=aware + timedelta(days=1))
    with pytest.raises(ValueError, match="ends before it starts"):
        free_slots(hours, [(aware + timedelta(hours=1), aware)], HALF_HOUR, now=aware, window_start=aware,
                   window_end=aware + timedelta(days=1))
    with pytest.raises(ValueError, match="Unknown time zone: 'Mars/Olympus'"):
        WeeklyHours("Mars/Olympus", WEEKDAYS)
    for bad_zone in ("", "../etc/passwd", "x" * 100):
        with pytest.raises(ValueError, match="Unknown time zone"):
            WeeklyHours(bad_zone, WEEKDAYS)
    with pytest.raises(ValueError, match="end after it starts"):
        WeeklyHours(BERLIN, {0: [(time(12), time(9))]})
    with pytest.raises(ValueError, match="end after it starts"):
        WeeklyHours(BERLIN, {0: [(time(9), time(9))]})
    with pytest.raises(ValueError, match="weekday"):
        WeeklyHours(BERLIN, {7: [(time(9), time(10))]})
    with pytest.raises(ValueError, match="without a time zone"):
        WeeklyHours(BERLIN, {0: [(time(9, tzinfo=UTC), time(10))]})
    with pytest.raises(ValueError, match="duration"):
        BookingRules(duration=timedelta(0))
    with pytest.raises(ValueError, match="buffer"):
        BookingRules(duration=timedelta(minutes=30), buffer=timedelta(minutes=-5))
    with pytest.raises(ValueError, match="step"):
        BookingRules(duration=timedelta(minutes=30), step=timedelta(seconds=0))


# ---------------------------------------------------------------- the fast walk against a reference


def _reference(hours: WeeklyHours, busy, rules: BookingRules, now, start, end) -> list[datetime]:
    """Slot by slot in wall time, every busy interval checked linearly."""
    zone = ZoneInfo(hours.zone)
    step = rules.step or rules.duration
    widened = [(a.astimezone(UTC) - rules.buffer, b.astimezone(UTC) + rules.buffer) for a, b in busy]
    out = set()
    day = start.astimezone(zone).date() - timedelta(days=1)
    while day <= end.astimezone(zone).date() + timedelta(days=1):
        for a, b in ([] if day in hours.days_off else hours.days.get(day.weekday(), [])):
            wall, wall_end = datetime.combine(day, a), datetime.combine(day, b)
            e0 = min(wall_end.replace(tzinfo=zone, fold=f).astimezone(UTC) for f in (0, 1))
            while wall < wall_end:
                s = wall.replace(tzinfo=zone).astimezone(UTC)
                exists = s.astimezone(zone).replace(tzinfo=None) == wall
                if (exists and s + rules.duration <= e0 and s >= max(start, now + rules.min_notice) and s < end
                        and s <= now + rules.horizon
                        and not any(x < s + rules.duration and s < y for x, y in widened)):
                    out.add(s)
                wall += step
        day += timedelta(days=1)
    return sorted(out)


@pytest.mark.parametrize("zone", [NEW_YORK, BERLIN, KOLKATA])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_matches_the_slot_by_slot_reference(zone, seed):
    rnd = random.Random(seed)
    hours = WeeklyHours(zone, {d: [(time(0, 30), time(3, 30)), (time(9), time(12)), (time(13), time(17))]
                               for d in range(7)}, days_off=frozenset({date(2026, 10, 28)}))
    rules = Rules(duration=timedelta(minutes=rnd.choice([20, 30, 45])), buffer=timedelta(minutes=rnd.choice([0, 10])),
                         step=rnd.choice([None, timedelta(minutes=15)]), min_notice=timedelta(hours=5),
                         horizon=timedelta(days=25))
    start = datetime(2026, 10, 14, tzinfo=UTC)  # over the October and November changes
    end = start + timedelta(days=30)
    busy = []
    for _ in range(150):
        b = start + timedelta(minutes=rnd.randrange(0, 30 * 24 * 60, 5))
        busy.append((b, b + timedelta(minutes=rnd.choice([15, 30, 60, 90]))))
    now = start - timedelta(hours=2)
    got = free_slots(hours, busy, rules, now=now, window_start=start, window_end=end)
    assert got == _reference(hours, busy, rules, now, start, end)
    assert got and got == sorted(set(got))

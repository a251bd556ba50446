"""services/appointments/lanes.py: overlapping appointments of a day column side by side, and the
staff week view (state/staff/calendar.week_columns) carrying each one's lane as plain data."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from portal_app.services.appointments.lanes import Lane, lay_out
from portal_app.state.staff.calendar import lane_box, week_columns


def test_nothing_overlapping_takes_the_whole_width():
    assert lay_out([]) == []
    assert lay_out([(0, 30)]) == [Lane(0, 1)]
    assert lay_out([(60, 90), (0, 30), (30, 60)]) == [Lane(0, 1)] * 3   # touching is not overlapping


def test_two_overlapping_share_the_width():
    assert lay_out([(0, 60), (30, 90)]) == [Lane(0, 2), Lane(1, 2)]
    assert lay_out([(30, 90), (0, 60)]) == [Lane(1, 2), Lane(0, 2)]       # in the order given
    assert lay_out([(0, 120), (30, 60), (200, 230)]) == [Lane(0, 2), Lane(1, 2), Lane(0, 1)]  # a later one: alone


def test_a_chain_is_one_group_and_reuses_a_free_lane():
    # A 9-10 overlaps B 9:30-10:30, B overlaps C 10-11, A and C do not: two lanes, C back in A's
    a, b, c = (540, 600), (570, 630), (600, 660)
    assert lay_out([a, b, c]) == [Lane(0, 2), Lane(1, 2), Lane(0, 2)]
    # a fourth overlapping B and C needs a third lane, and the whole chain shares three
    assert lay_out([a, b, c, (610, 640)]) == [Lane(0, 3), Lane(1, 3), Lane(0, 3), Lane(2, 3)]


def test_identical_times_each_get_a_lane():
    assert lay_out([(0, 30), (0, 30)]) == [Lane(0, 2), Lane(1, 2)]
    assert lay_out([(0, 30)] * 3) == [Lane(0, 3), Lane(1, 3), Lane(2, 3)]


def test_a_longer_one_starting_together_goes_left():
    assert lay_out([(0, 30), (0, 90)]) == [Lane(1, 2), Lane(0, 2)]


def test_lane_box_css():
    assert lane_box(0, 1) == ("2px", "calc(100% - 4px)")
    assert lane_box(1, 2) == ("calc(1 * 100% / 2 + 2px)", "calc(100% / 2 - 4px)")


def _view(ident: str, start: str, end: str) -> dict:
    return {"id": ident, "title": "T", "with_name": "C", "staff_name": "S", "status": "scheduled",
            "status_label": "Scheduled", "starts_at": start, "ends_at": end}


def test_the_week_view_places_overlapping_appointments_side_by_side():
    rows = [_view("a", "2026-12-08T09:00:00+00:00", "2026-12-08T10:00:00+00:00"),
            _view("b", "2026-12-08T09:30:00+00:00", "2026-12-08T10:00:00+00:00"),
            _view("c", "2026-12-09T09:00:00+00:00", "2026-12-09T09:30:00+00:00"),
            # 5 minutes each, back to back: drawn at least 20 minutes tall, so they would cover
            # each other: side by side too
            _view("d", "2026-12-10T09:00:00+00:00", "2026-12-10T09:05:00+00:00"),
            _view("e", "2026-12-10T09:05:00+00:00", "2026-12-10T09:10:00+00:00")]
    days, _first, _last = week_columns(rows, date(2026, 12, 7), ZoneInfo("UTC"), date(2026, 12, 7))
    tuesday, wednesday, thursday = days[1]["items"], days[2]["items"], days[3]["items"]
    assert [(i["id"], i["lane"], i["lanes"]) for i in tuesday] == [("a", 0, 2), ("b", 1, 2)]
    assert tuesday[1]["left"] == "calc(1 * 100% / 2 + 2px)" and tuesday[1]["width"] == "calc(100% / 2 - 4px)"
    assert [(i["id"], i["lane"], i["lanes"], i["left"]) for i in wednesday] == [("c", 0, 1, "2px")]
    # a lane too narrow for the whole time shows its start; the accessible name says what shows,
    # in that order (axe: label-content-name-mismatch), then the end
    assert [(i["time"], i["shown_time"], i["name"]) for i in tuesday] == [
        ("09:00\u201310:00", "09:00", "09:00, T, C, Scheduled, until 10:00"),
        ("09:30\u201310:00", "09:30", "09:30, T, C, Scheduled, until 10:00")]
    assert wednesday[0]["shown_time"] == wednesday[0]["time"] == "09:00\u201309:30"
    assert wednesday[0]["name"] == "09:00\u201309:30, T, C, Scheduled"
    assert [(i["id"], i["lane"], i["lanes"]) for i in thursday] == [("d", 0, 2), ("e", 1, 2)]

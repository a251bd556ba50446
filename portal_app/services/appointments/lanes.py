"""Side-by-side lanes for a day column of a calendar (the staff week view).

Pure: no database, no models, no reflex. The usual calendar layout: events whose intervals
overlap, directly or through a chain of others, form a group; the group shares the column's
width, and each event takes the first lane (left to right) that is free at its start. An
event's lane count is its group's: A 9-10, B 9:30-10:30, C 10-11 is one group of two lanes
(A and C both in lane 0, B in lane 1), so all three are drawn half wide. Intervals are
half-open: one ending at 10:00 does not overlap one starting at 10:00.
"""

from __future__ import annotations

from typing import NamedTuple, TypeVar

T = TypeVar("T", int, float)


class Lane(NamedTuple):
    lane: int       # 0-based, from the left
    lanes: int      # how many lanes its group shares the width among (≥ 1)


def lay_out(spans: list[tuple[T, T]]) -> list[Lane]:
    """The lane of each (start, end) span, in the order given (an end before its start counts
    as the start)."""
    order = sorted(range(len(spans)), key=lambda i: (spans[i][0], -spans[i][1], i))
    result: list[Lane] = [Lane(0, 1)] * len(spans)
    group: list[int] = []               # indices of the current group
    lane_of: dict[int, int] = {}
    lane_ends: list = []                # per lane of the current group: where its last event ends
    group_end = None

    def close() -> None:
        for i in group:
            result[i] = Lane(lane_of[i], len(lane_ends))

    for i in order:
        start, end = spans[i][0], max(spans[i][0], spans[i][1])
        if group and group_end is not None and start >= group_end:
            close()
            group, lane_ends, group_end = [], [], None
        for lane, lane_end in enumerate(lane_ends):
            if lane_end <= start:
                lane_ends[lane] = end
                break
        else:
            lane = len(lane_ends)
            lane_ends.append(end)
        lane_of[i] = lane
        group.append(i)
        group_end = end if group_end is None else max(group_end, end)
    close()
    return result

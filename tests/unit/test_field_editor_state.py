"""The field editor's selection survives a save: placed fields get their stored ids when
saved, and the "selected field" bar (Required switch, Remove field) must follow the field,
not go blank on an id that no longer exists."""
from __future__ import annotations

from tests.support.docs import draft
from tests.support.states import HOST_A, call, run_handler


def _editor_with_one_field(db, world, cookie, page: int):
    """The editor of a fresh draft, loaded, with one signature field placed (not saved)."""
    from portal_app.state.staff.document_detail import StaffDocumentState

    doc = draft(db, world)
    db.commit()
    state, _ = run_handler(StaffDocumentState, "place", ({"page": page, "x": 0.5, "y": 0.5},), HOST_A, cookie,
                           f"/staff/documents/{doc.public_id}", pre=("load",))
    return state


def test_the_selected_field_stays_selected_after_saving(world, db, staff_cookie):
    state = _editor_with_one_field(db, world, staff_cookie, page=1)
    call(state, "set_tool", "date")
    call(state, "place", {"page": 0, "x": 0.3, "y": 0.2})
    assert len(state.fields) == 2 and state.selected.startswith("new-")
    call(state, "save_fields")
    assert state.notice == "Fields saved."
    ids = [f["id"] for f in state.fields]
    assert state.selected in ids and not state.selected.startswith("new-")
    chosen = next(f for f in state.fields if f["id"] == state.selected)
    assert (chosen["kind"], chosen["page"]) == ("date", 0)   # the one selected before the save

    call(state, "toggle_required", state.selected)  # the bar acts on it
    assert next(f for f in state.fields if f["id"] == state.selected)["required"] is False


def test_nothing_selected_stays_nothing_selected(world, db, staff_cookie):
    state = _editor_with_one_field(db, world, staff_cookie, page=0)
    call(state, "select", "")
    call(state, "save_fields")
    assert state.selected == "" and len(state.fields) == 1

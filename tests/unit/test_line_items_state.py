"""The line-items editor (the invoice editor and the estimate lines of a new document):
every line keeps its own key, so typing in one line never changes another."""
from __future__ import annotations

import pytest

from tests.support.states import HOST_A, call, run_handler


def _editor(which: str, cookie: str):
    from portal_app.state.staff.documents import NewDocumentState
    from portal_app.state.staff.invoice_editor import InvoiceEditorState

    cls, path = {"invoice": (InvoiceEditorState, "/staff/invoices/new"),
                 "estimate": (NewDocumentState, "/staff/documents/new")}[which]
    state, _ = run_handler(cls, "set_line", ("l1", "description", "First"), HOST_A, cookie, path, pre=("load",))
    return state


@pytest.mark.parametrize("which", ["invoice", "estimate"])
def test_add_add_remove_add_keeps_every_key_distinct(world, db, staff_cookie, which):
    state = _editor(which, staff_cookie)
    call(state, "add_line")
    call(state, "add_line")
    call(state, "remove_line", state.lines[1]["key"])
    call(state, "add_line")
    keys = [ln["key"] for ln in state.lines]
    assert len(keys) == 3 and len(set(keys)) == 3, keys

    # editing the newest line edits that line only
    call(state, "set_line", state.lines[-1]["key"], "description", "Newest")
    assert [ln["description"] for ln in state.lines] == ["First", "", "Newest"]

"""The message an action leaves on screen survives the lookups that land after it.

A contact search is debounced (300 ms): typing and then saving within that time used to
deliver the search after the save, and every event used to clear the page's message, so
"Sharing saved." vanished as soon as it appeared (the files journey caught it in CI).
"""
from __future__ import annotations

import pytest

from portal_app.services.files import files
from tests.support.states import HOST_A, call, run_handler


def test_a_search_landing_after_the_sharing_dialog_closed_keeps_sharing_saved(world, db, staff_cookie):
    from portal_app.state.staff.files import StaffFilesState

    folder = files.create_folder(db, world.staff_a, name="Brand assets")
    db.commit()
    state, _ = run_handler(StaffFilesState, "open_dialog", ("share", folder.public_id), HOST_A, staff_cookie,
                           "/staff/files", pre=("load",))
    assert state.dialog == "share"
    call(state, "toggle_contact", world.contact_a1.public_id, True)
    call(state, "save_sharing")
    assert (state.dialog, state.notice, state.notice_tone) == ("", "Sharing saved.", "green")
    candidates = list(state.share_candidates)

    call(state, "find_contacts", "bob")           # the debounced search, late
    assert (state.notice, state.share_candidates) == ("Sharing saved.", candidates)
    view = files.sharing_view(db, world.staff_a, folder.public_id)
    assert [c["name"] for c in view.contacts] == ["Alice Client"]


def test_a_search_in_the_open_dialog_finds_and_leaves_the_message(world, db, staff_cookie):
    from portal_app.state.staff.files import StaffFilesState

    folder = files.create_folder(db, world.staff_a, name="Brand assets")
    db.commit()
    state, _ = run_handler(StaffFilesState, "open_dialog", ("share", folder.public_id), HOST_A, staff_cookie,
                           "/staff/files", pre=("load",))
    state.notice = "Folder “Brand assets” created."
    call(state, "find_contacts", "bob@client")
    assert [c["public_id"] for c in state.share_candidates] == [world.contact_a2.public_id]
    assert state.notice == "Folder “Brand assets” created."


@pytest.mark.parametrize("module, cls, path", [
    ("staff.invoice_list", "StaffInvoicesState", "/staff/invoices"),
    ("staff.invoice_editor", "InvoiceEditorState", "/staff/invoices/new"),
    ("staff.documents", "NewDocumentState", "/staff/documents/new"),
])
def test_contact_lookups_leave_the_message(world, db, staff_cookie, module, cls, path):
    import importlib

    state_cls = getattr(importlib.import_module(f"portal_app.state.{module}"), cls)
    state, _ = run_handler(state_cls, "find_contacts", ("alice",), HOST_A, staff_cookie, path)
    assert [c["public_id"] for c in state.contact_options] == [world.contact_a1.public_id]
    state.notice = "Saved."
    call(state, "find_contacts", "bob")
    assert state.notice == "Saved."
    assert [c["public_id"] for c in state.contact_options] == [world.contact_a2.public_id]


def test_an_action_still_replaces_the_message(world, db, staff_cookie):
    from portal_app.state.staff.files import StaffFilesState

    state, _ = run_handler(StaffFilesState, "open_dialog", ("folder",), HOST_A, staff_cookie, "/staff/files",
                           pre=("load",))
    state.notice = "Sharing saved."
    call(state, "create_folder", {"name": "a/b"})
    assert state.notice == "" and "cannot contain /" in state.dialog_error

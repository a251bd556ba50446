"""Authorization matrix rows for the staff inbox (part of tests/support/matrix.py).

Every staff member of workspace A reads and answers A's conversations; B's owner finds none of
them (nor A's contacts, colleagues or canned replies) and sees their own, empty, inbox; a client
is sent home before any inbox handler runs. Canned replies: owners and admins write and delete,
a member only picks them."""

from __future__ import annotations


def inbox_world(db, world) -> None:
    """Client A1's conversation (two client messages), and two canned replies of workspace A."""
    from sqlmodel import select

    from portal_app.models import ConversationMessage, StaffUser
    from portal_app.services.conversations import canned, threads

    conv = threads.get_or_create(db, world.ws_a.id, world.contact_a1.id)
    for text in ("Hello, a question about my invoice", "Are you there?"):
        message = ConversationMessage(workspace_id=world.ws_a.id, conversation_id=conv.id, author="client", body=text)
        db.add(message)
        db.flush()
        threads.touch(conv, message)
    db.add(conv)
    db.flush()
    world.conv_a1 = conv.public_id
    world.canned_a = canned.create_reply(db, world.staff_a, "Thanks", "Thanks, we are on it.")["id"]
    world.canned_del = canned.create_reply(db, world.staff_a, "Old", "An old reply.")["id"]
    world.owner_b_public_id = db.exec(select(StaffUser.public_id).where(StaffUser.id == world.staff_b.user_id)).one()


def inbox_rows(world, grids: dict) -> list:
    from portal_app.state.staff.contacts import ContactRecordState as C
    from portal_app.state.staff.inbox import InboxNavState as N
    from portal_app.state.staff.inbox import InboxState as I
    from tests.support.file_samples import png_bytes
    from tests.support.matrix_chat import _upload

    STAFF, STAFF_ON_A1, ADMIN, grid = grids["STAFF"], grids["STAFF_ON_A1"], grids["ADMIN"], grids["grid"]
    top = "/staff/inbox"
    thread = lambda: f"{top}/{world.conv_a1}"  # noqa: E731
    bad = lambda **kw: grid(STAFF, staff_a="invalid", member_a="invalid", staff_b_on_b="invalid", **kw)  # noqa: E731
    # B's owner after loading A's thread: nothing loaded, nothing selected -> "no such conversation"
    return [
        (I, "load", (), top, STAFF),
        (I, "load", (), thread, STAFF_ON_A1),
        (I, "load", (), f"{top}/cv_doesnotexist", grid(STAFF_ON_A1, staff_a="denied", member_a="denied")),
        (I, "search", ({"q": "alice"},), top, STAFF),
        (I, "search", ({"q": "x" * 300},), top, bad()),
        (I, "set_who", ("mine",), top, STAFF),
        (I, "set_who", ("everyone",), top, bad()),
        (I, "set_status_filter", ("resolved",), top, STAFF),
        (I, "set_status_filter", ("deleted",), top, bad()),
        (I, "go_page", (1,), top, STAFF),
        (I, "load_older", (), thread, STAFF_ON_A1, ("load",)),
        (I, "set_note_mode", (True,), thread, "local"),
        (I, "send", ({"body": "Hello from the team"},), thread, STAFF_ON_A1, ("load",)),
        (I, "send", ({"body": "A note"},), thread, STAFF_ON_A1, ("load", ("set_note_mode", (True,)))),
        # a forged send without a thread open: no such conversation, nothing written
        (I, "send", ({"body": "Forged"},), top, grid(STAFF_ON_A1, staff_a="denied", member_a="denied")),
        (I, "use_canned", (lambda: world.canned_a,), thread, grid(STAFF, staff_b_on_b="denied")),
        (I, "assign_to", (lambda: world.member_public_id,), thread, STAFF_ON_A1, ("load",)),
        # a colleague of another workspace: refused (A's staff keep what they loaded)
        (I, "assign_to", (lambda: world.owner_b_public_id,), thread,
         grid(STAFF_ON_A1, staff_a="denied_kept", member_a="denied_kept"), ("load",)),
        (I, "assign_to", ("nobody",), thread, STAFF_ON_A1, ("load",)),
        (I, "resolve", (), thread, STAFF_ON_A1, ("load",)),
        (I, "reopen", (), thread, STAFF_ON_A1, ("load", "resolve")),
        (I, "on_hint", (), thread, STAFF, ("load",)),
        (I, "typing", (), thread, STAFF_ON_A1, ("load",)),
        (I, "on_typing", (), thread, "local"),
        (I, "upload_progress", ({"progress": 0.5},), thread, "local"),
        (I, "attachment_refused", (["x.exe"], [10], ["file-invalid-type"]), thread, "local"),
        (I, "send_file", (_upload("shot.png", png_bytes()),), thread, STAFF_ON_A1, ("load",)),
        (I, "send_file", (_upload("shot.png", png_bytes()),), thread, STAFF_ON_A1,
         ("load", ("set_note_mode", (True,)))),
        # a forged send without a thread open: no such conversation, nothing stored
        (I, "send_file", (_upload("shot.png", png_bytes()),), top, grid(STAFF_ON_A1, staff_a="denied",
                                                                       member_a="denied")),
        (I, "set_canned_open", (True,), top, "local"),
        (I, "edit_canned", (lambda: world.canned_a,), top, "local"),
        (I, "save_canned", ({"canned_title": "Welcome", "canned_body": "Welcome aboard."},), top, ADMIN),
        (I, "save_canned", ({"canned_title": "", "canned_body": "No title"},), top,
         grid(ADMIN, staff_a="invalid", staff_b_on_b="invalid")),
        (I, "save_canned", ({"canned_title": "Thanks!", "canned_body": "Edited."},), top, ADMIN,
         ("load", ("edit_canned", lambda: (world.canned_a,)))),
        (I, "delete_canned", (lambda: world.canned_del,), top, grid(ADMIN, staff_b_on_b="denied")),
        (I, "setvar", ("selected", "cv_x"), top, "setvar"),
        (N, "load_count", (), "/staff/contacts", STAFF),
        (N, "on_hint", (), "/staff/contacts", STAFF),
        (N, "setvar", ("inbox_unread", 5), "/staff/contacts", "setvar"),
        # the contact record's Message: opens A1's conversation, starts A2's
        (C, "message", (), lambda: f"/staff/contacts/{world.contact_a1.public_id}", STAFF_ON_A1),
        (C, "message", (), lambda: f"/staff/contacts/{world.contact_a2.public_id}", STAFF_ON_A1),
    ]

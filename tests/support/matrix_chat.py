"""Authorization matrix rows for the client chat widget (state/portal/chat.py; part of
tests/support/matrix.py, run for every kind of actor by test_authz_matrix.py).

Workspace A has chat switched on. Client A1 has a conversation with a staff reply and a staff
note; client A2 has one of their own. Only a signed-in client of A chats: anonymous visitors
(and B's client, who is anonymous on A's host) are sent to sign in by the actions and quietly get
no widget from its load and hints; staff get nothing either (the widget is the client's).
Workspace B has chat off: B's owner is refused too.
"""

from __future__ import annotations


def chat_world(db, world) -> None:
    from portal_app.services.conversations import messages, threads
    from portal_app.services.portal.portal_settings import portal_settings_for

    messages.RATE.reset()  # each matrix run sends as the same ids: the per-minute limit is per process
    settings = portal_settings_for(db, world.ws_a.id)
    settings.chat_widget = True
    db.add(settings)
    db.flush()
    conv_a1 = threads.start_for_contact(db, world.staff_a, world.contact_a1.public_id)
    db.flush()
    messages.send_from_staff(db, world.staff_a, conv_a1.public_id, "Hello Alice, how can we help?")
    messages.send_from_staff(db, world.staff_a, conv_a1.public_id, "Internal: Alice owes us", internal=True)
    conv_a2 = threads.start_for_contact(db, world.staff_a, world.contact_a2.public_id)
    db.flush()
    messages.send_from_staff(db, world.staff_a, conv_a2.public_id, "Hello Bob, only for you")
    db.flush()
    world.chat_conversations = {"a1": conv_a1.public_id, "a2": conv_a2.public_id}


def _upload(name: str, data: bytes):
    import io
    from pathlib import Path

    import reflex as rx

    return lambda: [rx.UploadFile(file=io.BytesIO(data), path=Path(name))]


def chat_rows(world, grids: dict) -> list:
    from portal_app.state.portal.chat import ChatState as C
    from tests.support.file_samples import png_bytes

    CLIENT, grid = grids["CLIENT"], grids["grid"]
    # the quiet ones (load, on_hint): whoever may not chat is refused without a sign-in redirect
    quiet = grid(anon="denied", client_b_on_a="denied", staff_a="denied", member_a="denied", staff_b_on_b="denied")
    path = "/"
    return [
        (C, "load", (), path, quiet),
        (C, "load", (), "/invoices", quiet, ("load",)),  # a page change: the catch-up
        (C, "toggle_panel", (), path, CLIENT),
        (C, "toggle_panel", (), path, CLIENT, ("load",)),
        (C, "close_panel", (), path, "local"),
        (C, "load_older", (), path, CLIENT, ("load",)),
        (C, "load_older", (), path, CLIENT),  # a forged call without a load
        (C, "set_draft", ("Half a thought",), path, "local"),
        (C, "send", ({"body": "Hello from the matrix"},), path, CLIENT),
        (C, "send", ({"body": "And once more"},), path, CLIENT, ("load", "toggle_panel")),
        # an empty message is refused with a message beside the composer, nothing is written
        (C, "send", ({"body": "   "},), path, grid(CLIENT, client_a1="invalid", client_a2="invalid")),
        (C, "on_hint", (), path, quiet, ("load",)),
        (C, "on_hint", (), path, quiet),  # a hint reaching a tab that never loaded the widget
        (C, "on_typing", (), path, "local"),
        (C, "load", (), "/?chat=open", quiet),  # the chat email's link opens the panel
        (C, "typing", (), path, CLIENT, ("load",)),
        (C, "upload_progress", ({"progress": 0.5},), path, "local"),
        (C, "attachment_refused", (["big.pdf"], [20_000_000], ["file-too-large"]), path, "local"),
        (C, "send_file", (_upload("shot.png", png_bytes()),), path, CLIENT, ("load",)),
        (C, "send_file", (_upload("shot.png", png_bytes()),), path, CLIENT),  # without a load
        # not an image or PDF: refused beside the composer, nothing stored or written
        (C, "send_file", (_upload("page.png", b"<html>hi</html>"),), path,
         grid(CLIENT, client_a1="invalid", client_a2="invalid"), ("load",)),
        (C, "setvar", ("messages", []), path, "setvar"),
    ]

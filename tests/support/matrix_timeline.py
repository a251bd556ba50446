"""Authorization matrix rows for the Communications timeline: the client's /communications page
and the Timeline of the staff contact record (part of tests/support/matrix.py;
test_authz_matrix.py runs them for every kind of actor).

A client reads only their own history (and only what is not internal); an email's text opens
for its client and the staff of its workspace on that contact's record, for nobody else."""

from __future__ import annotations


def timeline_world(db, world) -> None:
    """An email to client A1 and one to client A2, each on its contact's timeline (the body
    names its recipient's address: a leak shows in the refused calls' trees)."""
    from sqlmodel import select

    from portal_app.models import TimelineEntry, Workspace
    from portal_app.services import emails

    ws = db.get(Workspace, world.ws_a.id)
    for contact in (world.contact_a1, world.contact_a2):
        emails.queue_branded_email(db, ws, to=contact.email, subject="Matrix news", heading="Hello",
                                   paragraphs=["The matrix email."], button_label="Open",
                                   button_url=f"{ws.base_url}/", footer=f"Sent to {contact.email}.")
    db.flush()
    ids = {cid: eid for eid, cid in db.exec(select(TimelineEntry.id, TimelineEntry.contact_id).where(
        TimelineEntry.kind == "email", TimelineEntry.title == "Matrix news")).all()}
    world.tl_email_a1, world.tl_email_a2 = f"tl_{ids[world.contact_a1.id]}", f"tl_{ids[world.contact_a2.id]}"


def timeline_rows(world, grids: dict) -> list:
    from portal_app.state.portal.communications import CommunicationsState as C
    from portal_app.state.staff.contacts import ContactRecordState as R

    CLIENT, STAFF_ON_A1, SIGNIN, grid = grids["CLIENT"], grids["STAFF_ON_A1"], grids["SIGNIN"], grids["grid"]
    page = "/communications"
    a1 = lambda: f"/staff/contacts/{world.contact_a1.public_id}"  # noqa: E731
    email_a1, email_a2 = (lambda: world.tl_email_a1), (lambda: world.tl_email_a2)
    return [
        # staff who open the client page are sent to their contacts (nothing read)
        (C, "load", (), page, grid(**SIGNIN)),
        (C, "tl_filter", ("email",), page, CLIENT),
        (C, "tl_load_more", (), page, CLIENT),
        (C, "tl_open", (email_a1,), page, grid(CLIENT, client_a2="denied")),
        # A2's email: nobody on the client page but A2 herself
        (C, "tl_open", (email_a2,), page, grid(CLIENT, client_a1="denied")),
        (C, "tl_open", ("tl_999999",), page, grid(CLIENT, client_a1="denied", client_a2="denied")),
        (C, "tl_set_open", (False,), page, "local"),
        (C, "setvar", ("tl_items", []), page, "setvar"),
        (R, "tl_filter", ("email",), a1, STAFF_ON_A1),
        (R, "tl_load_more", (), a1, STAFF_ON_A1),
        (R, "tl_open", (email_a1,), a1, STAFF_ON_A1),
        # A2's email on A1's record: refused to everyone
        (R, "tl_open", (email_a2,), a1, grid(STAFF_ON_A1, staff_a="denied", member_a="denied")),
        (R, "tl_set_open", (False,), a1, "local"),
        (R, "setvar", ("tl_open_body", "x"), a1, "setvar"),
    ]

"""A shared computer and the Appointments section (issue 16 on the Trust issue's state layer), in
Chromium against the built app (both configs).

Client A opens Appointments in a tab: their appointments' titles, location and notes on screen,
and they make their private calendar link (its token in the page). They sign out; the next
person in the same tab — first signed out (the login page, /appointments sending them to it),
then client B signing in and opening their own Appointments — receives, in every websocket frame
from the sign-out on, nothing of A's appointments: no title, notes, location or feed token.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from playwright.sync_api import expect
from sqlmodel import Session, select

from tests.support.frames import received_frames
from tests.support.journey import Journey, accept_invite, invite_client, staff_credentials, staff_sign_in

A = ("Amira", "Apptshare", "amira@appt-shared.example")
B = ("Bruno", "Apptshare", "bruno@appt-shared.example")


def _appointment(j: Journey, email: str, hour: int, title: str, location: str, notes: str) -> None:
    """An appointment of the client with `email` with the owner, six days ahead at `hour`:05 in
    Berlin (clear of the other journeys' times on the same server), made through the services on
    the server's own database (as the appointments journey does)."""
    from portal_app.access import Staff
    from portal_app.models import Contact, StaffUser
    from portal_app.services.appointments import appointments as appts

    engine = sa.create_engine(j.s.env["PORTAL_DATABASE_URL"])
    try:
        with Session(engine, expire_on_commit=False) as db:
            user = db.exec(select(StaffUser).where(StaffUser.email == staff_credentials(j)[0])).one()
            staff = Staff(user.workspace_id, user.id, user.role, user.email, user.name)
            contact = db.exec(select(Contact).where(Contact.workspace_id == user.workspace_id,
                                                    Contact.email == email)).one()
            day = datetime.now(UTC).date() + timedelta(days=6)
            start = datetime(day.year, day.month, day.day, hour, 5)
            appts.create_appointment(db, staff, contact=contact.public_id, zone="Europe/Berlin", title=title,
                                     starts_at=start.isoformat(), ends_at=(start + timedelta(minutes=30)).isoformat(),
                                     location=location, client_notes=notes)
            db.commit()
    finally:
        engine.dispose()


def test_the_next_person_at_the_computer_gets_nothing_of_the_appointments(server, browser, axe):
    j = Journey(server, browser, axe)
    staff_ctx, ctx = j.context(), j.context()
    staff, tab = j.page(staff_ctx), j.page(ctx)
    frames = received_frames(tab)
    tag = secrets.token_hex(4)
    title, location, notes = f"A-TITLE-{tag}", f"A-PLACE-{tag}", f"A-NOTES-{tag}"
    b_title = f"B-TITLE-{tag}"

    staff_sign_in(j, staff)
    link_a = invite_client(j, staff, *A)
    link_b = invite_client(j, staff, *B)
    _appointment(j, A[2], 7, title, location, notes)
    _appointment(j, B[2], 8, b_title, "Room B", "")

    # client A: their appointment on screen, and their private calendar link
    accept_invite(tab, link_a, A[0])
    j.go(tab, "/appointments")
    card = tab.get_by_role("list", name="Upcoming appointments").get_by_role("listitem").filter(has_text=title)
    expect(card).to_contain_text(location)
    expect(card).to_contain_text(notes)
    tab.get_by_role("button", name="Create my calendar link").click()
    web_link = tab.get_by_label("Web link", exact=True)
    expect(web_link).to_have_value(re.compile(r"/api/calendar/feed/.+\.ics$"))
    token = web_link.input_value().rsplit("/", 1)[1].removesuffix(".ics")
    seen = "\n".join(frames)
    for secret in (title, location, notes, token):   # A's own frames carried them: the search below can fail
        assert secret in seen, secret
    secrets_of_a = [title, location, notes, token, A[2]]

    tab.get_by_role("button", name="Sign out").first.click()
    tab.wait_for_url(re.compile(r"/login/?\?signed_out=1"))
    tab.wait_for_load_state("networkidle")
    start = len(frames)

    # the next person, signed out: the Appointments address sends them to sign in
    tab.goto(f"{server.url}/appointments")
    tab.wait_for_url(re.compile(r"/login"))
    tab.wait_for_load_state("networkidle")
    signed_out = "\n".join(frames[start:])
    leaked = [s for s in secrets_of_a if s in signed_out]
    assert not leaked, f"client A's appointments reached the signed-out tab: {leaked}"

    # then client B signs in in the same tab and opens their own Appointments
    accept_invite(tab, link_b, B[0])
    j.go(tab, "/appointments")
    expect(tab.get_by_role("list", name="Upcoming appointments")).to_contain_text(b_title)
    expect(tab.get_by_role("button", name="Create my calendar link")).to_be_visible()   # A's link is not B's
    for path in ("/", "/profile", "/appointments/book"):
        j.go(tab, path)
    after = "\n".join(frames[start:])
    assert b_title in after and B[2] in after  # B's own data arrived: the frames are the real ones
    leaked = [s for s in secrets_of_a if s in after]
    assert not leaked, f"client A's appointments reached the next person: {leaked}"

    staff_ctx.close()
    ctx.close()
    assert not j.errors, "\n".join(j.errors)

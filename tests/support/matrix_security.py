"""Authorization matrix rows for the Security page (part of tests/support/matrix.py).

Every signed-in person sees and ends only their own sessions: client A1 and A1's owner each
have a second session (another device); ending it is theirs alone -- anyone else finds no
such session (not found), someone signed out is sent to sign in. A client at the staff
address is kept out; staff at the client address are sent to their own page. The password
change runs with the right current password (everyone else is refused before it is looked at),
and once with a confirmation that does not match (refused, nothing written)."""

from __future__ import annotations

CHROME_MAC = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/131.0.0.0 Safari/537.36")


def security_world(db, world) -> None:
    """A second session for client A1 and for A's owner (another device)."""
    from portal_app.models import AuthSession
    from portal_app.services.accounts.auth import start_client_session, start_staff_session
    from portal_app.services.security import hash_token

    a1 = start_client_session(db, world.account_a1, ip="203.0.113.7", user_agent=CHROME_MAC)
    owner = start_staff_session(db, world.owner_user, ip="203.0.113.8", user_agent=CHROME_MAC)
    db.flush()
    ids = {}
    for name, token in (("a1", a1), ("owner", owner)):
        ids[name] = str(db.exec(__import__("sqlmodel").select(AuthSession.id)
                                .where(AuthSession.token_hash == hash_token(token))).one())
    world.a1_other_session, world.owner_other_session = ids["a1"], ids["owner"]


def security_rows(world, grids: dict) -> list:
    from portal_app.state.security import SecurityState as S

    STAFF, SIGNIN, grid = grids["STAFF"], grids["SIGNIN"], grids["grid"]
    anyone = grid(**SIGNIN)
    a1_only = grid(**SIGNIN, client_a2="denied", staff_a="denied", member_a="denied", staff_b_on_b="denied")
    owner_only = grid(STAFF, member_a="denied", staff_b_on_b="denied")
    pw = world.password
    return [
        # the client page: anyone signed in (staff are sent on to /staff/security)
        (S, "load", (), "/security", anyone),
        # the staff page: a client is kept out before anything is read
        (S, "load", (), "/staff/security", grid(anyone, client_a1="denied", client_a2="denied")),
        (S, "end_session", (lambda: world.a1_other_session,), "/security", a1_only),
        (S, "end_session", (lambda: world.owner_other_session,), "/staff/security", owner_only),
        # malformed ids: not found for everyone signed in
        (S, "end_session", ("1; DROP TABLE auth_session",), "/security",
         grid(a1_only, client_a1="denied")),
        (S, "end_session", ("9" * 40,), "/security", grid(a1_only, client_a1="denied")),
        (S, "end_others", (), "/security", anyone),
        (S, "change_password", ({"current_password": pw, "password": "new-long-password-1",
                                 "confirm": "does-not-match-1"},), "/security",
         grid(**SIGNIN, **dict.fromkeys(("client_a1", "client_a2", "staff_a", "member_a", "staff_b_on_b"),
                                        "invalid"))),
        (S, "change_password", ({"current_password": pw, "password": "new-long-password-1",
                                 "confirm": "new-long-password-1"},), "/security", anyone),
        (S, "setvar", ("sessions", []), "/security", "setvar"),
        (S, "setvar", ("pw_notice", "x"), "/security", "setvar"),
    ]

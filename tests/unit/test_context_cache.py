"""The per-event context cache (state/base.event_context, issue 20): an event's (workspace,
actor, branding) is reused while it holds, never shared between people, and a change to
anything it is built from is seen by the very next event.

Every change here is made through the services in a unit of work of its own, as another
worker process would make it: the cache is never told. What it sees is the workspace's
context_version, bumped by the flush hook (models/context_version.py) -- so what holds here
for one process holds for every worker.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import select

from portal_app.access import Anonymous, Client, Staff
from portal_app.db import get_engine, unit_of_work
from portal_app.models import AuthSession, Domain, StaffUser, Workspace
from portal_app.services.accounts import auth, profile, team
from portal_app.services.portal import portal_settings
from portal_app.state.base import CONTEXTS, event_context
from tests.support.clock import Clock
from tests.support.world import HOST_A, HOST_B


def _sign_in(db, world, kind: str, email: str) -> str:
    token = auth.sign_in(db, world.ws_a.id, kind, email, world.password)
    db.commit()
    return token


def _context(host, token):
    with unit_of_work() as db:
        return event_context(db, host, token)


class Statements:
    """How many SQL statements ran while inside."""

    def __enter__(self):
        self.count = 0
        sa.event.listen(get_engine(), "before_cursor_execute", self._seen)
        return self

    def _seen(self, *_args):
        self.count += 1

    def __exit__(self, *_exc):
        sa.event.remove(get_engine(), "before_cursor_execute", self._seen)


def test_a_repeated_event_reuses_the_context_with_one_look_up(db, world):
    token = _sign_in(db, world, "staff", "owner@alpha.example")
    first = _context(HOST_A, token)
    with Statements() as seen:
        again = _context(HOST_A, token)
    assert again is first and isinstance(again.actor, Staff)
    assert seen.count == 1  # the version check, nothing else


def test_people_never_share_a_context(db, world):
    owner = _sign_in(db, world, "staff", "owner@alpha.example")
    alice = _sign_in(db, world, "client", "alice@client.example")
    bob = _sign_in(db, world, "client", "bob@client.example")
    for _ in range(2):  # cold, then from the cache
        o, a, b, anon = (_context(HOST_A, owner), _context(HOST_A, alice), _context(HOST_A, bob),
                         _context(HOST_A, None))
        assert isinstance(o.actor, Staff) and o.actor.user_id == world.staff_a.user_id
        assert isinstance(a.actor, Client) and a.actor.contact_id == world.client_a1.contact_id
        assert isinstance(b.actor, Client) and b.actor.contact_id == world.client_a2.contact_id
        assert isinstance(anon.actor, Anonymous)
        # a token of workspace A on workspace B's host is nobody there
        other = _context(HOST_B, alice)
        assert isinstance(other.actor, Anonymous) and other.workspace.id == world.ws_b.id


def test_a_role_change_is_seen_by_the_next_event(db, world):
    token = _sign_in(db, world, "staff", "member@alpha.example")
    assert _context(HOST_A, token).actor.role == "member"
    with unit_of_work() as other:
        member = other.exec(select(StaffUser).where(StaffUser.email == "member@alpha.example")).one()
        team.set_role(other, world.staff_a, member.public_id, "admin")
    assert _context(HOST_A, token).actor.role == "admin"


def test_a_disabled_account_is_signed_out_at_the_next_event(db, world):
    token = _sign_in(db, world, "staff", "member@alpha.example")
    assert isinstance(_context(HOST_A, token).actor, Staff)
    with unit_of_work() as other:
        member = other.exec(select(StaffUser).where(StaffUser.email == "member@alpha.example")).one()
        team.set_disabled(other, world.staff_a, member.public_id, True)
    assert isinstance(_context(HOST_A, token).actor, Anonymous)


def test_saved_branding_is_seen_by_the_next_event_of_everyone(db, world):
    alice = _sign_in(db, world, "client", "alice@client.example")
    assert _context(HOST_A, alice).branding.portal_title != "Alpha Clients"
    assert _context(HOST_A, None).branding.portal_title != "Alpha Clients"
    with unit_of_work() as other:
        ps = portal_settings.portal_settings_for(other, world.ws_a.id)
        sections = {s: ps.section_enabled(s) for s in portal_settings.SECTION_LABELS}
        portal_settings.update_portal_settings(other, world.staff_a, portal_title="Alpha Clients", accent_color="#112233",
                                               brand_primary=None, brand_secondary=None,
                                               sections={**sections, "files": False}, chat_widget=False)
    for token in (alice, None):
        branding = _context(HOST_A, token).branding
        assert branding.portal_title == "Alpha Clients" and branding.accent_color == "#112233"
        assert branding.sections["files"] is False


def test_a_session_ended_elsewhere_is_anonymous_at_the_next_event(db, world):
    token, kept = _sign_in(db, world, "client", "alice@client.example"), _sign_in(db, world, "client",
                                                                                   "alice@client.example")
    assert isinstance(_context(HOST_A, token).actor, Client)
    assert isinstance(_context(HOST_A, kept).actor, Client)
    with unit_of_work() as other:
        auth.sign_out(other, token)
    assert isinstance(_context(HOST_A, token).actor, Anonymous)
    assert isinstance(_context(HOST_A, kept).actor, Client)
    with unit_of_work() as other:  # "sign out everywhere": a bulk update
        assert auth.revoke_client_sessions(other, world.account_a1.id) >= 1
    assert isinstance(_context(HOST_A, kept).actor, Anonymous)


def test_a_changed_name_is_shown_at_the_next_event(db, world):
    alice = _sign_in(db, world, "client", "alice@client.example")
    assert _context(HOST_A, alice).actor.name.startswith("Alice")
    with unit_of_work() as other:
        details = profile.get_profile(other, world.client_a1)
        profile.update_profile(other, world.client_a1, {**details, "first_name": "Alicia"})
    assert _context(HOST_A, alice).actor.name.startswith("Alicia")


def test_a_domain_moved_to_another_workspace_moves_its_visitors(db, world):
    assert _context(HOST_A, None).workspace.id == world.ws_a.id
    with unit_of_work() as other:
        domain = other.exec(select(Domain).where(Domain.hostname == HOST_A)).one()
        domain.workspace_id = world.ws_b.id
        other.add(domain)
    assert _context(HOST_A, None).workspace.id == world.ws_b.id


def test_the_context_is_resolved_afresh_once_its_time_is_up(db, world, monkeypatch):
    clock = Clock()
    monkeypatch.setattr(auth, "clock", clock)
    token = _sign_in(db, world, "staff", "owner@alpha.example")
    first = _context(HOST_A, token)
    clock.advance(seconds=29)
    assert _context(HOST_A, token) is first
    clock.advance(seconds=2)  # past the 30 s the answer may be kept
    assert _context(HOST_A, token) is not first
    clock.advance(hours=24 * 30)  # past the session's own end: no cached answer outlives it
    assert isinstance(_context(HOST_A, token).actor, Anonymous)


def test_a_session_touch_does_not_stale_anyones_context(db, world):
    """last_seen_at moves once a minute per session: it must not bump the version, or 500
    clients would keep each other's contexts cold."""
    token = _sign_in(db, world, "client", "alice@client.example")
    first = _context(HOST_A, token)
    with unit_of_work() as other:
        sess = other.exec(select(AuthSession).where(AuthSession.workspace_id == world.ws_a.id)).first()
        sess.last_seen_at = auth.clock()
        other.add(sess)
    assert _context(HOST_A, token) is first
    with unit_of_work() as other:
        assert other.get(Workspace, world.ws_a.id).context_version == first.version


def test_the_cache_is_bounded(db, world):
    CONTEXTS.clear()
    limit, CONTEXTS.limit = CONTEXTS.limit, 3
    try:
        tokens = [_sign_in(db, world, "client", "alice@client.example") for _ in range(5)]
        for token in tokens:
            _context(HOST_A, token)
        assert len(CONTEXTS) == 3
    finally:
        CONTEXTS.limit = limit

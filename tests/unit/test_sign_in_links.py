"""services/accounts/sign_in_links.py: clients sign in by an emailed link.

Token life (15 minutes, on a hand-stepped clock), single use, binding to the asking
browser's nonce, throttling, the same answer for unknown addresses, disabled accounts, the
"link only" workspace setting, and the invitation's choice of a link instead of a password."""

from __future__ import annotations

import json
import re

import pytest
from sqlmodel import select

from portal_app.access import Client
from portal_app.errors import Forbidden, Invalid, Throttled
from portal_app.models import AuditEvent, ClientAccount, Domain, LoginAttempt, OutboxMessage, SignInLink
from portal_app.services.accounts import auth, invites, sign_in_links
from portal_app.services.accounts.contacts import create_contact
from portal_app.services.accounts.invites import set_portal_access
from portal_app.services.portal.portal_settings import set_client_link_only
from portal_app.services.security import hash_token
from tests.support.clock import Clock

NONCE = "nonce-of-the-asking-browser"
ALICE = "alice@client.example"


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(auth, "clock", clock)
    return clock


def _links(db, to: str = ALICE) -> list[tuple[str, str]]:
    """(where the link points, its token) of every sign-in link emailed to `to`, oldest first."""
    db.flush()
    found = []
    for m in db.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all():  # type: ignore[arg-type]
        payload = json.loads(m.payload)
        hit = re.search(r"(\S+)/api/auth/link\?token=([A-Za-z0-9_\-]+)", payload.get("text", ""))
        if hit and payload["to"] == to:
            found.append((hit.group(1), hit.group(2)))
    return found


def _links_sent(db, to: str = ALICE) -> list[str]:
    return [token for _base, token in _links(db, to)]


def _ask(db, world, email=ALICE, nonce=NONCE, ip="10.0.0.1") -> str | None:
    """Ask for a link; the token emailed for it (None when nothing was sent)."""
    before = len(_links_sent(db, email))
    sign_in_links.request_link(db, world.ws_a.id, email, nonce, ip=ip)
    sent = _links_sent(db, email)
    return sent[-1] if len(sent) > before else None


def _open(db, world, token, nonce=NONCE):
    return sign_in_links.open_link(db, token, nonce, workspace_id=world.ws_a.id, ip="10.0.0.1",
                                   user_agent="pytest", host="alpha.example")


# --- the token -----------------------------------------------------------------------------

def test_the_link_signs_in_the_asking_browser_as_that_client(db, world, clock):
    token = _ask(db, world)
    assert token and len(token) >= 43  # 256 random bits
    result = _open(db, world, token)
    assert result.status == "ok"
    actor = auth.resolve_actor(db, result.session, world.ws_a.id, "alpha.example")
    assert isinstance(actor, Client) and actor.contact_id == world.contact_a1.id
    # the session is per host, like a password sign-in's
    assert auth.resolve_actor(db, result.session, world.ws_a.id, "other.example").kind == "anonymous"
    audit = db.exec(select(AuditEvent).where(AuditEvent.action == "client.signed_in")).all()
    assert json.loads(audit[-1].detail)["method"] == "link"


def test_the_token_is_stored_hashed_only(db, world, clock):
    token = _ask(db, world)
    row = db.exec(select(SignInLink)).one()
    assert row.token_hash == hash_token(token) and token not in json.dumps(row.model_dump(), default=str)
    assert row.nonce_hash == hash_token(NONCE) and NONCE not in json.dumps(row.model_dump(), default=str)


def test_the_link_works_for_15_minutes(db, world, clock):
    token = _ask(db, world)
    clock.advance(minutes=15)
    assert sign_in_links.check_link(db, token, world.ws_a.id) == "expired"
    assert _open(db, world, token).status == "expired"
    fresh = _ask(db, world)
    clock.advance(minutes=14, seconds=59)
    assert _open(db, world, fresh).status == "ok"


def test_the_link_works_once(db, world, clock):
    token = _ask(db, world)
    assert _open(db, world, token).status == "ok"
    again = _open(db, world, token)
    assert again.status == "used" and again.session == ""


def test_a_newer_link_ends_the_older_one(db, world, clock):
    first = _ask(db, world)
    second = _ask(db, world)
    assert first != second
    assert _open(db, world, first).status == "replaced"
    assert _open(db, world, second).status == "ok"


def test_forged_and_other_workspace_tokens_are_invalid(db, world, clock):
    token = _ask(db, world)
    assert _open(db, world, "forged").status == "invalid"
    assert _open(db, world, "x" * 500).status == "invalid"
    assert _open(db, world, "").status == "invalid"
    other = sign_in_links.open_link(db, token, NONCE, workspace_id=world.ws_b.id)
    assert other.status == "invalid"
    assert _open(db, world, token).status == "ok"  # none of those consumed it


# --- binding to the browser ----------------------------------------------------------------

@pytest.mark.parametrize("nonce", [None, "", "another-browser", "x" * 500])
def test_another_browser_is_not_signed_in_and_consumes_nothing(db, world, clock, nonce):
    token = _ask(db, world)
    result = _open(db, world, token, nonce=nonce)
    assert result.status == "other_browser" and result.session == ""
    assert db.exec(select(SignInLink)).one().used_at is None
    assert _open(db, world, token).status == "ok"  # the asking browser still can


# --- the same answer, throttling --------------------------------------------------------------

def test_unknown_invited_and_other_workspace_addresses_get_nothing_and_the_same_answer(db, world, clock):
    create_contact(db, world.staff_a, {"first_name": "Ivy", "last_name": "Invited", "email": "ivy@client.example"})
    contact = db.exec(select(ClientAccount)).all()
    assert contact  # (the world's accounts)
    for email in ("nobody@client.example", "ivy@client.example", "carol@client.example"):
        assert sign_in_links.request_link(db, world.ws_a.id, email, NONCE, ip="10.0.0.2") is None
    assert db.exec(select(SignInLink)).all() == []
    assert _links_sent(db, "nobody@client.example") == []


def test_a_bad_address_is_refused_for_everybody_alike(db, world, clock):
    with pytest.raises(Invalid) as exc:
        sign_in_links.request_link(db, world.ws_a.id, "not an address", NONCE)
    assert exc.value.message == sign_in_links.BAD_EMAIL


def test_throttled_per_address_counting_unknown_addresses_alike(db, world, clock):
    for email in (ALICE, "nobody@client.example"):
        for _ in range(sign_in_links.LINKS_PER_ADDRESS):
            sign_in_links.request_link(db, world.ws_a.id, email, NONCE, ip="10.0.0.3")
        with pytest.raises(Throttled) as exc:
            sign_in_links.request_link(db, world.ws_a.id, email.upper(), NONCE, ip="10.0.0.4")
        assert exc.value.message == sign_in_links.THROTTLED  # one message, account or not
    assert len(_links_sent(db)) == sign_in_links.LINKS_PER_ADDRESS
    # no address is stored: only hashed keys
    stored = json.dumps([r.model_dump() for r in db.exec(select(LoginAttempt)).all()], default=str)
    assert ALICE not in stored and "nobody" not in stored
    clock.advance(minutes=15, seconds=1)  # the window passes
    assert _ask(db, world) is not None


def test_throttled_per_ip(db, world, clock):
    for n in range(sign_in_links.LINKS_PER_IP):
        sign_in_links.request_link(db, world.ws_a.id, f"person{n}@client.example", NONCE, ip="10.9.9.9")
    with pytest.raises(Throttled):
        sign_in_links.request_link(db, world.ws_a.id, ALICE, NONCE, ip="10.9.9.9")
    assert _ask(db, world, ip="10.9.9.10") is not None  # another address, another IP


# --- disabled accounts ---------------------------------------------------------------------

def test_a_disabled_account_gets_no_link_and_its_open_link_dies(db, world, clock):
    token = _ask(db, world)
    set_portal_access(db, world.staff_a, world.contact_a1.public_id, False)
    assert _open(db, world, token).status == "replaced"
    assert _ask(db, world) is None


def test_a_link_of_an_account_disabled_meanwhile_never_signs_in(db, world, clock):
    token = _ask(db, world)
    account = db.get(ClientAccount, world.account_a1.id)
    account.status = "disabled"  # disabled without ending its links (belt and braces)
    db.add(account)
    db.flush()
    assert _open(db, world, token).status == "invalid"
    assert db.exec(select(SignInLink)).one().used_at is None


# --- link only -----------------------------------------------------------------------------

def test_link_only_refuses_client_passwords_not_staff_and_not_links(db, world, clock):
    set_client_link_only(db, world.staff_a, True)
    with pytest.raises(auth.LinkOnly) as exc:
        auth.sign_in(db, world.ws_a.id, "client", ALICE, world.password)
    assert "email link only" in exc.value.message
    with pytest.raises(auth.LinkOnly):  # the same before any account is looked at
        auth.sign_in(db, world.ws_a.id, "client", "nobody@client.example", "whatever")
    assert auth.sign_in(db, world.ws_a.id, "staff", "owner@alpha.example", world.password)
    assert auth.sign_in(db, world.ws_b.id, "client", "carol@client.example", world.password)  # other workspace
    assert _open(db, world, _ask(db, world)).status == "ok"
    set_client_link_only(db, world.staff_a, False)
    assert auth.sign_in(db, world.ws_a.id, "client", ALICE, world.password)


def test_only_owners_set_link_only(db, world):
    from portal_app.access import Staff

    admin = Staff(world.ws_a.id, world.member_a.user_id, "admin", "a@x", "A")
    for actor in (world.member_a, admin, world.client_a1, world.anon):
        with pytest.raises(Exception) as exc:
            set_client_link_only(db, actor, True)
        assert isinstance(exc.value, (Forbidden,)) or exc.value.__class__.__name__ == "NotSignedIn"
    assert auth.client_link_only(db, world.ws_a.id) is False
    assert set_client_link_only(db, world.staff_a, True) is True
    assert auth.client_link_only(db, world.ws_a.id) is True


# --- the invitation's choice ---------------------------------------------------------------

def _invite(db, world, email="dora@client.example") -> str:
    contact = create_contact(db, world.staff_a, {"first_name": "Dora", "last_name": "D", "email": email})
    invites.send_invite(db, world.staff_a, contact.public_id)
    db.flush()
    texts = [json.loads(m.payload)["text"] for m in db.exec(select(OutboxMessage)).all()
             if json.loads(m.payload)["to"] == email]
    return re.search(r"/invite\?token=([A-Za-z0-9_\-]+)", texts[-1]).group(1)


def test_an_invitation_accepted_with_links_has_no_password_and_signs_in_by_link(db, world, clock):
    token = _invite(db, world)
    session = invites.accept_invite(db, token, "", "", workspace_id=world.ws_a.id, method="link")
    assert auth.resolve_actor(db, session, world.ws_a.id).kind == "client"
    account = db.exec(select(ClientAccount).where(ClientAccount.status == "active")
                      .order_by(ClientAccount.id.desc())).first()  # type: ignore[union-attr]
    assert account.password_hash is None
    with pytest.raises(Invalid):  # no password to guess
        auth.sign_in(db, world.ws_a.id, "client", "dora@client.example", "")
    assert _open(db, world, _ask(db, world, "dora@client.example")).status == "ok"


def test_an_invitation_refuses_an_unknown_method_and_a_password_where_links_only(db, world, clock):
    token = _invite(db, world)
    with pytest.raises(Invalid) as exc:
        invites.accept_invite(db, token, world.password, world.password, workspace_id=world.ws_a.id, method="sso")
    assert exc.value.field == "method"
    set_client_link_only(db, world.staff_a, True)
    with pytest.raises(Invalid) as exc:
        invites.accept_invite(db, token, world.password, world.password, workspace_id=world.ws_a.id)
    assert exc.value.message == invites.LINK_ONLY_INVITE
    assert invites.accept_invite(db, token, "", "", workspace_id=world.ws_a.id, method="link")


# --- where the link points -------------------------------------------------------------------

@pytest.mark.parametrize("host, base", [
    ("", "https://alpha.example.test"),                           # no Host: the base URL
    ("alpha.example.test", "https://alpha.example.test"),         # the base host
    ("portal.alpha.test:8443", "https://portal.alpha.test:8443"),  # a served custom domain, as asked
    ("pending.alpha.test", "https://alpha.example.test"),         # not served (pending): the base URL
    ("beta.example.test", "https://alpha.example.test"),          # another workspace's host
    ("evil@portal.alpha.test", "https://alpha.example.test"),     # not a plain host
    ("portal.alpha.test:notaport", "https://alpha.example.test"),
])
def test_the_link_points_to_the_host_the_client_asked_on_when_it_serves_the_workspace(db, world, clock, host, base):
    db.add(Domain(hostname="portal.alpha.test", workspace_id=world.ws_a.id, status="verified", assigned=True))
    db.add(Domain(hostname="pending.alpha.test", workspace_id=world.ws_a.id, status="pending"))
    db.flush()
    sign_in_links.request_link(db, world.ws_a.id, ALICE, NONCE, ip="10.0.0.1", host=host)
    assert _links(db)[-1][0] == base

"""A member cannot read someone else's credentials (issue #11, item 5).

The dev outbox (/staff/outbox) exists only while mail goes to it (PORTAL_MAIL=outbox), only
the workspace's owner reads it, and one-time links show only in mail to that owner: every
other mail's reset / invitation / join / email-change link is redacted. The staff navigation
offers the page to owners only.
"""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from portal_app import worker
from portal_app.errors import Forbidden, NotFound
from portal_app.models import StaffUser
from portal_app.services.accounts import auth, invites, passwords, profile, team
from portal_app.services.accounts.contacts import create_contact
from portal_app.services.portal import staff_views
from portal_app.settings import reset_settings_cache
from tests.support.outbox import last_link, token_of
from tests.support.states import HOST_A, run_handler

SECRET_PATHS = ("/reset-password?token=", "/invite?token=", "/staff/join?token=", "/confirm-email?token=")


def _admin(db, world) -> StaffUser:
    """An admin of workspace A, joined through the team invitation like anyone else."""
    team.invite_staff(db, world.staff_a, email="adele@alpha.example", name="Adele Admin", role="admin")
    db.flush()
    team.accept_staff_invite(db, token_of(last_link(db, "/staff/join")), "an admin password", "an admin password",
                             workspace_id=world.ws_a.id)
    return db.exec(select(StaffUser).where(StaffUser.email == "adele@alpha.example")).one()


@pytest.fixture
def mail(db, world):
    """One of each one-time link, delivered to the dev outbox by the worker; returns the
    live tokens by kind."""
    dana = create_contact(db, world.staff_a, {"first_name": "Dana", "email": "dana@diaz.example"})
    invites.send_invite(db, world.staff_a, dana.public_id)
    db.flush()
    tokens = {"invite": token_of(last_link(db, "/invite"))}
    team.invite_staff(db, world.staff_a, email="nina@alpha.example", name="Nina New", role="member")
    db.flush()
    tokens["join"] = token_of(last_link(db, "/staff/join"))
    profile.request_email_change(db, world.client_a1, "alice.new@client.example", "correct horse battery")
    db.flush()
    tokens["email"] = token_of(last_link(db, "/confirm-email"))
    for kind, email in [("staff", "owner@alpha.example"), ("staff", "member@alpha.example"),
                        ("client", "alice@client.example")]:
        passwords.request_reset(db, world.ws_a.id, kind, email)
        db.flush()
        tokens[email] = token_of(last_link(db, "/reset-password"))
    db.commit()
    assert worker.run_once() >= 6
    return tokens


def _sessions(db, world):
    admin = _admin(db, world)
    member = db.get(StaffUser, world.member_a.user_id)
    cookies = {"owner": auth.start_staff_session(db, world.owner_user),
               "admin": auth.start_staff_session(db, admin),
               "member": auth.start_staff_session(db, member),
               "client": auth.start_client_session(db, world.account_a1)}
    db.commit()
    return cookies


def _load(cookie, handler="load", path="/staff/outbox"):
    from portal_app.state.staff.outbox import OutboxState

    state, _ = run_handler(OutboxState, handler, (), HOST_A, cookie, path)
    return state


# --- who reads it ------------------------------------------------------------------------------

def test_only_the_owner_reads_the_outbox(db, world, mail):
    cookies = _sessions(db, world)
    owner = _load(cookies["owner"])
    assert owner._outcome == "ok" and len(owner.mails) >= 6
    for who in ("admin", "member", "client"):
        state = _load(cookies[who])
        assert state._outcome == "denied", who
        assert state.mails == [], who
        dumped = json.dumps(state.dict(), default=str)
        for token in mail.values():
            assert token not in dumped, f"{who} received a one-time link"
    assert _load(cookies["member"]).error == "Only the workspace owner can read the dev outbox."
    assert _load(None)._outcome == "signin"


def test_service_refuses_member_and_admin(db, world, mail):
    admin = _admin(db, world)
    from portal_app.services.portal.workspaces import owner_actor

    for actor in (world.member_a, owner_actor(admin)):
        with pytest.raises(Forbidden):
            staff_views.dev_outbox(db, actor)
    assert staff_views.dev_outbox(db, world.staff_a)


def test_no_outbox_page_when_mail_goes_by_smtp(db, world, mail, monkeypatch):
    monkeypatch.setenv("PORTAL_MAIL", "smtp")
    reset_settings_cache()
    with pytest.raises(NotFound, match="SMTP"):
        staff_views.dev_outbox(db, world.staff_a)
    cookies = _sessions(db, world)
    state = _load(cookies["owner"])
    assert state._outcome == "denied" and state.mails == []


# --- what the owner sees -------------------------------------------------------------------------

def test_links_are_redacted_except_in_mail_to_the_owner(db, world, mail):
    rows = {r["to"]: r for r in staff_views.dev_outbox(db, world.staff_a)}
    own = rows["owner@alpha.example"]
    assert mail["owner@alpha.example"] in own["text"] and mail["owner@alpha.example"] in own["link"]
    assert own["redacted"] == ""
    for to in ("dana@diaz.example", "nina@alpha.example", "alice.new@client.example", "member@alpha.example",
               "alice@client.example"):
        row = rows[to]
        assert row["redacted"] == "1" and row["link"] == "", to
        assert any(f"{p}••••" in row["text"] for p in SECRET_PATHS), row["text"]
    everything = json.dumps(list(rows.values()))
    for who, token in mail.items():
        if who != "owner@alpha.example":
            assert token not in everything, f"the {who} link shows"
    assert "https://alpha.example.test/reset-password?token=••••" in rows["member@alpha.example"]["text"]


def test_mail_without_a_token_is_shown_whole(db, world):
    """A notice to another address (no one-time link) keeps its link: nothing to hide."""
    from portal_app.services import emails

    emails.staff_notice_email(db, world.ws_a, to="member@alpha.example", subject="FYI",
                              text="Something happened.", link="https://alpha.example.test/staff/files")
    db.commit()
    worker.run_once()
    [row] = staff_views.dev_outbox(db, world.staff_a)
    assert row["link"] == "https://alpha.example.test/staff/files" and row["redacted"] == ""


@pytest.mark.parametrize("text,want", [
    ("Go: https://a.test/reset-password?token=abc-DEF_123 now",
     "Go: https://a.test/reset-password?token=•••• now"),
    ("https://a.test/invite?token=x&next=/home", "https://a.test/invite?token=••••&next=••••"),
    ("https://a.test/confirm-email#token=abc", "https://a.test/confirm-email#••••"),
    ("http://localhost:3000/staff/join?token=t1\nhttps://a.test/files", "http://localhost:3000/staff/join?token=••••\nhttps://a.test/files"),
    ("no links here", "no links here"),
])
def test_redact_links(text, want):
    assert staff_views.redact_links(text) == want


# --- the navigation ----------------------------------------------------------------------------

def test_navigation_offers_the_outbox_to_owners_only(db, world, monkeypatch):
    """Every staff page's own load sets it with the rest of the context (BaseState), so no
    extra event per page: owners, while mail goes to the dev outbox; nobody else."""
    from portal_app.state.staff.contacts import ContactsState

    def offered(cookie):
        state, _ = run_handler(ContactsState, "load", (), HOST_A, cookie, "/staff/contacts")
        return state.outbox_offered

    cookies = _sessions(db, world)
    seen = {who: offered(c) for who, c in cookies.items()}
    seen["anonymous"] = offered(None)
    assert seen == {"owner": True, "admin": False, "member": False, "client": False, "anonymous": False}
    monkeypatch.setenv("PORTAL_MAIL", "smtp")
    reset_settings_cache()
    assert offered(cookies["owner"]) is False


# --- From and Reply-To ---------------------------------------------------------------------------

def _branded(db, world, **over) -> None:
    from portal_app.models.workspace import SECTIONS
    from portal_app.services.portal.portal_settings import update_portal_settings

    update_portal_settings(db, world.staff_a, portal_title="Alpha portal", accent_color="#2563eb",
                           brand_primary=None, brand_secondary=None, sections=dict.fromkeys(SECTIONS, True),
                           chat_widget=False, **over)


def test_the_outbox_shows_the_branded_sender_name_and_reply_to(db, world, monkeypatch):
    """What SMTP would have sent as From and Reply-To (mail.build_message), kept and shown."""
    from portal_app.services import emails

    monkeypatch.setenv("PORTAL_MAIL_FROM", "portal@mail.example")
    reset_settings_cache()
    emails.queue_email(db, world.ws_a, to="alice@client.example", subject="Before", html="<p>x</p>", text="x")
    _branded(db, world, sender_name="Alpha Studio Team", reply_to="hello@alpha.example")
    emails.queue_email(db, world.ws_a, to="alice@client.example", subject="After", html="<p>x</p>", text="x")
    db.commit()
    assert worker.run_once() == 2
    rows = {r["subject"]: r for r in staff_views.dev_outbox(db, world.staff_a)}
    assert rows["After"]["sender"] == "Alpha Studio Team <portal@mail.example>"
    assert rows["After"]["reply_to"] == "hello@alpha.example"
    # before branding: the business name, no Reply-To
    assert (rows["Before"]["sender"], rows["Before"]["reply_to"]) == ("Alpha Studio <portal@mail.example>", "")
    # the page shows them (the owner's load)
    owner = _load(_sessions(db, world)["owner"])
    shown = {m["subject"]: m for m in owner.mails}
    assert (shown["After"]["sender"], shown["After"]["reply_to"]) == ("Alpha Studio Team <portal@mail.example>",
                                                                      "hello@alpha.example")


def test_the_outbox_keeps_header_values_on_one_line_and_within_their_columns(db, world):
    """The settings refuse such values (test_branding); the outbox never trusts that alone."""
    from portal_app.adapters.mail import Mail, OutboxMailer
    from portal_app.models import DevMail

    OutboxMailer().send(Mail(to="a@client.example", subject="s", text="t", html="h",
                             from_name="Alpha\r\nBcc: x@evil.example" + "n" * 300,
                             reply_to="r@alpha.example\nX-Evil: 1"), world.ws_a.id, db)
    db.commit()
    row = db.exec(select(DevMail)).one()
    assert row.from_name.startswith("Alpha Bcc: x@evil.example") and len(row.from_name) == 120
    assert row.reply_to == "r@alpha.example X-Evil: 1" and "\n" not in row.from_name + row.reply_to
    assert row.from_addr == "portal@localhost"  # PORTAL_MAIL_FROM's default
    with pytest.raises(Forbidden):  # and only the owner reads it
        staff_views.dev_outbox(db, world.member_a)

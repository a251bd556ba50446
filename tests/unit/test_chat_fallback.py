"""The chat's email fallback (services/conversations/fallback.py, the worker's "conversation.email"
job), its settings (Configure Portal: reply time, hours, delay) and a staff member's own chat
emails (services/accounts/notifications.py, Settings › Team).

The worker runs for real (worker.run_once on the test's database) with its clock replaced:
the job is due `chat_email_after_minutes` after the message, and the test moves the clock
past it instead of sleeping. Mail lands in the dev outbox (DevMail).
"""

from __future__ import annotations

import pytest
from sqlmodel import select

from portal_app import access, worker
from portal_app.errors import Forbidden, Invalid, NotSignedIn
from portal_app.models import (
    SECTIONS,
    ClientAccount,
    Conversation,
    DevMail,
    OutboxMessage,
    PortalSettings,
    StaffUser,
)
from portal_app.services.accounts import notifications
from portal_app.services.conversations import fallback, messages
from portal_app.services.portal import portal_settings as ps
from portal_app.services.rate_limit import RateLimiter
from tests.support.clock import Clock

KIND = messages.FALLBACK_KIND


@pytest.fixture
def chat(db, world, monkeypatch):
    """Workspace A with the chat on and the default delay (5 minutes); the worker's clock is
    the test's, and each test has its own message rate limiter."""
    monkeypatch.setattr(messages, "RATE", RateLimiter(limit=messages.RATE_LIMIT, window=60))
    clock = Clock()
    monkeypatch.setattr(worker, "clock", clock)
    _settings(db, world, chat_widget=True, chat_email_after_minutes=5)
    world.clock = clock
    return world


def _settings(db, world, **values) -> None:
    row = ps.portal_settings_for(db, world.ws_a.id)
    for key, value in values.items():
        setattr(row, key, value)
    db.add(row)
    db.commit()


def _fresh(db) -> None:
    db.rollback()
    db.expire_all()


def _mails(db) -> list[DevMail]:
    _fresh(db)
    return list(db.exec(select(DevMail).order_by(DevMail.id)).all())


def _jobs(db) -> list[OutboxMessage]:
    _fresh(db)
    return list(db.exec(select(OutboxMessage).where(OutboxMessage.kind == KIND).order_by(OutboxMessage.id)).all())


def _conv(db, world) -> Conversation:
    _fresh(db)
    return db.exec(select(Conversation).where(Conversation.contact_id == world.contact_a1.id)).one()


def _client_says(db, world, *texts: str) -> list[int]:
    seqs = [messages.send_from_client(db, world.client_a1, t)["seq"] for t in texts]
    db.commit()
    return seqs


def _staff_says(db, world, *texts: str, actor=None, internal: bool = False) -> list[int]:
    conv = _ensure_conv(db, world)
    seqs = [messages.send_from_staff(db, actor or world.staff_a, conv, t, internal=internal)["seq"] for t in texts]
    db.commit()
    return seqs


def _ensure_conv(db, world) -> str:
    from portal_app.services.conversations import threads

    conv = threads.start_for_contact(db, world.staff_a, world.contact_a1.public_id)
    db.commit()
    return conv.public_id


def _after(world, minutes: float) -> int:
    world.clock.advance(minutes=minutes)
    return worker.run_once()


def _set_pref(db, world, user_id: int, value: str) -> None:
    user = db.get(StaffUser, user_id)
    user.chat_email = value
    db.add(user)
    db.commit()


# --- batching, links, content ---------------------------------------------------------------

def test_three_client_messages_make_one_email_per_staff_member_after_the_delay(db, chat):
    _client_says(db, chat, "Hello?", "Is anyone there?", "About invoice <b>INV-7</b> & the rest")
    assert len(_jobs(db)) == 1, "messages sent while the job waits join its batch"

    _after(chat, 4)
    assert _mails(db) == [], "nothing before the delay"
    _after(chat, 2)
    mails = _mails(db)
    assert sorted(m.to_addr for m in mails) == ["member@alpha.example", "owner@alpha.example"]
    conv = _conv(db, chat)
    for mail in mails:
        assert mail.subject == "Alice Client: 3 messages unread in the chat"
        for text in ("Hello?", "Is anyone there?", "About invoice <b>INV-7</b> & the rest"):
            assert text in mail.text_body
        assert "About invoice &lt;b&gt;INV-7&lt;/b&gt; &amp; the rest" in mail.html_body
        assert "<b>INV-7" not in mail.html_body
        assert f"https://alpha.example.test/staff/inbox/{conv.public_id}" in mail.text_body
        assert "Alice Client ·" in mail.text_body
    assert conv.staff_emailed_up_to == max(m.id for m in _messages(db, conv))


def _messages(db, conv):
    from portal_app.models import ConversationMessage

    return db.exec(select(ConversationMessage).where(ConversationMessage.conversation_id == conv.id)).all()


def test_staff_messages_reach_the_client_in_one_email_without_notes(db, chat):
    _staff_says(db, chat, "Your documents are ready.", "Sign page 2, please.")
    _staff_says(db, chat, "Internal: client is late paying, SECRET-NOTE", internal=True)
    _after(chat, 6)
    mails = _mails(db)
    assert [m.to_addr for m in mails] == ["alice@client.example"]
    mail = mails[0]
    assert mail.subject == "Alpha Studio sent you 2 messages"
    assert "Your documents are ready." in mail.text_body and "Sign page 2, please." in mail.text_body
    assert "SECRET-NOTE" not in mail.text_body and "SECRET-NOTE" not in mail.html_body
    assert f"{fallback.client_chat_link(chat.ws_a)}" == "https://alpha.example.test/?chat=open"
    assert "https://alpha.example.test/?chat=open" in mail.text_body
    assert "Ava Owner ·" in mail.text_body, "the client sees who wrote"


def test_a_note_alone_schedules_nothing_and_is_never_emailed(db, chat):
    _staff_says(db, chat, "Only a note SECRET-NOTE", internal=True)
    assert _jobs(db) == []
    _staff_says(db, chat, "A real reply")  # the note is older than this, still never sent
    _after(chat, 6)
    assert all("SECRET-NOTE" not in m.text_body for m in _mails(db))
    assert len(_mails(db)) == 1


def test_an_attachment_is_named(db, chat):
    conv = _ensure_conv(db, chat)
    att = messages.StoredAttachment(key="ws/chat/x", name="floor-plan.pdf", content_type="application/pdf", size=10)
    messages.send_from_staff(db, chat.staff_a, conv, "", attachment=att)
    db.commit()
    _after(chat, 6)
    (mail,) = _mails(db)
    assert "Attachment: floor-plan.pdf" in mail.text_body


# --- read before the delay, markers, idempotence ----------------------------------------------

def test_read_before_the_delay_is_not_emailed(db, chat):
    seqs = _staff_says(db, chat, "Hi Alice")
    messages.mark_read_client(db, chat.client_a1, seqs[-1])
    db.commit()
    _client_says(db, chat, "Hi, thanks")
    messages.mark_read_staff(db, chat.member_a, _conv(db, chat).public_id, 10**6)  # a colleague read it
    db.commit()
    _after(chat, 6)
    assert _mails(db) == []
    assert [j.done_at is not None for j in _jobs(db)] == [True, True]
    conv = _conv(db, chat)
    assert (conv.client_emailed_up_to, conv.staff_emailed_up_to) == (0, 0)


def test_only_what_is_still_unread_is_emailed(db, chat):
    first, _second = _staff_says(db, chat, "Old news", "Fresh news")
    messages.mark_read_client(db, chat.client_a1, first)
    db.commit()
    _after(chat, 6)
    (mail,) = _mails(db)
    assert "Fresh news" in mail.text_body and "Old news" not in mail.text_body
    assert mail.subject == "Alpha Studio sent you a message"


def test_the_marker_moves_and_a_second_run_sends_nothing(db, chat):
    _client_says(db, chat, "one", "two")
    job = _jobs(db)[0]
    _after(chat, 6)
    assert len(_mails(db)) == 2  # owner and member
    conv = _conv(db, chat)
    newest = max(m.id for m in _messages(db, conv))
    assert conv.staff_emailed_up_to == newest

    # the same job again (a retry, a duplicate): nothing is unread past the marker
    assert fallback.email_unread(db, chat.ws_a.id, {"conversation": conv.public_id, "to": "staff"}) == []
    db.commit()
    assert worker.run_once() == 0
    assert len(_mails(db)) == 2

    # a new message: a new job, an email with only the new message
    _client_says(db, chat, "three")
    assert len(_jobs(db)) == 2 and _jobs(db)[-1].id != job.id
    _after(chat, 6)
    new = _mails(db)[2:]
    assert len(new) == 2
    assert all("\nthree\n" in m.text_body and "\none\n" not in m.text_body for m in new)
    assert all(m.subject == "Alice Client: a message unread in the chat" for m in new)


def test_a_job_for_an_unknown_side_fails_loudly(db, chat):
    with pytest.raises(ValueError):
        fallback.email_unread(db, chat.ws_a.id, {"conversation": "cv_x", "to": "everyone"})
    assert fallback.email_unread(db, chat.ws_a.id, {"conversation": "cv_unknown", "to": "staff"}) == []


def test_another_workspace_cannot_name_this_conversation(db, chat):
    _client_says(db, chat, "for Alpha only")
    conv = _conv(db, chat)
    assert fallback.email_unread(db, chat.ws_b.id, {"conversation": conv.public_id, "to": "staff"}) == []
    db.commit()
    assert _conv(db, chat).staff_emailed_up_to == 0


# --- who gets it --------------------------------------------------------------------------------

def test_staff_chat_email_none_and_assigned(db, chat):
    _set_pref(db, chat, chat.staff_a.user_id, "none")
    _set_pref(db, chat, chat.member_a.user_id, "assigned")
    _client_says(db, chat, "Anyone?")
    _after(chat, 6)
    assert _mails(db) == [], "none: never; assigned: a member, and nobody is assigned"

    conv = _conv(db, chat)
    conv.assigned_staff_id = chat.member_a.user_id
    db.add(conv)
    db.commit()
    _client_says(db, chat, "Still here")
    _after(chat, 6)
    assert [m.to_addr for m in _mails(db)] == ["member@alpha.example"]


def test_assigned_owners_get_unassigned_conversations(db, chat):
    _set_pref(db, chat, chat.staff_a.user_id, "assigned")
    _set_pref(db, chat, chat.member_a.user_id, "assigned")
    _client_says(db, chat, "Hello")
    _after(chat, 6)
    assert [m.to_addr for m in _mails(db)] == ["owner@alpha.example"]


def test_a_disabled_member_gets_nothing(db, chat):
    user = db.get(StaffUser, chat.member_a.user_id)
    user.disabled = True
    db.add(user)
    db.commit()
    _client_says(db, chat, "Hello")
    _after(chat, 6)
    assert [m.to_addr for m in _mails(db)] == ["owner@alpha.example"]


@pytest.mark.parametrize(("pref", "role", "assigned", "wanted"), [
    ("all", "member", None, True), ("all", "member", "other", True),
    ("none", "owner", None, False), ("none", "owner", "me", False),
    ("assigned", "member", None, False), ("assigned", "admin", None, True), ("assigned", "owner", None, True),
    ("assigned", "member", "me", True), ("assigned", "owner", "other", False),
])
def test_the_rule_of_who_is_emailed(pref, role, assigned, wanted):
    member = StaffUser(id=7, workspace_id=1, email="m@x.example", name="M", role=role, password_hash="x",
                       chat_email=pref)
    conv = Conversation(id=1, workspace_id=1, contact_id=1,
                        assigned_staff_id={None: None, "me": 7, "other": 8}[assigned])
    assert access.staff_wants_chat_email(member, conv) is wanted
    conv.workspace_id = 2
    assert access.staff_wants_chat_email(member, conv) is False


def test_a_client_without_an_active_account_is_not_emailed(db, chat):
    account = db.get(ClientAccount, chat.account_a1.id)
    account.status = "disabled"
    db.add(account)
    db.commit()
    _staff_says(db, chat, "Hello")
    _after(chat, 6)
    assert _mails(db) == []


def test_chat_switched_off_meanwhile_sends_the_client_nothing(db, chat):
    _staff_says(db, chat, "Hello")
    _settings(db, chat, chat_widget=False)
    _after(chat, 6)
    assert _mails(db) == []


# --- the delay ---------------------------------------------------------------------------------

def test_delay_zero_never_schedules(db, chat):
    _settings(db, chat, chat_email_after_minutes=0)
    _client_says(db, chat, "Hello")
    _staff_says(db, chat, "Hi")
    assert _jobs(db) == []
    _after(chat, 60 * 48)
    assert _mails(db) == []


def test_delay_switched_to_zero_after_scheduling_sends_nothing(db, chat):
    _client_says(db, chat, "Hello")
    assert len(_jobs(db)) == 1
    _settings(db, chat, chat_email_after_minutes=0)
    _after(chat, 6)
    assert _mails(db) == []


def test_the_job_is_due_after_the_workspace_delay(db, chat):
    _settings(db, chat, chat_email_after_minutes=30)
    _client_says(db, chat, "Hello")
    _after(chat, 20)
    assert _mails(db) == []
    _after(chat, 11)
    assert len(_mails(db)) == 2


# --- settings: Configure Portal ------------------------------------------------------------------

def _update(db, actor, **over):
    args = dict(portal_title="Alpha portal", accent_color="#112233", brand_primary=None, brand_secondary=None,
                sections=dict.fromkeys(SECTIONS, True), chat_widget=True)
    args.update(over)
    ps.update_portal_settings(db, actor, **args)


def test_chat_settings_are_saved(db, world):
    _update(db, world.staff_a, chat_reply_time="  a few hours ", chat_hours="Mon–Fri 9:00–17:00 (Berlin)",
            chat_email_after_minutes="15")
    db.commit()
    row = db.get(PortalSettings, world.ws_a.id)
    assert (row.chat_reply_time, row.chat_hours, row.chat_email_after_minutes) == \
        ("a few hours", "Mon–Fri 9:00–17:00 (Berlin)", 15)
    _update(db, world.staff_a, chat_email_after_minutes=0)  # 0: never
    _update(db, world.staff_a)  # not given: kept
    db.commit()
    db.expire_all()
    row = db.get(PortalSettings, world.ws_a.id)
    assert (row.chat_reply_time, row.chat_email_after_minutes) == ("a few hours", 0)


@pytest.mark.parametrize("bad", ["abc", "-1", "1441", "2.5", "", " ", "1e3", "٣", True, "9" * 40])
def test_the_delay_must_be_0_to_1440_minutes(db, world, bad):
    with pytest.raises(Invalid) as err:
        _update(db, world.staff_a, chat_email_after_minutes=bad)
    assert err.value.message == "Enter a whole number of minutes from 0 to 1440 (0: never email)."
    assert err.value.field == "chat_email_after_minutes"


def test_chat_lines_have_limits(db, world):
    from portal_app import limits

    with pytest.raises(Invalid, match="at most 120 characters"):
        _update(db, world.staff_a, chat_reply_time="x" * (limits.CHAT_REPLY_TIME + 1))
    with pytest.raises(Invalid, match="at most 200 characters"):
        _update(db, world.staff_a, chat_hours="x" * (limits.CHAT_HOURS + 1))
    with pytest.raises(Invalid, match="not allowed"):
        _update(db, world.staff_a, chat_hours="9-5\x00")


def test_only_owners_and_admins_change_the_chat_settings(db, world):
    for actor, error in ((world.member_a, Forbidden), (world.client_a1, Forbidden), (world.anon, NotSignedIn)):
        with pytest.raises(error):
            _update(db, actor, chat_email_after_minutes="0")
    db.rollback()
    assert db.get(PortalSettings, world.ws_a.id).chat_email_after_minutes == 5
    _update(db, world.staff_b, chat_email_after_minutes="60")  # B's own workspace only
    db.commit()
    db.expire_all()
    assert db.get(PortalSettings, world.ws_a.id).chat_email_after_minutes == 5
    assert db.get(PortalSettings, world.ws_b.id).chat_email_after_minutes == 60


def test_the_configure_page_shows_a_bad_delay_as_a_message(db, world, staff_cookie):
    import asyncio

    from portal_app.state.staff.configure_portal import PortalConfigState
    from tests.support.states import run_handler
    from tests.support.world import HOST_A

    state, _ = run_handler(PortalConfigState, "set_email_after", ("ten",), HOST_A, staff_cookie,
                           "/staff/sites/portal", ("load",))
    assert state.form_email_after == "ten"
    asyncio.run(PortalConfigState.event_handlers["save"].fn(state))
    assert state.error == "Enter a whole number of minutes from 0 to 1440 (0: never email)."
    assert state.error_field == "chat_email_after_minutes" and state.saved == ""
    db.expire_all()
    assert db.get(PortalSettings, world.ws_a.id).chat_email_after_minutes == 5


# --- a staff member's own chat emails -------------------------------------------------------------

def test_each_member_sets_their_own_chat_emails(db, world):
    assert notifications.chat_email_setting(db, world.member_a) == "all"
    assert notifications.set_chat_email(db, world.member_a, "assigned") == "assigned"
    db.commit()
    db.expire_all()
    assert db.get(StaffUser, world.member_a.user_id).chat_email == "assigned"
    assert db.get(StaffUser, world.staff_a.user_id).chat_email == "all", "only their own"


@pytest.mark.parametrize("bad", ["everything", "", None, "ALL", "none; drop table"])
def test_chat_email_choice_is_checked(db, world, bad):
    with pytest.raises(Invalid, match="Choose which chat messages"):
        notifications.set_chat_email(db, world.member_a, bad)


def test_clients_and_strangers_have_no_chat_email_setting(db, world):
    for actor, error in ((world.client_a1, Forbidden), (world.anon, NotSignedIn)):
        with pytest.raises(error):
            notifications.set_chat_email(db, actor, "none")
        with pytest.raises(error):
            notifications.chat_email_setting(db, actor)


def test_the_choices_are_the_models(db):
    from portal_app.models.conversations import STAFF_CHAT_EMAIL

    assert tuple(notifications.CHAT_EMAIL_CHOICES) == STAFF_CHAT_EMAIL


def test_a_staff_reply_counts_as_read_by_the_team(db, chat):
    _client_says(db, chat, "Question?")
    _staff_says(db, chat, "Answer.")
    _after(chat, 6)
    assert [m.to_addr for m in _mails(db)] == ["alice@client.example"]

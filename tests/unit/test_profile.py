"""services/accounts/profile.py: a client's own contact details and confirmed email changes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from portal_app.errors import Forbidden, Invalid, NotFound, NotSignedIn
from portal_app.models import Contact, EmailChange, utcnow
from portal_app.services.accounts import auth, profile
from portal_app.services.accounts.contacts import create_contact
from portal_app.services.portal.staff_views import contact_record
from tests.support.outbox import last_link, outbox_payloads, token_of


def _form(contact: Contact, **over) -> dict:
    values = {k: getattr(contact, k) for k in profile.PROFILE_FIELDS}
    values.update(over)
    return values


def _request(db, actor, new_email: str) -> str:
    profile.request_email_change(db, actor, new_email, "correct horse battery")
    db.flush()
    return token_of(last_link(db, "/confirm-email"))


def test_get_profile_returns_own_details_only(db, world):
    data = profile.get_profile(db, world.client_a1)
    assert data["email"] == "alice@client.example" and data["first_name"] == "Alice"
    assert data["pending_email"] == ""
    assert "notes" not in data
    assert profile.get_profile(db, world.client_a2)["email"] == "bob@client.example"
    assert profile.get_profile(db, world.client_b1)["email"] == "carol@client.example"


def test_update_profile_saves_editable_fields_and_audits(db, world):
    changed = profile.update_profile(db, world.client_a1, _form(world.contact_a1, phone="+44 20 7946 0000",
                                                                city="Bath", company="Alice Ltd"))
    assert changed == ["city", "company", "phone"]
    db.flush()
    db.expire_all()
    stored = db.get(Contact, world.contact_a1.id)
    assert (stored.phone, stored.city, stored.company) == ("+44 20 7946 0000", "Bath", "Alice Ltd")
    assert profile.update_profile(db, world.client_a1, _form(stored)) == []  # nothing changed

    record = contact_record(db, world.staff_a, world.contact_a1.public_id)
    [entry] = [h for h in record["history"] if h["action"] == "Client updated their profile"]
    assert entry["actor"] == "alice@client.example"
    assert "city: — → Bath" in entry["detail"] and "phone: — → +44 20 7946 0000" in entry["detail"]


def test_update_profile_ignores_email_and_notes(db, world):
    world.contact_a1.notes = "internal: slow payer"
    db.add(world.contact_a1)
    changed = profile.update_profile(db, world.client_a1, _form(
        world.contact_a1, email="mallory@evil.example", notes="hacked", first_name="Alicia"))
    assert changed == ["first_name"]
    db.flush()
    db.expire_all()
    stored = db.get(Contact, world.contact_a1.id)
    assert stored.email == "alice@client.example" and stored.notes == "internal: slow payer"
    assert stored.first_name == "Alicia"


def test_update_profile_changes_only_the_callers_contact(db, world):
    profile.update_profile(db, world.client_a2, _form(world.contact_a2, city="Hull"))
    db.flush()
    db.expire_all()
    assert db.get(Contact, world.contact_a1.id).city == ""
    assert db.get(Contact, world.contact_a2.id).city == "Hull"
    assert db.get(Contact, world.contact_b1.id).city == ""


@pytest.mark.parametrize("over,field", [
    ({"first_name": "x" * 81}, "first_name"),
    ({"phone": "<script>"}, "phone"),
    ({"city": "Ba\x00th"}, "city"),
    ({"first_name": "", "last_name": ""}, "first_name"),
])
def test_update_profile_bad_input(db, world, over, field):
    with pytest.raises(Invalid) as err:
        profile.update_profile(db, world.client_a1, _form(world.contact_a1, **over))
    assert err.value.field == field


@pytest.mark.parametrize("call", [
    lambda db, a: profile.get_profile(db, a),
    lambda db, a: profile.update_profile(db, a, {"first_name": "Hacked"}),
    lambda db, a: profile.request_email_change(db, a, "new@client.example", "correct horse battery"),
])
def test_staff_and_anonymous_have_no_profile(db, world, call):
    for actor, error in [(world.staff_a, Forbidden), (world.member_a, Forbidden),
                         (world.staff_b, Forbidden), (world.anon, NotSignedIn)]:
        with pytest.raises(error):
            call(db, actor)
    db.flush()
    assert db.exec(select(EmailChange)).first() is None


def test_client_actor_pointing_outside_its_workspace_gets_not_found(db, world):
    from dataclasses import replace

    forged = replace(world.client_a1, contact_id=world.contact_b1.id)  # a B contact, A workspace
    with pytest.raises(NotFound):
        profile.get_profile(db, forged)
    with pytest.raises(NotFound):
        profile.update_profile(db, forged, {"first_name": "X"})


def test_email_change_by_confirmation_link(db, world):
    token = _request(db, world.client_a1, " Alice.New@Client.Example ")
    [mail] = outbox_payloads(db)
    assert mail["to"] == "alice.new@client.example"  # the link goes to the new address
    assert last_link(db, "/confirm-email").startswith("https://alpha.example.test/confirm-email?token=")
    assert profile.get_profile(db, world.client_a1)["pending_email"] == "alice.new@client.example"
    assert profile.get_profile(db, world.client_a1)["email"] == "alice@client.example"
    change = db.exec(select(EmailChange)).one()
    assert token not in change.token_hash

    assert profile.confirm_email_change(db, token) == "alice.new@client.example"
    db.flush()
    db.expire_all()
    assert db.get(Contact, world.contact_a1.id).email == "alice.new@client.example"
    assert profile.get_profile(db, world.client_a1)["pending_email"] == ""
    # the client now signs in with the new address
    assert auth.sign_in(db, world.ws_a.id, "client", "alice.new@client.example", world.password)

    history = contact_record(db, world.staff_a, world.contact_a1.public_id)["history"]
    actions = [h["action"] for h in history]
    assert actions[:3] == ["Client signed in", "Email change confirmed",
                           "Client asked to change their email"]
    assert "alice@client.example → alice.new@client.example" in history[1]["detail"]


def test_email_change_link_is_single_use(db, world):
    token = _request(db, world.client_a1, "alice.new@client.example")
    profile.confirm_email_change(db, token)
    with pytest.raises(Invalid, match="already been used"):
        profile.confirm_email_change(db, token)


def test_expired_email_change_link(db, world):
    token = _request(db, world.client_a1, "alice.new@client.example")
    change = db.exec(select(EmailChange)).one()
    change.expires_at = utcnow() - timedelta(seconds=1)
    db.add(change)
    with pytest.raises(Invalid, match="expired"):
        profile.confirm_email_change(db, token)
    db.expire_all()
    assert db.get(Contact, world.contact_a1.id).email == "alice@client.example"


def test_a_newer_request_replaces_the_older_link(db, world):
    first = _request(db, world.client_a1, "first@client.example")
    second = _request(db, world.client_a1, "second@client.example")
    with pytest.raises(Invalid, match="newer one was sent"):
        profile.confirm_email_change(db, first)
    assert profile.confirm_email_change(db, second) == "second@client.example"


@pytest.mark.parametrize("forged", ["", "garbage", "t" * 300])
def test_forged_email_change_link(db, world, forged, token):
    _request(db, world.client_a1, "alice.new@client.example")
    for bad in (forged, token):
        with pytest.raises(Invalid, match="not valid"):
            profile.confirm_email_change(db, bad)
    db.expire_all()
    assert db.get(Contact, world.contact_a1.id).email == "alice@client.example"


def test_email_change_bad_input(db, world):
    for bad in ["", "not-an-email", "alice@client.example", "ALICE@client.example"]:
        with pytest.raises(Invalid) as err:
            profile.request_email_change(db, world.client_a1, bad, "correct horse battery")
        assert err.value.field == "new_email"
    db.flush()
    assert outbox_payloads(db) == []
    # an address another contact uses is accepted at request time (the answer must not reveal
    # who is a client); opening the link then refuses it and nothing changes
    assert profile.request_email_change(db, world.client_a1, "bob@client.example", "correct horse battery")
    token = token_of(last_link(db, "/confirm-email"))
    with pytest.raises(Invalid, match="used by another contact"):
        profile.confirm_email_change(db, token)
    db.expire_all()
    assert db.get(Contact, world.contact_a1.id).email == "alice@client.example"
    # another workspace's contact address is no obstacle
    assert profile.request_email_change(db, world.client_a1, "carol@client.example", "correct horse battery")


def test_confirm_refused_when_address_was_taken_meanwhile(db, world):
    token = _request(db, world.client_a1, "taken@client.example")
    create_contact(db, world.staff_a, {"first_name": "Tess", "email": "taken@client.example"})
    with pytest.raises(Invalid, match="used by another contact"):
        profile.confirm_email_change(db, token)
    db.expire_all()
    assert db.get(Contact, world.contact_a1.id).email == "alice@client.example"


def test_profile_history_is_staff_only(db, world):
    profile.update_profile(db, world.client_a1, _form(world.contact_a1, city="Bath"))
    for actor, error in [(world.client_a1, Forbidden), (world.staff_b, NotFound),
                         (world.anon, NotSignedIn)]:
        with pytest.raises(error):
            contact_record(db, actor, world.contact_a1.public_id)
    assert contact_record(db, world.member_a, world.contact_a1.public_id)["portal_status"] == "active"


def test_saving_what_the_form_shows_sends_no_values_and_a_tidied_save_refills_the_form(db, world):
    """ProfileState.save: the form's inputs are uncontrolled, keyed on (value, form_rev). A save
    storing exactly what was typed leaves `values` and `form_rev` alone (no values in the delta,
    no re-render); one the service tidied refills the form with what was stored."""
    from portal_app.services.accounts.auth import start_client_session
    from portal_app.state.portal.profile import ProfileState
    from tests.support.states import HOST_A, call, run_handler

    cookie = start_client_session(db, world.account_a1)
    db.commit()
    state, _ = run_handler(ProfileState, "load", (), HOST_A, cookie, "/profile")
    loaded, rev = dict(state.values), state.form_rev
    state._clean()
    call(state, "save", {**loaded, "company": "Alice Ltd"})
    assert state.saved == "Your details were saved." and state.error == ""
    assert "values" not in state.dirty_vars and state.form_rev == rev
    db.expire_all()
    assert db.get(Contact, world.contact_a1.id).company == "Alice Ltd"

    call(state, "save", {**loaded, "company": "  Alice   Holdings  "})
    db.expire_all()
    stored = db.get(Contact, world.contact_a1.id).company
    assert stored != "  Alice   Holdings  " and stored.strip() == stored  # tidied by the service
    assert state.values["company"] == stored and state.form_rev == rev + 1

    call(state, "save", {**loaded, "company": "x" * 10_000})  # refused: nothing saved, the form keeps what was typed
    assert state.error and state.error_field == "company"
    db.expire_all()
    assert db.get(Contact, world.contact_a1.id).company == stored and state.form_rev == rev + 1

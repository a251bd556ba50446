"""services/accounts/contacts.py: staff create, update, get and list the workspace's contacts."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from portal_app.access import Anonymous
from portal_app.errors import Forbidden, Invalid, NotFound, NotSignedIn
from portal_app.models import AuditEvent, Contact
from portal_app.services.accounts import contacts, invites
from portal_app.services.accounts.contacts import PAGE_SIZE, create_contact, list_contacts, update_contact
from tests.support.outbox import outbox_payloads

XSS = "<script>alert(1)</script>"


def _values(**over) -> dict:
    base = {"first_name": "Erin", "last_name": "Evans", "company": "Evans & Sons",
            "email": "erin@evans.example", "phone": "+1 (555) 010-2030", "city": "Leeds",
            "notes": "Prefers email.\nLine two."}
    base.update(over)
    return base


def _events(db, contact, action) -> list[AuditEvent]:
    return db.exec(select(AuditEvent).where(AuditEvent.subject_id == contact.public_id,
                                            AuditEvent.action == action)).all()


def test_create_contact_cleans_and_records(db, world):
    contact = create_contact(db, world.staff_a, _values(first_name="  Erin ", email=" ERIN@Evans.Example "))
    assert (contact.first_name, contact.email) == ("Erin", "erin@evans.example")
    assert contact.workspace_id == world.ws_a.id and contact.public_id.startswith("ct_")
    assert contact.notes == "Prefers email.\nLine two."
    assert contacts.get_contact(db, world.member_a, contact.public_id).id == contact.id
    [event] = _events(db, contact, "contact.created")
    assert event.actor_label == "owner@alpha.example" and json.loads(event.detail) == {"name": "Erin Evans"}


def test_update_contact_changes_fields_and_audits_them(db, world):
    contact = create_contact(db, world.staff_a, _values())
    update_contact(db, world.member_a, contact.public_id, _values(city="York", notes="secret note"))
    assert (contact.city, contact.notes) == ("York", "secret note")
    [event] = _events(db, contact, "contact.updated")
    detail = json.loads(event.detail)
    assert detail["city"] == ["Leeds", "York"]
    assert detail["notes"] == ["…", "…"]  # the log says notes changed, never what they say
    assert "secret note" not in event.detail
    assert event.actor_label == "member@alpha.example"
    # saving the same values again records nothing
    update_contact(db, world.staff_a, contact.public_id, _values(city="York", notes="secret note"))
    assert len(_events(db, contact, "contact.updated")) == 1


def test_email_is_unique_per_workspace(db, world):
    create_contact(db, world.staff_a, _values())
    with pytest.raises(Invalid) as err:
        create_contact(db, world.staff_a, _values(first_name="Other", email="ERIN@evans.example"))
    assert err.value.field == "email"
    # another workspace may have a contact with the same address
    assert create_contact(db, world.staff_b, _values()).workspace_id == world.ws_b.id
    # and updating a contact onto a taken address is refused
    with pytest.raises(Invalid, match="already uses"):
        update_contact(db, world.staff_a, world.contact_a2.public_id,
                       _values(first_name="Bob", email="alice@client.example"))
    assert world.contact_a2.email == "bob@client.example"


def test_html_is_stored_verbatim_and_escaped_in_email(db, world):
    contact = create_contact(db, world.staff_a, _values(first_name=XSS, company='"><img src=x onerror=alert(1)>'))
    db.flush()
    db.expire_all()
    stored = db.get(Contact, contact.id)
    assert stored.first_name == XSS  # text is kept as typed; escaping happens at render
    assert stored.company == '"><img src=x onerror=alert(1)>'
    invites.send_invite(db, world.staff_a, contact.public_id)
    db.flush()
    [mail] = outbox_payloads(db)
    assert XSS not in mail["html"] and "<img" not in mail["html"]
    assert "Hello &lt;script&gt;alert(1)&lt;/script&gt; Evans," in mail["html"]
    assert XSS in mail["text"]  # plain text needs no escaping


def test_workspace_name_is_escaped_in_email(db, world):
    from portal_app.services.portal.workspaces import create_workspace, owner_actor

    ws, owner = create_workspace(db, name="<b>Evil</b> & Co", base_url="https://evil.example.test",
                                 owner_email="o@evil.example", owner_name="O", owner_password=world.password,
                                 is_default=False)
    contact = create_contact(db, owner_actor(owner), _values())
    invites.send_invite(db, owner_actor(owner), contact.public_id)
    db.flush()
    [mail] = outbox_payloads(db, ws.id)
    assert "<b>" not in mail["html"] and "&lt;b&gt;Evil&lt;/b&gt; &amp; Co" in mail["html"]
    assert mail["from_name"] == "<b>Evil</b> & Co"  # a header value, not markup


@pytest.mark.parametrize("field,limit", [("first_name", 80), ("last_name", 80), ("company", 120),
                                         ("city", 80), ("postal_code", 20), ("notes", 5000)])
def test_over_long_fields_name_the_field(db, world, field, limit):
    with pytest.raises(Invalid) as err:
        create_contact(db, world.staff_a, _values(**{field: "x" * (limit + 1)}))
    assert err.value.field == field and f"at most {limit}" in err.value.message
    assert create_contact(db, world.staff_a, _values(**{field: "x" * limit}))


@pytest.mark.parametrize("email", ["", "not-an-email", "a@b", "two@@example.com", "a b@example.com",
                                   "x" * 250 + "@example.com"])
def test_malformed_email_is_invalid(db, world, email):
    with pytest.raises(Invalid) as err:
        create_contact(db, world.staff_a, _values(email=email))
    assert err.value.field == "email"


@pytest.mark.parametrize("field,value", [
    ("first_name", "Eve\x00"), ("last_name", "Evans\r\nBcc: x@evil.example"), ("company", "a\u202eb"),
    ("city", "Tab\there"), ("notes", "bell\x07"), ("email", "erin@evans.example\n"  "x"),
])
def test_control_characters_are_refused(db, world, field, value):
    with pytest.raises(Invalid) as err:
        create_contact(db, world.staff_a, _values(**{field: value}))
    assert err.value.field == field


def test_other_bad_input(db, world):
    with pytest.raises(Invalid, match="first or last name"):
        create_contact(db, world.staff_a, _values(first_name="", last_name=" "))
    with pytest.raises(Invalid) as err:
        create_contact(db, world.staff_a, _values(phone="call me maybe"))
    assert err.value.field == "phone"
    with pytest.raises(Invalid) as err:
        list_contacts(db, world.staff_a, "q" * 101)
    assert err.value.field == "q"


def test_list_contacts_search_paging_and_total(db, world):
    for i in range(PAGE_SIZE + 5):
        create_contact(db, world.staff_a, {"first_name": f"Pat{i:02d}", "last_name": "Zed",
                                           "email": f"pat{i:02d}@zed.example", "company": "Zed Ltd"})
    first = list_contacts(db, world.staff_a)
    assert (first.total, first.pages, first.page, len(first.rows)) == (PAGE_SIZE + 7, 2, 1, PAGE_SIZE)
    second = list_contacts(db, world.staff_a, page=2)
    assert len(second.rows) == 7
    assert {r.public_id for r in first.rows}.isdisjoint(r.public_id for r in second.rows)
    # sorted by last, first name: Alice and Bob Client come first
    assert [r.name for r in first.rows[:3]] == ["Alice Client", "Bob Client", "Pat00 Zed"]
    assert list_contacts(db, world.staff_a, page=99).page == 2
    assert list_contacts(db, world.staff_a, page=-3).page == 1

    zed = list_contacts(db, world.staff_a, "  ZED ltd ")
    assert zed.total == PAGE_SIZE + 5
    assert list_contacts(db, world.staff_a, "pat07 zed").total == 1  # first + last name
    assert list_contacts(db, world.staff_a, "alice@client").rows[0].portal_status == "active"
    nobody = list_contacts(db, world.staff_a, "nobody-here")
    assert (nobody.total, nobody.pages, nobody.rows) == (0, 1, [])


def test_search_wildcards_are_literal(db, world):
    create_contact(db, world.staff_a, {"first_name": "Under_score", "email": "u@x.example",
                                       "company": "100% Pure"})
    assert [r.name for r in list_contacts(db, world.staff_a, "_").rows] == ["Under_score"]
    assert list_contacts(db, world.staff_a, "%").total == 1
    assert list_contacts(db, world.staff_a, "100%").total == 1


def test_list_shows_portal_status(db, world):
    dana = create_contact(db, world.staff_a, _values(first_name="Dana", email="dana@d.example"))
    invites.send_invite(db, world.staff_a, dana.public_id)
    invites.set_portal_access(db, world.staff_a, world.contact_a2.public_id, False)
    db.flush()
    status = {r.email: r.portal_status for r in list_contacts(db, world.staff_a).rows}
    assert status == {"alice@client.example": "active", "bob@client.example": "disabled",
                      "dana@d.example": "invited"}


def test_list_is_scoped_to_the_workspace(db, world):
    emails_b = {r.email for r in list_contacts(db, world.staff_b).rows}
    assert emails_b == {"carol@client.example"}
    assert list_contacts(db, world.staff_b, "alice").total == 0


def test_deny_paths(db, world):
    pid = world.contact_a1.public_id
    for actor, error in [(world.staff_b, NotFound), (world.client_a1, Forbidden),
                         (world.client_b1, Forbidden), (world.anon, NotSignedIn),
                         (Anonymous(None), NotSignedIn)]:
        with pytest.raises(error):
            contacts.get_contact(db, actor, pid)
        with pytest.raises(error):
            update_contact(db, actor, pid, _values(email="alice@client.example"))
        if error is not NotFound:
            with pytest.raises(error):
                create_contact(db, actor, _values())
            with pytest.raises(error):
                list_contacts(db, actor)
    db.expire_all()
    assert db.get(Contact, world.contact_a1.id).first_name == "Alice"
    assert db.exec(select(Contact).where(Contact.email == "erin@evans.example")).first() is None
    with pytest.raises(NotFound):
        contacts.get_contact(db, world.staff_a, "ct_" + "x" * 100)

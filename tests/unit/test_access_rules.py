"""The rules in portal_app/access/, one by one: who the actor is, the team's rules (role
rank, granting a role, not yourself, the last owner), whose signer row is whose, and which
invoices a client sees; each with its deny paths. Pure functions: no database, except the
SQL forms, which run on an in-memory SQLite table against their Python twins."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from portal_app import access
from portal_app.access import Anonymous, Client, Staff
from portal_app.errors import Forbidden, Invalid, NotFound, NotSignedIn
from portal_app.models import Invoice

WS, OTHER_WS = 1, 2
ANON = Anonymous(WS)
OWNER = Staff(WS, 10, "owner", "olga@biz.example", "Olga")
ADMIN = Staff(WS, 11, "admin", "adam@biz.example", "Adam")
MEMBER = Staff(WS, 12, "member", "mia@biz.example", "Mia")
ALICE = Client(WS, 100, 1000, "alice@client.example", "Alice")
BOB = Client(WS, 101, 1001, "bob@client.example", "Bob")
EVE = Client(OTHER_WS, 100, 2000, "eve@other.example", "Eve")  # same contact id, other workspace
EVERYONE = (ANON, OWNER, ADMIN, MEMBER, ALICE, BOB)


def _user(actor: Staff | None = None, *, id: int = 50, role: str = "member", disabled: bool = False):
    """A StaffUser row as the team rules read it."""
    if actor is not None:
        id, role = actor.user_id, actor.role
    return SimpleNamespace(id=id, role=role, disabled=disabled)


def _never() -> int:
    raise AssertionError("the owner count was asked although it could not matter")


# --- who the actor is ----------------------------------------------------------------------

def test_actor_kind_predicates():
    assert [access.is_signed_in(a) for a in EVERYONE] == [False, True, True, True, True, True]
    assert [access.is_staff(a) for a in EVERYONE] == [False, True, True, True, False, False]
    assert [access.is_client(a) for a in EVERYONE] == [False, False, False, False, True, True]


def test_has_role_ranks_member_admin_owner_and_only_staff_have_one():
    assert [access.has_role(a, "admin") for a in EVERYONE] == [False, True, True, False, False, False]
    assert [access.has_role(a, "owner") for a in EVERYONE] == [False, True, False, False, False, False]
    assert [access.has_role(a, "member") for a in EVERYONE] == [False, True, True, True, False, False]
    assert not access.has_role(Staff(WS, 13, "intern", "i@biz.example", "I"), "member")  # unknown role: none


def test_roles_at_least_is_the_sql_form_of_has_role():
    assert access.roles_at_least("owner") == ["owner"]
    assert access.roles_at_least("admin") == ["owner", "admin"]
    assert access.roles_at_least("member") == ["owner", "admin", "member"]
    for min_role in access.STAFF_ROLES:
        for staff in (OWNER, ADMIN, MEMBER):
            assert (staff.role in access.roles_at_least(min_role)) is access.has_role(staff, min_role)


# --- the team ------------------------------------------------------------------------------

@pytest.mark.parametrize(("require", "may", "allowed"), [
    (access.require_manage_team, access.may_manage_team, {"owner", "admin"}),
    (access.require_change_roles, access.may_change_roles, {"owner"}),
])
def test_team_abilities_and_their_questions_agree(require, may, allowed):
    with pytest.raises(NotSignedIn):
        require(ANON)
    with pytest.raises(Forbidden):
        require(ALICE)
    for staff in (OWNER, ADMIN, MEMBER):
        assert may(staff) is (staff.role in allowed)
        if staff.role in allowed:
            assert require(staff) is staff
        else:
            with pytest.raises(Forbidden):
                require(staff)
    assert not any(may(a) for a in (ANON, ALICE))


def test_grant_role_is_one_of_three_and_never_above_your_own():
    assert [access.require_grant_role(OWNER, r) for r in ("owner", "admin", "member")] == ["owner", "admin", "member"]
    assert access.require_grant_role(ADMIN, "admin") == "admin"
    with pytest.raises(Forbidden, match="above your own"):
        access.require_grant_role(ADMIN, "owner")
    with pytest.raises(Forbidden):
        access.require_grant_role(MEMBER, "admin")
    for bad in ("", "Owner", "root", "superuser"):
        with pytest.raises(Invalid) as err:
            access.require_grant_role(OWNER, bad)
        assert err.value.field == "role"


def test_change_role_not_your_own():
    with pytest.raises(Invalid, match="your own role"):
        access.require_change_role(OWNER, _user(OWNER), "admin", _never)


def test_change_role_keeps_the_last_active_owner():
    other_owner = _user(role="owner")
    with pytest.raises(Invalid, match="at least one owner"):
        access.require_change_role(OWNER, other_owner, "admin", lambda: 1)
    access.require_change_role(OWNER, other_owner, "admin", lambda: 2)
    access.require_change_role(OWNER, other_owner, "owner", _never)  # stays an owner
    access.require_change_role(OWNER, _user(role="owner", disabled=True), "member", _never)  # not an active one
    access.require_change_role(OWNER, _user(role="member"), "owner", _never)
    access.require_change_role(OWNER, _user(role="admin"), "member", _never)


def test_set_disabled_not_yourself_and_only_an_owner_touches_an_owner():
    with pytest.raises(Invalid, match="your own account"):
        access.require_set_disabled(ADMIN, _user(ADMIN), True, _never)
    for disabled in (True, False):
        with pytest.raises(Forbidden, match="to an owner"):
            access.require_set_disabled(ADMIN, _user(role="owner", disabled=not disabled), disabled, _never)
    access.require_set_disabled(ADMIN, _user(role="admin"), True, _never)
    access.require_set_disabled(ADMIN, _user(role="member"), True, _never)
    with pytest.raises(Forbidden):
        access.require_set_disabled(MEMBER, _user(role="admin"), True, _never)


def test_set_disabled_keeps_the_last_active_owner():
    with pytest.raises(Invalid, match="at least one owner"):
        access.require_set_disabled(OWNER, _user(role="owner"), True, lambda: 1)
    access.require_set_disabled(OWNER, _user(role="owner"), True, lambda: 2)
    access.require_set_disabled(OWNER, _user(role="owner", disabled=True), False, _never)  # enabling one
    access.require_set_disabled(OWNER, _user(role="owner", disabled=True), True, _never)  # already disabled
    access.require_set_disabled(OWNER, _user(role="owner"), False, _never)  # already enabled


# --- signers -------------------------------------------------------------------------------

def _signer(role: str, *, contact_id: int | None = None, user_id: int | None = None, document_id: int = 7):
    return SimpleNamespace(role=role, contact_id=contact_id, user_id=user_id, document_id=document_id)


ALICE_SIGNS = _signer("client", contact_id=ALICE.contact_id)
ADMIN_SIGNS = _signer("staff", user_id=ADMIN.user_id)
STAFF_ID_AS_CONTACT = _signer("client", contact_id=ADMIN.user_id)  # ids of other tables never match
CONTACT_ID_AS_USER = _signer("staff", user_id=ALICE.contact_id)
SIGNERS = (ALICE_SIGNS, ADMIN_SIGNS, STAFF_ID_AS_CONTACT, CONTACT_ID_AS_USER)


def test_is_own_signer_matches_a_client_by_contact_and_staff_by_user():
    assert [access.is_own_signer(ALICE, s) for s in SIGNERS] == [True, False, False, False]
    assert [access.is_own_signer(ADMIN, s) for s in SIGNERS] == [False, True, False, False]
    for actor in (ANON, BOB, OWNER, MEMBER):
        assert not any(access.is_own_signer(actor, s) for s in SIGNERS)


def test_require_signer_deny_paths():
    doc = SimpleNamespace(id=7, workspace_id=WS)
    assert access.require_signer(ALICE, doc, ALICE_SIGNS) is ALICE
    assert access.require_signer(ADMIN, doc, ADMIN_SIGNS) is ADMIN
    with pytest.raises(NotSignedIn):
        access.require_signer(ANON, doc, ALICE_SIGNS)
    with pytest.raises(NotFound):
        access.require_signer(EVE, doc, ALICE_SIGNS)  # other workspace
    with pytest.raises(NotFound):
        access.require_signer(ALICE, doc, _signer("client", contact_id=ALICE.contact_id, document_id=8))
    with pytest.raises(NotFound):
        access.require_signer(ALICE, doc, None)
    for actor, signer in ((BOB, ALICE_SIGNS), (OWNER, ADMIN_SIGNS), (ALICE, ADMIN_SIGNS), (ADMIN, ALICE_SIGNS)):
        with pytest.raises(Forbidden):
            access.require_signer(actor, doc, signer)
    with pytest.raises(Forbidden):
        access.require_signer(ADMIN, doc, None)  # staff learn the document exists, but sign nothing


def _rows(engine, table, clause) -> set[int]:
    with engine.connect() as conn:
        return set(conn.execute(sa.select(table.c.id).where(clause)).scalars())


def _table(name: str, rows: list[dict], *columns: str):
    engine = sa.create_engine("sqlite://")
    meta = sa.MetaData()
    table = sa.Table(name, meta, sa.Column("id", sa.Integer, primary_key=True),
                     *(sa.Column(c, sa.String if c in ("role", "status") else sa.Integer) for c in columns))
    meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(table.insert(), [{"id": i, **r} for i, r in enumerate(rows)])
    model = SimpleNamespace(**{c.name: c for c in table.c})  # columns as a model's attributes
    return engine, table, model


def test_own_signer_clause_selects_what_is_own_signer_says():
    rows = [{"role": s.role, "contact_id": s.contact_id, "user_id": s.user_id} for s in SIGNERS]
    engine, table, model = _table("signer", rows, "role", "contact_id", "user_id")
    for actor in EVERYONE:
        expected = {i for i, s in enumerate(SIGNERS) if access.is_own_signer(actor, s)}
        assert _rows(engine, table, access.own_signer_clause(model, actor)) == expected, actor


# --- invoices ------------------------------------------------------------------------------

INVOICES = [
    {"workspace_id": WS, "contact_id": ALICE.contact_id, "status": status}
    for status in ("draft", "sent", "partially_paid", "paid", "void")
] + [
    {"workspace_id": WS, "contact_id": BOB.contact_id, "status": "sent"},
    {"workspace_id": OTHER_WS, "contact_id": ALICE.contact_id, "status": "sent"},  # Eve's, by contact id
]


def test_client_may_see_invoice_their_own_sent_ones_only():
    seen = [access.client_may_see_invoice(ALICE, Invoice(**inv)) for inv in INVOICES]
    assert seen == [False, True, True, True, True, False, False]
    assert [access.client_may_see_invoice(EVE, Invoice(**inv)) for inv in INVOICES][-1]
    assert sum(access.client_may_see_invoice(EVE, Invoice(**inv)) for inv in INVOICES) == 1


def test_client_invoice_clause_selects_what_client_may_see_invoice_says():
    engine, table, model = _table("invoice", INVOICES, "workspace_id", "contact_id", "status")
    model.issued_clause = lambda: Invoice.issued_clause.__func__(model)  # the model's rule, on this table
    for client in (ALICE, BOB, EVE):
        expected = {i for i, inv in enumerate(INVOICES)
                    if access.client_may_see_invoice(client, Invoice(**inv))}
        assert _rows(engine, table, access.client_invoice_clause(model, client)) == expected, client


def test_require_pay_invoice_deny_paths():
    def inv(**kw):
        return Invoice(**{"workspace_id": WS, "contact_id": ALICE.contact_id, "status": "sent",
                          "balance_minor": 500, **kw})

    assert access.require_pay_invoice(ALICE, inv()) is ALICE
    assert access.require_pay_invoice(ALICE, inv(status="partially_paid")) is ALICE
    with pytest.raises(NotSignedIn):
        access.require_pay_invoice(ANON, inv())
    with pytest.raises(Forbidden):
        access.require_pay_invoice(OWNER, inv())
    for other in (inv(status="draft"), inv(contact_id=BOB.contact_id), inv(workspace_id=OTHER_WS)):
        with pytest.raises(NotFound):
            access.require_pay_invoice(ALICE, other)
    for done in (inv(status="paid"), inv(status="void"), inv(balance_minor=0)):
        with pytest.raises(Invalid):
            access.require_pay_invoice(ALICE, done)


def test_manage_domains_is_for_owners_and_admins():
    assert access.require_manage_domains(OWNER) is OWNER and access.require_manage_domains(ADMIN) is ADMIN
    for actor, error in ((MEMBER, Forbidden), (ALICE, Forbidden), (EVE, Forbidden), (ANON, NotSignedIn)):
        with pytest.raises(error):
            access.require_manage_domains(actor)

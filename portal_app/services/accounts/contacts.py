"""Staff keep the workspace's contacts."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, TypedDict, cast

import sqlalchemy as sa
from sqlmodel import Session, col, select

from portal_app import limits
from portal_app.access import Actor, require_manage_contacts
from portal_app.db import AnyRow, AnySelect, Paged, paged, prebuilt, run_page
from portal_app.errors import Invalid, NotFound
from portal_app.models import CONTACT_FIELDS, NOTES_MAX, ClientAccount, Contact, Invitation, contact_name, utcnow
from portal_app.services import audit
from portal_app.services.validation import clean_email, clean_phone, clean_text

PAGE_SIZE = 25

FIELD_LABELS = {
    "first_name": "First name", "last_name": "Last name", "company": "Company",
    "email": "Email", "phone": "Phone", "address_line1": "Address line 1",
    "address_line2": "Address line 2", "city": "City", "region": "State / region",
    "postal_code": "Postal code", "country": "Country",
}


@dataclass
class ContactRow:
    public_id: str
    name: str
    company: str
    email: str
    phone: str
    portal_status: str


@dataclass
class ContactPage:
    rows: list[ContactRow]
    total: int
    page: int
    pages: int


def portal_status(account: ClientAccount | AnyRow | None, pending_invite: bool) -> str:
    """none / invited / active / disabled, as the contact record shows it (`account`: the
    contact's account, a row with its `status`, or None)."""
    if account is None:
        return "invited" if pending_invite else "none"
    return account.status


def clean_contact_fields(values: dict, fields: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name in fields:
        raw = values.get(name, "")
        if name == "email":
            out[name] = clean_email(raw, required=True)
        elif name == "phone":
            out[name] = clean_phone(raw)
        else:
            out[name] = clean_text(raw, name, FIELD_LABELS[name], CONTACT_FIELDS[name])
    if "first_name" in out and "last_name" in out and not (out["first_name"] or out["last_name"]):
        raise Invalid("Give at least a first or last name.", "first_name")
    return out


def _email_taken(db: Session, workspace_id: int, email: str, except_id: int | None) -> bool:
    q = select(Contact.id).where(Contact.workspace_id == workspace_id, Contact.email == email)
    if except_id is not None:
        q = q.where(Contact.id != except_id)
    return db.exec(q.limit(1)).first() is not None


def create_contact(db: Session, actor: Actor, values: dict) -> Contact:
    staff = require_manage_contacts(actor)
    # Any: mypy checks **clean against every Contact field; these keys are the str ones (CONTACT_FIELDS)
    clean: dict[str, Any] = clean_contact_fields(values, tuple(CONTACT_FIELDS))
    notes = clean_text(values.get("notes", ""), "notes", "Notes", NOTES_MAX, multiline=True)
    if _email_taken(db, staff.workspace_id, clean["email"], None):
        raise Invalid("Another contact already uses this email.", "email")
    contact = Contact(workspace_id=staff.workspace_id, notes=notes, **clean)
    db.add(contact)
    db.flush()
    audit.record(db, staff.workspace_id, staff, "contact.created", "contact", contact.public_id,
                 {"name": contact.display_name})
    return contact


def get_contact(db: Session, actor: Actor, public_id: str) -> Contact:
    staff = require_manage_contacts(actor)
    contact = db.exec(select(Contact).where(Contact.public_id == str(public_id)[:40],
                                            Contact.workspace_id == staff.workspace_id)).first()
    if contact is None:
        raise NotFound("This contact does not exist.")
    return contact


def update_contact(db: Session, actor: Actor, public_id: str, values: dict) -> Contact:
    staff = require_manage_contacts(actor)
    contact = get_contact(db, staff, public_id)
    clean = clean_contact_fields(values, tuple(CONTACT_FIELDS))
    notes = clean_text(values.get("notes", ""), "notes", "Notes", NOTES_MAX, multiline=True)
    if clean["email"] != contact.email and _email_taken(db, staff.workspace_id, clean["email"], contact.id):
        raise Invalid("Another contact already uses this email.", "email")
    changes = {k: [getattr(contact, k), v] for k, v in clean.items() if getattr(contact, k) != v}
    for key, value in clean.items():
        setattr(contact, key, value)
    if notes != contact.notes:
        changes["notes"] = ["…", "…"]  # notes are internal; the log says they changed, not how
        contact.notes = notes
    if changes:
        contact.updated_at = utcnow()
        db.add(contact)
        audit.record(db, staff.workspace_id, staff, "contact.updated", "contact", contact.public_id,
                     changes)
    return contact


def list_contacts(db: Session, actor: Actor, query: str = "", page: int = 1) -> ContactPage:
    """A page of the workspace's contacts (searched by name, email or company), each with
    their portal status: one statement built once, the page with its total."""
    staff = require_manage_contacts(actor)
    query = clean_text(query, "q", "Search", limits.SEARCH)
    try:
        page = max(1, int(page))
    except (TypeError, ValueError):
        raise Invalid("The page number must be a whole number.", "page") from None
    # % and _ typed in the search box are literal characters, not wildcards
    escaped = query.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows, total, page, pages = run_page(db, _listing(bool(query)), page, PAGE_SIZE, ws=staff.workspace_id,
                                        like=f"%{escaped}%", now=utcnow())
    return ContactPage([ContactRow(r.public_id, contact_name(r.first_name, r.last_name, r.email), r.company, r.email,
                                   r.phone, portal_status(r if r.account_id is not None else None, bool(r.invited)))
                        for r in rows], total, page, pages)


@prebuilt
def _listing(search: bool) -> Paged:
    """The contacts list with each contact's account status and whether an invitation is
    pending (unused, not revoked, not expired at :now)."""
    invited = sa.exists().where(col(Invitation.contact_id) == Contact.id, col(Invitation.used_at).is_(None),
                                col(Invitation.revoked_at).is_(None), col(Invitation.expires_at) > sa.bindparam("now"))
    stmt: AnySelect = (
        sa.select(col(Contact.public_id), col(Contact.first_name), col(Contact.last_name), col(Contact.company),
                  col(Contact.email), col(Contact.phone), col(ClientAccount.id).label("account_id"),
                  col(ClientAccount.status), invited.label("invited"))
        .outerjoin(ClientAccount, col(ClientAccount.contact_id) == Contact.id)
        .where(col(Contact.workspace_id) == sa.bindparam("ws")))
    if search:
        like: sa.BindParameter[str] = sa.bindparam("like")
        stmt = stmt.where(sa.or_(
            sa.func.lower(Contact.first_name + " " + Contact.last_name).like(like, escape="\\"),
            sa.func.lower(col(Contact.email)).like(like, escape="\\"),
            sa.func.lower(col(Contact.company)).like(like, escape="\\"),
        ))
    return paged(stmt.order_by(col(Contact.last_name), col(Contact.first_name), col(Contact.id)))


class ContactDetails(TypedDict, total=False):
    """A contact's own details: what a client may change on their profile (profile.py)."""
    first_name: str
    last_name: str
    company: str
    phone: str
    address_line1: str
    address_line2: str
    city: str
    region: str
    postal_code: str
    country: str


class ContactView(ContactDetails, total=False):
    """One contact on its record page: every field of CONTACT_FIELDS, its notes and name
    (not total: the record page's var is {} until loaded, and Reflex checks a TypedDict
    var's required keys on every set)."""
    email: str
    public_id: str
    notes: str
    name: str


class ContactListRow(TypedDict):
    """A ContactRow as the contacts list shows it."""
    public_id: str
    name: str
    company: str
    email: str
    phone: str
    portal_status: str


def contact_view(contact: Contact | AnyRow) -> ContactView:
    """`contact`: the entity, or a row with its columns (CONTACT_FIELDS, public_id, notes)."""
    data = {k: getattr(contact, k) for k in CONTACT_FIELDS}
    data.update(public_id=contact.public_id, notes=contact.notes,
                name=contact_name(contact.first_name, contact.last_name, contact.email))
    return cast(ContactView, data)


def as_dicts(rows: list[ContactRow]) -> list[ContactListRow]:
    return [cast(ContactListRow, asdict(r)) for r in rows]

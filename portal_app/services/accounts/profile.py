"""A client's own contact details.

Changing the email goes through a confirmation link sent to the new address; only the newest
link works: a new request ends the earlier ones, and a confirmed change ends any other.
"""

from __future__ import annotations

from datetime import timedelta
from typing import cast

import sqlalchemy as sa
from sqlmodel import Session, col, select

from portal_app.access import Actor, require_client, require_own_contact
from portal_app.errors import Invalid, NotFound
from portal_app.models import ClientAccount, ClientStatus, Contact, EmailChange, Workspace, utcnow
from portal_app.services import audit, emails
from portal_app.services.accounts import credentials
from portal_app.services.accounts.contacts import ContactDetails, clean_contact_fields
from portal_app.services.accounts.links import end_open_links, use_once
from portal_app.services.security import hash_token, new_token
from portal_app.services.validation import clean_email


class ProfileValues(ContactDetails, total=False):
    """The contact details a client may change themselves."""


CLIENT_EDITABLE = tuple(ProfileValues.__annotations__)
PROFILE_FIELDS = ("email", *CLIENT_EDITABLE)


def _own_contact(db: Session, actor: Actor) -> Contact:
    contact = db.get(Contact, require_client(actor).contact_id)
    if contact is None:
        raise NotFound()
    require_own_contact(actor, contact.id, contact.workspace_id)
    return contact


def get_profile(db: Session, actor: Actor) -> dict:
    contact = _own_contact(db, actor)
    data = {k: getattr(contact, k) for k in PROFILE_FIELDS}
    pending = db.exec(select(EmailChange).where(
        EmailChange.contact_id == contact.id, col(EmailChange.used_at).is_(None),
        col(EmailChange.revoked_at).is_(None), EmailChange.expires_at > utcnow())
        .order_by(sa.desc(col(EmailChange.id)))).first()
    data["pending_email"] = pending.new_email if pending else ""
    data["time_zone"] = contact.time_zone  # appointments are shown in it ("" = not known yet)
    return data


def tidy_values(values: dict) -> ProfileValues:
    """The editable fields as `update_profile` stores them (trimmed, checked; Invalid if not)."""
    return cast(ProfileValues, clean_contact_fields(values, CLIENT_EDITABLE))


def update_profile(db: Session, actor: Actor, values: dict) -> list[str]:
    """Saves the editable fields (never email, never notes) as `tidy_values` makes them;
    returns the changed field names."""
    client = require_client(actor)
    contact = _own_contact(db, actor)
    clean = tidy_values(values)
    changes = {k: [getattr(contact, k), v] for k, v in clean.items() if getattr(contact, k) != v}
    if changes:
        for key, (_, new) in changes.items():
            setattr(contact, key, new)
        contact.updated_at = utcnow()
        db.add(contact)
        audit.record(db, client.workspace_id, client, "profile.updated", "contact", contact.public_id,
                     changes)
    return sorted(changes)


def request_email_change(db: Session, actor: Actor, new_email: str, current_password: object) -> str:
    """Sends the confirmation link to the new address, once the client has entered their
    current password (credentials.require_current_password: a session left open elsewhere is
    not enough to move the account to another address)."""
    client = require_client(actor)
    contact = _own_contact(db, actor)
    new_email = clean_email(new_email, "new_email", "New email")
    if new_email == contact.email:
        raise Invalid("This is already your email address.", "new_email")
    credentials.require_current_password(db, client, current_password)
    # Whether another contact uses the address is checked when the link is opened, not
    # here: the answer must not tell a client who else is a client of the business.
    now = utcnow()
    _end_links(db, contact.id, now)  # only the link sent now will work
    token = new_token()
    db.add(EmailChange(workspace_id=client.workspace_id, contact_id=contact.id, new_email=new_email,
                       token_hash=hash_token(token), created_at=now, expires_at=now + timedelta(hours=24)))
    ws = db.get_one(Workspace, client.workspace_id)
    emails.email_change_email(db, ws, to=new_email, contact_name=contact.display_name,
                              link=f"{ws.base_url}/confirm-email?token={token}")
    audit.record(db, client.workspace_id, client, "profile.email_change_requested", "contact",
                 contact.public_id, {"new_email": new_email})
    return new_email


EMAIL_CHANGE_MESSAGES = {
    "invalid": "This confirmation link is not valid.",
    "used": "This confirmation link has already been used.",
    "replaced": "This confirmation link no longer works: a newer one was sent, or your email was "
                "changed since. Use the newest email, or ask again from your profile.",
    "expired": "This confirmation link has expired. Ask for a new one from your profile.",
}


def _end_links(db: Session, contact_id: int, now, *, keep: int | None = None) -> None:
    end_open_links(db, EmailChange, EmailChange.contact_id, contact_id, now, keep=keep)


def confirm_email_change(db: Session, token: str) -> str:
    """The link proves the new address; returns it. Refuses used/expired/forged links."""
    if not token or len(token) > 200:
        raise Invalid(EMAIL_CHANGE_MESSAGES["invalid"])
    change = db.exec(select(EmailChange).where(EmailChange.token_hash == hash_token(token))).first()
    if change is None:
        raise Invalid(EMAIL_CHANGE_MESSAGES["invalid"])
    if change.used_at is not None:
        raise Invalid(EMAIL_CHANGE_MESSAGES["used"])
    if change.revoked_at is not None:
        raise Invalid(EMAIL_CHANGE_MESSAGES["replaced"])
    if utcnow() >= change.expires_at:
        raise Invalid(EMAIL_CHANGE_MESSAGES["expired"])
    contact = db.get_one(Contact, change.contact_id)
    account = db.exec(select(ClientAccount).where(ClientAccount.contact_id == contact.id)).first()
    if account is None or account.status == ClientStatus.disabled.value:
        raise Invalid("Portal access for this account is disabled; the email was not changed.")
    taken = db.exec(select(Contact.id).where(Contact.workspace_id == contact.workspace_id,
                                             Contact.email == change.new_email,
                                             Contact.id != contact.id)).first()
    if taken is not None:
        raise Invalid("This address is now used by another contact; please contact us.")
    now = utcnow()
    if not use_once(db, EmailChange, change.id, now):
        raise Invalid(EMAIL_CHANGE_MESSAGES["used"])
    _end_links(db, contact.id, now, keep=change.id)  # a link to yet another address dies too
    old = contact.email
    contact.email = change.new_email
    contact.updated_at = utcnow()
    db.add(contact)
    audit.record(db, contact.workspace_id, None, "profile.email_changed", "contact", contact.public_id,
                 {"email": [old, change.new_email], "confirmed_by": "link"})
    ws = db.get_one(Workspace, contact.workspace_id)
    if old:  # the previous address hears of the change, in case it was not its owner's doing
        emails.staff_notice_email(
            db, ws, to=old, subject=f"Your email for {ws.name} was changed",
            text=f"The email address of your {ws.name} client portal account is now "
                 f"{change.new_email}. If you did not make this change, contact {ws.name} at once.",
            link=f"{ws.base_url}/login")
    return change.new_email

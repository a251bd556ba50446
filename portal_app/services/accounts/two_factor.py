"""Two-factor sign-in (TOTP, RFC 6238) for staff users and client accounts.

Where the flows start:
- Enrolment (the person's own Security › Two-factor page): `begin` makes a secret (sealed at
  rest with the server's key: services/secret_box.py) and shows it as a QR code drawn here
  (segno, an SVG data URI: no third-party service) and as text; `confirm` takes a first code,
  turns 2FA on and returns 10 recovery codes, shown once and stored hashed.
- Sign-in: after a correct password, services/accounts/auth.py asks `enabled_for` and, when on,
  keeps a pending sign-in until `check` accepts a code (or a recovery code, once).
- Turning it off: `disable` asks for the password.
- A workspace may require it for staff (`set_required_for_staff`, owners): auth.resolve_session
  then resolves a staff member without it as access.StaffEnrolling, who may only enrol.

A code is accepted at most once: the time step it belongs to must be after the last one
accepted (`TwoFactor.last_step`). Codes of the step before and after now are accepted too
(clocks drift); nothing older.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import pyotp
import segno
import sqlalchemy as sa
from sqlmodel import Session, col, select

from portal_app import limits
from portal_app.access import (
    Actor,
    Client,
    Staff,
    StaffEnrolling,
    is_client,
    is_staff_person,
    require_own_two_factor,
    require_set_staff_two_factor,
)
from portal_app.errors import Invalid, NotSignedIn
from portal_app.models import ClientAccount, Contact, RecoveryCode, StaffUser, TwoFactor, Workspace, utcnow
from portal_app.services import audit, emails, events, secret_box
from portal_app.services.security import hash_token, verify_password

clock = utcnow  # what "now" is for codes (tests set it)

STEP_SECONDS = 30
DRIFT_STEPS = 1  # one step either side of now
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i

BAD_CODE = "That code is not right, or it was already used. Enter the current code from your app."
NOT_ON = "Two-factor sign-in is not on for your account."
ALREADY_ON = "Two-factor sign-in is already on for your account."
NO_ENROLMENT = "Start the setup again: the code shown has expired."
BAD_PASSWORD = "That password is not right."


# --- codes --------------------------------------------------------------------------------

def step_of(now: datetime) -> int:
    """The TOTP time step (counter) `now` falls in."""
    return int(now.timestamp()) // STEP_SECONDS


def _digits(code: str) -> str:
    return "".join(ch for ch in (code or "")[:limits.TWO_FACTOR_CODE] if not ch.isspace())


def match_step(secret: str, code: str, now: datetime, after_step: int) -> int | None:
    """The time step whose code `code` is (now, or one step either side), if it is after
    `after_step` (no code is accepted twice); else None."""
    code = _digits(code)
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    now_step = step_of(now)
    for step in range(now_step - DRIFT_STEPS, now_step + DRIFT_STEPS + 1):
        if step > after_step and pyotp.utils.strings_equal(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def _normal_recovery(code: str) -> str:
    return "".join(ch for ch in (code or "")[:limits.TWO_FACTOR_CODE].lower() if ch.isalnum())


def new_recovery_codes() -> list[str]:
    """Ten codes of 16 characters (80 random bits each), grouped by four for reading."""
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(16))
        codes.append("-".join(raw[i:i + 4] for i in range(0, 16, 4)))
    return codes


def _recovery_hash(tf: TwoFactor, code: str) -> str:
    return hash_token(f"recovery:{tf.id}:{_normal_recovery(code)}")


def check(db: Session, tf: TwoFactor, code: str, now: datetime | None = None) -> Literal["code", "recovery"] | None:
    """Whether `code` is a current code of this factor (remembering its step, so it is not
    accepted again) or one of its unused recovery codes (marking it used). Writes in the
    caller's transaction."""
    now = now or clock()
    step = match_step(secret_box.unseal(tf.secret_sealed), code, now, tf.last_step)
    if step is not None:
        # the row's step moves forward only: of two sign-ins racing with one code, one wins
        moved = db.exec(sa.update(TwoFactor).where(col(TwoFactor.id) == tf.id, col(TwoFactor.last_step) < step)
                        .values(last_step=step))
        db.expire(tf, ["last_step"])
        return "code" if moved.rowcount == 1 else None
    normal = _normal_recovery(code)
    if len(normal) != 16:
        return None
    used = db.exec(sa.update(RecoveryCode).where(col(RecoveryCode.two_factor_id) == tf.id,
                                                 col(RecoveryCode.code_hash) == _recovery_hash(tf, code),
                                                 col(RecoveryCode.used_at).is_(None))
                   .values(used_at=now))
    return "recovery" if used.rowcount == 1 else None


# --- whose factor -------------------------------------------------------------------------

def _ids(person: Staff | Client | StaffEnrolling) -> tuple[int | None, int | None]:
    """(staff_user_id, client_account_id) of the person: one of them is set."""
    if is_client(person):
        return None, person.account_id
    if is_staff_person(person):
        return person.user_id, None
    raise NotSignedIn()


def _owner_filter(actor: Staff | Client | StaffEnrolling):
    staff_user_id, client_account_id = _ids(actor)
    if staff_user_id is not None:
        return col(TwoFactor.staff_user_id) == staff_user_id
    return col(TwoFactor.client_account_id) == client_account_id


def _own(db: Session, actor: Actor) -> tuple[Staff | Client | StaffEnrolling, TwoFactor | None]:
    person = require_own_two_factor(actor)
    tf = db.exec(select(TwoFactor).where(TwoFactor.workspace_id == person.workspace_id,
                                         _owner_filter(person))).first()
    return person, tf


def enabled_for(db: Session, *, staff_user_id: int | None = None,
                client_account_id: int | None = None) -> TwoFactor | None:
    """The person's factor when it is on (sign-in asks after a correct password)."""
    q = select(TwoFactor).where(col(TwoFactor.enabled_at).is_not(None))
    if staff_user_id is not None:
        q = q.where(TwoFactor.staff_user_id == staff_user_id)
    elif client_account_id is not None:
        q = q.where(TwoFactor.client_account_id == client_account_id)
    else:
        return None
    return db.exec(q).first()


def must_enrol(db: Session, workspace_id: int, staff_user_id: int) -> bool:
    """A staff member of a workspace that requires two-factor, without it (yet)."""
    ws = db.get(Workspace, workspace_id)
    if ws is None or not ws.require_staff_two_factor:
        return False
    return enabled_for(db, staff_user_id=staff_user_id) is None


# --- the person's own page ----------------------------------------------------------------

@dataclass(frozen=True)
class Status:
    on: bool
    recovery_left: int
    required: bool  # the workspace requires it of this person (staff)


def status(db: Session, actor: Actor) -> Status:
    person, tf = _own(db, actor)
    on = tf is not None and tf.enabled_at is not None
    left = 0
    if on and tf is not None:
        left = db.exec(select(sa.func.count()).select_from(RecoveryCode).where(
            RecoveryCode.two_factor_id == tf.id, col(RecoveryCode.used_at).is_(None))).one()
    required = False
    if not is_client(person):
        ws = db.get(Workspace, person.workspace_id)
        required = bool(ws and ws.require_staff_two_factor)
    return Status(on=on, recovery_left=int(left), required=required)


@dataclass(frozen=True)
class Enrolment:
    secret: str  # base32, grouped by four for typing
    qr_data_uri: str  # an SVG data URI


def begin(db: Session, actor: Actor) -> Enrolment:
    """A new secret for the person to add to their authenticator app (replacing one of an
    unfinished setup); 2FA stays off until `confirm`."""
    person, tf = _own(db, actor)
    if tf is not None and tf.enabled_at is not None:
        raise Invalid(ALREADY_ON)
    secret = pyotp.random_base32()  # 160 bits
    if tf is None:
        staff_user_id, client_account_id = _ids(person)
        tf = TwoFactor(workspace_id=person.workspace_id, secret_sealed="", staff_user_id=staff_user_id,
                       client_account_id=client_account_id)
    tf.secret_sealed, tf.created_at, tf.last_step = secret_box.seal(secret), clock(), 0
    db.add(tf)
    ws = db.get(Workspace, person.workspace_id)
    uri = pyotp.TOTP(secret).provisioning_uri(name=person.email, issuer_name=ws.name if ws else "Client portal")
    qr = segno.make(uri, error="m").svg_data_uri(scale=5, border=2, dark="#000000", light="#ffffff")
    return Enrolment(secret=" ".join(secret[i:i + 4] for i in range(0, len(secret), 4)), qr_data_uri=qr)


def confirm(db: Session, actor: Actor, code: str, now: datetime | None = None) -> list[str]:
    """Turns 2FA on when `code` is a current code of the secret being set up; returns the
    recovery codes (shown once: only their hashes are kept)."""
    now = now or clock()
    person, tf = _own(db, actor)
    if tf is not None and tf.enabled_at is not None:
        raise Invalid(ALREADY_ON)
    if tf is None or not tf.secret_sealed:
        raise Invalid(NO_ENROLMENT)
    step = match_step(secret_box.unseal(tf.secret_sealed), code, now, tf.last_step)
    if step is None:
        raise Invalid(BAD_CODE, field="code")
    tf.enabled_at, tf.last_step = now, step
    db.add(tf)
    db.flush()
    codes = new_recovery_codes()
    for c in codes:
        db.add(RecoveryCode(two_factor_id=tf.id, code_hash=_recovery_hash(tf, c)))
    _changed(db, person, enabled=True)
    return codes


def disable(db: Session, actor: Actor, password: str) -> None:
    """Turns 2FA off after the person's password; their recovery codes go with it."""
    person, tf = _own(db, actor)
    if not verify_password(_password_hash(db, person), (password or "")[:limits.PASSWORD]):
        raise Invalid(BAD_PASSWORD, field="password")
    if tf is None or tf.enabled_at is None:
        raise Invalid(NOT_ON)
    db.exec(sa.delete(RecoveryCode).where(col(RecoveryCode.two_factor_id) == tf.id))
    db.delete(tf)
    _changed(db, person, enabled=False)


def _password_hash(db: Session, person: Staff | Client | StaffEnrolling) -> str | None:
    staff_user_id, client_account_id = _ids(person)
    row = (db.get(StaffUser, staff_user_id) if staff_user_id is not None
           else db.get(ClientAccount, client_account_id))
    return row.password_hash if row else None


def _changed(db: Session, person: Staff | Client | StaffEnrolling, *, enabled: bool) -> None:
    who: Literal["staff", "client"]
    if is_client(person):
        contact = db.get(Contact, person.contact_id)
        who, subject_type, public_id = "client", "contact", contact.public_id if contact else ""
    else:
        user = db.get(StaffUser, _ids(person)[0])
        who, subject_type, public_id = "staff", "staff_user", user.public_id if user else ""
    audit.record(db, person.workspace_id, person, "two_factor.enabled" if enabled else "two_factor.disabled",
                 subject_type, public_id)
    events.raise_event(db, events.TwoFactorChanged(workspace_id=person.workspace_id, who=who, person=public_id,
                                                   enabled=enabled))


def set_required_for_staff(db: Session, actor: Actor, required: bool) -> None:
    """Owners: every staff member must use two-factor sign-in (those without it are sent to set
    it up at their next page, this owner included)."""
    owner = require_set_staff_two_factor(actor)
    ws = db.get(Workspace, owner.workspace_id)
    if ws is None or ws.require_staff_two_factor == bool(required):
        return
    ws.require_staff_two_factor = bool(required)
    db.add(ws)
    audit.record(db, owner.workspace_id, owner, "workspace.staff_two_factor", "workspace", ws.public_id,
                 {"required": bool(required)})


def required_for_staff(db: Session, workspace_id: int) -> bool:
    ws = db.get(Workspace, workspace_id)
    return bool(ws and ws.require_staff_two_factor)


# --- the email that follows a change (services/bus.py) ------------------------------------

def email_two_factor_changed(db: Session, event: events.TwoFactorChanged) -> None:
    """Tells the person that two-factor sign-in was turned on or off for their account (if
    they did not do it, they know at once)."""
    ws = db.get(Workspace, event.workspace_id)
    if ws is None:
        return
    if event.who == "staff":
        user = db.exec(select(StaffUser).where(StaffUser.workspace_id == ws.id,
                                               StaffUser.public_id == event.person)).first()
        to, name, page = (user.email, user.name, "/staff/security/two-factor") if user else ("", "", "")
    else:
        contact = db.exec(select(Contact).where(Contact.workspace_id == ws.id,
                                                Contact.public_id == event.person)).first()
        to, name, page = (contact.email, contact.display_name, "/security/two-factor") if contact else ("", "", "")
    if not to:
        return
    state = "on" if event.enabled else "off"
    emails.queue_branded_email(
        db, ws, to=to,
        subject=f"Two-factor sign-in was turned {state}",
        heading=f"Hello {name}," if name else "Hello,",
        paragraphs=[
            f"Two-factor sign-in was turned {state} for your {ws.name} account ({to}).",
            ("From now on, signing in asks for a code from your authenticator app after your password."
             if event.enabled else "Signing in now asks for your password only."),
            "If you did not do this, change your password at once and tell us.",
        ],
        button_label="Review your sign-in security", button_url=ws.base_url.rstrip("/") + page,
        footer=f"Sent by the {ws.name} client portal to {to} about the security of your account.",
        for_client=False,  # a security notice, not part of the client's conversation with the business
    )

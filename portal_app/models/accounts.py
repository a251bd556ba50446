"""People who sign in: staff users, client accounts, their sessions and sign-in attempts."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from portal_app.models.base import new_public_id, ts_column, utcnow


class StaffRole(str, enum.Enum):
    owner = "owner"
    admin = "admin"
    member = "member"


class ClientStatus(str, enum.Enum):
    invited = "invited"
    active = "active"
    disabled = "disabled"


class StaffUser(SQLModel, table=True):
    __tablename__ = "staff_user"
    __table_args__ = (sa.UniqueConstraint("workspace_id", "email", name="uq_staff_user_ws_email"),)

    id: int = Field(default=None, primary_key=True)
    public_id: str = Field(default_factory=lambda: new_public_id("usr"), unique=True, max_length=40)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    email: str = Field(max_length=254)
    name: str = Field(max_length=120)
    role: str = Field(default=StaffRole.member.value, max_length=10)
    password_hash: str = Field(max_length=200)
    disabled: bool = Field(default=False)
    # which unread chat messages reach this member by email: all | assigned (to them) | none
    chat_email: str = Field(default="all", max_length=10, sa_column_kwargs={"server_default": "all"})
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))


class ClientAccount(SQLModel, table=True):
    """A contact's portal account; exists from the first invitation on."""

    __tablename__ = "client_account"

    id: int = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    contact_id: int = Field(foreign_key="contact.id", unique=True)
    password_hash: str | None = Field(default=None, max_length=200)
    status: str = Field(default=ClientStatus.invited.value, max_length=10, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    activated_at: datetime | None = Field(default=None, sa_column=ts_column())
    last_login_at: datetime | None = Field(default=None, sa_column=ts_column())


class AuthSession(SQLModel, table=True):
    """A server-side session; the browser holds only the random token (stored hashed)."""

    __tablename__ = "auth_session"

    id: int = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    staff_user_id: int | None = Field(default=None, foreign_key="staff_user.id", index=True)
    client_account_id: int | None = Field(default=None, foreign_key="client_account.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    last_seen_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    expires_at: datetime = Field(sa_column=ts_column(nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=ts_column())
    ip: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=300)
    # The hostname the session was signed in on (services/accounts/auth.py): the session
    # works there only, so a cookie carried to another domain of the same or another
    # workspace is worthless. NULL: a session from before sessions were per host (accepted
    # on any host of its workspace until it ends).
    host: str | None = Field(default=None, max_length=253, index=True)


class LoginAttempt(SQLModel, table=True):
    """Failed sign-ins, for throttling (keys are hashed: no address is stored)."""

    __tablename__ = "login_attempt"

    id: int = Field(default=None, primary_key=True)
    key_hash: str = Field(max_length=64, index=True)
    attempted_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False, index=True))


class KnownDevice(SQLModel, table=True):
    """A device (browser and OS family, services/accounts/devices.py) an account has signed in
    from: a sign-in from one not listed yet sends the "new sign-in" email. Keyed by the kind of
    account and its id (a staff user or a client account); no address, no full user agent."""

    __tablename__ = "known_device"
    __table_args__ = (sa.UniqueConstraint("account_kind", "account_id", "device", name="uq_known_device"),)

    id: int = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    account_kind: str = Field(max_length=10)  # staff | client
    account_id: int
    device: str = Field(max_length=80)  # "Firefox on Windows"
    first_seen_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    last_seen_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))


class PasswordReset(SQLModel, table=True):
    """A single-use link to choose a new password (staff or client); stored hashed."""

    __tablename__ = "password_reset"

    id: int = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    staff_user_id: int | None = Field(default=None, foreign_key="staff_user.id", index=True)
    client_account_id: int | None = Field(default=None, foreign_key="client_account.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False, index=True))
    expires_at: datetime = Field(sa_column=ts_column(nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=ts_column())
    # set when a newer request or a successful reset of the same account ends this link
    revoked_at: datetime | None = Field(default=None, sa_column=ts_column())


class SignInLink(SQLModel, table=True):
    """A client's emailed sign-in link (services/accounts/sign_in_links.py): single use, valid
    15 minutes, stored hashed, and bound to the browser that asked for it (`nonce_hash`: the
    hash of the random nonce in that browser's HttpOnly cookie)."""

    __tablename__ = "sign_in_link"

    id: int = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    client_account_id: int = Field(foreign_key="client_account.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    nonce_hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False, index=True))
    expires_at: datetime = Field(sa_column=ts_column(nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=ts_column())
    # set when a newer link of the same account, or disabling its portal access, ends this one
    revoked_at: datetime | None = Field(default=None, sa_column=ts_column())


class StaffInvitation(SQLModel, table=True):
    """An invitation to join a workspace's staff; single use, stored hashed."""

    __tablename__ = "staff_invitation"

    id: int = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    email: str = Field(max_length=254)
    name: str = Field(max_length=120)
    role: str = Field(default=StaffRole.member.value, max_length=10)
    token_hash: str = Field(max_length=64, unique=True)
    created_by_id: int | None = Field(default=None, foreign_key="staff_user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    expires_at: datetime = Field(sa_column=ts_column(nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=ts_column())
    revoked_at: datetime | None = Field(default=None, sa_column=ts_column())


class TwoFactor(SQLModel, table=True):
    """A person's TOTP second factor (staff user or client account: exactly one is set).

    The row exists from the start of enrolment (`enabled_at` NULL: the secret shown, not yet
    confirmed by a first code); 2FA is on once `enabled_at` is set. The secret is sealed with the
    server's key (services/secret_box.py, as the Stripe keys are). `last_step`: the last TOTP
    time step accepted (unix time // 30), so that no code is accepted twice."""

    __tablename__ = "two_factor"

    id: int = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    staff_user_id: int | None = Field(default=None, foreign_key="staff_user.id", unique=True)
    client_account_id: int | None = Field(default=None, foreign_key="client_account.id", unique=True)
    secret_sealed: str = Field(max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    enabled_at: datetime | None = Field(default=None, sa_column=ts_column())
    last_step: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class RecoveryCode(SQLModel, table=True):
    """One of a TwoFactor's single-use recovery codes, stored hashed (SHA-256 of the code:
    128 random bits, so a fast hash is enough)."""

    __tablename__ = "two_factor_recovery_code"

    id: int = Field(default=None, primary_key=True)
    two_factor_id: int = Field(foreign_key="two_factor.id", index=True)
    code_hash: str = Field(max_length=64, unique=True)
    used_at: datetime | None = Field(default=None, sa_column=ts_column())


class PendingSignIn(SQLModel, table=True):
    """A sign-in whose password was right, waiting for the second factor: short-lived, single
    use, the browser holds its random token (hashed here) in an HttpOnly cookie."""

    __tablename__ = "pending_sign_in"

    id: int = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    staff_user_id: int | None = Field(default=None, foreign_key="staff_user.id", index=True)
    client_account_id: int | None = Field(default=None, foreign_key="client_account.id", index=True)
    ip: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=300)
    host: str = Field(default="", max_length=253)
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False, index=True))
    expires_at: datetime = Field(sa_column=ts_column(nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=ts_column())

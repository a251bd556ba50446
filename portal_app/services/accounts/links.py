"""What every one-time link (invitation, staff invitation, password reset, email change)
does when it is redeemed: the new password is checked the same way, and the link is used
once even under a double submit."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col

from portal_app.errors import Invalid
from portal_app.services.security import password_problem


def check_new_password(password: str, confirm: str) -> None:
    problem = password_problem(password)
    if problem:
        raise Invalid(problem, "password")
    if password != confirm:
        raise Invalid("The two passwords do not match.", "confirm")


def use_once(db: Session, model, row_id: int, now: datetime) -> bool:
    """Mark the link used; False when it was already used or revoked (only one UPDATE can
    flip used_at from NULL, so two submits of one link never both pass)."""
    flipped = db.exec(sa.update(model).where(col(model.id) == row_id, col(model.used_at).is_(None),
                                             col(model.revoked_at).is_(None))
                      .values(used_at=now)).rowcount
    return flipped == 1

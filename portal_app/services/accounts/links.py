"""What every one-time link (invitation, staff invitation, password reset, email change, sign-in
link) does: the new password is checked the same way, the link is used once even under a
double submit, and a newer link ends the open ones."""

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


def end_open_links(db: Session, model, owner, owner_id: int, now: datetime, *, keep: int | None = None) -> None:
    """Revoke the owner's links that are neither used nor revoked (`owner`: the model's column
    naming whose links they are), but `keep`."""
    clause = sa.and_(col(owner) == owner_id, col(model.used_at).is_(None), col(model.revoked_at).is_(None))
    if keep is not None:
        clause = sa.and_(clause, col(model.id) != keep)
    db.execute(sa.update(model).where(clause).values(revoked_at=now))

"""Fixtures shared by the unit test modules (the world and the database: tests/conftest.py;
helpers: tests/support/)."""

from __future__ import annotations

import pytest


@pytest.fixture
def staff_cookie(world, db) -> str:
    """A session of workspace A's owner, as the browser's HttpOnly cookie carries it."""
    from portal_app.models import StaffUser
    from portal_app.services.accounts.auth import start_staff_session

    cookie = start_staff_session(db, db.get(StaffUser, world.staff_a.user_id))
    db.commit()
    return cookie


@pytest.fixture
def store(tmp_path):
    """Local storage in the test's own folder (the same folder PORTAL_STORAGE_DIR names, so
    uploads collect in its .incoming folder and storing is a rename)."""
    from portal_app.adapters.storage import LocalStorage, set_storage

    root = tmp_path / "files"
    set_storage(LocalStorage(str(root)))
    return root

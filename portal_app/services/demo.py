"""The demo workspace `make run` seeds into an empty database."""

from __future__ import annotations

import secrets

from sqlmodel import Session

from ..models import ClientAccount, ClientStatus, utcnow
from . import audit
from .contacts import create_contact
from .security import hash_password
from .workspaces import create_workspace, needs_setup, owner_actor

DEMO_STAFF_EMAIL = "owner@demo.example"
DEMO_CLIENT_EMAIL = "client@demo.example"


def seed_demo(db: Session, base_url: str, staff_password: str | None = None,
              client_password: str | None = None) -> dict | None:
    """Creates the demo workspace if the database has none; returns the sign-ins or None."""
    if not needs_setup(db):
        return None
    staff_password = staff_password or secrets.token_urlsafe(9)
    client_password = client_password or secrets.token_urlsafe(9)
    ws, owner = create_workspace(db, name="Northwind Studio", base_url=base_url,
                                 owner_email=DEMO_STAFF_EMAIL, owner_name="Olivia Owner",
                                 owner_password=staff_password, is_default=True)
    staff = owner_actor(owner)
    client = create_contact(db, staff, {
        "first_name": "Casey", "last_name": "Client", "company": "Acme Bakery",
        "email": DEMO_CLIENT_EMAIL, "phone": "+1 555 0100", "address_line1": "12 Market Street",
        "city": "Springfield", "region": "IL", "postal_code": "62701", "country": "United States",
    })
    for first, last, company, email in [
        ("Dana", "Diaz", "Diaz Dental", "dana@diaz.example"),
        ("Evan", "Ellis", "Ellis & Co", "evan@ellis.example"),
        ("Fiona", "Fischer", "", "fiona@fischer.example"),
    ]:
        create_contact(db, staff, {"first_name": first, "last_name": last, "company": company,
                                   "email": email})
    db.add(ClientAccount(workspace_id=ws.id, contact_id=client.id, status=ClientStatus.active.value,
                         password_hash=hash_password(client_password), activated_at=utcnow()))
    audit.record(db, ws.id, staff, "client.access_enabled", "contact", client.public_id,
                 {"demo": True})
    return {"staff_email": DEMO_STAFF_EMAIL, "staff_password": staff_password,
            "client_email": DEMO_CLIENT_EMAIL, "client_password": client_password}

"""Small helpers every page state uses: URL path segments, input clipped to a field's
limit, and the contact choices of a search box."""

from __future__ import annotations

from portal_app.services.accounts import contacts
from portal_app.services.billing.invoice_views import ContactChoice

CONTACT_CHOICES = 8


def clip(value: object, limit: int) -> str:
    return str(value if value is not None else "")[:limit]


def segments(path: str) -> list[str]:
    return [s for s in (path or "").split("?", 1)[0].strip("/").split("/") if s]


def contact_options(db, actor, query: str) -> list[ContactChoice]:
    page = contacts.list_contacts(db, actor, clip(query, 100))
    return [{"public_id": r.public_id, "name": r.name, "email": r.email} for r in page.rows[:CONTACT_CHOICES]]


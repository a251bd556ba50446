"""The contact details a client edits on their profile and staff edit on the contact record:
(label, field name, length limit, autocomplete token). The limits are the services' own
(portal_app/limits.py, through models.CONTACT_FIELDS)."""

from __future__ import annotations

from portal_app.models import CONTACT_FIELDS

_FIELDS = [
    ("First name", "first_name", "given-name"),
    ("Last name", "last_name", "family-name"),
    ("Company", "company", "organization"),
    ("Phone", "phone", "tel"),
    ("Address line 1", "address_line1", "address-line1"),
    ("Address line 2", "address_line2", "address-line2"),
    ("City", "city", "address-level2"),
    ("State / region", "region", "address-level1"),
    ("Postal code", "postal_code", "postal-code"),
    ("Country", "country", "country-name"),
]
EDITABLE = [(label, name, CONTACT_FIELDS[name], autocomplete) for label, name, autocomplete in _FIELDS]

"""The contact details a client edits on their profile and staff edit on the contact record:
(label, field name, length limit, autocomplete token)."""

from __future__ import annotations

EDITABLE = [
    ("First name", "first_name", 80, "given-name"),
    ("Last name", "last_name", 80, "family-name"),
    ("Company", "company", 120, "organization"),
    ("Phone", "phone", 40, "tel"),
    ("Address line 1", "address_line1", 120, "address-line1"),
    ("Address line 2", "address_line2", 120, "address-line2"),
    ("City", "city", 80, "address-level2"),
    ("State / region", "region", 80, "address-level1"),
    ("Postal code", "postal_code", 20, "postal-code"),
    ("Country", "country", 80, "country-name"),
]

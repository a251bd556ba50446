"""What the staff invoice pages' states share: the list's path, the status filters and the
manual payment methods."""

from __future__ import annotations

from portal_app.models.status import status_labels

LIST_PATH = "/staff/invoices"
STATUS_FILTERS = {"": "All", **status_labels("invoice")}
MANUAL_METHODS = {"bank_transfer": "Bank transfer", "check": "Check", "cash": "Cash", "other": "Other"}


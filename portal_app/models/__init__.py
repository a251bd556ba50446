"""SQLModel tables; importing this package registers every table on SQLModel.metadata."""

from .accounts import (AuthSession, ClientAccount, ClientStatus, LoginAttempt, PasswordReset, StaffInvitation,
                       StaffRole, StaffUser)
from .audit import AuditEvent
from .billing import (INVOICE_STATUSES, LEDGER_KINDS, PAYMENT_METHODS, Invoice, InvoiceLine, LedgerEntry,
                      PaymentAttempt, StripeEvent, WorkspacePayments)
from .base import UTCDateTime, new_public_id, utcnow
from .contacts import CONTACT_FIELDS, NOTES_MAX, Contact, EmailChange, Invitation
from .files import ITEM_KINDS, FileDownload, FileItem, FileShare
from .outbox import DevMail, OutboxMessage
from .workspace import SECTIONS, Domain, PortalSettings, Workspace

__all__ = [
    "AuditEvent", "INVOICE_STATUSES", "Invoice", "InvoiceLine", "LEDGER_KINDS", "LedgerEntry", "PAYMENT_METHODS",
    "PaymentAttempt", "StripeEvent", "WorkspacePayments", "AuthSession", "CONTACT_FIELDS", "ClientAccount", "ClientStatus", "Contact",
    "DevMail", "Domain", "FileDownload", "FileItem", "FileShare", "ITEM_KINDS", "EmailChange", "Invitation", "LoginAttempt", "NOTES_MAX", "OutboxMessage",
    "PasswordReset", "PortalSettings", "SECTIONS", "StaffInvitation", "StaffRole", "StaffUser", "UTCDateTime", "Workspace",
    "new_public_id", "utcnow",
]

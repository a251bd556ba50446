"""SQLModel tables; importing this package registers every table on SQLModel.metadata.

Every surrogate key is declared `id: int = Field(default=None, primary_key=True)`: the database assigns
it at the first flush, and only a row not yet flushed has id None. The code reads ids of stored rows
only (looked up, or flushed first), so the type says `int`; `int | None` would make every use of a
stored row's id need a check that can never fail (sqlmodel issues #267, #365).
"""

# registers the flush hook that keeps Workspace.context_version current
from portal_app.models import context_version  # noqa: F401
from portal_app.models.accounts import (
    AuthSession,
    ClientAccount,
    ClientStatus,
    KnownDevice,
    LoginAttempt,
    PasswordReset,
    PendingSignIn,
    RecoveryCode,
    SignInLink,
    StaffInvitation,
    StaffRole,
    StaffUser,
    TwoFactor,
)
from portal_app.models.appointments import (
    APPOINTMENT_STATUSES,
    Appointment,
    AppointmentSlotClaim,
    BookingType,
    CalendarFeedToken,
    StaffAvailability,
)
from portal_app.models.audit import AuditEvent
from portal_app.models.automations import (
    AutomationRule,
    AutomationRuleVersion,
    AutomationRun,
    AutomationRunStep,
    ContactTag,
)
from portal_app.models.base import UTCDateTime, new_public_id, utcnow
from portal_app.models.billing import (
    INVOICE_SHOWN_STATUSES,
    INVOICE_STATUSES,
    LEDGER_KINDS,
    OPEN_INVOICE_STATUSES,
    OVERDUE,
    PAYMENT_METHODS,
    Invoice,
    InvoiceLine,
    LedgerEntry,
    PaymentAttempt,
    PaymentInstructions,
    StripeEvent,
    WorkspacePayments,
)
from portal_app.models.contacts import CONTACT_FIELDS, NOTES_MAX, Contact, EmailChange, Invitation, contact_name
from portal_app.models.conversations import (
    CannedReply,
    Conversation,
    ConversationMessage,
    ConversationStaffRead,
    TimelineEntry,
)
from portal_app.models.documents import (
    DOCUMENT_KINDS,
    DOCUMENT_STATUSES,
    FIELD_HINT_MAX,
    FIELD_KIND_NAMES,
    FIELD_KINDS,
    FIELD_LABEL_MAX,
    OPEN_STATUSES,
    SIGNER_ROLES,
    VOIDABLE_STATUSES,
    Document,
    DocumentField,
    DocumentSigner,
    SealingIdentity,
)
from portal_app.models.files import ITEM_KINDS, FileDownload, FileItem, FileShare
from portal_app.models.outbox import DevMail, DevMailAttachment, OutboxMessage
from portal_app.models.webhooks import WebhookDelivery, WebhookEndpoint
from portal_app.models.workspace import SECTIONS, Domain, PortalSettings, Workspace

__all__ = [
    "AuditEvent", "AutomationRule", "AutomationRuleVersion", "AutomationRun", "AutomationRunStep", "ContactTag",
    "INVOICE_SHOWN_STATUSES", "INVOICE_STATUSES", "OPEN_INVOICE_STATUSES", "OVERDUE",
    "Invoice", "InvoiceLine", "LEDGER_KINDS", "LedgerEntry", "PAYMENT_METHODS",
    "PaymentAttempt", "PaymentInstructions", "StripeEvent", "WorkspacePayments", "AuthSession", "CONTACT_FIELDS", "ClientAccount",
    "ClientStatus", "Contact", "contact_name",
    "DevMail", "DevMailAttachment",
    "DOCUMENT_KINDS", "DOCUMENT_STATUSES", "Document", "DocumentField", "DocumentSigner", "FIELD_KINDS",
    "FIELD_HINT_MAX", "FIELD_KIND_NAMES", "FIELD_LABEL_MAX",
    "OPEN_STATUSES", "SIGNER_ROLES", "VOIDABLE_STATUSES",
    "SealingIdentity", "Domain", "FileDownload", "FileItem", "FileShare", "ITEM_KINDS", "EmailChange", "Invitation",
    "KnownDevice", "LoginAttempt", "NOTES_MAX", "OutboxMessage",
    "PasswordReset", "PendingSignIn", "PortalSettings", "RecoveryCode", "SECTIONS", "SignInLink", "TwoFactor",
    "StaffInvitation", "StaffRole", "StaffUser", "UTCDateTime", "Workspace",
    "new_public_id", "utcnow", "WebhookDelivery", "WebhookEndpoint",
    "APPOINTMENT_STATUSES", "Appointment", "AppointmentSlotClaim", "BookingType", "CalendarFeedToken",
    "StaffAvailability",
    "CannedReply", "Conversation", "ConversationMessage", "ConversationStaffRead", "TimelineEntry",
]

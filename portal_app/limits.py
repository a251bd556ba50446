"""How long each free-text field may be: the one table.

Services check every value people type against these (`services.validation.clean_text`,
which says "First name can be at most 80 characters."), forms give their inputs the same
`max_length` so the browser stops typing there, and models size their columns from them.
It sits below the models (plain numbers, no imports) so every layer can read it.

A column's size is part of the schema: raising a limit that a model uses needs an Alembic
migration (PostgreSQL enforces VARCHAR(n)); lowering one needs none, and rows an older
version saved past it still show (tables cut long text with an ellipsis).
"""

from __future__ import annotations

# people and businesses
FIRST_NAME = 80
LAST_NAME = 80
COMPANY = 120
EMAIL = 254
PHONE = 40
ADDRESS_LINE = 120
CITY = 80
REGION = 80
POSTAL_CODE = 20
COUNTRY = 80
CONTACT_NOTES = 5000
STAFF_NAME = 120          # a team member's name (invitation, sign-up)
BUSINESS_NAME = 120       # the workspace's name (sign-up)
PORTAL_TITLE = 120
SENDER_NAME = 120         # the From name of the workspace's emails
PASSWORD = 200            # an upper bound too: argon2 hashes what it is given
TWO_FACTOR_CODE = 40      # a sign-in code (6 digits) or a recovery code (19), spaces allowed
CERTIFICATE_PASSWORD = 200  # the password of an uploaded PKCS#12 file
SEARCH = 100              # every search box

# files and links
FILE_NAME = 255           # file, folder and link names
LINK_URL = 2000
LINK_DESCRIPTION = 1000

# billing
LINE_DESCRIPTION = 2000
INVOICE_NOTES = 5000
INVOICE_TERMS = 5000
PAYMENT_REFERENCE = 200
REFUND_REASON = 500
INVOICE_PREFIX = 20
AMOUNT = 20               # an amount or quantity typed as text
TAX_RATE = 12
STRIPE_KEY = 255
TERMS_DAYS = 3            # default payment terms, 0-365 days

# the business's details and other ways to pay (Settings › Payments; models.billing.PaymentInstructions)
LEGAL_NAME = 120
POSTAL_ADDRESS = 300      # several lines
TAX_ID = 40
BANK_HOLDER = 120
BANK_NAME = 120
BANK_ACCOUNT = 40         # an IBAN or an account number
BANK_CODE = 20            # BIC/SWIFT, routing number or sort code
BANK_REFERENCE = 200
CHEQUE_PAYABLE_TO = 120
CHEQUE_ADDRESS = 300
OTHER_INSTRUCTIONS = 1000

# documents
DOCUMENT_TITLE = 200
DOCUMENT_MESSAGE = 2000
DOCUMENT_FILE_NAME = 255
FIELD_VALUE = 500         # what a signer types into a text field
FIELD_LABEL = 100         # the name staff give a text or checkbox field ("Company registration number")
FIELD_HINT = 200          # its optional help text
TYPED_SIGNATURE = 100     # "Type your full name"
VOID_REASON = 500
DECLINE_REASON = 1000

# outbound webhooks (Settings › Webhooks; models.webhooks)
WEBHOOK_URL = 500
WEBHOOK_DESCRIPTION = 200
WEBHOOK_KINDS = 1000      # the event kinds an endpoint wants, comma-separated ("*": all)
WEBHOOK_ERROR = 500       # what a failed delivery attempt says

# automations (Automations; models.automations)
AUTOMATION_NAME = 120
AUTOMATION_SUBJECT = 200  # an email step's subject template
AUTOMATION_BODY = 5000    # an email step's body template (or a staff notice's message)
AUTOMATION_CONDITION = 200  # a condition's value ("Website", "1000.00")
AUTOMATION_SUMMARY = 300  # a run's "Contract "Website redesign" completed"
AUTOMATION_RESULT = 500   # what a run step did, or why it failed
AUTOMATION_STEPS = 20     # steps in one rule (a count, not a length)
AUTOMATION_CONDITIONS = 10  # conditions in one rule (a count)
TAG = 40                  # a contact's tag

# email attachments (services/mail_attachments.py): made by our code (a calendar invitation),
# never uploaded by people, so anything past these is a bug and refused with a ValueError
MAIL_ATTACHMENTS = 5                  # files on one email (a count)
MAIL_ATTACHMENTS_BYTES = 1024 * 1024  # their bytes together (1 MiB, before base64)
MAIL_ATTACHMENT_NAME = 100            # one file name, extension kept
MAIL_CONTENT_TYPE = 100               # "text/calendar"


def table() -> dict[str, int]:
    """Every limit by name (the tests walk it)."""
    return {k: v for k, v in globals().items() if k.isupper() and isinstance(v, int)}

# --- conversations ---------------------------------------------------------------------------
CHAT_MESSAGE = 4000       # one chat message or internal note
CHAT_PREVIEW = 200        # the inbox's one-line preview of the last message
CANNED_REPLY_TITLE = 80
CHAT_REPLY_TIME = 120     # "We usually reply within a few hours"
CHAT_HOURS = 200          # "Mon-Fri 9:00-17:00 (Berlin)"
MINUTES = 4               # a number of minutes typed as text (0-1440)

# --- appointments (models.appointments; services/appointments) --------------------------------
APPOINTMENT_TITLE = 200
APPOINTMENT_LOCATION = 500    # a place or a meeting link
APPOINTMENT_NOTES = 2000      # notes for the client, and internal notes
APPOINTMENT_MAX_HOURS = 24    # one appointment's length
APPOINTMENT_GRID_MINUTES = 5  # start, end, hours and lengths fall on 5-minute marks (the slot claims' cells)
TIME_ZONE = 64                # an IANA zone name ("America/Argentina/ComodRivadavia" is 32)
BOOKING_TYPE_NAME = 120
BOOKING_TYPE_DESCRIPTION = 1000
BOOKING_MAX_MINUTES = 480     # a booking type's duration
BOOKING_MAX_BUFFER = 240
BOOKING_MAX_NOTICE_MINUTES = 60 * 24 * 30
BOOKING_MAX_HORIZON_DAYS = 365
WORKING_INTERVALS_PER_DAY = 6
DAYS_OFF = 400                # days off one staff member keeps listed
CANCEL_CUTOFF_HOURS = 720     # the workspace's cut-off, 0-720 h

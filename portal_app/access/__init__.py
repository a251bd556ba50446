"""Who may do what: the one place authorization rules live.

An Actor is resolved on the server from the session cookie (services/accounts/auth.py); nothing a
browser sends can name one. Services call the `require_*` functions below before they touch
data, and scope every query by the actor's workspace (and, for clients, contact).

The rules live in this package, one module per area; import them from here
(`from portal_app.access import require_staff`, `access.require_manage_team(actor)`):
  actors.py         the actor kinds and staff roles, who the actor is, require_staff / require_client
  staff.py          workspace settings by role, the dev outbox, the team
  files.py          shared files and folders
  billing.py        payments and invoices
  documents.py      documents, e-signatures, sealing
  conversations.py  chat, the inbox, chat email notifications
  appointments.py   appointments, availability, calendar feeds
  sessions.py       one's own sessions, password and email (the Security page)
"""

from __future__ import annotations

from portal_app.access.actors import (
    OPEN_STAFF_PAGES,
    ROLE_RANK,
    STAFF_ROLES,
    Actor,
    Anonymous,
    Client,
    Staff,
    bound_client,
    has_role,
    is_client,
    is_signed_in,
    is_staff,
    is_staff_area,
    may_enter_staff_area,
    require_client,
    require_own_contact,
    require_portal_section,
    require_staff,
    roles_at_least,
)
from portal_app.access.appointments import (
    client_appointment_clause,
    client_may_see_appointment,
    may_edit_availability,
    require_client_appointments,
    require_edit_availability,
    require_manage_appointments,
    require_own_feed,
)
from portal_app.access.billing import (
    client_invoice_clause,
    client_may_see_invoice,
    may_refund_payments,
    require_configure_payments,
    require_pay_invoice,
    require_refund_payments,
)
from portal_app.access.conversations import (
    client_may_see_message,
    require_client_chat,
    require_inbox,
    require_manage_canned_replies,
    require_own_notifications,
    staff_may_see_conversation,
    staff_wants_chat_email,
)
from portal_app.access.documents import (
    is_own_signer,
    own_signer_clause,
    require_client_documents,
    require_configure_sealing,
    require_manage_documents,
    require_signer,
)
from portal_app.access.files import (
    FolderNode,
    client_may_see,
    client_visible_clause,
    folders_visible_to,
    require_client_files,
    require_client_upload,
    require_manage_files,
)
from portal_app.access.sessions import own_account, own_sessions_clause, owns_session, require_own_account
from portal_app.access.staff import (
    may_change_roles,
    may_manage_team,
    may_read_dev_outbox,
    may_see_links_in_dev_mail,
    require_change_role,
    require_change_roles,
    require_configure_portal,
    require_configure_sign_in,
    require_grant_role,
    require_manage_automations,
    require_manage_contacts,
    require_manage_domains,
    require_manage_jobs,
    require_manage_team,
    require_manage_webhooks,
    require_read_dev_outbox,
    require_set_disabled,
)

__all__ = [
    "own_account",
    "own_sessions_clause",
    "owns_session",
    "require_own_account",
    "ROLE_RANK",
    "STAFF_ROLES",
    "Anonymous",
    "Staff",
    "Client",
    "Actor",
    "bound_client",
    "is_signed_in",
    "is_staff",
    "is_client",
    "OPEN_STAFF_PAGES",
    "is_staff_area",
    "may_enter_staff_area",
    "has_role",
    "roles_at_least",
    "require_staff",
    "require_client",
    "require_own_contact",
    "require_portal_section",
    "require_manage_contacts",
    "require_configure_portal",
    "require_configure_sign_in",
    "require_manage_domains",
    "require_manage_jobs",
    "require_manage_webhooks",
    "require_manage_automations",
    "require_read_dev_outbox",
    "may_read_dev_outbox",
    "may_see_links_in_dev_mail",
    "require_manage_team",
    "may_manage_team",
    "require_change_roles",
    "may_change_roles",
    "require_grant_role",
    "require_change_role",
    "require_set_disabled",
    "require_manage_files",
    "require_client_files",
    "require_client_upload",
    "FolderNode",
    "folders_visible_to",
    "client_may_see",
    "client_visible_clause",
    "require_configure_payments",
    "client_may_see_invoice",
    "client_invoice_clause",
    "require_pay_invoice",
    "require_refund_payments",
    "may_refund_payments",
    "require_manage_documents",
    "require_configure_sealing",
    "require_client_documents",
    "require_signer",
    "is_own_signer",
    "own_signer_clause",
    "require_client_chat",
    "require_inbox",
    "require_manage_canned_replies",
    "client_may_see_message",
    "staff_may_see_conversation",
    "staff_wants_chat_email",
    "require_own_notifications",
    "require_manage_appointments",
    "require_edit_availability",
    "may_edit_availability",
    "require_client_appointments",
    "client_may_see_appointment",
    "client_appointment_clause",
    "require_own_feed",
]

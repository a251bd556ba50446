"""Who may do what: the one place authorization rules live.

An Actor is resolved on the server from the session cookie (services/accounts/auth.py); nothing a
browser sends can name one. Services call the `require_*` functions below before they touch
data, and scope every query by the actor's workspace (and, for clients, contact).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeGuard

from portal_app.errors import Forbidden, Invalid, NotFound, NotSignedIn

ROLE_RANK = {"member": 1, "admin": 2, "owner": 3}
STAFF_ROLES = ("owner", "admin", "member")  # highest first


@dataclass(frozen=True)
class Anonymous:
    workspace_id: int | None = None
    kind: str = "anonymous"

    @property
    def label(self) -> str:
        return "anonymous"


@dataclass(frozen=True)
class Staff:
    workspace_id: int
    user_id: int
    role: str
    email: str
    name: str
    session_id: int | None = None
    kind: str = "staff"

    @property
    def label(self) -> str:
        return self.email


@dataclass(frozen=True)
class Client:
    workspace_id: int
    contact_id: int
    account_id: int
    email: str
    name: str
    session_id: int | None = None
    kind: str = "client"

    @property
    def label(self) -> str:
        return self.email


@dataclass(frozen=True)
class StaffEnrolling:
    """A staff member signed in on a workspace that requires two-factor sign-in, who has not
    set it up yet. Not a Staff: every staff rule refuses them (fail closed); the one thing they
    may do is enrol (require_own_two_factor) -- or sign out. The state base sends every page of
    theirs to the enrolment page (STAFF_TWO_FACTOR_PAGE)."""
    workspace_id: int
    user_id: int
    role: str
    email: str
    name: str
    session_id: int | None = None
    kind: str = "enrolling"  # audit_event.actor_kind holds 10 characters

    @property
    def label(self) -> str:
        return self.email


Actor = Anonymous | Staff | Client | StaffEnrolling


def bound_client(workspace_id: str = "ws", contact_id: str = "contact") -> Client:
    """A client whose ids are bind parameters of these names: a statement built once from
    the `*_clause` rules below (db.prebuilt) takes the real client's ids when it runs. It is
    a Client, so the rules treat it as one."""
    import sqlalchemy as sa

    ids: Any = (sa.bindparam(workspace_id), sa.bindparam(contact_id))
    return Client(workspace_id=ids[0], contact_id=ids[1], account_id=0, email="", name="")


# --- who the actor is ----------------------------------------------------------------------

def is_signed_in(actor: Actor) -> bool:
    return not isinstance(actor, Anonymous)


def is_staff(actor: Actor) -> TypeGuard[Staff]:
    return isinstance(actor, Staff)


def is_client(actor: Actor) -> TypeGuard[Client]:
    return isinstance(actor, Client)


def is_staff_person(actor: Actor) -> TypeGuard[Staff | StaffEnrolling]:
    """A staff member, whether or not they may do anything yet (sign-out's way back, the
    staff sign-in page)."""
    return isinstance(actor, (Staff, StaffEnrolling))


# Staff pages anyone may open: signing in (and its second step), a forgotten password, joining a
# team by invitation.
OPEN_STAFF_PAGES = ("/staff/login", "/staff/login/two-factor", "/staff/forgot-password", "/staff/join")

# --- two-factor sign-in --------------------------------------------------------------------

CLIENT_TWO_FACTOR_PAGE = "/security/two-factor"
STAFF_TWO_FACTOR_PAGE = "/staff/security/two-factor"


def must_enrol_two_factor(actor: Actor) -> TypeGuard[StaffEnrolling]:
    """A staff member whose workspace requires two-factor and who has not set it up: they may
    open the enrolment page only (state/base.py sends every other page there)."""
    return isinstance(actor, StaffEnrolling)


def require_own_two_factor(actor: Actor) -> Staff | Client | StaffEnrolling:
    """Anyone signed in manages their own second factor (and nobody else's: the services
    look it up by the actor's own account)."""
    if isinstance(actor, Anonymous):
        raise NotSignedIn()
    return actor


def require_set_staff_two_factor(actor: Actor) -> Staff:
    """Whether the workspace requires two-factor for staff: owners decide."""
    return require_staff(actor, "owner")


def may_set_staff_two_factor(actor: Actor) -> bool:
    """The same rule, asked by the team page deciding whether to offer the switch."""
    return has_role(actor, "owner")


def is_staff_area(path: str) -> bool:
    """A page of the staff area: /staff and below, but for the pages anyone may open."""
    path = path.rstrip("/") or "/"
    return (path == "/staff" or path.startswith("/staff/")) and path not in OPEN_STAFF_PAGES


def may_enter_staff_area(actor: Actor) -> bool:
    """A client never sees the staff area (its shell, navigation or data): the state base sends
    them to their portal home before a staff page's handler runs. Anonymous visitors are sent to
    sign in by the handler's own check; staff enter."""
    return not is_client(actor)


def has_role(actor: Actor, min_role: str) -> bool:
    """A staff member whose role ranks at least `min_role` (member < admin < owner)."""
    return isinstance(actor, Staff) and ROLE_RANK.get(actor.role, 0) >= ROLE_RANK[min_role]


def roles_at_least(min_role: str) -> list[str]:
    """The roles ranking at least `min_role`, highest first: the SQL form of `has_role`
    (`StaffUser.role.in_(roles_at_least("admin"))` finds the owners and admins)."""
    return [role for role in STAFF_ROLES if ROLE_RANK[role] >= ROLE_RANK[min_role]]


# --- staff abilities ---------------------------------------------------------------------

def require_staff(actor: Actor, min_role: str = "member") -> Staff:
    if isinstance(actor, Anonymous):
        raise NotSignedIn()
    if not isinstance(actor, Staff):
        raise Forbidden()
    if ROLE_RANK.get(actor.role, 0) < ROLE_RANK[min_role]:
        raise Forbidden("Only an owner or admin can do this.")
    return actor


def require_manage_contacts(actor: Actor) -> Staff:
    """Any staff member works with the workspace's contacts and invites them."""
    return require_staff(actor, "member")


def require_configure_portal(actor: Actor) -> Staff:
    """Branding, sections and domains: owners and admins."""
    return require_staff(actor, "admin")


def require_manage_domains(actor: Actor) -> Staff:
    """Settings › Domains: add, verify, assign, make primary and remove custom domains: owners
    and admins (a domain decides where clients sign in and where every emailed link points)."""
    return require_staff(actor, "admin")


def require_manage_jobs(actor: Actor) -> Staff:
    """The workspace's dead jobs (failed emails, seals …) and their Retry: owners and admins."""
    return require_staff(actor, "admin")


def require_manage_webhooks(actor: Actor) -> Staff:
    """Outbound webhook endpoints, their secrets and delivery log, Replay: owners and admins."""
    return require_staff(actor, "admin")


def require_manage_automations(actor: Actor) -> Staff:
    """Automation rules (what they send, share and call), their runs, Cancel and Retry: owners and admins."""
    return require_staff(actor, "admin")


def require_read_dev_outbox(actor: Actor, mail_to_outbox: bool) -> Staff:
    """The dev outbox holds other people's one-time links (password resets, invitations):
    it exists only while mail goes to it (PORTAL_MAIL=outbox), and only owners read it."""
    if not mail_to_outbox:
        if isinstance(actor, Anonymous):
            raise NotSignedIn()
        raise NotFound("There is no dev outbox: mail is sent by SMTP.")
    staff = require_staff(actor, "member")
    if staff.role != "owner":
        raise Forbidden("Only the workspace owner can read the dev outbox.")
    return staff


def may_read_dev_outbox(actor: Actor, mail_to_outbox: bool) -> bool:
    """The same rule, asked by the staff navigation deciding whether to offer the page."""
    return mail_to_outbox and isinstance(actor, Staff) and actor.role == "owner"


def may_see_links_in_dev_mail(staff: Staff, to_addr: str) -> bool:
    """One-time links (anything with a token in its URL) are for the person the mail was
    sent to: in the dev outbox the owner sees those of mail to their own address only."""
    return bool(to_addr) and to_addr.strip().lower() == staff.email.strip().lower()


# --- the team ------------------------------------------------------------------------------

def require_manage_team(actor: Actor) -> Staff:
    """Owners and admins invite colleagues, withdraw invitations, disable and enable accounts."""
    return require_staff(actor, "admin")


def may_manage_team(actor: Actor) -> bool:
    """The same rule, asked by the team page deciding whether to offer those actions."""
    return has_role(actor, "admin")


def require_change_roles(actor: Actor) -> Staff:
    """Only owners change a colleague's role."""
    return require_staff(actor, "owner")


def may_change_roles(actor: Actor) -> bool:
    """The same rule, asked by the team page (role pickers, the Owner choice when inviting)."""
    return has_role(actor, "owner")


def require_grant_role(staff: Staff, role: str) -> str:
    """A role given by invitation or by a change is one of the three, never above the giver's own."""
    if role not in STAFF_ROLES:
        raise Invalid("Choose a role: owner, admin or member.", "role")
    if ROLE_RANK[role] > ROLE_RANK[staff.role]:
        raise Forbidden("You cannot give a role above your own.")
    return role


def require_change_role(staff: Staff, member, role: str, active_owners: Callable[[], int]) -> None:
    """Nobody changes their own role, and the workspace keeps an active owner. `member` is
    the StaffUser row; `active_owners` counts the workspace's (asked only when it matters)."""
    if member.id == staff.user_id:
        raise Invalid("You cannot change your own role. Ask another owner.")
    _require_keeps_an_owner(member, role, member.disabled, active_owners)


def require_set_disabled(staff: Staff, member, disabled: bool, active_owners: Callable[[], int]) -> None:
    """Nobody disables their own account, only an owner disables or enables an owner, and
    the last active owner stays enabled."""
    if member.id == staff.user_id:
        raise Invalid("You cannot disable your own account.")
    if ROLE_RANK[member.role] > ROLE_RANK[staff.role]:
        raise Forbidden("Only an owner can do this to an owner.")
    _require_keeps_an_owner(member, member.role, disabled, active_owners)


def _require_keeps_an_owner(member, role: str, disabled: bool, active_owners: Callable[[], int]) -> None:
    """A workspace always keeps at least one active owner: the last one is neither demoted
    nor disabled."""
    was_owner = member.role == "owner" and not member.disabled
    stays_owner = role == "owner" and not disabled
    if was_owner and not stays_owner and active_owners() <= 1:
        raise Invalid("A workspace needs at least one owner.")


# --- client abilities --------------------------------------------------------------------

def require_client(actor: Actor) -> Client:
    if isinstance(actor, Anonymous):
        raise NotSignedIn()
    if not isinstance(actor, Client):
        raise Forbidden("This page is for clients.")
    return actor


def require_own_contact(actor: Actor, contact_id: int, workspace_id: int) -> Client:
    """A client may read and change only their own contact record."""
    client = require_client(actor)
    if client.workspace_id != workspace_id or client.contact_id != contact_id:
        raise NotFound()
    return client


def require_portal_section(actor: Actor, settings, section: str) -> Client:
    """A client may open a portal section only while the business has it enabled."""
    client = require_client(actor)
    if not settings.section_enabled(section):
        raise NotFound("This section is not available in this portal.")
    return client


# --- shared files --------------------------------------------------------------------------

def require_manage_files(actor: Actor) -> Staff:
    """Any staff member uploads, organizes and shares the workspace's files."""
    return require_staff(actor, "member")


def require_client_files(actor: Actor, settings) -> Client:
    """A client browses shared files while the Files section is enabled."""
    return require_portal_section(actor, settings, "files")


def require_client_upload(actor: Actor, settings) -> Client:
    client = require_client_files(actor, settings)
    if not settings.allow_client_uploads:
        raise Forbidden("This portal does not accept uploads from clients.")
    return client


@dataclass(frozen=True)
class FolderNode:
    id: int
    parent_id: int | None
    inherit_sharing: bool
    shared_with_all: bool
    owner_contact_id: int | None


def folders_visible_to(client: Client, folders: dict[int, FolderNode], shared_ids: set[int]) -> set[int]:
    """The folders a client may open. A client's own upload folder (and what is in it) is
    theirs alone; any other client's never shows. Otherwise a folder inside another inherits
    its parent's sharing unless it has its own; a top-level folder has its own:
    shared with all clients of the workspace, or with this contact."""
    memo: dict[int, bool] = {}

    def visible(fid: int, depth: int = 0) -> bool:
        if fid in memo:
            return memo[fid]
        node = folders.get(fid)
        if node is None or depth > 64:  # (a cycle cannot be stored; be safe anyway)
            return False
        if node.owner_contact_id is not None:
            result = node.owner_contact_id == client.contact_id
        elif node.parent_id is not None and node.inherit_sharing:
            result = visible(node.parent_id, depth + 1)
        else:
            result = node.shared_with_all or node.id in shared_ids
        memo[fid] = result
        return result

    return {fid for fid in folders if visible(fid)}


def client_may_see(client: Client, item, visible_folders: set[int], shared_ids: set[int]) -> bool:
    """The same rule as `client_visible_clause`, for one item already loaded."""
    if item.workspace_id != client.workspace_id:
        return False
    if item.kind == "folder":
        return item.id in visible_folders
    if item.owner_contact_id is not None and item.owner_contact_id != client.contact_id:
        return False
    if item.parent_id is not None and item.inherit_sharing:
        return item.parent_id in visible_folders
    return item.owner_contact_id == client.contact_id or item.shared_with_all or item.id in shared_ids


def client_visible_clause(model, share_model, client: Client, visible_folders: set[int] | Any):
    """SQL form of `client_may_see` for listings (one query, however many files exist)."""
    import sqlalchemy as sa

    own_shares = sa.select(share_model.item_id).where(share_model.workspace_id == client.workspace_id,
                                                      share_model.contact_id == client.contact_id)
    # a statement built once (services/portal/portal_home) passes an expanding bind parameter
    folder_ids = visible_folders if isinstance(visible_folders, sa.BindParameter) else (sorted(visible_folders) or [-1])
    not_others = sa.or_(model.owner_contact_id.is_(None), model.owner_contact_id == client.contact_id)
    inherited = sa.and_(model.parent_id.is_not(None), model.inherit_sharing.is_(True),
                        model.parent_id.in_(folder_ids))
    own = sa.and_(sa.or_(model.parent_id.is_(None), model.inherit_sharing.is_(False)),
                  sa.or_(model.owner_contact_id == client.contact_id, model.shared_with_all.is_(True),
                         model.id.in_(own_shares)))
    return sa.and_(model.workspace_id == client.workspace_id,
                   sa.or_(sa.and_(model.kind == "folder", model.id.in_(folder_ids)),
                          sa.and_(model.kind != "folder", not_others, sa.or_(inherited, own))))


# --- payments ------------------------------------------------------------------------------

def require_configure_payments(actor: Actor) -> Staff:
    """Stripe keys, invoice numbering, partial payments: owners and admins."""
    return require_staff(actor, "admin")


def client_may_see_invoice(client: Client, invoice) -> bool:
    """A client sees an invoice sent to them: in their workspace, billed to their own
    contact, and sent (a draft is nobody's but the business's)."""
    return (invoice.workspace_id == client.workspace_id and invoice.contact_id == client.contact_id
            and invoice.is_issued)


def client_invoice_clause(model, client: Client):
    """SQL form of `client_may_see_invoice` for listings and look-ups."""
    import sqlalchemy as sa

    return sa.and_(model.workspace_id == client.workspace_id, model.contact_id == client.contact_id,
                   model.issued_clause())


def require_pay_invoice(actor: Actor, invoice) -> Client:
    """A client pays only an invoice sent to them, and only while something is left to pay."""
    client = require_client(actor)
    if not client_may_see_invoice(client, invoice):
        raise NotFound("This invoice does not exist.")
    if not invoice.is_payable:
        raise Invalid("This invoice has nothing left to pay.")
    return client


def require_refund_payments(actor: Actor) -> Staff:
    """Giving money back (through Stripe for card payments): owners and admins."""
    return require_staff(actor, "admin")


def may_refund_payments(actor: Actor) -> bool:
    """The same rule, asked by a page deciding whether to offer a Refund button."""
    return isinstance(actor, Staff) and ROLE_RANK.get(actor.role, 0) >= ROLE_RANK["admin"]


# --- documents and e-signatures ------------------------------------------------------------

def require_manage_documents(actor: Actor) -> Staff:
    """Any staff member uploads documents, places fields, sends, reminds and voids."""
    return require_staff(actor, "member")


def require_configure_sealing(actor: Actor) -> Staff:
    """The workspace's sealing certificate: owners and admins."""
    return require_staff(actor, "admin")


def require_client_documents(actor: Actor, settings) -> Client:
    """A client sees documents while the Documents section is enabled."""
    return require_portal_section(actor, settings, "documents")


def require_signer(actor: Actor, document, signer) -> Actor:
    """Only the person a signer row names acts as that signer: the client contact it names
    (in the document's workspace), or the staff user it names."""
    if isinstance(actor, Anonymous):
        raise NotSignedIn()
    if actor.workspace_id != document.workspace_id or (signer is not None and signer.document_id != document.id):
        raise NotFound("This document does not exist.")
    if signer is None and not isinstance(actor, Staff):
        raise NotFound("This document does not exist.")  # a client who is not a signer never learns of it
    if signer is not None and is_own_signer(actor, signer):
        return actor
    raise Forbidden("This signature is not yours to give.")


def is_own_signer(actor: Actor, signer) -> bool:
    """Whether a signer row names this actor: a client signer their own contact, a staff
    signer (countersigner) their own user. (The document's workspace is the caller's check.)"""
    if isinstance(actor, Client):
        return signer.role == "client" and signer.contact_id == actor.contact_id
    if isinstance(actor, Staff):
        return signer.role == "staff" and signer.user_id == actor.user_id
    return False


def own_signer_clause(signer_model, actor: Actor):
    """SQL form of `is_own_signer`, e.g. to join a client's documents to their signer rows."""
    import sqlalchemy as sa

    if isinstance(actor, Client):
        return sa.and_(signer_model.role == "client", signer_model.contact_id == actor.contact_id)
    if isinstance(actor, Staff):
        return sa.and_(signer_model.role == "staff", signer_model.user_id == actor.user_id)
    return sa.false()


# --- conversations -----------------------------------------------------------------------------

def require_client_chat(actor: Actor, settings) -> Client:
    """A client may chat only while the business has the chat widget switched on."""
    client = require_client(actor)
    if not settings.chat_widget:
        raise NotFound("Chat is not available in this portal.")
    return client


def require_inbox(actor: Actor) -> Staff:
    """Every staff member reads and answers the workspace's conversations."""
    return require_staff(actor)


def require_manage_canned_replies(actor: Actor) -> Staff:
    return require_staff(actor, "admin")


def client_may_see_message(client: Client, conversation, message) -> bool:
    """A client sees the messages of their own conversation, never a staff note."""
    return (conversation.workspace_id == client.workspace_id and conversation.contact_id == client.contact_id
            and message.conversation_id == conversation.id and not message.internal)


def staff_may_see_conversation(staff: Staff, conversation) -> bool:
    return conversation.workspace_id == staff.workspace_id


def staff_wants_chat_email(member, conversation) -> bool:
    """Whether an unread client message of `conversation` is emailed to staff user `member` (a
    StaffUser row), by their own setting (StaffUser.chat_email): "all" — every conversation of
    their workspace; "assigned" — the conversations assigned to them, and, while one is assigned
    to nobody, owners and admins; "none" — never. A disabled member gets nothing."""
    if member.disabled or member.workspace_id != conversation.workspace_id:
        return False
    if member.chat_email == "all":
        return True
    if member.chat_email == "assigned":
        if conversation.assigned_staff_id is None:
            return ROLE_RANK.get(member.role, 0) >= ROLE_RANK["admin"]
        return conversation.assigned_staff_id == member.id
    return False


def require_own_notifications(actor: Actor) -> Staff:
    """Every staff member chooses which chat messages reach them by email — only their own."""
    return require_staff(actor)


# --- appointments ------------------------------------------------------------------------------

def require_manage_appointments(actor: Actor) -> Staff:
    """Every staff member creates, edits, reschedules and cancels the workspace's appointments
    (with any colleague), and keeps its booking types."""
    return require_staff(actor)


def require_edit_availability(actor: Actor, staff_user_id: int) -> Staff:
    """A staff member sets their own working hours and days off; owners and admins may set
    anyone's (of their workspace: the caller looks the member up in the staff's workspace)."""
    staff = require_staff(actor)
    if staff.user_id != staff_user_id and ROLE_RANK.get(staff.role, 0) < ROLE_RANK["admin"]:
        raise Forbidden("Only an owner or admin can change a colleague's availability.")
    return staff


def may_edit_availability(actor: Actor, staff_user_id: int) -> bool:
    """The same rule, asked by a page deciding whether to offer the colleague's editor."""
    return isinstance(actor, Staff) and (actor.user_id == staff_user_id or has_role(actor, "admin"))


def require_client_appointments(actor: Actor, settings) -> Client:
    """A client sees, books, reschedules and cancels their own appointments while the business
    has the Appointments section enabled."""
    return require_portal_section(actor, settings, "appointments")


def client_may_see_appointment(client: Client, appointment) -> bool:
    """A client sees the appointments of their own contact, in their workspace."""
    return appointment.workspace_id == client.workspace_id and appointment.contact_id == client.contact_id


def client_appointment_clause(model, client: Client):
    """SQL form of `client_may_see_appointment`."""
    import sqlalchemy as sa

    return sa.and_(model.workspace_id == client.workspace_id, model.contact_id == client.contact_id)


def require_own_feed(actor: Actor) -> Actor:
    """A calendar feed URL is made or reset by the person it belongs to: a client (while the
    Appointments section is on: the caller checks it) or a staff member, for themselves only."""
    if isinstance(actor, Anonymous):
        raise NotSignedIn()
    return actor

"""What staff may do by role outside the per-area rules: the workspace's settings (contacts,
portal, domains, jobs, webhooks, automations), the dev outbox, and the team (invitations,
roles, disabling accounts, the workspace always keeping an active owner)."""

from __future__ import annotations

from collections.abc import Callable

from portal_app.access.actors import ROLE_RANK, STAFF_ROLES, Actor, Anonymous, Staff, has_role, require_staff
from portal_app.errors import Forbidden, Invalid, NotFound, NotSignedIn

# --- staff abilities ---------------------------------------------------------------------

def require_manage_contacts(actor: Actor) -> Staff:
    """Any staff member works with the workspace's contacts and invites them."""
    return require_staff(actor, "member")


def require_configure_portal(actor: Actor) -> Staff:
    """Branding, sections and domains: owners and admins."""
    return require_staff(actor, "admin")


def require_configure_sign_in(actor: Actor) -> Staff:
    """How clients sign in (e.g. "clients sign in by email link only"): owners only."""
    return require_staff(actor, "owner")


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


def require_set_staff_two_factor(actor: Actor) -> Staff:
    """Whether the workspace requires two-factor for staff: owners decide."""
    return require_staff(actor, "owner")


def may_set_staff_two_factor(actor: Actor) -> bool:
    """The same rule, asked by the team page deciding whether to offer the switch."""
    return has_role(actor, "owner")

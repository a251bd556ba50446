"""The authorization matrix (docs/design.md §3) as data: every event handler of every State class
with the expected outcome for each kind of actor, the actors signed in, and the checks a
refused call is held to (no write to any table, no other actor's address).

test_authz_matrix.py runs every row for every actor (and fails for a handler or route missing
here); test_session_guard.py runs every page's load handler from it; the integration test
test_authz_matrix_live.py runs rows again over a real websocket. `actors` (tests/conftest.py)
is `sign_in_actors` as a fixture.
"""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

from PIL import Image
from sqlmodel import select

from tests.support.matrix_appointments import appointments_rows, appointments_world
from tests.support.matrix_automations import automation_rows, automations_world
from tests.support.matrix_calendar import calendar_rows, calendar_world
from tests.support.matrix_chat import chat_rows, chat_world
from tests.support.matrix_documents import document_rows, documents_world
from tests.support.matrix_domains import domains_rows, domains_world
from tests.support.matrix_inbox import inbox_rows, inbox_world
from tests.support.matrix_security import security_rows, security_world
from tests.support.matrix_timeline import timeline_rows, timeline_world
from tests.support.world import HOST_A, HOST_B

ACTORS = ["anon", "client_a1", "client_a2", "client_b_on_a", "staff_a", "member_a", "staff_b_on_b"]


def logo_png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (20, 10), (200, 30, 30)).save(buf, format="PNG")
    return buf.getvalue()


def sign_in_actors(world, db) -> dict[str, tuple[str, str | None]]:
    """Every kind of actor signed in (actor name -> (host, cookie)), and the world filled with
    what the matrix rows act on: files, invoices, documents, a pending staff invitation."""
    from portal_app.models import StaffUser
    from portal_app.services.accounts.auth import start_client_session, start_staff_session

    member = db.get(StaffUser, world.member_a.user_id)
    owner_b = db.get(StaffUser, world.staff_b.user_id)
    tokens = {
        "anon": (HOST_A, None),
        "client_a1": (HOST_A, start_client_session(db, world.account_a1)),
        "client_a2": (HOST_A, start_client_session(db, world.account_a2)),
        "client_b_on_a": (HOST_A, start_client_session(db, world.account_b1)),
        "staff_a": (HOST_A, start_staff_session(db, world.owner_user)),
        "member_a": (HOST_A, start_staff_session(db, member)),
        "staff_b_on_b": (HOST_B, start_staff_session(db, owner_b)),
    }
    from portal_app.models import StaffInvitation
    from portal_app.services.accounts.team import invite_staff

    invite_staff(db, world.staff_a, email="pending@alpha.example", name="Pending Person", role="member")
    db.flush()
    world.pending_invite = f"inv_{db.exec(select(StaffInvitation.id)).one()}"
    world.member_public_id = member.public_id
    _shared_files(db, world)
    _invoices(db, world)
    _client_invoices(db, world)
    documents_world(db, world)
    _dead_job(db, world)
    _webhook(db, world)
    automations_world(db, world)
    chat_world(db, world)
    timeline_world(db, world)
    inbox_world(db, world)
    appointments_world(db, world)
    calendar_world(db, world)
    domains_world(db, world)
    security_world(db, world)
    db.commit()
    return tokens


def _webhook(db, world) -> None:
    """A webhook endpoint of workspace A (a public address literal: no DNS) with one logged
    delivery (what Settings › Webhooks acts on)."""
    from portal_app.models import WebhookDelivery, WebhookEndpoint, new_public_id
    from portal_app.services.webhooks import endpoints

    view, _ = endpoints.create_endpoint(db, world.staff_a, url="https://93.184.216.34/hooks")
    db.flush()
    endpoint = db.exec(select(WebhookEndpoint).where(WebhookEndpoint.public_id == view["id"])).one()
    delivery = WebhookDelivery(public_id=new_public_id("whd"), workspace_id=world.ws_a.id, endpoint_id=endpoint.id,
                               message_id="msg_matrix", event_id="evt_1", event_kind="invoice.viewed",
                               body='{"type":"invoice.viewed","timestamp":"2026-12-07T12:00:00Z","data":{}}',
                               attempt=1, status_code=500, duration_ms=12, error="The receiver answered HTTP 500.")
    db.add(delivery)
    db.flush()
    world.webhook, world.webhook_delivery = view["id"], delivery.public_id


def _dead_job(db, world) -> None:
    """A job of workspace A whose every attempt failed (the Jobs page's Retry acts on it)."""
    from portal_app.models import utcnow
    from portal_app.services import outbox

    job = outbox.enqueue(db, world.ws_a.id, "storage.delete", {"key": "ws_x/matrix/gone"})
    job.attempts, job.dead_at, job.last_error = job.max_attempts, utcnow(), "OSError: disk unavailable"
    db.add(job)
    db.flush()
    world.dead_job = str(job.id)


def _shared_files(db, world) -> None:
    """A folder shared with client A1 holding a PDF; a loose file to delete."""
    from portal_app.services.files import file_transfer, files

    folder = files.create_folder(db, world.staff_a, name="Matrix folder")
    files.set_sharing(db, world.staff_a, folder.public_id, inherit=False, all_clients=False,
                      contact_public_ids=[world.contact_a1.public_id])
    stored = {}
    for name, data, parent in [("plan.pdf", b"%PDF-1.4\n%%EOF\n", folder.public_id), ("old.txt", b"old", None)]:
        incoming = file_transfer.IncomingFile(name)
        incoming.write(data)
        stored[name] = file_transfer.store_upload(db, world.staff_a, incoming, parent).public_id
    world.files_folder, world.files_pdf, world.files_old = folder.public_id, stored["plan.pdf"], stored["old.txt"]


def _invoices(db, world) -> None:
    """Invoices of client A1 for the staff invoice pages: drafts to edit, send and delete;
    sent ones to take a payment and to void; one paid by check, to refund."""
    from portal_app.services.billing.invoices import create_invoice, record_manual_payment, send_invoice

    lines = [{"description": "Consulting", "quantity": "1", "unit_minor": 10_000, "tax_rate": "0"}]
    made = {}
    for name in ("draft", "send", "delete", "pay", "void", "refund"):
        inv = create_invoice(db, world.staff_a, contact_public_id=world.contact_a1.public_id, lines=lines)
        if name in ("pay", "void", "refund"):
            send_invoice(db, world.staff_a, inv.public_id)
        made[name] = inv.public_id
    world.staff_invoices = made
    world.refundable_payment = record_manual_payment(db, world.staff_a, made["refund"], amount_minor=4_000,
                                                     method="check", reference="No. 77").public_id


def _client_invoices(db, world) -> None:
    """For the client invoice pages: a sent invoice of client A1 and a draft of A1's."""
    from portal_app.services.billing.invoices import create_invoice, send_invoice

    lines = [{"description": "Matrix work", "quantity": "1", "unit_minor": 5_000, "tax_rate": "0"}]
    sent = create_invoice(db, world.staff_a, contact_public_id=world.contact_a1.public_id, lines=lines)
    send_invoice(db, world.staff_a, sent.public_id)
    draft = create_invoice(db, world.staff_a, contact_public_id=world.contact_a1.public_id, lines=lines)
    world.client_invoices = {"sent": sent.public_id, "draft": draft.public_id}


# --- expected outcomes ---------------------------------------------------------------------

def grid(base_grid: dict | None = None, **overrides):
    base = dict(base_grid) if base_grid else dict.fromkeys(ACTORS, "ok")
    base.update(overrides)
    return base


SIGNIN_FOR_OTHERS = dict(anon="signin", client_b_on_a="signin")
STAFF = grid(**SIGNIN_FOR_OTHERS, client_a1="denied", client_a2="denied")
STAFF_ON_A1 = grid(**SIGNIN_FOR_OTHERS, client_a1="denied", client_a2="denied", staff_b_on_b="denied")
ADMIN = grid(**SIGNIN_FOR_OTHERS, client_a1="denied", client_a2="denied", member_a="denied")
CLIENT = grid(**SIGNIN_FOR_OTHERS, staff_a="denied", member_a="denied", staff_b_on_b="denied")
PAYER = grid(CLIENT, client_a2="denied")  # the client of client A1's invoice, and nobody else
PUBLIC = grid()
OWNER = grid(ADMIN)  # the grid has no admin actor: member_a is the deny among staff
STAFF_INVALID = grid(STAFF, staff_a="invalid", member_a="invalid", staff_b_on_b="invalid")


def _a1_path(world) -> str:
    return f"/staff/contacts/{world.contact_a1.public_id}"


SIGNED_IN = grid(**SIGNIN_FOR_OTHERS)  # anyone signed in on the workspace (each for their own account)
SIGNED_IN_INVALID = grid(**SIGNIN_FOR_OTHERS, client_a1="invalid", client_a2="invalid", staff_a="invalid",
                         member_a="invalid", staff_b_on_b="invalid")


def two_factor_rows():
    """Each person's own two-factor setup (client and staff pages) and the code page of a
    sign-in's second step (anyone; without a pending sign-in it sends them back to sign in)."""
    from portal_app.state import two_factor as tf

    client, staff = "/security/two-factor", "/staff/security/two-factor"
    return [
        (tf.TwoFactorState, "load", (), client, SIGNED_IN),
        (tf.TwoFactorState, "load", (), staff, grid(STAFF)),
        (tf.TwoFactorState, "begin", (), client, SIGNED_IN),
        (tf.TwoFactorState, "begin", (), staff, grid(STAFF)),
        # a wrong code, a wrong password: refused for everyone, nothing written
        (tf.TwoFactorState, "confirm", ({"code": "000000"},), client, SIGNED_IN_INVALID),
        (tf.TwoFactorState, "confirm", ({"code": "000000"},), staff, grid(STAFF_INVALID)),
        (tf.TwoFactorState, "disable", ({"password": "not the password"},), client, SIGNED_IN_INVALID),
        (tf.TwoFactorState, "disable", ({"password": "not the password"},), staff, grid(STAFF_INVALID)),
        (tf.TwoFactorState, "saved_codes", (), client, SIGNED_IN),
        (tf.TwoFactorState, "cancel", (), client, "local"),
        (tf.TwoFactorState, "setvar", ("recovery_codes", ["x"]), client, "setvar"),
        (tf.TwoFactorState, "setvar", ("on", True), staff, "setvar"),
        (tf.TwoFactorLoginState, "load_client", (), "/login/two-factor", PUBLIC),
        (tf.TwoFactorLoginState, "load_staff", (), "/staff/login/two-factor", PUBLIC),
        (tf.TwoFactorLoginState, "setvar", ("error", "x"), "/login/two-factor", "setvar"),
    ]


# Each row: (state module, class, handler, args(world), path(world), expected, label)
def matrix(world):
    from portal_app.state import auth as auth_pages
    from portal_app.state import base, not_found
    from portal_app.state.portal import home as portal_home
    from portal_app.state.portal import profile as portal_profile
    from portal_app.state.staff import configure_portal, contacts, jobs, outbox, team
    from portal_app.state.staff import home as staff_home

    a1 = _a1_path(world)
    form = {"first_name": "Alice", "last_name": "Client", "email": "alice@client.example",
            "phone": "+1 555 0199", "notes": "vip"}
    logo = lambda: [__import__("reflex").UploadFile(file=io.BytesIO(logo_png()), path=Path("logo.png"))]  # noqa: E731
    rows = [
        (base.BaseState, "setvar", ("viewer_kind", "staff"), "/", "setvar"),
        (auth_pages.LoginState, "load_client", (), "/login", PUBLIC),
        (auth_pages.LoginState, "load_staff", (), "/staff/login", PUBLIC),
        (auth_pages.LoginState, "setvar", ("error", "x"), "/login", "setvar"),
        (auth_pages.SignInLinkState, "load", (), "/login/link?reason=other_browser", PUBLIC),
        (auth_pages.SignInLinkState, "setvar", ("message", "x"), "/login/link", "setvar"),
        (auth_pages.SetupState, "load", (), "/setup", PUBLIC),
        (auth_pages.SetupState, "setvar", ("error", "x"), "/setup", "setvar"),
        (auth_pages.InviteState, "load", (), "/invite?token=forged", PUBLIC),
        (auth_pages.InviteState, "request_new", (), "/invite?token=forged", PUBLIC),
        (auth_pages.InviteState, "setvar", ("status", "valid"), "/invite", "setvar"),
        (auth_pages.ForgotPasswordState, "load", (), "/forgot-password", PUBLIC),
        (auth_pages.ForgotPasswordState, "request", ({"email": "alice@client.example"},), "/forgot-password", PUBLIC),
        (auth_pages.ForgotPasswordState, "setvar", ("sent_to", "x"), "/forgot-password", "setvar"),
        (auth_pages.ResetPasswordState, "load", (), "/reset-password?token=forged", PUBLIC),
        (auth_pages.ResetPasswordState, "setvar", ("status", "valid"), "/reset-password", "setvar"),
        (auth_pages.ConfirmEmailState, "load", (), "/confirm-email?token=x", PUBLIC),
        (auth_pages.ConfirmEmailState, "confirm", (), "/confirm-email?token=forged",
         grid(**dict.fromkeys(ACTORS, "invalid"))),
        (auth_pages.ConfirmEmailState, "setvar", ("status", "done"), "/confirm-email", "setvar"),
        (portal_home.HomeState, "load", (), "/", grid(**SIGNIN_FOR_OTHERS, staff_b_on_b="ok")),
        (portal_home.HomeState, "setvar", ("cards", []), "/", "setvar"),
        (portal_profile.ProfileState, "load", (), "/profile", CLIENT),
        (portal_profile.ProfileState, "save", ({"first_name": "Zed", "phone": "+1 555 0123"},), "/profile", CLIENT),
        (portal_profile.ProfileState, "change_email", ({"new_email": "new@client.example",
                                                        "current_password": world.password},), "/profile", CLIENT),
        # no current password: refused before anything is sent, nothing written
        (portal_profile.ProfileState, "change_email", ({"new_email": "new@client.example"},), "/profile",
         grid(CLIENT, client_a1="invalid", client_a2="invalid")),
        (portal_profile.ProfileState, "setvar", ("values", {}), "/profile", "setvar"),
        # the 404 page: anyone; at a /staff address a client is sent home (BaseState._kept_out)
        (not_found.NotFoundState, "load", (), "/no-such-page", PUBLIC),
        (not_found.NotFoundState, "load", (), "/staff/no-such-page", grid(client_a1="denied", client_a2="denied")),
        (not_found.NotFoundState, "setvar", ("ready", True), "/no-such-page", "setvar"),
        (staff_home.StaffHomeState, "load", (), "/staff", STAFF),
        (staff_home.StaffHomeState, "setvar", ("viewer_kind", "staff"), "/staff", "setvar"),
        (contacts.ContactsState, "load", (), "/staff/contacts", STAFF),
        (contacts.ContactsState, "search", ({"q": "alice"},), "/staff/contacts", STAFF),
        (contacts.ContactsState, "go_page", (1,), "/staff/contacts", STAFF),
        (contacts.ContactsState, "set_create_open", (True,), "/staff/contacts", "local"),
        (contacts.ContactsState, "create", ({"first_name": "New", "email": "new@person.example"},), "/staff/contacts",
         STAFF),
        (contacts.ContactsState, "setvar", ("create_open", True), "/staff/contacts", "local"),
        (contacts.ContactRecordState, "load", (), a1, STAFF_ON_A1),
        (contacts.ContactRecordState, "save", (form,), a1, STAFF_ON_A1),
        (contacts.ContactRecordState, "send_invite", (), a1, grid(STAFF_ON_A1, staff_a="invalid", member_a="invalid")),
        (contacts.ContactRecordState, "revoke_invite", (), a1, grid(STAFF_ON_A1, staff_a="invalid", member_a="invalid")),
        # in order: disabling A1 ends their sessions; enabling restores the account
        (contacts.ContactRecordState, "disable_access", (), a1, STAFF_ON_A1),
        (contacts.ContactRecordState, "enable_access", (), a1, STAFF_ON_A1),
        (contacts.ContactRecordState, "setvar", ("contact", {}), a1, "setvar"),
        (configure_portal.PortalConfigState, "load", (), "/staff/sites/portal", ADMIN),
        (configure_portal.PortalConfigState, "set_title", ("Hacked",), "/staff/sites/portal", "local"),
        (configure_portal.PortalConfigState, "set_accent", ("#000000",), "/staff/sites/portal", "local"),
        (configure_portal.PortalConfigState, "set_primary", ("#000000",), "/staff/sites/portal", "local"),
        (configure_portal.PortalConfigState, "set_secondary", ("#000000",), "/staff/sites/portal", "local"),
        (configure_portal.PortalConfigState, "toggle_section", ("invoices", False), "/staff/sites/portal", "local"),
        (configure_portal.PortalConfigState, "set_chat", (True,), "/staff/sites/portal", "local"),
        (configure_portal.PortalConfigState, "set_client_uploads", (True,), "/staff/sites/portal", "local"),
        (configure_portal.PortalConfigState, "clear_brand_colors", (), "/staff/sites/portal", "local"),
        (configure_portal.PortalConfigState, "set_reply_time", ("a few hours",), "/staff/sites/portal", "local"),
        (configure_portal.PortalConfigState, "set_hours", ("Mon-Fri 9-17",), "/staff/sites/portal", "local"),
        (configure_portal.PortalConfigState, "set_email_after", ("0",), "/staff/sites/portal", "local"),
        (configure_portal.PortalConfigState, "save", (), "/staff/sites/portal", ADMIN),
        (configure_portal.PortalConfigState, "upload_logo", (logo,), "/staff/sites/portal", ADMIN),
        (configure_portal.PortalConfigState, "remove_logo", (), "/staff/sites/portal", ADMIN),
        (configure_portal.PortalConfigState, "set_sender_name", ("Hacked Co",), "/staff/sites/portal", "local"),
        (configure_portal.PortalConfigState, "set_reply_to", ("evil@attacker.example",), "/staff/sites/portal",
         "local"),
        (configure_portal.PortalConfigState, "upload_favicon", (logo,), "/staff/sites/portal", ADMIN),
        (configure_portal.PortalConfigState, "remove_favicon", (), "/staff/sites/portal", ADMIN),
        (configure_portal.PortalConfigState, "logo_refused", (["logo.svg"], [10], ["file-invalid-type"]),
         "/staff/sites/portal", "local"),
        (configure_portal.PortalConfigState, "setvar", ("form_title", "x"), "/staff/sites/portal", "setvar"),
        # owners only (no admin actor in this grid: tests/unit/test_sign_in_links.py refuses an admin)
        (configure_portal.PortalConfigState, "set_link_only", (True,), "/staff/sites/portal", OWNER),
        (team.TeamState, "load", (), "/staff/team", STAFF),
        (team.TeamState, "set_invite_open", (True,), "/staff/team", "local"),
        (team.TeamState, "invite", ({"email": "colleague@team.example", "name": "Col League", "role": "member"},),
         "/staff/team", ADMIN),
        (team.TeamState, "revoke_invite", (lambda: world.pending_invite,), "/staff/team",
         grid(ADMIN, staff_b_on_b="denied")),
        (team.TeamState, "change_role", (lambda: world.member_public_id, "admin"), "/staff/team",
         grid(ADMIN, staff_b_on_b="denied")),
        (team.TeamState, "disable", (lambda: world.member_public_id,), "/staff/team",
         grid(ADMIN, staff_b_on_b="denied")),
        (team.TeamState, "enable", (lambda: world.member_public_id,), "/staff/team",
         grid(ADMIN, staff_b_on_b="denied")),
        # every staff member sets their own chat emails (B's owner: B's own), nobody else
        (team.TeamState, "choose_chat_email", ("assigned",), "/staff/team", STAFF),
        (team.TeamState, "choose_chat_email", ("everything",), "/staff/team",
         grid(STAFF, staff_a="invalid", member_a="invalid", staff_b_on_b="invalid")),
        (team.TeamState, "setvar", ("rows", []), "/staff/team", "setvar"),
        (team.TeamState, "setvar", ("chat_email", "none"), "/staff/team", "setvar"),
        # owners only (False: no change for the owner, so the rows after still run as plain staff)
        (team.TeamState, "choose_staff_two_factor", (False,), "/staff/team", ADMIN),
        (team.TeamState, "setvar", ("require_two_factor", True), "/staff/team", "setvar"),
        *two_factor_rows(),
        (team.JoinState, "load", (), "/staff/join?token=forged", PUBLIC),
        (team.JoinState, "setvar", ("status", "valid"), "/staff/join", "setvar"),
        *files_rows(world),
        *payments_rows(),
        *client_invoice_rows(world),
        *staff_invoice_rows(world),
        *document_rows(world, {"STAFF": STAFF, "STAFF_ON_A1": STAFF_ON_A1, "SIGNIN": SIGNIN_FOR_OTHERS,
                               "PUBLIC": PUBLIC, "ADMIN": ADMIN, "grid": grid}),
        (outbox.OutboxState, "load", (), "/staff/outbox", grid(STAFF, member_a="denied")),  # owners only
        (outbox.OutboxState, "setvar", ("mails", []), "/staff/outbox", "setvar"),
        # Settings › Jobs: owners and admins (a member, a client: denied); B's owner finds no such job
        (jobs.JobsState, "load", (), "/staff/settings/jobs", ADMIN),
        (jobs.JobsState, "retry", (lambda: world.dead_job,), "/staff/settings/jobs", grid(ADMIN, staff_b_on_b="denied")),
        (jobs.JobsState, "retry", ("1" * 40,), "/staff/settings/jobs", grid(ADMIN, staff_a="denied",
                                                                          staff_b_on_b="denied")),
        (jobs.JobsState, "setvar", ("rows", []), "/staff/settings/jobs", "setvar"),
        *webhooks_rows(world),
        *automation_rows(world, {"ADMIN": ADMIN, "grid": grid}),
        *chat_rows(world, {"CLIENT": CLIENT, "grid": grid}),
        *timeline_rows(world, {"CLIENT": CLIENT, "STAFF_ON_A1": STAFF_ON_A1, "SIGNIN": SIGNIN_FOR_OTHERS,
                               "grid": grid}),
        *inbox_rows(world, {"STAFF": STAFF, "STAFF_ON_A1": STAFF_ON_A1, "ADMIN": ADMIN, "grid": grid}),
        *appointments_rows(world, {"CLIENT": CLIENT, "SIGNIN": SIGNIN_FOR_OTHERS, "grid": grid}),
        *calendar_rows(world, {"STAFF": STAFF, "STAFF_ON_A1": STAFF_ON_A1, "ADMIN": ADMIN, "grid": grid}),
        *security_rows(world, {"STAFF": STAFF, "SIGNIN": SIGNIN_FOR_OTHERS, "grid": grid}),
        # last: making a domain primary changes workspace A's base URL
        *domains_rows(world, {"ADMIN": ADMIN, "grid": grid}),
    ]
    return rows


def webhooks_rows(world) -> list:
    """Settings › Webhooks: owners and admins; B's owner finds none of A's endpoints or deliveries."""
    from portal_app.state.staff.webhooks import WebhooksState as W

    path = "/staff/settings/webhooks"
    a_only = grid(ADMIN, staff_b_on_b="denied")
    hook = lambda: world.webhook  # noqa: E731
    return [
        (W, "load", (), path, ADMIN),
        (W, "add", ({"webhook_url": "https://93.184.216.34/other", "webhook_description": "CRM", "kind:invoice.sent": "on"},),
         path, ADMIN),
        (W, "add", ({"webhook_url": "https://169.254.169.254/latest/meta-data"},), path,
         grid(ADMIN, staff_a="invalid", staff_b_on_b="invalid")),
        (W, "show_log", (hook,), path, a_only),
        (W, "set_enabled", (hook, False), path, a_only),
        (W, "set_enabled", (hook, True), path, a_only),
        (W, "rotate", (hook,), path, a_only),
        (W, "replay", (lambda: world.webhook_delivery,), path, a_only),
        (W, "delete", (hook,), path, a_only),
        (W, "dismiss_secret", (), path, "local"),
        (W, "setvar", ("new_secret", "whsec_x"), path, "setvar"),
    ]


def payments_rows() -> list:
    from portal_app.state.staff.payments import PaymentsSettingsState as P

    path = "/staff/settings/payments"
    keys = {"publishable_key": "pk_test_1234567890", "secret_key": "sk_test_1234567890",
            "webhook_secret": "whsec_1234567890"}
    return [
        (P, "load", (), path, ADMIN),
        (P, "save_keys", (keys,), path, ADMIN),
        # (Stripe is unreachable in tests: an admin gets the human "did not accept" answer)
        (P, "test_connection", (), path, grid(ADMIN, staff_a="invalid", staff_b_on_b="invalid")),
        (P, "set_confirm_disconnect", (True,), path, "local"),
        (P, "save_invoicing", ({"invoice_prefix": "NW-", "default_currency": "EUR", "allow_partial": "on",
                                "min_partial": "10.00"},), path, ADMIN),
        (P, "disconnect", (), path, ADMIN),
        # business details and other ways to pay: owners and admins only (a member, a client: denied)
        (P, "save_details", ({"legal_name": "Matrix Ltd", "address": "1 Road", "email": "pay@matrix.example",
                              "bank_offered": "on", "bank_account": "DE89 3704 0044 0532 0130 00"},), path, ADMIN),
        (P, "setvar", ("view", {}), path, "setvar"),
    ]


def staff_invoice_rows(world) -> list:
    from portal_app.state.staff.invoice_detail import StaffInvoiceState as D
    from portal_app.state.staff.invoice_editor import InvoiceEditorState as E
    from portal_app.state.staff.invoice_list import StaffInvoicesState as L

    top, new = "/staff/invoices", "/staff/invoices/new"
    inv = lambda name, tail="": lambda: f"/staff/invoices/{world.staff_invoices[name]}{tail}"  # noqa: E731
    a1 = lambda: world.contact_a1.public_id  # noqa: E731
    # the editor's inputs are named after their line's key: a fresh editor's first line is l1
    form = {"description_l1": "Strategy", "quantity_l1": "2", "unit_price_l1": "150.00", "tax_rate_l1": "10",
            "currency": "USD", "issue_date": "2026-03-01", "due_date": "2026-03-31", "discount_kind": "none",
            "notes": "", "terms": ""}
    payment = {"amount": "40.00", "method": "check", "reference": "No. 1001"}
    refund = {"refund_amount": "10.00", "reason": "Matrix refund"}
    # owners and admins of A only: a member (who may read the invoice, so the page keeps
    # what she loaded) is refused by the service even with a forged dialog, and nothing is
    # written; B's owner finds no such invoice
    refunder = grid(ADMIN, staff_b_on_b="denied", member_a="denied_kept")
    return [
        (L, "load", (), top, STAFF),
        # another workspace's client in the URL filters to nothing (no name, no rows)
        (L, "load", (), lambda: f"{top}?status=sent&contact={a1()}&page=2", STAFF),
        (L, "set_status", ("overdue",), top, "local"),
        (L, "find_contacts", ("ali",), top, STAFF),
        (L, "filter_contact", (a1,), top, "local"),
        (L, "clear_contact", (), top, "local"),
        (L, "setvar", ("rows", []), top, "setvar"),
        (L, "follow", (), top, ("background", STAFF, _follow_rows)),
        (E, "load", (), new, STAFF),
        (E, "load", (), inv("draft", "/edit"), STAFF_ON_A1),
        (E, "find_contacts", ("ali",), new, STAFF),
        (E, "choose_contact", (a1,), new, "local"),
        (E, "change_contact", (), new, "local"),
        (E, "set_currency", ("EUR",), new, "local"),
        (E, "set_line", ("l1", "unit_price", "12.50"), new, "local"),
        (E, "add_line", (), new, "local"),
        (E, "remove_line", ("l1",), new, "local"),
        (E, "set_discount_kind", ("percent",), new, "local"),
        (E, "set_discount_value", ("10",), new, "local"),
        (E, "set_intent", ("send",), new, "local"),
        # a new invoice: staff of B cannot pick A's client (it is not among their choices)
        (E, "save", (form,), new, grid(STAFF, staff_b_on_b="invalid"),
         ("load", ("find_contacts", ("alice",)), ("choose_contact", lambda: (a1(),)))),
        (E, "save", (form,), inv("draft", "/edit"), STAFF_ON_A1, ("load",)),
        (E, "setvar", ("contact", {}), new, "setvar"),
        (D, "load", (), inv("pay"), STAFF_ON_A1),
        (D, "follow", (), inv("pay"), ("background", STAFF_ON_A1, _follow_invoice)),
        (D, "open_dialog", ("payment",), inv("pay"), "local"),
        (D, "set_dialog_open", (False,), inv("pay"), "local"),
        (D, "send", (), inv("send"), STAFF_ON_A1),
        (D, "record_payment", (payment,), inv("pay"), STAFF_ON_A1),
        (D, "open_refund", (lambda: world.refundable_payment,), inv("refund"), "local"),
        (D, "refund_payment", (refund,), inv("refund"), refunder,
         ("load", ("open_refund", lambda: (world.refundable_payment,)))),
        # a forged call without the dialog (no payment chosen) is refused the same way
        (D, "refund_payment", (refund,), inv("refund"), grid(refunder, staff_a="denied", member_a="denied")),
        (D, "void", (), inv("void"), STAFF_ON_A1),
        (D, "delete", (), inv("delete"), STAFF_ON_A1),
        (D, "setvar", ("inv", {}), inv("pay"), "setvar"),
    ]


def files_rows(world) -> list:
    from portal_app.state.portal import files as portal_files
    from portal_app.state.staff import files as staff_files

    S, C = staff_files.StaffFilesState, portal_files.ClientFilesState
    in_folder = lambda: f"/staff/files?folder={world.files_folder}"  # noqa: E731
    top = "/staff/files"
    meta = ([{"name": "brief.pdf", "size": 1200}],)
    # Handlers acting on a row need the page loaded and the dialog opened first (pre-steps).
    on_pdf = lambda kind: ("load", ("open_dialog", lambda: (kind, world.files_pdf)))  # noqa: E731
    return [
        (S, "load", (), top, STAFF),
        (S, "search", ({"q": "plan"},), top, "local"),
        (S, "set_sort", ("size",), top, "local"),
        (S, "start_upload", meta, top, STAFF),
        (S, "upload_progress", ({"loaded": 10, "total": 100},), top, "local"),
        (S, "drop_rejected", ([],), top, "local"),
        (S, "receive_upload", (), top, ("background", STAFF)),
        (S, "open_preview", (lambda: world.files_pdf,), top, "local"),
        (S, "set_preview_open", (False,), top, "local"),
        (S, "open_dialog", ("share", lambda: world.files_pdf), in_folder, STAFF_ON_A1, ("load",)),
        (S, "close_dialog", (), top, "local"),
        (S, "set_dialog_open", (False,), top, "local"),
        (S, "set_share_inherit", (True,), top, "local"),
        (S, "set_share_all", (True,), top, "local"),
        (S, "set_share_notify", (False,), top, "local"),
        (S, "toggle_contact", ("ct_x", True), top, "local"),
        (S, "find_contacts", ("ali",), top, STAFF),
        (S, "create_folder", ({"name": "Contracts"},), top, STAFF),
        (S, "add_link", ({"title": "Site", "url": "https://example.com"},), top, STAFF),
        (S, "rename", ({"name": "plan v2.pdf"},), in_folder, STAFF_ON_A1, on_pdf("rename")),
        (S, "move", ({"target": "top"},), in_folder, STAFF_ON_A1, on_pdf("move")),
        (S, "save_sharing", (), top, STAFF_ON_A1, ("load", ("open_dialog", lambda: ("share", world.files_pdf)))),
        (S, "delete", (), top, STAFF_ON_A1, ("load", ("open_dialog", lambda: ("delete", world.files_old)))),
        (S, "setvar", ("rows", []), top, "setvar"),
        (C, "load", (), "/files", grid(**SIGNIN_FOR_OTHERS)),
        (C, "load", (), lambda: f"/files?folder={world.files_folder}", grid(**SIGNIN_FOR_OTHERS, client_a2="denied")),
        (C, "search", ({"q": "plan"},), "/files", "local"),
        (C, "set_sort", ("date",), "/files", "local"),
        # client uploads are off by default: every client is refused before a byte is sent
        (C, "start_upload", meta, "/files", grid(CLIENT, client_a1="denied", client_a2="denied")),
        (C, "upload_progress", ({"loaded": 10, "total": 100},), "/files", "local"),
        (C, "drop_rejected", ([],), "/files", "local"),
        (C, "receive_upload", (), "/files", ("background", grid(CLIENT, client_a1="denied", client_a2="denied"))),
        (C, "open_preview", (lambda: world.files_pdf,), "/files", "local"),
        (C, "set_preview_open", (False,), "/files", "local"),
        (C, "setvar", ("rows", []), "/files", "setvar"),
    ]


def client_invoice_rows(world) -> list:
    from portal_app.state.portal import invoices as invoices_client

    L, D = invoices_client.ClientInvoicesState, invoices_client.ClientInvoiceState
    inv = lambda name: lambda: f"/invoices/{world.client_invoices[name]}"  # noqa: E731
    # staff are sent to their own pages (ok, nothing loaded); a client sees only her own,
    # never a draft, and another client's invoice is "does not exist"
    return [
        (L, "load", (), "/invoices", grid(**SIGNIN_FOR_OTHERS)),
        (L, "load", (), "/invoices?page=999", grid(**SIGNIN_FOR_OTHERS)),
        (L, "setvar", ("rows", []), "/invoices", "setvar"),
        (D, "load", (), inv("sent"), grid(**SIGNIN_FOR_OTHERS, client_a2="denied")),
        (D, "load", (), inv("draft"), grid(**SIGNIN_FOR_OTHERS, client_a1="denied", client_a2="denied")),
        (D, "load", (), "/invoices/in_doesnotexist", grid(**SIGNIN_FOR_OTHERS, client_a1="denied", client_a2="denied")),
        (D, "setvar", ("invoice", {}), inv("sent"), "setvar"),
        (D, "setvar", ("can_pay", True), inv("sent"), "setvar"),
        (D, "setvar", ("action_secret", "x"), inv("sent"), "setvar"),
        # Pay Now: only the invoice's own client (staff pay nothing; another client: "does not exist")
        (D, "open_pay", (), inv("sent"), PAYER),
        (D, "open_pay", (), inv("draft"), grid(PAYER, client_a1="denied")),
        (D, "set_pay_open", (True,), inv("sent"), "local"),
        (D, "set_pay_amount", ("12.00",), inv("sent"), "local"),
        (D, "card_failed", ("Your card number is incomplete.",), inv("sent"), PAYER),
        (D, "pay_with_card", ("tok_matrix",), inv("sent"), PAYER),
        (D, "pay_with_card", ("tok_matrix",), inv("draft"), grid(PAYER, client_a1="denied")),
        (D, "action_done", ("",), inv("sent"), PAYER),
        (D, "charge_card", (), inv("sent"), ("background", PAYER, _pay_access)),
        (D, "watch_payment", (), inv("sent"), ("background", PAYER, _pay_access)),
    ]


def _follow_rows(state) -> None:
    """A live list re-reads only its own rows, as staff of the workspace."""
    from portal_app.services.billing import invoice_views

    asyncio.run(state._run(lambda db, ws, a: invoice_views.rows_marker(db, a, [r["id"] for r in state.rows])))


def _follow_invoice(state) -> None:
    from portal_app.access import require_staff
    from portal_app.services.billing import invoice_views

    asyncio.run(state._run(lambda db, ws, a: invoice_views.detail_marker(db, require_staff(a), state._public_id())))


def _pay_access(state) -> None:
    """The Pay Now background events resolve the actor first and go through the page's own
    rule (card_payments.checkout, then pay_invoice / payment_on_its_way)."""
    from portal_app.services.billing import card_payments

    asyncio.run(state._run(lambda db, ws, a: card_payments.checkout(db, a, state._invoice_id())))


# What each actor must never receive from a refused call: other people's addresses.
_EMAILS = {"client_a1": "alice@client.example", "client_a2": "bob@client.example",
           "client_b_on_a": "carol@client.example", "staff_a": "owner@alpha.example",
           "member_a": "member@alpha.example", "staff_b_on_b": "owner@beta.example"}
FOREIGN = {actor: tuple(e for who, e in _EMAILS.items() if who != actor) for actor in ACTORS}

# Columns a refused call may touch without writing anything of consequence.
_VOLATILE = {("auth_session", "last_seen_at")}


def tables_snapshot(db) -> dict[str, str]:
    """A digest of every row of every table (deny assertion: a refused call writes nothing)."""
    import hashlib

    from sqlmodel import SQLModel

    db.expire_all()
    out = {}
    for table in SQLModel.metadata.sorted_tables:
        cols = [c for c in table.columns if (table.name, c.name) not in _VOLATILE]
        rows = db.execute(select(*cols).order_by(*table.primary_key.columns)).all()
        out[table.name] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return out


def changed_tables(before: dict, after: dict) -> list[str]:
    return sorted(t for t in after if before.get(t) != after[t])

"""The Reflex app: pages, the api/ routes, security headers and the in-process worker."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from functools import lru_cache

import reflex as rx

from portal_app import state_manager
from portal_app.api import body_limits, origins
from portal_app.api.routes import build_api
from portal_app.api.security_headers import SecurityHeaders
from portal_app.components.layout import page_title
from portal_app.logging_setup import configure_logging
from portal_app.pages import auth as auth_pages
from portal_app.pages import two_factor as two_factor_pages
from portal_app.pages.not_found import not_found_page
from portal_app.pages.portal.appointments import appointments_page, book_page
from portal_app.pages.portal.communications import communications_page
from portal_app.pages.portal.documents import documents_page, signing_page
from portal_app.pages.portal.files import files_page
from portal_app.pages.portal.home import home
from portal_app.pages.portal.invoices import invoice_page, invoices_page
from portal_app.pages.portal.profile import profile_page
from portal_app.pages.portal.security import security_page
from portal_app.pages.staff.automation_editor import automation_editor_page
from portal_app.pages.staff.automations import automation_runs_page, automations_page
from portal_app.pages.staff.booking_settings import booking_settings_page
from portal_app.pages.staff.calendar import calendar_page
from portal_app.pages.staff.configure_portal import configure_portal_page
from portal_app.pages.staff.contacts import contact_record_page, contacts_page
from portal_app.pages.staff.document_detail import staff_document_page
from portal_app.pages.staff.document_sign import staff_sign_page
from portal_app.pages.staff.documents import new_document_page, staff_documents_page
from portal_app.pages.staff.domains import domains_page
from portal_app.pages.staff.files import staff_files_page
from portal_app.pages.staff.inbox import inbox_page
from portal_app.pages.staff.invoice_detail import staff_invoice_page
from portal_app.pages.staff.invoice_editor import invoice_editor_page
from portal_app.pages.staff.invoice_list import staff_invoices_page
from portal_app.pages.staff.jobs import jobs_page
from portal_app.pages.staff.outbox import outbox_page
from portal_app.pages.staff.payments import payments_settings_page
from portal_app.pages.staff.sealing import sealing_page
from portal_app.pages.staff.security import staff_security_page
from portal_app.pages.staff.team import join_page, team_page
from portal_app.pages.staff.webhooks import webhooks_page
from portal_app.pages.verify import verify_page
from portal_app.settings import get_settings
from portal_app.state.auth import (
    ConfirmEmailState,
    ForgotPasswordState,
    InviteState,
    LoginState,
    ResetPasswordState,
    SetupState,
    SignInLinkState,
)
from portal_app.state.not_found import NotFoundState
from portal_app.state.portal.appointments import AppointmentsState, BookState
from portal_app.state.portal.chat import ChatState
from portal_app.state.portal.communications import CommunicationsState
from portal_app.state.portal.documents import ClientDocumentsState
from portal_app.state.portal.files import ClientFilesState
from portal_app.state.portal.home import HomeState
from portal_app.state.portal.invoices import ClientInvoicesState, ClientInvoiceState
from portal_app.state.portal.profile import ProfileState
from portal_app.state.security import SecurityState
from portal_app.state.session_guard import SessionGuard, UploadGuard
from portal_app.state.signing import SigningState
from portal_app.state.staff.automation_editor import AutomationEditorState
from portal_app.state.staff.automations import AutomationRunsState, AutomationsState
from portal_app.state.staff.booking_settings import BookingSettingsState
from portal_app.state.staff.calendar import CalendarState
from portal_app.state.staff.configure_portal import PortalConfigState
from portal_app.state.staff.contacts import ContactRecordState, ContactsState
from portal_app.state.staff.document_detail import StaffDocumentState
from portal_app.state.staff.documents import NewDocumentState, StaffDocumentsState
from portal_app.state.staff.domains import DomainsState
from portal_app.state.staff.files import StaffFilesState
from portal_app.state.staff.home import StaffHomeState
from portal_app.state.staff.inbox import InboxState
from portal_app.state.staff.invoice_detail import StaffInvoiceState
from portal_app.state.staff.invoice_editor import InvoiceEditorState
from portal_app.state.staff.invoice_list import StaffInvoicesState
from portal_app.state.staff.jobs import JobsState
from portal_app.state.staff.outbox import OutboxState
from portal_app.state.staff.payments import PaymentsSettingsState
from portal_app.state.staff.sealing import SealingState
from portal_app.state.staff.team import JoinState, TeamState
from portal_app.state.staff.webhooks import WebhooksState
from portal_app.state.two_factor import TwoFactorLoginState, TwoFactorState
from portal_app.state.verify import VerifyState

configure_logging()

def _handler_name(handler) -> str:
    """The name the browser sends in `reflex-event-handler` for this handler."""
    from reflex_base.utils.format import format_event_handler

    return format_event_handler(handler)


@lru_cache(maxsize=1)
def _upload_handlers() -> dict[str, str]:
    """Every handler that takes rx.UploadFile or upload chunks -> which limit it gets
    (tests/unit/test_body_limits.py fails when one is missing)."""
    return {
        _handler_name(StaffFilesState.receive_upload): "files",
        _handler_name(ClientFilesState.receive_upload): "files",
        _handler_name(NewDocumentState.upload): "document",
        _handler_name(PortalConfigState.upload_logo): "logo",
        _handler_name(PortalConfigState.upload_favicon): "logo",
        _handler_name(SealingState.upload): "pkcs12",
        _handler_name(VerifyState.check): "verify",
        _handler_name(ChatState.send_file): "chat",
        _handler_name(InboxState.send_file): "chat",
    }


def upload_limits() -> dict[str, int]:
    """The most body bytes `/_upload` reads for each handler: its own natural limit plus the
    multipart framing, read from the settings at request time."""
    from portal_app.services.conversations import messages
    from portal_app.services.documents import sealing, verify
    from portal_app.services.files import file_transfer

    s, slack = get_settings(), body_limits.MULTIPART_SLACK
    batch = min(s.file_max_bytes * file_transfer.MAX_FILES_PER_UPLOAD, s.file_quota_bytes)
    by_kind = {
        "files": batch + file_transfer.MAX_FILES_PER_UPLOAD * slack,
        "document": s.document_max_bytes + slack,
        "logo": s.logo_max_bytes + slack,
        "pkcs12": sealing.PKCS12_MAX_BYTES + slack,
        "verify": verify.max_bytes() + slack,
        "chat": messages.ATTACHMENT_MAX_BYTES + slack,  # a chat message's one attachment
    }
    return {name: by_kind[kind] for name, kind in _upload_handlers().items()}


# CORS and the websocket accept the configured origins and the served domains (api/origins.py):
# Reflex builds its CORS middleware as ours, and its socket.io server asks us for each Origin.
origins.install_cors()
app = rx.App(
    # build_api() mounts the Reflex app under the api/ routes; UploadGuard (an upload must carry
    # the cookie of the session its tab's state is bound to) wraps both, BodyLimits wraps that
    # (sizes are refused before the state is read), and SecurityHeaders wraps everything,
    # its own 413s and 403s included.
    api_transformer=[build_api(), UploadGuard, body_limits.guard(upload_limits), SecurityHeaders],
    # assets/fonts.css: the handwriting font of typed signatures (the PDF's own file)
    stylesheets=["/fonts.css"],
)
origins.install_socket(app)
# First of all middlewares: what another session loaded is reset before anything runs.
app.add_middleware(SessionGuard(), index=0)
# With Redis: Reflex's manager, but a tab's lease given up at once to each waiting event of the
# other worker (portal_app/state_manager.py).
state_manager.install(app)


async def _outbox_worker():
    """Runs queued jobs while the app runs: one thread polling PORTAL_WORKER_INTERVAL seconds apart
    (worker.run_forever); `python -m portal_app.cli worker` processes run beside it safely."""
    from portal_app.worker import run_forever

    stop = threading.Event()
    thread = threading.Thread(target=run_forever, args=(get_settings().worker_interval, stop),
                              name="outbox-worker", daemon=True)
    thread.start()
    try:
        while True:
            await asyncio.sleep(3600)
    except asyncio.CancelledError:
        stop.set()
        raise


app.register_lifespan_task(_outbox_worker)


async def _live_hints():
    """Live push (state/chat_push.py): hints are delivered to this process's tabs on this loop;
    with Redis, every hint also goes to and comes from the other processes (adapters/hints.py)."""
    from portal_app.adapters import hints
    from portal_app.state import chat_push

    if get_settings().redis_url:
        await asyncio.to_thread(hints.start_redis_relay, get_settings().redis_url)
    chat_push.start(asyncio.get_running_loop())
    try:
        while True:
            await asyncio.sleep(3600)
    except asyncio.CancelledError:
        chat_push.stop()
        await asyncio.to_thread(hints.stop_redis_relay)
        raise


app.register_lifespan_task(_live_hints)


log = logging.getLogger("portal.app")


@contextlib.asynccontextmanager
async def _demo_test_payments():
    """Demo mode without a real Stripe key: the local Stripe stand-in runs while the app runs
    (services/billing/demo_payments.py decides), and stops with it."""
    from portal_app.services.billing import demo_payments

    try:
        await asyncio.to_thread(demo_payments.start_test_mode)
    except Exception:  # the app starts anyway; the invoice page says test payments are unavailable
        log.exception("demo test payments could not be set up")
    try:
        yield
    finally:
        await asyncio.to_thread(demo_payments.stop_test_mode)


app.register_lifespan_task(_demo_test_payments)

PAGES = [
    ("/", home, HomeState.load, "Home"),
    ("/login", auth_pages.client_login, LoginState.load_client, "Sign in"),
    ("/login/link", auth_pages.sign_in_link, SignInLinkState.load, "Sign-in link"),
    ("/invite", auth_pages.invite, InviteState.load, "Accept your invitation"),
    ("/confirm-email", auth_pages.confirm_email, ConfirmEmailState.load, "Confirm your email"),
    ("/profile", profile_page, ProfileState.load, "Your profile"),
    ("/security", security_page, SecurityState.load, "Security"),
    ("/invoices", invoices_page, ClientInvoicesState.load, "Invoices"),
    ("/invoices/[invoice_id]", invoice_page, ClientInvoiceState.load, "Invoice"),
    ("/documents", documents_page, ClientDocumentsState.load, "Documents"),
    ("/documents/[document_id]", signing_page, SigningState.load, "Review and sign"),
    ("/verify", verify_page, VerifyState.load, "Verify a signed PDF"),
    ("/files", files_page, ClientFilesState.load, "Files"),
    ("/appointments", appointments_page, AppointmentsState.load, "Appointments"),
    ("/appointments/book", book_page, BookState.load, "Book an appointment"),
    ("/communications", communications_page, CommunicationsState.load, "Communications"),
    ("/setup", auth_pages.setup, SetupState.load, "Set up your portal"),
    ("/forgot-password", auth_pages.forgot_password, ForgotPasswordState.load, "Forgot your password"),
    ("/staff/forgot-password", auth_pages.forgot_password, ForgotPasswordState.load, "Forgot your password"),
    ("/reset-password", auth_pages.reset_password, ResetPasswordState.load, "Choose a new password"),
    ("/staff/login", auth_pages.staff_login, LoginState.load_staff, "Staff sign-in"),
    ("/staff", lambda: rx.center(rx.spinner(), min_height="100vh"), StaffHomeState.load, "Staff"),
    ("/staff/calendar", calendar_page, CalendarState.load, "Calendar"),
    ("/staff/settings/booking", booking_settings_page, BookingSettingsState.load, "Booking"),
    ("/staff/contacts", contacts_page, ContactsState.load, "Contacts"),
    ("/staff/contacts/[contact_id]", contact_record_page, ContactRecordState.load, "Contact"),
    ("/staff/files", staff_files_page, StaffFilesState.load, "Files"),
    ("/staff/inbox", inbox_page, InboxState.load, "Inbox"),
    ("/staff/inbox/[conversation_id]", inbox_page, InboxState.load, "Conversation"),
    ("/staff/invoices", staff_invoices_page, StaffInvoicesState.load, "Invoices"),
    ("/staff/invoices/new", invoice_editor_page, InvoiceEditorState.load, "New invoice"),
    ("/staff/invoices/[invoice_id]", staff_invoice_page, StaffInvoiceState.load, "Invoice"),
    ("/staff/invoices/[invoice_id]/edit", invoice_editor_page, InvoiceEditorState.load, "Edit invoice"),
    ("/staff/documents", staff_documents_page, StaffDocumentsState.load, "Documents & Contracts"),
    ("/staff/documents/new", new_document_page, NewDocumentState.load, "New document"),
    ("/staff/documents/[document_id]", staff_document_page, StaffDocumentState.load, "Document"),
    ("/staff/documents/[document_id]/sign", staff_sign_page, SigningState.load, "Countersign"),
    ("/staff/automations", automations_page, AutomationsState.load, "Automations"),
    ("/staff/automations/new", automation_editor_page, AutomationEditorState.load, "New automation"),
    ("/staff/automations/[rule_id]", automation_editor_page, AutomationEditorState.load, "Automation"),
    ("/staff/automations/[rule_id]/runs", automation_runs_page, AutomationRunsState.load, "Run history"),
    ("/staff/sites/portal", configure_portal_page, PortalConfigState.load, "Configure Portal"),
    ("/staff/outbox", outbox_page, OutboxState.load, "Dev outbox"),
    ("/staff/team", team_page, TeamState.load, "Team"),
    ("/staff/security", staff_security_page, SecurityState.load, "Security"),
    ("/staff/settings/payments", payments_settings_page, PaymentsSettingsState.load, "Payments"),
    ("/staff/settings/sealing", sealing_page, SealingState.load, "Document sealing"),
    ("/staff/settings/jobs", jobs_page, JobsState.load, "Jobs"),
    ("/staff/settings/webhooks", webhooks_page, WebhooksState.load, "Webhooks"),
    ("/staff/settings/domains", domains_page, DomainsState.load, "Domains"),
    ("/staff/join", join_page, JoinState.load, "Join the team"),
    ("/security/two-factor", two_factor_pages.client_two_factor_page, TwoFactorState.load, "Two-factor sign-in"),
    ("/staff/security/two-factor", two_factor_pages.staff_two_factor_page, TwoFactorState.load,
     "Two-factor sign-in"),
    ("/login/two-factor", two_factor_pages.client_code_page, TwoFactorLoginState.load_client, "Two-step verification"),
    ("/staff/login/two-factor", two_factor_pages.staff_code_page, TwoFactorLoginState.load_staff,
     "Two-step verification"),
]

# A tab's title names the page and the workspace's portal title (staff pages: its business name),
# never the product (components/layout.page_title).
for route, component, on_load, title in PAGES:
    app.add_page(component, route=route, on_load=on_load,
                 title=page_title(title, staff=route.startswith("/staff") and route != "/staff/forgot-password"))
# Reflex's 404 route: the page every unknown address shows (the production server sends it
# with status 404).
app.add_page(not_found_page, route="404", on_load=NotFoundState.load, title=page_title("Page not found"))

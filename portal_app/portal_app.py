"""The Reflex app: pages, the api/ routes, security headers and the in-process worker."""

from __future__ import annotations

import asyncio
import logging
import threading
from functools import lru_cache

import reflex as rx

from .api import body_limits
from .api.routes import build_api
from .api.security_headers import SecurityHeaders
from .pages import auth as auth_pages
from .pages.portal.documents import documents_page, signing_page
from .pages.portal.files import files_page
from .pages.portal.home import home
from .pages.portal.invoices import invoice_page, invoices_page
from .pages.portal.profile import profile_page
from .pages.portal.section import section_page
from .pages.staff.configure_portal import configure_portal_page
from .pages.staff.document_detail import staff_document_page
from .pages.staff.document_sign import staff_sign_page
from .pages.staff.documents import new_document_page, staff_documents_page
from .pages.staff.sealing import sealing_page
from .pages.verify import verify_page
from .pages.staff.files import staff_files_page
from .pages.staff.invoice_detail import staff_invoice_page
from .pages.staff.invoice_editor import invoice_editor_page
from .pages.staff.invoice_list import staff_invoices_page
from .pages.staff.contacts import contact_record_page, contacts_page
from .pages.staff.outbox import outbox_page
from .pages.staff.payments import payments_settings_page
from .pages.staff.team import join_page, team_page
from .settings import get_settings
from .state.auth_pages import (ConfirmEmailState, ForgotPasswordState, InviteState, LoginState,
                               ResetPasswordState, SetupState)
from .state.documents_staff import NewDocumentState, StaffDocumentsState, StaffDocumentState
from .state.files import ClientFilesState, StaffFilesState
from .state.signing import ClientDocumentsState, SigningState
from .state.sealing import SealingState
from .state.session_guard import SessionGuard, UploadGuard
from .state.verify import VerifyState
from .state.invoices_client import ClientInvoiceState, ClientInvoicesState
from .state.invoice_detail import StaffInvoiceState
from .state.invoice_editor import InvoiceEditorState
from .state.invoice_list import StaffInvoicesState
from .state.payments import PaymentsSettingsState
from .state.portal import HomeState, ProfileState, SectionState
from .state.team import JoinState, TeamState
from .state.staff import ContactRecordState, ContactsState, OutboxState, PortalConfigState, StaffHomeState

logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

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
        _handler_name(SealingState.upload): "pkcs12",
        _handler_name(VerifyState.check): "verify",
    }


def upload_limits() -> dict[str, int]:
    """The most body bytes `/_upload` reads for each handler: its own natural limit plus the
    multipart framing, read from the settings at request time."""
    from .services import file_transfer, sealing, verify

    s, slack = get_settings(), body_limits.MULTIPART_SLACK
    batch = min(s.file_max_bytes * file_transfer.MAX_FILES_PER_UPLOAD, s.file_quota_bytes)
    by_kind = {
        "files": batch + file_transfer.MAX_FILES_PER_UPLOAD * slack,
        "document": s.document_max_bytes + slack,
        "logo": s.logo_max_bytes + slack,
        "pkcs12": sealing.PKCS12_MAX_BYTES + slack,
        "verify": verify.max_bytes() + slack,
    }
    return {name: by_kind[kind] for name, kind in _upload_handlers().items()}


app = rx.App(
    # build_api() mounts the Reflex app under the api/ routes; UploadGuard (an upload must carry
    # the cookie of the session its tab's state is bound to) wraps both, BodyLimits wraps that
    # (sizes are refused before the state is read), and SecurityHeaders wraps everything,
    # its own 413s and 403s included.
    api_transformer=[build_api(), UploadGuard, body_limits.guard(upload_limits), SecurityHeaders],
    stylesheets=[],
)
# First of all middlewares: what another session loaded is reset before anything runs.
app.add_middleware(SessionGuard(), index=0)


async def _outbox_worker():
    """Delivers queued email while the app runs (PORTAL_WORKER_INTERVAL seconds apart)."""
    from .worker import run_forever

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

PAGES = [
    ("/", home, HomeState.load, "Home"),
    ("/login", auth_pages.client_login, LoginState.load_client, "Sign in"),
    ("/invite", auth_pages.invite, InviteState.load, "Accept your invitation"),
    ("/confirm-email", auth_pages.confirm_email, ConfirmEmailState.load, "Confirm your email"),
    ("/profile", profile_page, ProfileState.load, "Your profile"),
    ("/invoices", invoices_page, ClientInvoicesState.load, "Invoices"),
    ("/invoices/[invoice_id]", invoice_page, ClientInvoiceState.load, "Invoice"),
    ("/documents", documents_page, ClientDocumentsState.load, "Documents"),
    ("/documents/[document_id]", signing_page, SigningState.load, "Review and sign"),
    ("/verify", verify_page, VerifyState.load, "Verify a signed PDF"),
    ("/files", files_page, ClientFilesState.load, "Files"),
    ("/appointments", section_page, SectionState.load, "Appointments"),
    ("/communications", section_page, SectionState.load, "Communications"),
    ("/setup", auth_pages.setup, SetupState.load, "Set up your portal"),
    ("/forgot-password", auth_pages.forgot_password, ForgotPasswordState.load, "Forgot your password"),
    ("/staff/forgot-password", auth_pages.forgot_password, ForgotPasswordState.load, "Forgot your password"),
    ("/reset-password", auth_pages.reset_password, ResetPasswordState.load, "Choose a new password"),
    ("/staff/login", auth_pages.staff_login, LoginState.load_staff, "Staff sign-in"),
    ("/staff", lambda: rx.center(rx.spinner(), min_height="100vh"), StaffHomeState.load, "Staff"),
    ("/staff/contacts", contacts_page, ContactsState.load, "Contacts"),
    ("/staff/contacts/[contact_id]", contact_record_page, ContactRecordState.load, "Contact"),
    ("/staff/files", staff_files_page, StaffFilesState.load, "Files"),
    ("/staff/invoices", staff_invoices_page, StaffInvoicesState.load, "Invoices"),
    ("/staff/invoices/new", invoice_editor_page, InvoiceEditorState.load, "New invoice"),
    ("/staff/invoices/[invoice_id]", staff_invoice_page, StaffInvoiceState.load, "Invoice"),
    ("/staff/invoices/[invoice_id]/edit", invoice_editor_page, InvoiceEditorState.load, "Edit invoice"),
    ("/staff/documents", staff_documents_page, StaffDocumentsState.load, "Documents & Contracts"),
    ("/staff/documents/new", new_document_page, NewDocumentState.load, "New document"),
    ("/staff/documents/[document_id]", staff_document_page, StaffDocumentState.load, "Document"),
    ("/staff/documents/[document_id]/sign", staff_sign_page, SigningState.load, "Countersign"),
    ("/staff/sites/portal", configure_portal_page, PortalConfigState.load, "Configure Portal"),
    ("/staff/outbox", outbox_page, OutboxState.load, "Dev outbox"),
    ("/staff/team", team_page, TeamState.load, "Team"),
    ("/staff/settings/payments", payments_settings_page, PaymentsSettingsState.load, "Payments"),
    ("/staff/settings/sealing", sealing_page, SealingState.load, "Document sealing"),
    ("/staff/join", join_page, JoinState.load, "Join the team"),
]

# Staff pages drawn in the staff shell also ask whether its navigation offers the dev outbox.
NO_STAFF_SHELL = {"/staff", "/staff/login", "/staff/forgot-password", "/staff/join"}

for route, component, on_load, title in PAGES:
    if route.startswith("/staff") and route not in NO_STAFF_SHELL:
        on_load = [on_load, OutboxState.load_nav]
    app.add_page(component, route=route, on_load=on_load, title=f"{title} · Client Portal")

"""The api/ route table: build_api() assembles every Starlette route (mounted with
rx.App(api_transformer=...)), and ROUTES says who may call each.

The routes live with what they serve: auth_routes.py (sign-in/out), accounts.py (first-run
setup, emailed links), health.py, branding.py (logo), files.py, invoices.py, documents.py,
payments.py (Stripe webhooks), calendar.py (private iCal feeds), conversations.py (a chat message with a file, its download),
dev_outbox.py (a dev outbox mail's attachment), appointments.py (a client's appointment as .ics),
domains.py (Caddy's on-demand TLS question).
Shared pieces: _common.py (who is calling, the session cookie, streamed blobs), forms.py
(native form posts). Nothing imports this module for constants.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import Route

from portal_app.api import (
    accounts,
    appointments,
    auth_routes,
    branding,
    calendar,
    conversations,
    dev_outbox,
    documents,
    domains,
    files,
    health,
    invoices,
    payments,
)


def build_api() -> Starlette:
    return Starlette(routes=[
        Route("/api/health", health.health, methods=["GET"]),
        Route("/api/auth/staff/login", auth_routes.staff_login, methods=["POST"]),
        Route("/api/auth/client/login", auth_routes.client_login, methods=["POST"]),
        Route("/api/auth/logout", auth_routes.logout, methods=["POST"]),
        Route("/api/auth/client/link", auth_routes.request_link, methods=["POST"]),
        Route("/api/auth/link", auth_routes.open_link, methods=["GET"]),
        Route("/api/auth/two-factor", auth_routes.two_factor, methods=["POST"]),
        Route("/api/setup", accounts.setup, methods=["POST"]),
        Route("/api/invite/accept", accounts.accept_invite, methods=["POST"]),
        Route("/api/auth/reset", accounts.reset_password, methods=["POST"]),
        Route("/api/staff/join", accounts.join_staff, methods=["POST"]),
        Route("/api/logo/{workspace}", branding.logo, methods=["GET"]),
        Route("/favicon.ico", branding.favicon, methods=["GET"]),
        Route("/apple-touch-icon.png", branding.touch_icon, methods=["GET"]),
        Route("/api/files/{file}/download", files.download, methods=["GET"]),
        Route("/api/files/{file}/preview", files.preview, methods=["GET"]),
        Route("/api/invoices/{invoice}/pdf", invoices.download_pdf, methods=["GET"]),
        Route("/api/documents/{document}/pages/{page}", documents.page, methods=["GET"]),
        Route("/api/documents/{document}/original", documents.original, methods=["GET"]),
        Route("/api/documents/{document}/completed", documents.completed, methods=["GET"]),
        Route("/api/stripe/webhook/{workspace}", payments.stripe_webhook, methods=["POST"]),
        Route("/api/conversations/messages", conversations.send_message, methods=["POST"]),
        Route("/api/conversations/attachments/{message}", conversations.attachment, methods=["GET"]),
        Route("/api/dev-outbox/attachments/{attachment}", dev_outbox.attachment, methods=["GET"]),
        Route("/api/calendar/feed/{token}.ics", calendar.feed, methods=["GET"]),
        Route("/api/appointments/{appointment}.ics", appointments.ics_download, methods=["GET"]),
        Route("/api/domains/allowed", domains.allowed, methods=["GET"]),
    ])


# Every route and who may call it; tests/unit/test_authz_matrix.py checks this list against
# build_api() so that a new route without a matrix row fails.
ROUTES = {
    ("GET", "/api/health"): "public",
    ("POST", "/api/auth/staff/login"): "public (credentials)",
    ("POST", "/api/auth/client/login"): "public (credentials)",
    ("POST", "/api/auth/logout"): "any session",
    ("POST", "/api/auth/client/link"):
        "public (asks for a client sign-in link: the same answer for every address; throttled)",
    ("GET", "/api/auth/link"):
        "holder of a valid sign-in link token, in the browser whose nonce cookie asked for it; "
        "anyone else: the link page, nobody signed in",
    ("POST", "/api/auth/two-factor"):
        "the holder of a live pending sign-in (cookie portal_2fa, after a right password) with a right code; "
        "anyone else: back to sign-in, no session",
    ("POST", "/api/setup"): "public, only before a workspace exists",
    ("POST", "/api/invite/accept"): "holder of a valid invitation token",
    ("POST", "/api/auth/reset"): "holder of a valid password-reset token",
    ("POST", "/api/staff/join"): "holder of a valid staff invitation token",
    ("GET", "/api/logo/{workspace}"): "public branding",
    ("GET", "/favicon.ico"): "public branding: the Host's workspace's icon, else the default",
    ("GET", "/apple-touch-icon.png"): "public branding: the Host's workspace's icon, else the default",
    ("GET", "/api/files/{file}/download"): "staff of the workspace; a client the file is shared with",
    ("GET", "/api/files/{file}/preview"): "as download, PDFs and raster images only",
    ("GET", "/api/invoices/{invoice}/pdf"): "staff of the workspace; the invoice's own client (never a draft)",
    ("POST", "/api/stripe/webhook/{workspace}"): "Stripe: a valid signature with that workspace's webhook secret",
    ("GET", "/api/documents/{document}/pages/{page}"):
        "staff of the workspace; the document's client signer (never a draft)",
    ("GET", "/api/documents/{document}/original"): "staff of the workspace",
    ("GET", "/api/documents/{document}/completed"): "staff of the workspace; its client signer once completed",
    ("POST", "/api/conversations/messages"):
        "a client of a chat-enabled portal (own conversation); staff of the workspace (its conversations)",
    ("GET", "/api/conversations/attachments/{message}"):
        "the conversation's client (never a staff note's file); staff of the workspace",
    ("GET", "/api/dev-outbox/attachments/{attachment}"):
        "the workspace's owner while PORTAL_MAIL=outbox (the dev outbox's rule); 404 for anyone else",
    ("GET", "/api/calendar/feed/{token}.ics"):
        "the holder of a live feed token (no session): its owner's appointments only; reset/unknown → 404",
    ("GET", "/api/appointments/{appointment}.ics"):
        "the appointment's own client while the Appointments section is on; 404 for anyone else",
    ("GET", "/api/domains/allowed"):
        "public, no session (Caddy's on-demand TLS ask): 200 only for a verified, assigned domain; "
        "unverified, unassigned, removed, unknown → 404; missing/malformed → 400",
}

"""The use cases: plain Python, no Reflex. Each function takes the database session and the
actor first, asks portal_app/access before it touches data, and scopes every query by the actor's
workspace (and, for a client, contact).

Areas, each with a docstring that says where its flows start:
  billing/    invoices, Pay Now, Stripe webhooks, the ledger, refunds, the invoice PDF
  documents/  documents for signature: prepare and send, sign, seal, verify
  files/      shared files and links: organise and share, upload and download, listings
  accounts/   who gets in: sign-in and sessions, passwords, profile, team, contacts, invites
  portal/     the workspace and its portal: branding and sections, the client home, the demo
Shared by every area (top level): audit (hash-chained log), outbox (side effects written in
the same transaction), emails (branded messages), validation, security (tokens, password
hashes), secret_box (secrets at rest), rate_limit, sessions (the session cookie → actor).
"""

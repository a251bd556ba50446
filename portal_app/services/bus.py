"""The message bus: which handlers follow each domain event (services/events.py).

HANDLERS maps an event class to the functions `(db, event) -> None` that run when the worker
takes the event's outbox row, in that row's transaction (what they write commits with the
row marked done, or not at all). UNHANDLED declares, with a reason, each kind that nobody
follows yet: its rows are acknowledged (recorded, nobody to tell) instead of piling up
unread. tests/unit/test_events.py fails when an event class is in neither, or in both.
Automations, the Communications timeline and outbound webhooks subscribe here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import Session

from portal_app.services import events as ev
from portal_app.services.billing import invoice_mail

Handler = Callable[[Session, Any], None]

HANDLERS: dict[type[ev.Event], list[Handler]] = {
    ev.InvoiceSent: [invoice_mail.email_invoice_sent],
}

_LATER = "recorded for the Communications timeline, automations and webhooks (issues 14/15)"

UNHANDLED: dict[type[ev.Event], str] = {
    ev.InvoiceViewed: "staff see it on the invoice (its first view is stored on it); " + _LATER,
    ev.InvoicePaid: "the client's and staff's invoice pages show the payment; no receipt email yet; " + _LATER,
    ev.InvoicePaymentReceived: "the invoice pages show the payment and the balance; " + _LATER,
    ev.InvoiceVoided: "the client sees the invoice as void; " + _LATER,
    ev.InvoiceRefunded: "the invoice pages show the refund; " + _LATER,
    ev.InvoiceDisputed: "the invoice's ledger shows the dispute; " + _LATER,
    ev.DocumentSent: "send_document emails the first signer itself, in the same transaction; " + _LATER,
    ev.DocumentViewed: "staff see the document's status turn viewed; " + _LATER,
    ev.DocumentSigned: "sign_document emails the next signer, the last signature queues sealing; " + _LATER,
    ev.DocumentDeclined: "decline_document emails the document's creator; " + _LATER,
    ev.DocumentCompleted: "sealing.complete emails every signer the signed copy; " + _LATER,
    ev.DocumentVoided: "the signers' links stop working and the pages say voided; " + _LATER,
    ev.DocumentExpired: "the pages say expired; " + _LATER,
    ev.FileShared: "set_sharing emails the contacts when staff choose to notify them; " + _LATER,
    ev.FileDownloaded: "staff see who downloaded a file on the file itself; " + _LATER,
    ev.FileUploadedByClient: "store_upload emails the owners and admins itself; " + _LATER,
}


class UnknownEvent(LookupError):
    """An outbox row whose kind no event class has (e.g. written by a newer version)."""


def kinds() -> list[str]:
    """Every event kind the worker takes: handled or declared."""
    return sorted(cls.kind for cls in (*HANDLERS, *UNHANDLED))


def dispatch(db: Session, workspace_id: int, kind: str, payload: dict[str, Any]) -> ev.Event:
    """Run the handlers of one recorded event (none for a declared kind). A payload that does
    not fit its event class raises TypeError: the row is retried and its error shown."""
    cls = ev.by_kind().get(kind)
    if cls is None or (cls not in HANDLERS and cls not in UNHANDLED):
        raise UnknownEvent(f"No event class or handler is registered for {kind!r}.")
    event = cls.from_payload(workspace_id, payload)
    for handler in HANDLERS.get(cls, []):
        handler(db, event)
    return event

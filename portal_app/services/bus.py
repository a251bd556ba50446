"""The message bus: which handlers follow each domain event (services/events.py).

HANDLERS maps an event class to the functions `(db, event) -> None` that run when the worker
takes the event's outbox row, in that row's transaction (what they write commits with the
row marked done, or not at all). UNHANDLED declares, with a reason, each kind that nobody
follows yet: its rows are acknowledged (recorded, nobody to tell) instead of piling up
unread. tests/unit/test_events.py fails when an event class is in neither, or in both.
Outbound webhooks subscribe to every kind (SHOWN says what else shows each); automations and
the Communications timeline will subscribe here too.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlmodel import Session

from portal_app.services import events as ev
from portal_app.services.accounts import security_mail, two_factor
from portal_app.services.appointments import notify as appointment_mail
from portal_app.services.automations import engine, triggers
from portal_app.services.billing import invoice_mail
from portal_app.services.webhooks import delivery

Handler = Callable[[Session, Any], None]

# What else shows each event, besides the outbound webhooks every kind is sent to.
_LATER = "recorded for the Communications timeline and automations (issue 15)"
SHOWN: dict[type[ev.Event], str] = {
    ev.InvoiceSent: "the client gets the invoice email (invoice_mail.email_invoice_sent)",
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
    ev.InviteAccepted: "the contact shows as Active on the staff pages; automations may follow; " + _LATER,
    ev.InvoiceOverdue: "raised once per invoice past its due date (services/automations/overdue.py); "
                       "automations may follow",
    ev.MessageReceived: "the staff inbox shows it live; unread, it is emailed to staff (conversations/fallback.py)",
    ev.MessageSent: "the client's chat shows it live; unread, it is emailed to the client (conversations/fallback.py)",
    ev.AppointmentBooked: "the client's and staff's appointment pages show it live; on the Communications timeline; "
                          "the client is emailed the invitation (.ics), the staff member when the client booked "
                          "(appointments/notify.py); automations may follow",
    ev.AppointmentChanged: "the appointment pages show the new time or details live; on the Communications timeline; "
                           "the client is emailed the updated invitation (appointments/notify.py)",
    ev.AppointmentCancelled: "the appointment pages show it cancelled and its time is free again; "
                             "on the Communications timeline; the client is emailed the cancellation (.ics)",
    ev.NewDeviceSignIn: "the account's owner is emailed (accounts/security_mail.py); the Security page lists the session",
    ev.PasswordChanged: "the account's owner is emailed (accounts/security_mail.py)",
}

# Every kind but the personal ones goes to the workspace's webhook endpoints that want it (services/webhooks).
HANDLERS: dict[type[ev.Event], list[Handler]] = {cls: [delivery.fan_out] for cls in SHOWN}
HANDLERS[ev.InvoiceSent] = [invoice_mail.email_invoice_sent, delivery.fan_out]
HANDLERS[ev.AppointmentBooked] = [appointment_mail.on_booked, delivery.fan_out]
HANDLERS[ev.AppointmentChanged] = [appointment_mail.on_changed, delivery.fan_out]
HANDLERS[ev.AppointmentCancelled] = [appointment_mail.on_cancelled, delivery.fan_out]
# Security notices (Event.personal) go to the person only: not to webhooks, automations or the timeline.
HANDLERS[ev.NewDeviceSignIn] = [security_mail.on_new_device]
HANDLERS[ev.PasswordChanged] = [security_mail.on_password_changed]
HANDLERS[ev.TwoFactorChanged] = [two_factor.email_two_factor_changed]
# Automations (services/automations/engine.py): every trigger kind starts the runs of its rules.
for _cls in triggers.TRIGGERS:
    HANDLERS[_cls] = [*HANDLERS[_cls], engine.on_event]

# Kinds nobody follows on purpose (none since outbound webhooks subscribe to every kind).
UNHANDLED: dict[type[ev.Event], str] = {}


class UnknownEvent(LookupError):
    """An outbox row whose kind no event class has (e.g. written by a newer version)."""


def kinds() -> list[str]:
    """Every event kind the worker takes: handled or declared."""
    return sorted(cls.kind for cls in (*HANDLERS, *UNHANDLED))


def dispatch(db: Session, workspace_id: int, kind: str, payload: dict[str, Any],
             record: tuple[str, datetime] | None = None) -> ev.Event:
    """Run the handlers of one recorded event (none for a declared kind). A payload that does
    not fit its event class raises TypeError: the row is retried and its error shown. `record`:
    the event's id and time (from its outbox row) for the subscribers that pass them on."""
    cls = ev.by_kind().get(kind)
    if cls is None or (cls not in HANDLERS and cls not in UNHANDLED):
        raise UnknownEvent(f"No event class or handler is registered for {kind!r}.")
    event = cls.from_payload(workspace_id, payload)
    token = ev.RECORD.set(record)
    try:
        for handler in HANDLERS.get(cls, []):
            handler(db, event)
    finally:
        ev.RECORD.reset(token)
    return event

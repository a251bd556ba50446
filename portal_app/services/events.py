"""Domain events: what happened, one frozen dataclass per kind, with its payload typed.

A service that changes something raises the event with `raise_event(db, event)` inside its
own transaction: the event is written as an outbox row (`outbox.enqueue`) beside the change,
so the row is the event's durable record and commits or rolls back with it. The worker hands
each event row to the message bus (services/bus.py), whose registry maps every kind to its
handlers or declares it handler-less on purpose.

The row's payload is the event's fields (the workspace is the row's own column); a field
whose value is None is left out, and a field may travel under another key (`key` in its
metadata) where the payload's name would clash with the class attribute `kind`.

Recorders: besides the outbox row, `raise_event` hands the event to every recorder (`fn(db,
event)`, RECORDERS) at once, in the same transaction, for what must be written beside the
change itself rather than later by the worker: the client's Communications timeline
(services/conversations/timeline.py). A recorder writes rows and raises nothing for an event it
does not follow; its modules register on first use (RECORDER_MODULES).

Commands the worker carries out ("email", "storage.delete", "document.seal") are not events:
services enqueue those directly.
"""

from __future__ import annotations

import importlib
import types
import typing
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, ClassVar, Literal

from sqlmodel import Session

from portal_app.models import DOCUMENT_KINDS, ITEM_KINDS, OutboxMessage
from portal_app.services import outbox


@dataclass(frozen=True, kw_only=True)
class Event:
    """The base of every event; `kind` is the outbox row's kind."""

    kind: ClassVar[str] = ""
    # A notice to one person about their own account (a new device, a password or second
    # factor changed): it goes to that person only -- never to the workspace's webhooks, whose
    # receivers would learn people's sign-in IPs and devices (services/bus.py, webhooks/endpoints.py).
    personal: ClassVar[bool] = False
    workspace_id: int

    def __post_init__(self) -> None:
        hints = _hints(type(self))
        for f in fields(self):
            value = getattr(self, f.name)
            if not _accepts(hints[f.name], value):
                raise TypeError(f"{self.kind}: {f.name} cannot be {value!r}")

    def payload(self) -> dict[str, Any]:
        return {f.metadata.get("key", f.name): getattr(self, f.name) for f in fields(self)
                if f.name != "workspace_id" and getattr(self, f.name) is not None}

    @classmethod
    def from_payload(cls, workspace_id: int, payload: dict[str, Any]) -> Event:
        """The event an outbox row records (TypeError if the payload does not fit)."""
        names = {f.metadata.get("key", f.name): f.name for f in fields(cls) if f.name != "workspace_id"}
        unknown = sorted(set(payload) - set(names))
        if unknown:
            raise TypeError(f"{cls.kind}: unexpected payload keys {unknown}")
        return cls(workspace_id=workspace_id, **{names[k]: v for k, v in payload.items()})


_HINTS: dict[str, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    key = f"{cls.__module__}.{cls.__qualname__}"
    if key not in _HINTS:
        _HINTS[key] = typing.get_type_hints(cls)
    return _HINTS[key]


def _accepts(tp: Any, value: object) -> bool:
    origin = typing.get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        return any(_accepts(arg, value) for arg in typing.get_args(tp))
    if origin is Literal:
        return value in typing.get_args(tp)
    if tp is type(None):
        return value is None
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, tp)


def _aka(key: str) -> Any:
    """A field that travels in the payload as `key`."""
    return field(metadata={"key": key})


# The recorded event the bus is dispatching now: (its id, when it happened), set by
# bus.dispatch from its outbox row; subscribers that tell the outside world (webhooks) read it.
RECORD: ContextVar[tuple[str, datetime] | None] = ContextVar("event_record", default=None)


def raise_event(db: Session, event: Event) -> OutboxMessage:
    """Record `event` in the caller's transaction (it commits or rolls back with the change),
    and hand it to the recorders (`record`) in that same transaction."""
    if not event.kind:
        raise TypeError("An event needs a kind.")
    msg = outbox.enqueue(db, event.workspace_id, event.kind, event.payload())
    record(db, event)
    return msg


Recorder = Callable[[Session, "Event"], None]
# fn(db, event), called by raise_event inside the caller's transaction, in this order
RECORDERS: list[Recorder] = []
# the modules that register recorders (add_recorder) when imported: loaded on the first event
RECORDER_MODULES = ("portal_app.services.conversations.timeline",)
_recorders_loaded = False


def add_recorder(fn: Recorder) -> None:
    if fn not in RECORDERS:
        RECORDERS.append(fn)


def record(db: Session, event: Event) -> None:
    """Hand an event to every recorder, in the caller's transaction (raise_event does; a caller
    that writes the event's outbox row itself, e.g. with a unique key, calls it after)."""
    global _recorders_loaded
    if not _recorders_loaded:
        for name in RECORDER_MODULES:
            importlib.import_module(name)
        _recorders_loaded = True
    for fn in RECORDERS:
        fn(db, event)


def by_kind() -> dict[str, type[Event]]:
    """Every event class with a kind, by kind (the registry's test holds it to services/bus.py)."""
    found: dict[str, type[Event]] = {}
    todo: list[type[Event]] = [Event]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.kind:
            if found.setdefault(cls.kind, cls) is not cls:
                raise TypeError(f"Two event classes share the kind {cls.kind!r}.")
    return found


# --- invoices (services/billing) -------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class InvoiceSent(Event):
    """Staff sent (or sent again) an invoice to its client."""

    kind: ClassVar[str] = "invoice.sent"
    invoice: str
    number: str


@dataclass(frozen=True, kw_only=True)
class InvoiceViewed(Event):
    """The client opened the invoice for the first time."""

    kind: ClassVar[str] = "invoice.viewed"
    invoice: str


@dataclass(frozen=True, kw_only=True)
class _InvoiceMoney(Event):
    invoice: str
    number: str
    paid: int
    balance: int
    overpaid: bool


@dataclass(frozen=True, kw_only=True)
class InvoicePaid(_InvoiceMoney):
    """A payment settled the invoice (nothing left to pay)."""

    kind: ClassVar[str] = "invoice.paid"


@dataclass(frozen=True, kw_only=True)
class InvoicePaymentReceived(_InvoiceMoney):
    """A payment was booked and something is left to pay."""

    kind: ClassVar[str] = "invoice.payment"


@dataclass(frozen=True, kw_only=True)
class InvoiceVoided(Event):
    kind: ClassVar[str] = "invoice.voided"
    invoice: str
    number: str


@dataclass(frozen=True, kw_only=True)
class InvoiceRefunded(Event):
    """A refund was booked; `amount` is known when staff refunded (a Stripe webhook may book several)."""

    kind: ClassVar[str] = "invoice.refunded"
    invoice: str
    number: str
    balance: int
    amount: int | None = None


@dataclass(frozen=True, kw_only=True)
class InvoiceDisputed(Event):
    """The card holder's bank opened a dispute for `amount`."""

    kind: ClassVar[str] = "invoice.disputed"
    invoice: str
    amount: int


# --- documents (services/documents) ----------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class DocumentSent(Event):
    kind: ClassVar[str] = "document.sent"
    document: str


@dataclass(frozen=True, kw_only=True)
class DocumentViewed(Event):
    kind: ClassVar[str] = "document.viewed"
    document: str
    signer: str


@dataclass(frozen=True, kw_only=True)
class DocumentSigned(Event):
    kind: ClassVar[str] = "document.signed"
    document: str
    signer: str


@dataclass(frozen=True, kw_only=True)
class DocumentDeclined(Event):
    kind: ClassVar[str] = "document.declined"
    document: str
    signer: str


@dataclass(frozen=True, kw_only=True)
class DocumentCompleted(Event):
    """Everyone signed and the sealed PDF is stored."""

    kind: ClassVar[str] = "document.completed"
    document: str
    document_kind: str = _aka("kind")  # one of models.DOCUMENT_KINDS

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.document_kind not in DOCUMENT_KINDS:
            raise TypeError(f"document.completed: document_kind cannot be {self.document_kind!r}")


@dataclass(frozen=True, kw_only=True)
class DocumentVoided(Event):
    kind: ClassVar[str] = "document.voided"
    document: str


@dataclass(frozen=True, kw_only=True)
class DocumentExpired(Event):
    kind: ClassVar[str] = "document.expired"
    document: str


# --- files (services/files) ------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class FileShared(Event):
    """An item became visible to one contact, or to every client (`audience`)."""

    kind: ClassVar[str] = "file.shared"
    item: str
    item_kind: str = _aka("kind")  # one of models.ITEM_KINDS
    contact: str | None = None
    audience: Literal["all_clients"] | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.item_kind not in ITEM_KINDS:
            raise TypeError(f"file.shared: item_kind cannot be {self.item_kind!r}")
        if (self.contact is None) == (self.audience is None):
            raise TypeError("file.shared names one contact or the audience, not both.")


@dataclass(frozen=True, kw_only=True)
class FileDownloaded(Event):
    """A client downloaded a file for the first time."""

    kind: ClassVar[str] = "file.downloaded"
    item: str
    contact: str


@dataclass(frozen=True, kw_only=True)
class FileUploadedByClient(Event):
    kind: ClassVar[str] = "file.uploaded_by_client"
    item: str
    contact: str
    name: str
    size: int
    folder: str


# --- portal access (services/accounts) -------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class InviteAccepted(Event):
    """A contact accepted the portal invitation (chose a password): their account is active."""

    kind: ClassVar[str] = "invite.accepted"
    contact: str


@dataclass(frozen=True, kw_only=True)
class NewDeviceSignIn(Event):
    """Someone signed in to an account from a device (browser and OS family) it had not used
    before (services/accounts/devices.py); the account's owner is emailed."""

    kind: ClassVar[str] = "account.new_device"
    personal: ClassVar[bool] = True
    account_kind: Literal["staff", "client"]
    account: str  # the staff user's or the client contact's public id
    device: str   # "Firefox on Windows"
    ip: str
    at: str       # ISO time of the sign-in (UTC)


@dataclass(frozen=True, kw_only=True)
class PasswordChanged(Event):
    """An account's password changed: by its owner with the current one (`changed`) or by a
    reset link (`reset`); the account's owner is emailed."""

    kind: ClassVar[str] = "account.password_changed"
    personal: ClassVar[bool] = True
    account_kind: Literal["staff", "client"]
    account: str
    how: Literal["changed", "reset"]
    at: str


@dataclass(frozen=True, kw_only=True)
class TwoFactorChanged(Event):
    """Two-factor sign-in was turned on or off for a person (services/accounts/two_factor.py):
    `person` is the staff user's or the client's contact's public id."""

    kind: ClassVar[str] = "account.two_factor_changed"
    personal: ClassVar[bool] = True
    who: Literal["staff", "client"]
    person: str
    enabled: bool


# --- invoices, periodic (services/automations/overdue.py) ------------------------------------

@dataclass(frozen=True, kw_only=True)
class InvoiceOverdue(Event):
    """An open invoice's due date has passed (raised once per invoice by a periodic job)."""

    kind: ClassVar[str] = "invoice.overdue"
    invoice: str
    number: str
    due_date: str  # ISO date


# --- conversations (services/conversations) --------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class MessageReceived(Event):
    """A client wrote in their conversation with the business."""

    kind: ClassVar[str] = "message.received"
    conversation: str
    message: str
    contact: str


@dataclass(frozen=True, kw_only=True)
class MessageSent(Event):
    """Staff answered a client (a staff note raises nothing)."""

    kind: ClassVar[str] = "message.sent"
    conversation: str
    message: str
    contact: str


# --- appointments (services/appointments) ----------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class AppointmentBooked(Event):
    """An appointment was made for a contact: by staff, or booked by the client (`by`)."""

    kind: ClassVar[str] = "appointment.booked"
    appointment: str
    contact: str
    by: Literal["staff", "client"]
    booking_type: str | None = None


@dataclass(frozen=True, kw_only=True)
class AppointmentChanged(Event):
    """Something the client sees changed (time, place, title, notes); `sequence` is the new one."""

    kind: ClassVar[str] = "appointment.changed"
    appointment: str
    contact: str
    by: Literal["staff", "client"]
    sequence: int
    rescheduled: bool = False


@dataclass(frozen=True, kw_only=True)
class AppointmentCancelled(Event):
    kind: ClassVar[str] = "appointment.cancelled"
    appointment: str
    contact: str
    by: Literal["staff", "client"]
    sequence: int

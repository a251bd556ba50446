"""Business details and the ways to pay besides a card (Settings › Payments), and what an
invoice tells its client about paying: "How to pay" on the client's invoice page, the same
block on the staff invoice page, and the PDF.

Owners and admins save them (`save_instructions`: every field is checked before anything is
written, so an error leaves the stored details as they were). The readers get them already
read: the client's invoice page joins the row into its one invoice statement
(`columns` + `Instructions.from_row`), the staff page and the PDF read it by primary key
(`instructions_for`). No row means nothing entered and nothing offered.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import TypedDict

from sqlmodel import Session, col

from portal_app import limits
from portal_app.access import Actor, require_configure_payments, require_staff
from portal_app.db import AnyRow
from portal_app.errors import Invalid
from portal_app.models import PaymentInstructions, utcnow
from portal_app.services import audit
from portal_app.services.validation import clean_email, clean_phone, clean_text

# field -> (label, longest, several lines): limits.py, as the table's columns (models/billing.py)
TEXTS: dict[str, tuple[str, int, bool]] = {
    "legal_name": ("Legal or business name", limits.LEGAL_NAME, False),
    "address": ("Postal address", limits.POSTAL_ADDRESS, True),
    "tax_id": ("Tax ID / VAT number", limits.TAX_ID, False),
    "bank_holder": ("Account holder", limits.BANK_HOLDER, False),
    "bank_name": ("Bank name", limits.BANK_NAME, False),
    "bank_account": ("IBAN or account number", limits.BANK_ACCOUNT, False),
    "bank_code": ("BIC / SWIFT, routing or sort code", limits.BANK_CODE, False),
    "bank_reference": ("Reference hint", limits.BANK_REFERENCE, False),
    "cheque_payable_to": ("Cheques payable to", limits.CHEQUE_PAYABLE_TO, False),
    "cheque_address": ("Mail cheques to", limits.CHEQUE_ADDRESS, True),
    "other_text": ("Other instructions", limits.OTHER_INSTRUCTIONS, True),
}
OFFERED = ("bank_offered", "cheque_offered", "other_offered")
MAX_ADDRESS_LINES = 6
_IBAN = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}")
_LOOKS_IBAN = re.compile(r"[A-Za-z]{2}[0-9]{2}")
_ACCOUNT = re.compile(r"[A-Za-z0-9 ./-]+")
_BIC = re.compile(r"[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?")
_CODE = re.compile(r"[A-Za-z0-9 -]+")


@dataclass(frozen=True)
class Instructions:
    """One workspace's details, as read (every field; empty and not offered by default)."""
    legal_name: str = ""
    address: str = ""
    email: str = ""
    phone: str = ""
    tax_id: str = ""
    bank_offered: bool = False
    bank_holder: str = ""
    bank_name: str = ""
    bank_account: str = ""
    bank_code: str = ""
    bank_reference: str = ""
    cheque_offered: bool = False
    cheque_payable_to: str = ""
    cheque_address: str = ""
    other_offered: bool = False
    other_text: str = ""

    @classmethod
    def of(cls, row: PaymentInstructions | None) -> Instructions:
        if row is None:
            return cls()
        return cls(**{f.name: getattr(row, f.name) for f in fields(cls)})

    @classmethod
    def from_row(cls, row: AnyRow, prefix: str = "pi_") -> Instructions:
        """From a statement's row holding `columns(prefix)` (NULLs of an outer join: defaults)."""
        values = {f.name: getattr(row, prefix + f.name) for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if v is not None})

    @property
    def address_lines(self) -> list[str]:
        return [ln.strip() for ln in self.address.splitlines() if ln.strip()][:MAX_ADDRESS_LINES]


def columns(prefix: str = "pi_") -> tuple:
    """The row's columns, labelled `prefix + name`, for a statement that outer-joins the table."""
    return tuple(col(getattr(PaymentInstructions, f.name)).label(prefix + f.name) for f in fields(Instructions))


def instructions_for(db: Session, workspace_id: int) -> Instructions:
    """By primary key: callers have authorized the workspace already."""
    return Instructions.of(db.get(PaymentInstructions, workspace_id))


# ------------------------------------------------------------------ Settings › Payments


class InstructionsForm(TypedDict, total=False):
    """What the settings form shows ({} while refused): every text field, and each method's switch."""
    legal_name: str
    address: str
    email: str
    phone: str
    tax_id: str
    bank_offered: bool
    bank_holder: str
    bank_name: str
    bank_account: str
    bank_code: str
    bank_reference: str
    cheque_offered: bool
    cheque_payable_to: str
    cheque_address: str
    other_offered: bool
    other_text: str


def _form(ins: Instructions) -> InstructionsForm:
    return InstructionsForm(**{f.name: getattr(ins, f.name) for f in fields(Instructions)})  # type: ignore[typeddict-item]


def instructions_form(db: Session, actor: Actor) -> InstructionsForm:
    staff = require_configure_payments(actor)
    return _form(instructions_for(db, staff.workspace_id))


def iban_ok(compact: str) -> bool:
    """ISO 13616 check digits: the country and check digits moved to the end, letters as
    numbers (A = 10 … Z = 35), the whole number modulo 97 is 1."""
    if not _IBAN.fullmatch(compact):
        return False
    moved = compact[4:] + compact[:4]
    return int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1


def _account(text: str) -> str:
    """An IBAN (checked, printed in groups of four) or a plain account number."""
    if not text:
        return ""
    compact = re.sub(r"[\s-]", "", text).upper()
    if _LOOKS_IBAN.match(compact) and not compact.isdigit():
        if not iban_ok(compact):
            raise Invalid("That IBAN does not check out: its check digits do not match. Please look for a typo.",
                          "bank_account")
        return " ".join(compact[i:i + 4] for i in range(0, len(compact), 4))
    if not _ACCOUNT.fullmatch(text):
        raise Invalid("Account number may contain letters, digits, spaces and - . / only.", "bank_account")
    return text


def is_iban(account: str) -> bool:
    return iban_ok(account.replace(" ", ""))


def _checked(form: Mapping[str, object]) -> dict[str, object]:
    """Every field cleaned and checked, or Invalid naming the first wrong one."""
    out: dict[str, object] = {}
    for name, (label, limit, multiline) in TEXTS.items():
        text = clean_text(form.get(name, ""), name, label, limit, multiline=multiline)
        if multiline and text.count("\n") >= MAX_ADDRESS_LINES and name != "other_text":
            raise Invalid(f"{label} has too many lines (at most {MAX_ADDRESS_LINES}).", name)
        out[name] = text
    out["email"] = clean_email(form.get("email", ""), "email", "Email", required=False)
    out["phone"] = clean_phone(form.get("phone", ""), "phone")
    out["bank_account"] = _account(str(out["bank_account"]))
    code = str(out["bank_code"])
    if code and not _CODE.fullmatch(code):
        raise Invalid("BIC / SWIFT, routing or sort code may contain letters, digits, spaces and - only.",
                      "bank_code")
    if code and is_iban(str(out["bank_account"])) and not _BIC.fullmatch(code.replace(" ", "").upper()):
        raise Invalid("A BIC / SWIFT code has 8 or 11 letters and digits, like DEUTDEFF.", "bank_code")
    for name in OFFERED:
        out[name] = str(form.get(name, "")).lower() in ("on", "true", "1")
    if out["bank_offered"] and not out["bank_account"]:
        raise Invalid("Enter the IBAN or account number to offer bank transfer (or switch it off).",
                      "bank_account")
    if out["cheque_offered"] and not out["cheque_payable_to"]:
        raise Invalid("Enter whom cheques are payable to to offer cheques (or switch them off).",
                      "cheque_payable_to")
    if out["cheque_offered"] and not (out["cheque_address"] or out["address"]):
        raise Invalid("Enter where to mail cheques (or a postal address above).", "cheque_address")
    if out["other_offered"] and not out["other_text"]:
        raise Invalid("Write the other instructions to offer them (or switch them off).", "other_text")
    return out


def save_instructions(db: Session, actor: Actor, form: Mapping[str, object]) -> InstructionsForm:
    staff = require_configure_payments(actor)
    values = _checked(form)
    row = db.get(PaymentInstructions, staff.workspace_id) or PaymentInstructions(workspace_id=staff.workspace_id)
    for name, value in values.items():
        setattr(row, name, value)
    row.updated_at = utcnow()
    db.add(row)
    audit.record(db, staff.workspace_id, staff, "payments.instructions_saved", "workspace", str(staff.workspace_id),
                 {"offered": [n.removesuffix("_offered") for n in OFFERED if values[n]]})
    return _form(Instructions.of(row))


# ------------------------------------------------------------------ what an invoice says


class PayRow(TypedDict):
    label: str
    value: str
    copy: bool              # offer a copy button (account numbers, the reference)


class PayMethod(TypedDict):
    kind: str               # card | bank_transfer | cheque | other
    title: str
    note: str
    rows: list[PayRow]


class HowToPay(TypedDict):
    methods: list[PayMethod]
    banner: str             # what the top of a payable invoice says when no card payment is possible ("" = none)
    contact: str            # "billing@x.example · +44 20 …" ("" = nothing entered)


def _row(label: str, value: str, copy: bool = False) -> PayRow:
    return {"label": label, "value": value, "copy": copy}


def how_to_pay(ins: Instructions, *, business: str, number: str, balance: str, card: bool,
               payable: bool) -> HowToPay:
    """The offered ways to pay one invoice: `card` when the client can pay it online now,
    `payable` when something is left to pay (nothing is offered otherwise)."""
    methods: list[PayMethod] = []
    if payable and card:
        methods.append({"kind": "card", "title": "Card", "rows": [],
                        "note": "Pay online by card with Pay now on this invoice in your client portal."})
    if payable and ins.bank_offered and ins.bank_account:
        iban = is_iban(ins.bank_account)
        rows = [_row("Account holder", ins.bank_holder or ins.legal_name or business)]
        if ins.bank_name:
            rows.append(_row("Bank", ins.bank_name))
        rows.append(_row("IBAN" if iban else "Account number", ins.bank_account, True))
        if ins.bank_code:
            rows.append(_row("BIC / SWIFT" if iban else "Routing / sort code", ins.bank_code, True))
        rows += [_row("Reference", number, True), _row("Amount", balance)]
        methods.append({"kind": "bank_transfer", "title": "Bank transfer", "rows": rows,
                        "note": ins.bank_reference or f"Please use {number} as the payment reference."})
    if payable and ins.cheque_offered and ins.cheque_payable_to:
        mail_to = ins.cheque_address or "\n".join(ins.address_lines)
        methods.append({"kind": "cheque", "title": "Cheque", "note": f"Please write {number} on the back.",
                        "rows": [_row("Payable to", ins.cheque_payable_to), _row("Mail to", mail_to)]})
    if payable and ins.other_offered and ins.other_text:
        methods.append({"kind": "other", "title": "Other ways to pay", "note": ins.other_text, "rows": []})
    contact = " · ".join(p for p in (ins.email, ins.phone) if p)
    banner = ""
    if payable and not card:
        if methods:
            banner = "Online card payment is not available for this invoice. See How to pay below."
        else:
            banner = (f"To pay this invoice, please contact {business}" + (f" ({contact})" if contact else "")
                      + ".")
    return {"methods": methods, "banner": banner, "contact": contact}


def staff_how_to_pay(db: Session, actor: Actor, detail: Mapping[str, object], business: str) -> HowToPay:
    """The staff invoice page's copy of what the client sees (`detail`: invoice_views.invoice_detail
    of an invoice of the caller's workspace); a draft shows what its client will see once sent."""
    staff = require_staff(actor)
    owing = (str(detail.get("status")) in ("draft", "sent", "partially_paid", "overdue")
             and int(str(detail.get("balance_minor") or 0)) > 0)
    return how_to_pay(instructions_for(db, staff.workspace_id), business=business, number=str(detail.get("number")),
                      balance=str(detail.get("balance")), card=owing and bool(detail.get("stripe_ready")),
                      payable=owing)

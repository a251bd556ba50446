"""Staff invoice pages (state/staff/invoice_list.py, invoice_editor.py, invoice_detail.py) driven
through their event handlers, as the browser would: the list, the editor (new and edit), and
one invoice with its actions.

Handlers run on a real State tree whose router carries the Host and the HttpOnly session
cookie, like the authorization matrix (tests/support/states.py run_handler); one tree per page
visit, so a page's vars carry from one handler to the next as in a browser tab.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import func, select

from portal_app.models import Invoice, LedgerEntry, OutboxMessage, base, utcnow
from tests.support.clock import Clock
from tests.support.tabs import Tab

HOST_A, HOST_B = "alpha.example.test", "beta.example.test"


def redirect_path(result) -> str:
    """The path of an rx.redirect returned by a handler."""
    assert result is not None, "expected a redirect"
    args = {str(k): v for k, v in result.args}
    return args["path"]._var_value


@pytest.fixture
def sessions(world, db):
    from portal_app.models import StaffUser
    from portal_app.services.accounts.auth import start_client_session, start_staff_session

    tokens = {
        "owner": (HOST_A, start_staff_session(db, world.owner_user)),
        "member": (HOST_A, start_staff_session(db, db.get(StaffUser, world.member_a.user_id))),
        "staff_b": (HOST_B, start_staff_session(db, db.get(StaffUser, world.staff_b.user_id))),
        "client": (HOST_A, start_client_session(db, world.account_a1)),
        "anon": (HOST_A, None),
    }
    db.commit()
    return tokens


def open_tab(sessions, who: str, state_cls, path: str) -> Tab:
    host, cookie = sessions[who]
    return Tab(state_cls, path, host, cookie)


def editor_form(tab: Tab, lines: list[tuple[str, str, str, str]], **fields) -> dict:
    """What the editor's <form> submits: one set of named inputs per line key."""
    while len(tab.lines) < len(lines):
        tab("add_line")
    while len(tab.lines) > len(lines):
        tab("remove_line", tab.lines[-1]["key"])
    form = {"currency": tab.currency, "issue_date": tab.issue_date, "due_date": tab.due_date,
            "discount_kind": "none", "discount_value": "", "notes": "", "terms": ""}
    for line, (desc, qty, price, tax) in zip(tab.lines, lines, strict=True):
        k = line["key"]
        form.update({f"description_{k}": desc, f"quantity_{k}": qty, f"unit_price_{k}": price, f"tax_rate_{k}": tax})
    form.update(fields)
    return form


def invoice_count(db) -> int:
    db.expire_all()
    return db.exec(select(func.count()).select_from(Invoice)).one()


def new_editor(sessions, who="owner", contact=None, world=None) -> Tab:
    from portal_app.state.staff.invoice_editor import InvoiceEditorState

    tab = open_tab(sessions, who, InvoiceEditorState, "/staff/invoices/new")
    tab("load")
    assert tab._outcome == "ok" and tab.found
    if contact is not None:
        tab("find_contacts", contact.first_name)
        tab("choose_contact", contact.public_id)
        assert tab.contact["public_id"] == contact.public_id
    return tab


def detail(sessions, who: str, public_id: str) -> Tab:
    from portal_app.state.staff.invoice_detail import StaffInvoiceState

    tab = open_tab(sessions, who, StaffInvoiceState, f"/staff/invoices/{public_id}")
    tab("load")
    return tab


# --- the whole journey -----------------------------------------------------------------------

@pytest.mark.parametrize("who", ["owner", "member"])
def test_create_edit_send_and_get_paid(world, db, sessions, who, monkeypatch):
    monkeypatch.setattr(base, "clock", Clock())  # one "today" for the editor's defaults and the checks below
    from portal_app.state.staff.invoice_detail import StaffInvoiceState
    from portal_app.state.staff.invoice_editor import InvoiceEditorState
    from portal_app.state.staff.invoice_list import StaffInvoicesState

    # New invoice: defaults, a client picked by search, a live preview of the totals
    ed = new_editor(sessions, who, world.contact_a1)
    assert ed.currency == "USD" and ed.issue_date == utcnow().date().isoformat()
    assert ed.due_date == (utcnow().date() + timedelta(days=30)).isoformat()
    key = ed.lines[0]["key"]
    ed("set_line", key, "unit_price", "1,250.00")
    ed("set_line", key, "quantity", "2")
    ed("set_line", key, "tax_rate", "8.875")
    assert ed.totals == {"subtotal": "2,500.00 USD", "discount": "", "tax": "221.88 USD", "total": "2,721.88 USD"}
    ed("set_discount_kind", "percent")
    ed("set_discount_value", "10")
    assert ed.totals["discount"] == "\u2212250.00 USD" and ed.totals["total"] == "2,449.69 USD"

    result = ed("save", editor_form(ed, [("Design work", "2", "1,250.00", "8.875"), ("Hosting", "1", "9.99", "0")],
                                    discount_kind="percent", discount_value="10", notes="Thanks!", terms="Net 30"))
    assert ed._outcome == "ok", ed.error
    public_id = redirect_path(result).rsplit("/", 1)[-1]
    # the invoice page says what happened
    page = ed.go(StaffInvoiceState, redirect_path(result))
    page("load")
    assert page.notice == "Draft INV-0001 saved." and page.inv["status"] == "draft"
    assert [ln["description"] for ln in page.lines] == ["Design work", "Hosting"]
    assert page.inv["discount"] == "\u2212251.00 USD" and page.inv["total"] == "2,458.68 USD"

    # Edit the draft: the form comes back as typed (plain numbers, ISO dates)
    ed = open_tab(sessions, who, InvoiceEditorState, f"/staff/invoices/{public_id}/edit")
    ed("load")
    assert ed.found and ed.invoice_id == public_id and ed.contact["name"] == "Alice Client"
    assert [(ln["description"], ln["quantity"], ln["unit_price"], ln["tax_rate"]) for ln in ed.lines] == [
        ("Design work", "2", "1250.00", "8.875"), ("Hosting", "1", "9.99", "0")]
    assert (ed.discount_kind, ed.discount_value, ed.notes, ed.terms) == ("percent", "10", "Thanks!", "Net 30")
    ed("remove_line", ed.lines[1]["key"])
    ed("set_intent", "send")
    result = ed("save", editor_form(ed, [("Design work", "2", "1250.00", "0")], discount_kind="fixed",
                                    discount_value="100"))
    assert ed._outcome == "ok", ed.error
    assert redirect_path(result) == f"/staff/invoices/{public_id}"
    assert ed.other(StaffInvoiceState)._flash == ("Invoice INV-0001 sent. An email with a link to it is on its way "
                                                  "to alice@client.example.")

    # The invoice: sent, not viewed yet; a partial payment, then the rest
    page = detail(sessions, who, public_id)
    assert page.inv["status"] == "sent" and page.inv["total"] == "2,400.00 USD" and page.inv["sent"]
    assert page.inv["viewed"] == "" and page.inv["balance_plain"] == "2400.00"
    page("open_dialog", "payment")
    page("record_payment", {"amount": "400", "method": "check", "reference": "No. 1001"})
    assert page._outcome == "ok" and page.dialog == ""
    assert page.notice == "Payment of 400.00 USD recorded."
    assert page.inv["status"] == "partially_paid" and page.inv["balance"] == "2,000.00 USD"
    assert page.payments[0]["reference"] == "No. 1001" and page.payments[0]["method"] == "Check"
    page("open_dialog", "payment")
    page("record_payment", {"amount": page.inv["balance_plain"], "method": "bank_transfer", "reference": ""})
    assert page.inv["status"] == "paid" and page.inv["balance"] == "0.00 USD" and len(page.payments) == 2

    # A paid invoice cannot be voided: the refusal stays in the open dialog
    page("open_dialog", "void")
    page("void")
    assert page._outcome == "invalid" and page.dialog == "void"
    assert page.dialog_error == "An invoice with payments cannot be voided; refund the payments first."
    assert page.inv["status"] == "paid"

    # The list: filter by status and client from the URL; nothing outstanding
    listing = open_tab(sessions, who, StaffInvoicesState,
                       f"/staff/invoices?status=paid&contact={world.contact_a1.public_id}")
    listing("load")
    assert [r["number"] for r in listing.rows] == ["INV-0001"] and listing.contact_label == "Alice Client"
    assert listing.outstanding == []
    db.expire_all()
    paid = db.exec(select(OutboxMessage).where(OutboxMessage.kind == "invoice.paid")).all()
    kinds = [json.loads(m.payload).get("invoice") for m in paid]
    assert kinds == [public_id]


# --- bad input keeps the form ----------------------------------------------------------------

def test_bad_input_keeps_the_form_and_says_what_is_wrong(world, db, sessions):
    ed = new_editor(sessions)
    before = invoice_count(db)

    # no client chosen
    ed("save", editor_form(ed, [("Work", "1", "100", "0")]))
    assert ed._outcome == "invalid" and ed.field_errors["contact"] == "Choose the client this invoice is for."

    ed("find_contacts", "bob")
    ed("choose_contact", world.contact_a2.public_id)
    # a price that is not a number: the message sits on its line, the typing stays
    form = editor_form(ed, [("Work", "1", "12,5.0x", "0"), ("Travel", "1.5", "80", "abc")], notes="Keep me")
    ed("save", form)
    assert ed._outcome == "invalid"
    assert [ln["error"] for ln in ed.lines] == ["Unit price must be a number like 1250.00.",
                                                "Tax rate must be a number."]
    assert [ln["unit_price"] for ln in ed.lines] == ["12,5.0x", "80"] and ed.notes == "Keep me"
    assert ed.error.startswith("Not saved yet: check line 1, 2:")
    assert "Traceback" not in json.dumps(ed.state.dict(), default=str)

    # the live preview says the same while typing
    ed("set_line", ed.lines[0]["key"], "unit_price", "-3")
    assert ed.lines[0]["error"] == "Unit price cannot be negative." and ed.totals == {}

    # the due date before the issue date: the service's message, next to the due date
    ed("save", editor_form(ed, [("Work", "1", "100", "0")], issue_date="2026-05-10", due_date="2026-05-01"))
    assert ed.field_errors["due_date"] == "The due date cannot be before the issue date."
    assert ed.issue_date == "2026-05-10" and ed.due_date == "2026-05-01"

    # a discount larger than the subtotal (the dates put right)
    dates = {"issue_date": "2026-05-01", "due_date": "2026-05-31"}
    ed("save", editor_form(ed, [("Work", "1", "100", "0")], discount_kind="fixed", discount_value="150", **dates))
    assert ed.field_errors["discount"] == "The discount is larger than the invoice's subtotal."

    # Save and send on a zero invoice: refused, and no draft is left behind either
    ed("set_intent", "send")
    ed("save", editor_form(ed, [("Free consultation", "1", "0", "0")], **dates))
    assert ed.error == "Not saved yet: an invoice needs a total above zero before it is sent."
    assert invoice_count(db) == before

    # a bad payment amount keeps the dialog open with the message; no ledger row
    ed("set_intent", "send")
    result = ed("save", editor_form(ed, [("Work", "1", "100", "0")], **dates))
    page = detail(sessions, "owner", redirect_path(result).rsplit("/", 1)[-1])
    for amount, message in [("abc", "Amount must be a number like 1250.00."),
                            ("0", "The amount must be more than zero."),
                            ("1.234", "Amount can have at most 2 decimals in USD.")]:
        page("open_dialog", "payment")
        page("record_payment", {"amount": amount, "method": "cash", "reference": ""})
        assert (page._outcome, page.dialog, page.dialog_error) == ("invalid", "payment", message)
    page("record_payment", {"amount": "10", "method": "card", "reference": ""})
    assert page.dialog_error == "Choose how the payment was made."
    db.expire_all()
    assert db.exec(select(func.count()).select_from(LedgerEntry)).one() == 0


def test_a_sent_invoice_is_not_edited(world, db, sessions):
    from portal_app.services.billing.invoices import create_invoice, send_invoice
    from portal_app.state.staff.invoice_editor import InvoiceEditorState

    inv = create_invoice(db, world.staff_a, contact_public_id=world.contact_a1.public_id,
                         lines=[{"description": "X", "quantity": "1", "unit_minor": 500, "tax_rate": "0"}])
    send_invoice(db, world.staff_a, inv.public_id)
    db.commit()
    ed = open_tab(sessions, "owner", InvoiceEditorState, f"/staff/invoices/{inv.public_id}/edit")
    ed("load")
    assert not ed.found and ed.refusal.startswith("Only a draft can be edited")
    assert ed.invoice_id == inv.public_id and ed.lines == []


# --- void, delete, send again ----------------------------------------------------------------

def test_void_delete_and_resend(world, db, sessions):
    from portal_app.services.billing.invoices import create_invoice, send_invoice
    from portal_app.state.staff.invoice_list import StaffInvoicesState

    lines = [{"description": "X", "quantity": "1", "unit_minor": 500, "tax_rate": "0"}]
    sent = create_invoice(db, world.staff_a, contact_public_id=world.contact_a1.public_id, lines=lines)
    send_invoice(db, world.staff_a, sent.public_id)
    draft = create_invoice(db, world.staff_a, contact_public_id=world.contact_a1.public_id, lines=lines)
    db.commit()

    page = detail(sessions, "owner", sent.public_id)
    page("send")
    assert page.notice == "Invoice INV-0001 sent again. An email with a link to it is on its way to alice@client.example."
    page("open_dialog", "void")
    page("void")
    assert page._outcome == "ok" and page.inv["status"] == "void" and page.dialog == ""

    page = detail(sessions, "owner", draft.public_id)
    page("open_dialog", "delete")
    result = page("delete")
    assert redirect_path(result) == "/staff/invoices"
    listing = page.go(StaffInvoicesState, redirect_path(result))
    listing("load")
    assert listing.notice == "Draft INV-0002 deleted."
    assert [(r["number"], r["status"]) for r in listing.rows] == [("INV-0001", "void")]
    assert invoice_count(db) == 1


# --- the list ---------------------------------------------------------------------------------

def test_list_filters_pages_and_outstanding(world, db, sessions):
    from portal_app.services.billing.invoice_views import PER_PAGE
    from portal_app.services.billing.invoices import create_invoice, record_manual_payment, send_invoice
    from portal_app.state.staff.invoice_list import StaffInvoicesState

    today = utcnow().date()

    def make(contact, unit, currency="USD", due=None, send=True):
        inv = create_invoice(db, world.staff_a, contact_public_id=contact.public_id, currency=currency,
                             issue_date=today - timedelta(days=40), due_date=due or today + timedelta(days=5),
                             lines=[{"description": "X", "quantity": "1", "unit_minor": unit, "tax_rate": "0"}])
        if send:
            send_invoice(db, world.staff_a, inv.public_id)
        return inv

    make(world.contact_a1, 10_000)
    late = make(world.contact_a2, 5_000, due=today - timedelta(days=3))
    make(world.contact_a1, 7_000, currency="EUR")
    part = make(world.contact_a2, 2_000)
    record_manual_payment(db, world.staff_a, part.public_id, amount_minor=500, method="cash")
    make(world.contact_a1, 999, send=False)
    db.commit()

    listing = open_tab(sessions, "owner", StaffInvoicesState, "/staff/invoices")
    listing("load")
    assert listing.total == 5
    assert listing.outstanding == [{"currency": "EUR", "amount": "70.00 EUR"},
                                   {"currency": "USD", "amount": "165.00 USD"}]
    by_number = {r["number"]: r for r in listing.rows}
    assert by_number[late.number]["status_label"] == "Overdue"
    assert by_number[part.number]["balance"] == "15.00 USD"

    for status, numbers in [("overdue", [late.number]), ("draft", ["INV-0005"]), ("partially_paid", [part.number]),
                            ("bogus", None)]:
        tab = open_tab(sessions, "owner", StaffInvoicesState, f"/staff/invoices?status={status}")
        tab("load")
        if numbers is None:
            assert tab.status == "" and tab.total == 5   # an unknown filter shows everything
        else:
            assert [r["number"] for r in tab.rows] == numbers and tab.status == status

    tab = open_tab(sessions, "owner", StaffInvoicesState, f"/staff/invoices?contact={world.contact_a2.public_id}")
    tab("load")
    assert {r["contact"] for r in tab.rows} == {"Bob Client"} and tab.contact_label == "Bob Client"
    assert redirect_path(tab("set_status", "overdue")) == (
        f"/staff/invoices?status=overdue&contact={world.contact_a2.public_id}")
    assert redirect_path(tab("clear_contact")) == "/staff/invoices"
    tab("find_contacts", "ali")
    assert [c["name"] for c in tab.contact_options] == ["Alice Client"]
    assert redirect_path(tab("filter_contact", world.contact_a1.public_id)) == (
        f"/staff/invoices?contact={world.contact_a1.public_id}")

    # pages: the number in the URL is clamped; 25 a page
    for _ in range(PER_PAGE):
        make(world.contact_a1, 100, send=False)
    db.commit()
    tab = open_tab(sessions, "owner", StaffInvoicesState, "/staff/invoices?page=9")
    tab("load")
    assert (tab.page, tab.pages, len(tab.rows)) == (2, 2, 5)
    tab = open_tab(sessions, "owner", StaffInvoicesState, "/staff/invoices?page=x")
    tab("load")
    assert (tab.page, len(tab.rows)) == (1, PER_PAGE)


# --- who may --------------------------------------------------------------------------------

def test_staff_of_another_workspace_cannot_open_or_act_on_an_invoice_by_url(world, db, sessions):
    from portal_app.services.billing.invoices import create_invoice, send_invoice
    from portal_app.state.staff.invoice_editor import InvoiceEditorState
    from portal_app.state.staff.invoice_list import StaffInvoicesState

    lines = [{"description": "Secret work", "quantity": "1", "unit_minor": 500, "tax_rate": "0"}]
    draft = create_invoice(db, world.staff_a, contact_public_id=world.contact_a1.public_id, lines=lines)
    sent = create_invoice(db, world.staff_a, contact_public_id=world.contact_a1.public_id, lines=lines)
    send_invoice(db, world.staff_a, sent.public_id)
    db.commit()

    page = detail(sessions, "staff_b", sent.public_id)
    assert page._outcome == "denied" and not page.found and page.refusal == "This invoice does not exist."
    assert page.inv == {} and page.lines == []
    for handler, args in [("send", ()), ("void", ()), ("record_payment", ({"amount": "5", "method": "cash"},))]:
        page(handler, *args)
        assert page._outcome == "denied", handler
        assert "Secret work" not in json.dumps(page.state.dict(), default=str)
    ed = open_tab(sessions, "staff_b", InvoiceEditorState, f"/staff/invoices/{draft.public_id}/edit")
    ed("load")
    assert ed._outcome == "denied" and not ed.found and ed.lines == []
    ed("save", {"description_l1": "Mine now", "quantity_l1": "1", "unit_price_l1": "1", "tax_rate_l1": "0",
                "currency": "USD", "issue_date": "", "due_date": ""})
    assert ed._outcome == "denied"
    page = detail(sessions, "staff_b", draft.public_id)
    page("delete")
    assert page._outcome == "denied"

    # their list holds none of A's invoices, whatever the URL says
    listing = open_tab(sessions, "staff_b", StaffInvoicesState,
                       f"/staff/invoices?contact={world.contact_a1.public_id}")
    listing("load")
    assert listing._outcome == "ok" and listing.rows == [] and listing.outstanding == []
    assert listing.contact_label == "a client that no longer exists"

    db.expire_all()
    fresh = {i.public_id: i for i in db.exec(select(Invoice)).all()}
    assert fresh[draft.public_id].status == "draft" and fresh[sent.public_id].status == "sent"
    assert db.exec(select(func.count()).select_from(LedgerEntry)).one() == 0


@pytest.mark.parametrize("who, outcome", [("client", "denied"), ("anon", "signin")])
def test_clients_and_strangers_get_nothing(world, db, sessions, who, outcome):
    from portal_app.services.billing.invoices import create_invoice
    from portal_app.state.staff.invoice_editor import InvoiceEditorState
    from portal_app.state.staff.invoice_list import StaffInvoicesState

    inv = create_invoice(db, world.staff_a, contact_public_id=world.contact_a1.public_id,
                         lines=[{"description": "X", "quantity": "1", "unit_minor": 500, "tax_rate": "0"}])
    db.commit()
    listing = open_tab(sessions, who, StaffInvoicesState, "/staff/invoices")
    listing("load")
    assert listing._outcome == outcome and listing.rows == []
    ed = open_tab(sessions, who, InvoiceEditorState, "/staff/invoices/new")
    ed("load")
    assert ed._outcome == outcome and ed.contact_options == []
    page = detail(sessions, who, inv.public_id)
    assert page._outcome == outcome and page.inv == {}


def test_an_overpayment_is_flagged_on_the_page_and_in_the_list(world, db, sessions):
    from portal_app.services.billing.invoices import create_invoice, send_invoice
    from portal_app.state.staff.invoice_list import StaffInvoicesState

    inv = create_invoice(db, world.staff_a, contact_public_id=world.contact_a1.public_id, currency="EUR",
                         lines=[{"description": "X", "quantity": "1", "unit_minor": 5_000, "tax_rate": "0"}])
    send_invoice(db, world.staff_a, inv.public_id)
    db.commit()
    page = detail(sessions, "owner", inv.public_id)
    assert not page.overpaid
    page("open_dialog", "payment")
    page("record_payment", {"amount": "60.00", "method": "bank_transfer", "reference": "wire 77"})
    assert page.overpaid and page.inv["status"] == "paid" and page.inv["balance"] == "\u221210.00 EUR"
    assert page.inv["balance_plain"] == "0.00"   # the next payment is not prefilled with a negative amount
    listing = open_tab(sessions, "owner", StaffInvoicesState, "/staff/invoices")
    listing("load")
    assert listing.rows[0]["overpaid"] is True and listing.outstanding == []


# --- refunds -----------------------------------------------------------------------------------

def _paid_by_check(db, world) -> tuple[str, str]:
    from portal_app.services.billing.invoices import create_invoice, record_manual_payment, send_invoice

    inv = create_invoice(db, world.staff_a, contact_public_id=world.contact_a1.public_id,
                         lines=[{"description": "Work", "quantity": "1", "unit_minor": 10_000, "tax_rate": "0"}])
    send_invoice(db, world.staff_a, inv.public_id)
    pay = record_manual_payment(db, world.staff_a, inv.public_id, amount_minor=6_000, method="check",
                                reference="No. 1001")
    db.commit()
    return inv.public_id, pay.public_id


def test_refund_dialog_keeps_errors_and_books_the_refund(world, db, sessions):
    invoice_id, payment_id = _paid_by_check(db, world)
    page = detail(sessions, "owner", invoice_id)
    assert page.can_refund and page.payments[0]["can_refund"] == "1"
    assert page.payments[0]["refundable_plain"] == "60.00"
    # the vars carry exactly what their view types name (state/staff/invoice_detail.py)
    from portal_app.state.staff.invoice_detail import StaffInvoiceView, StaffPayment

    assert set(page.inv) == set(StaffInvoiceView.__annotations__)
    assert set(page.payments[0]) == set(StaffPayment.__annotations__)
    page("open_refund", payment_id)
    assert page.dialog == "refund" and page.refund_target["refundable"] == page.payments[0]["refundable"]
    # too much: the message is about the amount field; the dialog stays open, nothing booked
    page("refund_payment", {"refund_amount": "60.01", "reason": "Too much"})
    assert page.dialog == "refund" and page.dialog_field == "amount"
    assert page.dialog_error.startswith("At most 60.00 USD") and page.notice == ""
    page("refund_payment", {"refund_amount": "lots", "reason": ""})
    assert page.dialog == "refund" and page.dialog_field == "amount" and page.dialog_error
    page("refund_payment", {"refund_amount": "15", "reason": "Cancelled session"})
    assert page._outcome == "ok" and page.dialog == "" and page.notice == "Refunded 15.00 USD."
    kinds = [(p["kind_label"], p["amount"], p["note"]) for p in page.payments]
    assert kinds == [("Payment", "60.00 USD", ""), ("Refund", "\u221215.00 USD", "Cancelled session")]
    assert page.inv["refunded"] == "15.00 USD" and page.inv["paid"] == "45.00 USD"
    assert page.inv["status"] == "partially_paid" and page.payments[0]["refundable_plain"] == "45.00"
    assert page.payments[1]["can_refund"] == ""  # a refund row is not refundable
    db.expire_all()
    assert db.exec(select(func.count()).select_from(LedgerEntry).where(LedgerEntry.kind == "refund")).one() == 1


def test_members_get_no_refund_button_and_a_forged_refund_is_refused(world, db, sessions):
    invoice_id, payment_id = _paid_by_check(db, world)
    page = detail(sessions, "member", invoice_id)
    assert page._outcome == "ok" and not page.can_refund and page.payments[0]["can_refund"] == ""
    page("open_refund", payment_id)
    assert page.dialog == ""
    page("refund_payment", {"refund_amount": "10"})
    assert page._outcome == "denied"
    db.expire_all()
    assert db.exec(select(func.count()).select_from(LedgerEntry).where(LedgerEntry.kind == "refund")).one() == 0

"""Every free-text field has a length limit, checked in the service, with one table of limits
(portal_app/limits.py) that the forms read too.

For each service: a value at the limit is accepted; one character more is refused with a
message naming the field and the limit ("First name can be at most 80 characters."), and
nothing is written (no object of the session is new or changed). Then every text input of
every page carries the same `max_length` as the service's limit, so the browser stops typing
where the service would refuse."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from portal_app import limits
from portal_app.errors import Invalid
from portal_app.services.accounts import contacts, profile, team
from portal_app.services.billing import invoices, payment_settings
from portal_app.services.conversations import canned, inbox
from portal_app.services.documents import documents, signing
from portal_app.services.files import files
from portal_app.services.portal import hostnames, portal_settings, workspaces
from portal_app.services.security import password_problem
from portal_app.services.webhooks import endpoints as webhook_endpoints
from tests.support.docs import draft, sent

LINE = {"description": "Work", "quantity": "1", "unit_minor": 1_000, "tax_rate": "0"}


def _contact(db, w, v):
    contacts.create_contact(db, w.staff_a, {"first_name": v, "last_name": "L", "email": "new@client.example"})


def _contact_update(field: str) -> Callable:
    def call(db, w, v):
        values = {"first_name": "Alice", "last_name": "Client", "email": w.contact_a1.email, field: v}
        contacts.update_contact(db, w.staff_a, w.contact_a1.public_id, values)
    return call


def _profile(db, w, v):
    profile.update_profile(db, w.client_a1, {"first_name": "Alice", "last_name": "Client", "city": v})


def _portal_title(db, w, v):
    portal_settings.update_portal_settings(db, w.staff_a, portal_title=v, accent_color="#2563eb", brand_primary=None,
                                           brand_secondary=None, sections={}, chat_widget=False)


def _workspace(db, w, v):
    workspaces.create_workspace(db, name=v, base_url="https://gamma.example.test", owner_email="o@gamma.example",
                                owner_name="Gia", owner_password=w.password, is_default=False)


def _invoice(**kw) -> Callable:
    def call(db, w, v):
        args = {k: (v if val is None else val) for k, val in kw.items()}
        lines = [{**LINE, "description": v}] if "line" in args else [LINE]
        args.pop("line", None)
        invoices.create_invoice(db, w.staff_a, contact_public_id=w.contact_a1.public_id, lines=lines, **args)
    return call


def _prefix(db, w, v):
    payment_settings.save_invoice_settings(db, w.staff_a, invoice_prefix=v, default_currency="USD",
                                           allow_partial=False, min_partial="")


def _document_title(db, w, v):
    from tests.support.docs import pdf_bytes

    documents.upload_document(db, w.staff_a, data=pdf_bytes(1), file_name="a.pdf", kind="contract", title=v,
                              contact_public_id=w.contact_a1.public_id)


def _void_reason(db, w, v):
    doc = draft(db, w)
    db.commit()
    documents.void_document(db, w.staff_a, doc.public_id, v)


def _decline_reason(db, w, v):
    doc = sent(db, w)
    signing.decline_document(db, w.client_a1, doc.public_id, v)


# (service call, limit, label in the message, a value's filler so it stays valid)
CASES: dict[str, tuple[Callable, int, str, Callable[[int], str]]] = {
    "contact first name": (_contact, limits.FIRST_NAME, "First name", lambda n: "x" * n),
    "contact company": (_contact_update("company"), limits.COMPANY, "Company", lambda n: "x" * n),
    "contact notes": (_contact_update("notes"), limits.CONTACT_NOTES, "Notes", lambda n: "x" * n),
    "contact address": (_contact_update("address_line1"), limits.ADDRESS_LINE, "Address line 1", lambda n: "x" * n),
    "contact phone": (_contact_update("phone"), limits.PHONE, "Phone", lambda n: "5" * n),
    "contact search": (lambda db, w, v: contacts.list_contacts(db, w.staff_a, v), limits.SEARCH, "Search",
                       lambda n: "x" * n),
    "profile city": (_profile, limits.CITY, "City", lambda n: "x" * n),
    "team invitation name": (lambda db, w, v: team.invite_staff(db, w.staff_a, email="t@alpha.example", name=v,
                                                                role="member"),
                             limits.STAFF_NAME, "Name", lambda n: "x" * n),
    "business name": (_workspace, limits.BUSINESS_NAME, "Business name", lambda n: "x" * n),
    "portal title": (_portal_title, limits.PORTAL_TITLE, "Portal title", lambda n: "x" * n),
    "sender name": (lambda db, w, v: portal_settings.update_portal_settings(
        db, w.staff_a, portal_title="T", accent_color="#2563eb", brand_primary=None, brand_secondary=None,
        sections={}, chat_widget=False, sender_name=v), limits.SENDER_NAME, "Sender name", lambda n: "x" * n),
    "folder name": (lambda db, w, v: files.create_folder(db, w.staff_a, name=v), limits.FILE_NAME, "Folder name",
                    lambda n: "x" * n),
    "link title": (lambda db, w, v: files.add_link(db, w.staff_a, title=v, url="https://example.com/"),
                   limits.FILE_NAME, "Title", lambda n: "x" * n),
    "link address": (lambda db, w, v: files.add_link(db, w.staff_a, title="Site", url=v), limits.LINK_URL, "Link",
                     lambda n: "https://example.com/" + "x" * (n - 20)),
    "link description": (lambda db, w, v: files.add_link(db, w.staff_a, title="Site", url="https://example.com/",
                                                         description=v),
                         limits.LINK_DESCRIPTION, "Description", lambda n: "x" * n),
    "file search": (lambda db, w, v: files.contact_choices(db, w.staff_a, v), limits.SEARCH, "Search",
                    lambda n: "x" * n),
    "invoice line": (_invoice(line=True), limits.LINE_DESCRIPTION, "Line 1 description", lambda n: "x" * n),
    "invoice notes": (_invoice(notes=None), limits.INVOICE_NOTES, "Notes", lambda n: "x" * n),
    "invoice terms": (_invoice(terms=None), limits.INVOICE_TERMS, "Terms", lambda n: "x" * n),
    "invoice number prefix": (_prefix, limits.INVOICE_PREFIX, "Invoice number prefix", lambda n: "x" * n),
    "document title": (_document_title, limits.DOCUMENT_TITLE, "Title", lambda n: "x" * n),
    "void reason": (_void_reason, limits.VOID_REASON, "Reason", lambda n: "x" * n),
    "decline reason": (_decline_reason, limits.DECLINE_REASON, "Reason", lambda n: "x" * n),
    # a public address literal: no DNS asked
    "webhook URL": (lambda db, w, v: webhook_endpoints.create_endpoint(db, w.staff_a, url=v), limits.WEBHOOK_URL,
                    "URL", lambda n: "https://93.184.216.34/" + "x" * (n - 22)),
    "webhook description": (lambda db, w, v: webhook_endpoints.create_endpoint(
        db, w.staff_a, url="https://93.184.216.34/in", description=v), limits.WEBHOOK_DESCRIPTION, "Description",
        lambda n: "x" * n),
    "canned reply title": (lambda db, w, v: canned.create_reply(db, w.staff_a, v, "Body"), limits.CANNED_REPLY_TITLE,
                           "Title", lambda n: "x" * n),
    "canned reply": (lambda db, w, v: canned.create_reply(db, w.staff_a, "Title", v), limits.CHAT_MESSAGE, "Reply",
                     lambda n: "x" * n),
    "inbox search": (lambda db, w, v: inbox.inbox(db, w.staff_a, q=v), limits.SEARCH, "Search", lambda n: "x" * n),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_one_character_past_the_limit_is_refused_and_nothing_is_written(db, world, case, store):
    call, limit, label, value = CASES[case]
    assert len(value(limit)) == limit
    with pytest.raises(Invalid) as refused:
        call(db, world, value(limit + 1))
    assert refused.value.message == f"{label} can be at most {limit} characters."
    assert not db.new and not db.dirty, "a refused value must leave nothing half-written"
    db.rollback()
    call(db, world, value(limit))  # the limit itself is accepted
    db.flush()


def test_a_password_has_an_upper_bound_too():
    """argon2 hashes whatever it is given: an upper bound keeps a sign-up from costing much."""
    assert password_problem("x" * limits.PASSWORD) is None
    assert password_problem("x" * (limits.PASSWORD + 1)) == f"Use at most {limits.PASSWORD} characters."


def test_the_contact_columns_are_sized_from_the_same_table():
    from portal_app.models import CONTACT_FIELDS, Contact, FileItem

    for name, limit in CONTACT_FIELDS.items():
        assert Contact.__table__.c[name].type.length == limit
    assert Contact.__table__.c["notes"].type.length == limits.CONTACT_NOTES
    assert FileItem.__table__.c["name"].type.length == limits.FILE_NAME


# ---- the forms: every text input carries the service's limit ----

# input (its name, else its id; a line item's name without its row key) -> the limit it must carry
FORM_LIMITS = {
    "q": limits.SEARCH, "inv-client": limits.SEARCH, "doc-contact": limits.SEARCH, "contact_search": limits.SEARCH,
    "share-find": limits.SEARCH,
    "first_name": limits.FIRST_NAME, "last_name": limits.LAST_NAME, "company": limits.COMPANY,
    "phone": limits.PHONE, "address_line1": limits.ADDRESS_LINE, "address_line2": limits.ADDRESS_LINE,
    "city": limits.CITY, "region": limits.REGION, "postal_code": limits.POSTAL_CODE, "country": limits.COUNTRY,
    "notes": (limits.CONTACT_NOTES, limits.INVOICE_NOTES, limits.APPOINTMENT_NOTES), "terms": limits.INVOICE_TERMS,
    "email": limits.EMAIL, "new_email": limits.EMAIL, "username": limits.EMAIL,
    "password": limits.PASSWORD, "confirm": limits.PASSWORD, "current_password": limits.PASSWORD,
    "code": limits.TWO_FACTOR_CODE,
    "workspace_name": limits.BUSINESS_NAME, "name": (limits.STAFF_NAME, limits.FILE_NAME),
    "portal-title": limits.PORTAL_TITLE,
    "title": (limits.FILE_NAME, limits.APPOINTMENT_TITLE), "url": limits.LINK_URL, "description": (limits.LINK_DESCRIPTION,
                                                                        limits.LINE_DESCRIPTION),
    "quantity": limits.AMOUNT, "unit_price": limits.AMOUNT, "tax_rate": limits.TAX_RATE,
    "discount_value": limits.AMOUNT, "amount": limits.AMOUNT, "refund_amount": limits.AMOUNT,
    "min_partial": limits.AMOUNT, "reference": limits.PAYMENT_REFERENCE,
    "reason": (limits.VOID_REASON, limits.REFUND_REASON, limits.DECLINE_REASON),
    "webhook_url": limits.WEBHOOK_URL, "webhook_description": limits.WEBHOOK_DESCRIPTION,
    "invoice_prefix": limits.INVOICE_PREFIX, "publishable_key": limits.STRIPE_KEY,
    "secret_key": limits.STRIPE_KEY, "webhook_secret": limits.STRIPE_KEY,
    "doc-title": limits.DOCUMENT_TITLE, "doc-message": limits.DOCUMENT_MESSAGE,
    "typed-name": limits.TYPED_SIGNATURE, "fv": limits.FIELD_VALUE, "pay_amount": limits.AMOUNT,
    "p12-password": limits.CERTIFICATE_PASSWORD,
    "fld-label": limits.FIELD_LABEL, "fld-hint": limits.FIELD_HINT, "default_terms_days": limits.TERMS_DAYS,
    "legal_name": limits.LEGAL_NAME, "address": limits.POSTAL_ADDRESS, "tax_id": limits.TAX_ID,
    "bank_holder": limits.BANK_HOLDER, "bank_name": limits.BANK_NAME, "bank_account": limits.BANK_ACCOUNT,
    "bank_code": limits.BANK_CODE, "bank_reference": limits.BANK_REFERENCE,
    "cheque_payable_to": limits.CHEQUE_PAYABLE_TO, "cheque_address": limits.CHEQUE_ADDRESS,
    "other_text": limits.OTHER_INSTRUCTIONS,
    "color-accent": 7, "color-primary": 7, "color-secondary": 7,  # "#2563eb"
    # the automation editor (a step's or a condition's inputs: their id without the row key)
    "rule-name": limits.AUTOMATION_NAME, "rule-days": limits.TERMS_DAYS, "step-subject": limits.AUTOMATION_SUBJECT,
    "step-body": limits.AUTOMATION_BODY, "step-amount": limits.AMOUNT, "step-tag": limits.TAG,
    "cond-value": limits.AUTOMATION_CONDITION,
    # the staff inbox: the reply composer, canned replies
    "body": limits.CHAT_MESSAGE, "canned_title": limits.CANNED_REPLY_TITLE, "canned_body": limits.CHAT_MESSAGE,
    # Configure Portal's chat card (services/portal/portal_settings.update_portal_settings)
    "chat_reply_time": limits.CHAT_REPLY_TIME, "chat_hours": limits.CHAT_HOURS,
    "sender_name": limits.SENDER_NAME, "reply_to": limits.EMAIL,
    "chat_email_after_minutes": limits.MINUTES,  # 0-1440, checked as a number by the service
    # appointments: the staff calendar's dialog, Settings › Booking (numbers: as many digits as their maximum)
    "client_notes": limits.APPOINTMENT_NOTES, "internal_notes": limits.APPOINTMENT_NOTES,
    "location": limits.APPOINTMENT_LOCATION,
    "duration_minutes": len(str(limits.BOOKING_MAX_MINUTES)), "buffer_minutes": len(str(limits.BOOKING_MAX_BUFFER)),
    "min_notice_minutes": len(str(limits.BOOKING_MAX_NOTICE_MINUTES)),
    "horizon_days": len(str(limits.BOOKING_MAX_HORIZON_DAYS)), "cutoff": len(str(limits.CANCEL_CUTOFF_HOURS)),
    # Settings › Domains: a DNS name's longest (services/portal/hostnames.clean_hostname refuses more)
    "hostname": hostnames.MAX_HOSTNAME,
}
NOT_TYPED = {"hidden", "file", "color", "date", "time", "checkbox", "radio"}  # pickers: no free text


def _text_inputs(component) -> list[tuple[str, object]]:
    """(key, max_length) of every text input in the tree: Radix text fields and areas, plain
    inputs, and controlled inputs (DebounceInput, which carries the input's props)."""
    from reflex.components.component import Component

    found: list[tuple[str, object]] = []

    def prop(c, name) -> str | None:
        value = getattr(c, name, None)
        value = value if value is not None else c.custom_attrs.get(name)
        return None if value is None else str(value).strip('"')

    def walk(c):
        if not isinstance(c, Component):
            return
        kind = type(c).__name__
        if kind in ("TextFieldRoot", "TextArea", "Input", "Textarea", "DebounceInput"):
            if prop(c, "type") not in NOT_TYPED and prop(c, "read_only") in (None, "false"):
                key = prop(c, "name") or prop(c, "id") or ""
                dynamic = re.match(r'\("([a-z_-]+?)[_-]"\+', key)  # a line item's name_<row key>
                key = dynamic.group(1) if dynamic else re.sub(r"^f-", "", key)
                limit = prop(c, "max_length")
                found.append((key, None if limit is None else int(limit)))
        for child in c.children:
            walk(child)
        for _, case in getattr(c, "match_cases", None) or []:  # rx.match keeps its cases apart
            walk(case)
        walk(getattr(c, "default", None))

    walk(component)
    return found


def _pages():
    import portal_app.portal_app as module

    return sorted(module.app._unevaluated_pages.items())


def test_every_text_input_carries_the_services_limit():
    seen, wrong = set(), []
    for route, page in _pages():
        component = page.component() if callable(page.component) else page.component
        for key, limit in _text_inputs(component):
            seen.add(key)
            expected = FORM_LIMITS.get(key, ())
            allowed = expected if isinstance(expected, tuple) else (expected,)
            if limit not in allowed:
                wrong.append(f"{route}: {key!r} has max_length {limit}, the service allows {allowed or 'no entry'}")
    assert not wrong, "\n".join(wrong)
    assert {"first_name", "notes", "q", "description", "reason", "doc-title", "portal-title"} <= seen


def test_a_certificate_password_past_its_limit_is_refused_before_the_file_is_read(db, world):
    from portal_app.services.documents import sealing

    with pytest.raises(Invalid) as refused:
        sealing.upload_pkcs12(db, world.staff_a, b"not read", "x" * (limits.CERTIFICATE_PASSWORD + 1))
    assert refused.value.message == f"Password of the file can be at most {limits.CERTIFICATE_PASSWORD} characters."
    assert not db.new and not db.dirty


def test_who_may_not_act_is_refused_before_the_length_is_looked_at(db, world):
    """Deny path: authorization comes first, so an over-long value tells a client or a member
    nothing about the limits of what they may not touch, and writes nothing."""
    from portal_app.errors import Forbidden

    long = "x" * 10_000
    with pytest.raises(Forbidden):
        contacts.create_contact(db, world.client_a1, {"first_name": long, "email": "e@client.example"})
    with pytest.raises(Forbidden):
        team.invite_staff(db, world.member_a, email="t@alpha.example", name=long, role="member")
    with pytest.raises(Forbidden):
        files.create_folder(db, world.client_a1, name=long)
    assert not db.new and not db.dirty

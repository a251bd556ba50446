"""Typed view models (docs/design.md §4): a var that carries a record is typed with the
TypedDict of what it carries, so a page reads `row["field"]` as a var of the field's type
(no `.to(str)`), and a misspelled key fails when the page is built, not in the browser.

At runtime a TypedDict is a plain dict: the JSON sent to the browser is what it was."""

from __future__ import annotations

import typing

import pytest


def _billing_states():
    import portal_app.portal_app  # noqa: F401  (registers every state)
    from portal_app.state.base import BaseState
    from portal_app.state.portal.home import HomeState
    from portal_app.state.portal.invoices import ClientInvoicesState, ClientInvoiceState
    from portal_app.state.portal.profile import ProfileState
    from portal_app.state.staff.invoice_detail import StaffInvoiceState
    from portal_app.state.staff.invoice_editor import InvoiceEditorState
    from portal_app.state.staff.invoice_list import StaffInvoicesState
    from portal_app.state.staff.payments import PaymentsSettingsState

    return [BaseState, StaffInvoiceState, InvoiceEditorState, StaffInvoicesState, ClientInvoicesState,
            ClientInvoiceState, PaymentsSettingsState, HomeState, ProfileState]


def _bad_keys():
    from portal_app.state.portal.invoices import ClientInvoiceState
    from portal_app.state.staff.invoice_detail import StaffInvoiceState
    from portal_app.state.staff.invoice_list import StaffInvoicesState
    from portal_app.state.staff.payments import PaymentsSettingsState

    return [(StaffInvoicesState.rows, "numbr"), (StaffInvoiceState.payments, "amout"),
            (StaffInvoiceState.inv, "totl"), (ClientInvoiceState.checkout, "publishable"),
            (PaymentsSettingsState.view, "conected")]


@pytest.mark.parametrize("index", range(5))
def test_a_misspelled_key_fails_when_the_page_is_built(index):
    import reflex as rx
    from reflex_base.utils.exceptions import VarAttributeError

    var, bad = _bad_keys()[index]
    with pytest.raises(VarAttributeError):
        if typing.get_origin(var._var_type) is list:
            rx.foreach(var, lambda item: rx.text(item[bad]))
        else:
            rx.text(var[bad])


def test_a_typed_row_reads_its_fields_with_their_types():
    import reflex as rx
    from reflex.vars import BooleanVar, StringVar

    from portal_app.state.staff.invoice_list import StaffInvoicesState

    seen = {}

    def row(item):
        seen["number"], seen["overpaid"] = item["number"], item["overpaid"]
        return rx.text(item["number"])

    rx.foreach(StaffInvoicesState.rows, row)
    assert isinstance(seen["number"], StringVar) and isinstance(seen["overpaid"], BooleanVar)


def test_billing_vars_carry_named_records_not_bare_dicts():
    # the editor's field_errors is a real map (field name -> message, any field a service names)
    maps = {("InvoiceEditorState", "field_errors")}
    untyped = []
    for cls in _billing_states():
        for name, var in cls.base_vars.items():
            t = var._var_type
            inner = typing.get_args(t)[0] if typing.get_origin(t) is list and typing.get_args(t) else t
            if (t is dict or inner is dict or typing.get_origin(inner) is dict) and (cls.__name__, name) not in maps:
                untyped.append(f"{cls.__name__}.{name}")
    assert untyped == []

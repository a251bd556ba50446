"""Invoice arithmetic (services/billing/money.py): worked examples for the stated rounding rule, and
properties that must hold for any invoice."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal_app.errors import Invalid
from portal_app.services.billing.money import (
    Discount,
    Line,
    allocate,
    compute,
    format_amount,
    parse_amount,
    parse_decimal,
    round_half_up,
)


def test_a_line_is_rounded_half_up_to_the_cent():
    assert Line(D("1.5"), 333).amount == 500        # 499.5 → 500
    assert Line(D("0.333"), 100).amount == 33       # 33.3 → 33
    assert Line(D("3"), 1999).amount == 5997
    assert round_half_up(D("-0.5")) == -1           # away from zero, as HALF_UP means


def test_tax_after_discount_line_by_line():
    # 2 × 100.00 at 10 % and 1 × 50.00 at 0 %, 10 % off: discount 25.00 split 20.00 / 5.00
    t = compute([Line(D(2), 10000, D(10)), Line(D(1), 5000)], Discount(percent=D(10)))
    assert (t.subtotal, t.discount, t.line_discounts) == (25000, 2500, (2000, 500))
    assert t.line_taxes == (1800, 0) and t.tax == 1800
    assert t.total == 25000 - 2500 + 1800 == 24300
    assert t.tax_by_rate == {"10": 1800}


def test_a_fixed_discount_is_split_exactly_and_rounds_per_line():
    t = compute([Line(D(1), 1000, D("8.875")), Line(D(1), 1000, D("8.875")), Line(D(1), 1000, D("8.875"))],
                Discount(amount_minor=100))
    assert t.line_discounts == (34, 33, 33) and sum(t.line_discounts) == 100
    # (1000 − 34) × 8.875 % = 85.7325 → 86; (1000 − 33) × 8.875 % = 85.82… → 86
    assert t.line_taxes == (86, 86, 86) and t.total == 3000 - 100 + 258


def test_zero_decimal_and_three_decimal_currencies():
    assert parse_amount("1,250", "JPY") == 1250
    assert parse_amount("12.345", "KWD") == 12345
    assert format_amount(1250, "JPY") == "1,250 JPY"
    assert format_amount(123450, "usd") == "1,234.50 USD"
    assert format_amount(-5, "EUR") == "\u22120.05 EUR"     # the minus sign, U+2212


@pytest.mark.parametrize("text, message", [
    ("abc", "must be a number"), ("-1", "cannot be negative"), ("1.234", "at most 2 decimals"),
    ("1e30", "too large"), ("NaN", "must be a number"), ("Infinity", "must be a number"), ("", "must be a number"),
])
def test_bad_amounts_get_a_human_message(text, message):
    with pytest.raises(Invalid) as err:
        parse_amount(text, "USD")
    assert message in err.value.message


def test_numbers_read_as_typed_the_same_for_the_editor_and_the_service():
    assert parse_decimal(" 1,000.5 ", "Quantity", "quantity") == D("1000.5")
    assert parse_decimal("", "Tax rate", "tax_rate") == 0
    for bad in ("two", "NaN", "Infinity", "1..2"):
        with pytest.raises(Invalid) as err:
            parse_decimal(bad, "Line 2 quantity", "quantity")
        assert (err.value.message, err.value.field) == ("Line 2 quantity must be a number.", "quantity")


@pytest.mark.parametrize("kwargs, message", [
    (dict(quantity=D(0), unit_minor=100), "Quantity"), (dict(quantity=D(1), unit_minor=-1), "Unit price"),
    (dict(quantity=D(1), unit_minor=1, tax_rate=D(101)), "Tax rate"),
])
def test_bad_lines_are_refused(kwargs, message):
    with pytest.raises(Invalid) as err:
        Line(**kwargs)
    assert message in err.value.message


def test_a_discount_larger_than_the_subtotal_is_refused():
    with pytest.raises(Invalid):
        compute([Line(D(1), 500)], Discount(amount_minor=501))
    assert compute([Line(D(1), 500)], Discount(percent=D(100))).total == 0


lines_st = st.lists(st.builds(Line,
                              quantity=st.decimals(min_value=D("0.001"), max_value=D(1000), places=3),
                              unit_minor=st.integers(min_value=0, max_value=10_000_000),
                              tax_rate=st.decimals(min_value=D(0), max_value=D(30), places=3)),
                    min_size=1, max_size=30)


@settings(max_examples=300, deadline=None)
@given(lines=lines_st, percent=st.one_of(st.none(), st.decimals(min_value=D(0), max_value=D(100), places=2)))
def test_totals_always_add_up(lines, percent):
    t = compute(lines, Discount(percent=percent))
    assert t.subtotal == sum(t.line_amounts)
    assert t.discount == sum(t.line_discounts) and 0 <= t.discount <= t.subtotal
    assert all(0 <= d <= a for d, a in zip(t.line_discounts, t.line_amounts, strict=True))
    assert t.tax == sum(t.line_taxes) == sum(t.tax_by_rate.values())
    assert t.total == t.subtotal - t.discount + t.tax >= 0
    assert all(isinstance(x, int) for x in (t.subtotal, t.discount, t.tax, t.total))


@settings(max_examples=300, deadline=None)
@given(total=st.integers(min_value=0, max_value=10 ** 9),
       weights=st.lists(st.integers(min_value=0, max_value=10 ** 7), min_size=1, max_size=40))
def test_allocation_is_exact_and_proportional(total, weights):
    shares = allocate(total, weights)
    if sum(weights) == 0:
        assert shares == [0] * len(weights)
        return
    assert sum(shares) == total
    for s, w in zip(shares, weights, strict=True):  # never more than one unit away from the exact share
        exact = D(total) * w / sum(weights)
        assert abs(D(s) - exact) < 1

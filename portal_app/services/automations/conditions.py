"""A rule's conditions: what operators each kind of field takes, checking them at save time, and
`evaluate`, a pure function of the stored conditions and a run's facts (triggers.Snapshot.facts).

All conditions must hold (AND). Text comparisons ignore case; an amount is compared in minor
units (cents) of the invoice's currency, typed as "1000" or "1000.50".
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

OPS: dict[str, tuple[tuple[str, str], ...]] = {
    "choice": (("is", "is"), ("is_not", "is not")),
    "text": (("contains", "contains"), ("not_contains", "does not contain"), ("is", "is")),
    "amount": (("above", "is above"), ("below", "is below")),
    "tag": (("has", "has the tag"), ("has_not", "does not have the tag")),
}


def parse_amount(value: str) -> int | None:
    """"1000" / "1,000.50" → minor units (two decimals); None if it is not an amount."""
    text = value.replace(",", "").strip()
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount < 0 or amount > Decimal("1e12"):
        return None
    return int((amount * 100).to_integral_value())


def holds(condition: dict[str, Any], facts: dict[str, Any]) -> bool:
    op, want = condition.get("op", ""), str(condition.get("value", ""))
    have = facts.get(condition.get("field", ""))
    if op in ("has", "has_not"):
        tags = {str(t).lower() for t in (have or [])}
        return (want.strip().lower() in tags) == (op == "has")
    if op in ("above", "below"):
        limit = parse_amount(want)
        if limit is None or not isinstance(have, int):
            return False
        return have > limit if op == "above" else have < limit
    text = "" if have is None else str(have).lower()
    want_l = want.strip().lower()
    if op == "is":
        return text == want_l
    if op == "is_not":
        return text != want_l
    if op == "contains":
        return want_l in text
    if op == "not_contains":
        return want_l not in text
    return False


def evaluate(conditions: list[dict[str, Any]], facts: dict[str, Any]) -> tuple[bool, str]:
    """(all hold, the first one that does not, in words: "" when all hold)."""
    for c in conditions:
        if not holds(c, facts):
            return False, describe(c)
    return True, ""


def describe(condition: dict[str, Any]) -> str:
    label = dict(OPS_LABELS).get(condition.get("op", ""), condition.get("op", ""))
    return f"{condition.get('label') or condition.get('field', '')} {label} \u201c{condition.get('value', '')}\u201d"


OPS_LABELS = [pair for pairs in OPS.values() for pair in pairs]

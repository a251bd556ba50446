"""Counts read right: "1 contact", "2 contacts", "0 contacts", in the services' sentences
and on the pages (one rule: services.wording.plural, components.counts.count_label)."""

from __future__ import annotations

import pytest

from portal_app.components.counts import count_label
from portal_app.services.portal.portal_home import _documents_text
from portal_app.services.wording import plural


@pytest.mark.parametrize("count,text", [(0, "0 contacts"), (1, "1 contact"), (2, "2 contacts"), (21, "21 contacts")])
def test_plural_agrees_with_the_count(count, text):
    assert plural(count, "contact") == text
    assert count_label(count, "contact") == text


def test_an_irregular_plural_is_given():
    assert plural(1, "person", "people") == "1 person" and plural(3, "person", "people") == "3 people"


def test_a_state_count_agrees_in_the_browser():
    """For a state var, the label is a JS expression choosing the noun by the value."""
    from portal_app.state.staff.contacts import ContactsState

    js = str(count_label(ContactsState.total, "contact"))
    assert '" contact"' in js and '" contacts"' in js and "=== 1" in js


def test_the_home_cards_agree():
    assert _documents_text(1, 1) == "1 document waiting for your signature."
    assert _documents_text(0, 1) == "Nothing to sign right now. 1 document in your history."
    assert _documents_text(0, 3) == "Nothing to sign right now. 3 documents in your history."


def test_no_page_writes_a_count_with_a_fixed_plural():
    """The pages name counts through count_label: no "N contacts" with the noun glued on."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "portal_app"
    glued = re.compile(r'\.(total|length\(\)|pages?_count\]?)\s*,\s*"\s+(contacts|invoices|items|files|pages|documents)\b')
    offenders = [f"{p.relative_to(root)}:{i}" for p in root.rglob("*.py")
                 for i, line in enumerate(p.read_text().splitlines(), 1) if glued.search(line)]
    assert not offenders

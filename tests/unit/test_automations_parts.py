"""Automations' pure parts: the trigger registry is complete, conditions, the template sandbox
(the classic probes are refused at save time and at render time), autoescape, and waits
computed in UTC across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from portal_app.services import bus, events
from portal_app.services.automations import conditions, engine, stepspec, templates, triggers

SCHEMA = triggers.BY_KIND["document.completed"].schema()
CTX = triggers.sample("document.completed")


# --- the registry ------------------------------------------------------------------------------

def test_every_event_kind_is_a_trigger_or_declared_not_one():
    classes = set(events.by_kind().values())
    trig, not_trig = set(triggers.TRIGGERS), set(triggers.NOT_TRIGGERS)
    assert not classes - trig - not_trig, "add the new event kind to triggers.TRIGGERS or NOT_TRIGGERS"
    assert not trig & not_trig
    assert all(len(why) > 20 for why in triggers.NOT_TRIGGERS.values())
    for cls, t in triggers.TRIGGERS.items():
        assert t.kind == cls.kind and t.builder is not None
        assert engine.on_event in bus.HANDLERS[cls], f"{t.kind}: the engine does not follow it"
        assert {"contact.first_name", "portal_url"} <= set(t.placeholders())
        assert all(f.op_kind in conditions.OPS for f in t.condition_fields)
        sample = triggers.sample(t.kind)
        for root, fields in t.schema().items():  # every placeholder has a sample value (previews)
            assert root in sample and all(f in sample[root] for f in fields)


def test_the_issues_triggers_are_offered():
    assert {"document.signed", "document.completed", "document.declined", "invoice.sent", "invoice.paid",
            "invoice.payment", "invoice.overdue", "invite.accepted", "file.uploaded_by_client",
            "file.shared"} <= set(triggers.BY_KIND)
    assert triggers.BY_KIND["invoice.overdue"].has_days
    assert not triggers.BY_KIND["invoice.sent"].has_days


# --- conditions --------------------------------------------------------------------------------

FACTS = {"document.kind": "contract", "document.title": "Website Redesign", "invoice.amount": 120_000,
         "contact.tag": ["VIP", "retainer"], "contact.company": ""}


@pytest.mark.parametrize("field, op, value, expected", [
    ("document.kind", "is", "contract", True),
    ("document.kind", "is", "proposal", False),
    ("document.kind", "is_not", "proposal", True),
    ("document.title", "contains", "website", True),      # case-insensitive
    ("document.title", "contains", "logo", False),
    ("document.title", "not_contains", "logo", True),
    ("invoice.amount", "above", "1000", True),             # 1,200.00 > 1,000.00
    ("invoice.amount", "above", "1,200.00", False),        # not strictly above
    ("invoice.amount", "below", "1200.01", True),
    ("invoice.amount", "above", "lots", False),            # not an amount: does not hold
    ("contact.tag", "has", "vip", True),
    ("contact.tag", "has", "new", False),
    ("contact.tag", "has_not", "new", True),
    ("contact.company", "is", "", True),
    ("file.name", "contains", "x", False),                 # a fact this event does not have
    ("document.kind", "teleport", "x", False),             # an unknown operator never holds
])
def test_a_condition_holds_or_not(field, op, value, expected):
    assert conditions.holds({"field": field, "op": op, "value": value}, FACTS) is expected


def test_all_conditions_must_hold_and_the_first_that_does_not_is_named():
    conds = [{"field": "document.kind", "op": "is", "value": "contract", "label": "Document kind"},
             {"field": "document.title", "op": "contains", "value": "logo", "label": "Document title"}]
    assert conditions.evaluate(conds, FACTS) == (False, "Document title contains \u201clogo\u201d")
    assert conditions.evaluate(conds[:1], FACTS) == (True, "")
    assert conditions.evaluate([], {}) == (True, "")


@pytest.mark.parametrize("text, minor", [("1000", 100_000), ("1,000.50", 100_050), ("0", 0), ("-1", None),
                                         ("abc", None), ("NaN", None), ("1e13", None)])
def test_amounts_are_read_in_minor_units(text, minor):
    assert conditions.parse_amount(text) == minor


# --- templates -----------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "{{ contact.first_name }}", "Hi {{ contact.first_name|title }} from {{ workspace.name }}",
    "{% if contact.company %}{{ contact.company }}{% endif %}", "{{ contact['email'] }}", "{{ portal_url }}",
    "{{ document.title | upper }}", "no placeholders at all",
])
def test_placeholders_the_trigger_offers_are_accepted(text):
    templates.check(text, SCHEMA)


PROBES = [
    "{{ ''.__class__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ contact.__class__ }}",
    "{{ contact['__class__'] }}",
    "{{ contact.first_name.__class__.__base__ }}",
    "{{ cycler.__init__.__globals__.os }}",
    "{{ self._TemplateReference__context }}",
    "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "{{ config }}",
    "{{ request.application }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ contact.first_name.format(contact) }}",
    "{% for c in ''.__class__.__mro__ %}{{ c }}{% endfor %}",
    "{% set x = contact %}{{ x }}",
    "{{ contact|attr('__class__') }}",
    "{% include 'x' %}",
    "{{ (contact.first_name).__len__() }}",
]


@pytest.mark.parametrize("probe", PROBES)
def test_sandbox_probes_are_refused_at_save_time(probe):
    with pytest.raises(templates.TemplateProblem):
        templates.check(probe, SCHEMA)


@pytest.mark.parametrize("probe", [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__.os }}",
    "{{ ''.format.__globals__ }}",
    "{{ contact.__class__.__init__.__globals__ }}",
    "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "{{ range.__self__ }}",
    "{{ contact.first_name.mro() }}",
])
def test_render_refuses_sandbox_escapes_even_unchecked(probe):
    with pytest.raises(templates.TemplateProblem):
        templates.render_html(probe, CTX)


def test_an_unknown_placeholder_names_what_is_available():
    with pytest.raises(templates.TemplateProblem) as err:
        templates.check("Hi {{ contact.nick }}", SCHEMA)
    assert str(err.value).startswith("{{ contact.nick }} does not exist. You can use: contact.first_name, ")
    assert "document.title" in str(err.value) and "invoice" not in str(err.value)
    with pytest.raises(templates.TemplateProblem, match="needs a field"):
        templates.check("{{ contact }}", SCHEMA)
    with pytest.raises(templates.TemplateProblem, match=r"\|safe is not available"):
        templates.check("{{ contact.first_name|safe }}", SCHEMA)


def test_values_are_escaped_in_html_and_plain_in_text():
    ctx = {**CTX, "contact": {**CTX["contact"], "first_name": "<b>Ada</b> & co"}}
    assert str(templates.render_html("Hi {{ contact.first_name }}", ctx)) == "Hi &lt;b&gt;Ada&lt;/b&gt; &amp; co"
    assert templates.render_text("Hi {{ contact.first_name }}", ctx) == "Hi <b>Ada</b> & co"


# --- waits ---------------------------------------------------------------------------------------

def wait(amount, unit, until=""):
    return {"type": "wait", "amount": str(amount), "unit": unit, "until_field": until}


@pytest.mark.parametrize("zone, start_local", [
    ("Europe/London", datetime(2026, 3, 28, 12, 0)),       # the clocks go forward on 29 March 2026
    ("Europe/Berlin", datetime(2026, 10, 24, 12, 0)),      # back on 25 October 2026
    ("America/New_York", datetime(2026, 10, 31, 12, 0)),   # back on 1 November 2026
])
def test_a_wait_of_days_is_computed_in_utc_across_a_dst_change(zone, start_local):
    start = start_local.replace(tzinfo=ZoneInfo(zone))
    end = stepspec.wait_until(wait(2, "days"), start, {})
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=48)  # 48 real hours
    assert end.astimezone(UTC) == stepspec.wait_until(wait(2, "days"), start.astimezone(UTC), {})
    assert end.astimezone(ZoneInfo(zone)).hour != start.hour  # the local clock moved; the wait did not


def test_waits_of_minutes_and_hours_and_until_a_date_with_an_offset():
    start = datetime(2026, 3, 28, 23, 30, tzinfo=UTC)
    assert stepspec.wait_until(wait(90, "minutes"), start, {}) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert stepspec.wait_until(wait(3, "hours"), start, {}) == datetime(2026, 3, 29, 2, 30, tzinfo=UTC)
    dates = {"invoice.due_date": "2026-04-10T00:00:00+00:00"}
    assert stepspec.wait_until(wait(-1, "days", "invoice.due_date"), start, dates) == \
        datetime(2026, 4, 9, tzinfo=UTC)
    assert stepspec.wait_until(wait(0, "days", "invoice.due_date"), start, dates) == datetime(2026, 4, 10, tzinfo=UTC)
    # a date already past (or missing) does not wait backwards
    assert stepspec.wait_until(wait(-30, "days", "invoice.due_date"), start, dates) == start
    assert stepspec.wait_until(wait(1, "days", "document.expires_at"), start, {}) == start


def test_waits_are_described_in_words():
    labels = {"invoice.due_date": "Invoice due date"}
    assert stepspec.describe_wait(wait(2, "days"), labels) == "Wait 2 days"
    assert stepspec.describe_wait(wait(1, "hours"), labels) == "Wait 1 hour"
    assert stepspec.describe_wait(wait(-1, "days", "invoice.due_date"), labels) == \
        "Wait until 1 day before the invoice due date"


def test_the_status_table_covers_every_run_and_step_status():
    from portal_app.models.automations import RUN_STATUSES, RUN_TRANSITIONS, STEP_STATUSES, STEP_TRANSITIONS
    from portal_app.models.status import STATUS_STYLES

    assert set(STATUS_STYLES["automation_run"]) == set(RUN_STATUSES) == set(RUN_TRANSITIONS)
    assert set(STATUS_STYLES["automation_step"]) == set(STEP_STATUSES) == set(STEP_TRANSITIONS)


def test_status_moves_only_along_the_rules():
    from portal_app.models.automations import AutomationRun, AutomationRunStep, StatusError

    now = datetime(2026, 12, 7, tzinfo=UTC)
    run = AutomationRun(status="running")
    run.move_to("waiting", now)
    run.move_to("cancelled", now)
    assert run.finished_at == now and not run.can_cancel
    with pytest.raises(StatusError):
        run.move_to("running", now)
    step = AutomationRunStep(status="done")
    with pytest.raises(StatusError):
        step.move_to("scheduled", now)
    failed = AutomationRunStep(status="failed")
    assert failed.can_retry
    failed.move_to("scheduled", now)

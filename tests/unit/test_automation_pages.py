"""The Automations pages (state/staff/automation_editor.py, automations.py) driven through their
event handlers as the browser would, on a real State tree (tests/unit/test_invoice_pages_staff.Tab):
the editor's rows (add, move, remove; a condition's field brings its operators and choices),
Save's message next to the field it names with everything typed kept, then "Saved — version N";
the list's switch; the run history's Cancel refused for a stale tab with the page read again."""

from __future__ import annotations

from portal_app.state.staff.automation_editor import AutomationEditorState as E
from portal_app.state.staff.automations import AutomationRunsState as R
from portal_app.state.staff.automations import AutomationsState as L
from tests.support.tabs import Tab

NEW = "/staff/automations/new"


def _editor(actors, path: str = NEW) -> Tab:
    host, cookie = actors["staff_a"]
    tab = Tab(E, path, host, cookie)
    tab("load")
    assert tab.state._outcome == "ok" and tab.state.refusal == ""
    return tab


def test_rows_are_added_moved_and_removed_by_key(world, db, actors):
    tab = _editor(actors)
    s = tab.state
    assert s.name == "" and s.steps == [] and s.options["triggers"] and s.is_new
    for kind in ("email", "wait", "add_tag"):
        tab("set_new_step_type", kind)
        tab("add_step")
    assert [st["type"] for st in s.steps] == ["email", "wait", "add_tag"]
    assert s.last_added == s.steps[2]["key"]  # the new step's first input takes the focus
    email, wait, tag = (st["key"] for st in s.steps)
    tab("set_step", email, "subject", "Hi " * 200)
    assert len(s.steps[0]["subject"]) == 200  # limits.AUTOMATION_SUBJECT
    tab("move_step", tag, -1)
    assert [st["key"] for st in s.steps] == [email, tag, wait]
    tab("move_step", email, -1)  # already first: nothing moves
    assert [st["key"] for st in s.steps] == [email, tag, wait]
    tab("remove_step", tag)
    assert [st["key"] for st in s.steps] == [email, wait]
    tab("set_step", wait, "type", "email")  # a step's type is not changed by typing
    assert s.steps[1]["type"] == "wait"


def test_a_condition_takes_its_fields_operators_and_choices(world, db, actors):
    tab = _editor(actors)
    s = tab.state
    tab("add_condition")
    assert s.conditions == []  # no trigger yet: nothing to test
    tab("set_trigger", "document.completed")
    tab("add_condition")
    key = s.conditions[0]["key"]
    tab("set_condition", key, "field", "document.kind")
    assert s.conditions[0]["op"] == s.field_ops["document.kind"][0]["id"]
    assert s.conditions[0]["value"] == "contract" and s.field_choices["document.kind"]
    tab("set_condition", key, "field", "document.title")
    assert s.conditions[0]["value"] == "" and s.field_choices["document.title"] == []
    tab("set_trigger", "invoice.sent")  # the document's fields do not apply to an invoice
    assert s.conditions == []


def test_save_shows_the_message_at_its_field_keeps_the_form_then_saves(world, db, actors):
    tab = _editor(actors)
    s = tab.state
    tab("set_name", "Welcome")
    tab("set_trigger", "document.completed")
    tab("set_new_step_type", "email")
    tab("add_step")
    key = s.steps[0]["key"]
    tab("set_step", key, "subject", "Welcome, {{ contact.first_name }}")
    tab("set_step", key, "body", "Hello {{ contact.nick }}")
    assert tab("save") is None
    assert s._outcome == "invalid" and s.error_field == "steps.0.body"
    assert "contact.nick" in s.error and "does not exist" in s.error
    assert s.error_elsewhere == ""  # shown by the body, not again by Save
    assert s.steps[0]["body"] == "Hello {{ contact.nick }}" and s.name == "Welcome"
    tab("remove_step", key)
    tab("save")
    assert s.error_field == "steps" and s.error_elsewhere == ""
    tab("set_new_step_type", "email")
    tab("add_step")
    key = s.steps[0]["key"]
    tab("set_step", key, "subject", "Welcome, {{ contact.first_name }}")
    tab("set_step", key, "body", "Hello {{ contact.first_name }}")
    tab("show_preview", 0)
    assert s.preview_step == 0 and s.preview["subject"].startswith("Welcome, ") and "<html" in s.preview["html"].lower()
    result = tab("save")
    assert s._outcome == "ok" and s.error == ""
    assert "/staff/automations/ar_" in str(result.args) and "saved=1" in str(result.args)  # to the saved rule
    listed = tab.go(L, "/staff/automations")
    listed("load")
    assert [r["version"] for r in listed.state.rows if r["name"] == "Welcome"] == [1]


def test_a_saved_rule_is_edited_version_by_version(world, db, actors):
    tab = _editor(actors, f"/staff/automations/{world.rule}")
    s = tab.state
    assert s.name == "Matrix rule" and s.version == 1 and not s.is_new and len(s.steps) == 2
    tab("set_name", "Matrix rule, kinder")
    tab("save")
    assert s._outcome == "ok" and s.saved_note == "Saved — version 2" and s.version == 2
    tab("set_trigger_days", "12345")
    assert s.trigger_days == "123"  # limits.TERMS_DAYS
    tab("set_test_contact", world.contact_a1.public_id)
    tab("test_run")
    assert s.tested and [o["position"] for o in s.outcomes] == [0, 1]
    assert "alice@client.example" in s.outcomes[0]["detail"]
    tab("set_enabled", True)
    assert s.enabled and s.notice.startswith("Enabled")


def test_the_list_and_a_stale_cancel(world, db, actors):
    host, cookie = actors["staff_a"]
    tab = Tab(L, "/staff/automations", host, cookie)
    tab("load")
    row = next(r for r in tab.state.rows if r["id"] == world.rule)
    assert row["name"] == "Matrix rule" and row["steps"] == 2 and not row["enabled"]
    tab("set_enabled", world.rule, True)
    assert next(r for r in tab.state.rows if r["id"] == world.rule)["enabled"]
    assert "is on" in tab.state.notice

    runs = f"/staff/automations/{world.rule}/runs"
    first, stale = Tab(R, runs, host, cookie), Tab(R, runs, host, cookie)
    for t in (first, stale):
        t("load")
        t("open_run", world.auto_runs["waiting"])
        assert t.state.run["can_cancel"]
    first("cancel_run")
    assert first.state.run["status"] == "cancelled" and first.state.notice.startswith("Run cancelled")
    stale("cancel_run")
    assert stale.state._outcome == "invalid" and stale.state.notice_tone == "red"
    assert "already" in stale.state.notice
    assert stale.state.run["status"] == "cancelled" and not stale.state.run["can_cancel"]  # read again
    # another rule's run is not opened on this rule's page
    other = Tab(R, f"/staff/automations/{world.rule_del_list}/runs", host, cookie)
    other("load")
    other("open_run", world.auto_runs["waiting"])
    assert other.state._outcome == "denied" and other.state.run["id"] == ""


def test_loading_the_form_already_shown_keeps_the_inputs_mounted(world, db, actors):
    """A load that brings the form the page already shows (a new rule's blank form, while the
    person types a name whose debounced change is not sent yet) does not remount the inputs,
    which would drop the typing; a different form does."""
    tab = _editor(actors)
    version = tab.state.form_version
    tab("load")
    assert tab.state.form_version == version
    tab("set_name", "Typed while loading")
    tab("load")  # a different form (blank) replaces it: remounted
    assert tab.state.form_version == version + 1 and tab.state.name == ""

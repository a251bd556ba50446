"""Automations › rules (services/automations/rules.py): save validates and versions, the list,
enable/disable, delete, editor options, and who may not."""

from __future__ import annotations

import pytest

from portal_app.errors import Invalid, NotFound, ServiceError
from portal_app.models import AutomationRule, AutomationRuleVersion
from portal_app.services.automations import rules


def email_step(subject="Welcome aboard, {{ contact.first_name }}", body="Hello {{ contact.name }}"):
    step = rules.blank_step("email")
    step.update(subject=subject, body=body)
    return step


def form(**kw):
    f = rules.blank_form()
    f.update(name="Onboarding", trigger="document.completed",
             conditions=[{"field": "document.kind", "op": "is", "value": "contract"}],
             steps=[email_step(), {**rules.blank_step("wait"), "amount": "2", "unit": "days"}])
    f.update(kw)
    return f


def test_save_list_get_and_a_new_version_on_each_save(db, world):
    rid = rules.save_rule(db, world.staff_a, None, form())
    rows = rules.list_rules(db, world.staff_a)
    assert [(r["id"], r["name"], r["version"], r["steps"], r["enabled"], r["runs"]) for r in rows] == [
        (rid, "Onboarding", 1, 2, False, 0)]
    assert rows[0]["trigger_label"].startswith("Document completed")
    view = rules.get_rule(db, world.staff_a, rid)
    assert view["form"]["steps"][0]["subject"] == "Welcome aboard, {{ contact.first_name }}"
    assert view["form"]["conditions"] == [{"field": "document.kind", "op": "is", "value": "contract"}]
    rules.save_rule(db, world.staff_a, rid, form(name="Onboarding v2"))
    assert rules.get_rule(db, world.staff_a, rid)["version"] == 2
    assert db.query(AutomationRuleVersion).count() == 2
    rules.set_enabled(db, world.staff_a, rid, True)
    assert rules.list_rules(db, world.staff_a)[0]["enabled"] is True
    rules.delete_rule(db, world.staff_a, rid)
    assert rules.list_rules(db, world.staff_a) == []
    with pytest.raises(NotFound):
        rules.get_rule(db, world.staff_a, rid)


@pytest.mark.parametrize("change, field, words", [
    (dict(name=""), "name", "Name is required"),
    (dict(trigger="nope"), "trigger", "Choose what starts"),
    (dict(steps=[]), "steps", "at least one step"),
    (dict(conditions=[{"field": "document.kind", "op": "is", "value": "poem"}]), "conditions.0.value", "Contract"),
    (dict(conditions=[{"field": "invoice.amount", "op": "above", "value": "1"}]), "conditions.0.field", "choose"),
    (dict(steps=[email_step(subject="Hi {{ contact.nick }}")]), "steps.0.subject",
     "Step 1 (Send an email): {{ contact.nick }} does not exist. You can use: contact.first_name"),
    (dict(steps=[email_step(body="{{ ''.__class__ }}")]), "steps.0.body", "does not exist"),
    (dict(steps=[email_step(body="{{ contact.first_name.__class__ }}")]), "steps.0.body", "does not exist"),
    (dict(steps=[email_step(body="{{ cycler() }}")]), "steps.0.body", "Calls are not allowed"),
    (dict(steps=[email_step(body="{{ contact.first_name }")]), "steps.0.body", "cannot be read"),
    (dict(steps=[{**rules.blank_step("wait"), "amount": "0"}]), "steps.0.amount", "between 1 minute"),
    (dict(steps=[{**rules.blank_step("wait"), "until_field": "invoice.due_date"}]), "steps.0.until_field",
     "no such date"),
    (dict(steps=[{**rules.blank_step("share"), "target_id": "fi_nope"}]), "steps.0.target_id", "folder or file"),
    (dict(steps=[{**rules.blank_step("add_tag"), "tag": "x" * 41}]), "steps.0.tag", "at most 40"),
    (dict(steps=[{**rules.blank_step("email"), "type": "teleport"}]), "steps.0.type", "choose what the step does"),
])
def test_bad_input_names_the_field_and_nothing_is_saved(db, world, change, field, words):
    with pytest.raises(Invalid) as err:
        rules.save_rule(db, world.staff_a, None, form(**change))
    assert err.value.field == field
    assert words in err.value.message
    assert db.query(AutomationRule).count() == 0


def test_editor_options_list_the_registry_and_this_workspace_only(db, world):
    opts = rules.editor_options(db, world.staff_a)
    kinds = {t["kind"] for t in opts["triggers"]}
    assert {"document.completed", "document.signed", "invoice.overdue", "invite.accepted",
            "file.uploaded_by_client"} <= kinds
    assert [u["id"] for u in opts["wait_units"]] == ["minutes", "hours", "days"]
    assert opts["staff"][0] == {"id": "", "label": "All owners and admins"}
    labels = " ".join(c["label"] for c in opts["contacts"])
    assert "Alice" in labels and "Carol" not in labels
    assert rules.blank_step("wait")["unit"] == "days"


@pytest.mark.parametrize("who", ["member_a", "client_a1", "anon"])
def test_who_may_not(db, world, who):
    rid = rules.save_rule(db, world.staff_a, None, form())
    actor = getattr(world, who)
    for call in (lambda: rules.list_rules(db, actor), lambda: rules.editor_options(db, actor),
                 lambda: rules.save_rule(db, actor, None, form()), lambda: rules.get_rule(db, actor, rid),
                 lambda: rules.set_enabled(db, actor, rid, True), lambda: rules.delete_rule(db, actor, rid)):
        with pytest.raises(ServiceError):
            call()
    assert db.query(AutomationRuleVersion).count() == 1


def test_another_workspaces_owner_sees_and_touches_nothing(db, world):
    rid = rules.save_rule(db, world.staff_a, None, form())
    other = world.staff_b
    assert rules.list_rules(db, other) == []
    for call in (lambda: rules.get_rule(db, other, rid), lambda: rules.set_enabled(db, other, rid, True),
                 lambda: rules.delete_rule(db, other, rid), lambda: rules.save_rule(db, other, rid, form()),
                 lambda: rules.list_runs(db, other, rid)):
        with pytest.raises(NotFound):
            call()
    assert rules.get_rule(db, world.staff_a, rid)["version"] == 1


def _count_rows(db) -> int:
    import sqlalchemy as sa
    from sqlmodel import SQLModel

    return sum(db.execute(sa.select(sa.func.count()).select_from(t)).scalar_one() for t in SQLModel.metadata.sorted_tables)


def test_test_run_says_what_would_happen_and_writes_nothing(db, world):
    f = form(trigger="invoice.sent", conditions=[{"field": "contact.tag", "op": "has_not", "value": "vip"}],
             steps=[email_step(subject="Hi {{ contact.first_name }}"),
                    {**rules.blank_step("wait"), "amount": "2", "unit": "days"},
                    {**rules.blank_step("add_tag"), "tag": "welcomed"},
                    {**rules.blank_step("notify_staff"), "subject": "{{ contact.name }} is in", "body": "FYI"}])
    db.commit()
    before = _count_rows(db)
    out = rules.test_run(db, world.staff_a, f, world.contact_a1.public_id)
    assert [o["detail"] for o in out][0] == "Would email alice@client.example \u201cHi Alice\u201d"
    assert out[1]["detail"].startswith("Would wait 2 days (until ")
    assert out[2]["detail"] == "Would tag Alice Client \u201cwelcomed\u201d"
    assert out[3]["detail"] == "Would email every owner and admin \u201cAlice Client is in\u201d"
    assert [o["status"] for o in out] == ["ok"] * 4
    assert _count_rows(db) == before
    with pytest.raises(NotFound):
        rules.test_run(db, world.staff_a, f, world.contact_b1.public_id)  # another workspace's contact
    with pytest.raises(Invalid):
        rules.test_run(db, world.staff_a, f, "")


def test_test_run_says_which_step_would_fail(db, world):
    world.contact_a1.email = ""
    db.add(world.contact_a1)
    db.flush()
    f = form(trigger="invoice.sent", conditions=[], steps=[email_step(), {**rules.blank_step("add_tag"), "tag": "welcomed"}])
    out = rules.test_run(db, world.staff_a, f, world.contact_a1.public_id)
    assert out[0]["status"] == "failed" and out[0]["detail"] == "Would fail: Alice Client has no email address."
    assert out[1]["status"] == "ok"


def test_test_run_skips_when_the_contacts_conditions_do_not_hold(db, world):
    from portal_app.models import ContactTag

    db.add(ContactTag(contact_id=world.contact_a1.id, workspace_id=world.ws_a.id, tag="VIP"))
    db.flush()
    f = form(trigger="invoice.sent", conditions=[{"field": "contact.tag", "op": "has_not", "value": "vip"}],
             steps=[email_step()])
    out = rules.test_run(db, world.staff_a, f, world.contact_a1.public_id)
    assert out[0]["status"] == "skipped" and "Contact tag does not have the tag" in out[0]["detail"]


def test_preview_renders_the_branded_email_with_sample_data_or_a_contact(db, world):
    f = form(steps=[email_step(subject="Welcome aboard, {{ contact.first_name }}",
                               body="About {{ document.title }}\n\n<script>x</script>")])
    sample = rules.preview_email(db, world.staff_a, f, 0, "")
    assert sample["subject"] == "Welcome aboard, Ada"
    assert "Website redesign" in sample["html"] and "&lt;script&gt;" in sample["html"] and "<script>" not in sample["html"]
    assert "Alpha Studio" in sample["html"]  # branded: the workspace's name
    real = rules.preview_email(db, world.staff_a, f, 0, world.contact_a1.public_id)
    assert real["subject"] == "Welcome aboard, Alice" and "Welcome aboard, Alice" in real["text"]
    with pytest.raises(Invalid, match="sends no email"):
        rules.preview_email(db, world.staff_a, form(), 1, "")
    with pytest.raises(Invalid, match="does not exist"):
        rules.preview_email(db, world.staff_a, form(steps=[email_step(body="{{ contact.nick }}")]), 0, "")


@pytest.mark.parametrize("who", ["member_a", "client_a1", "staff_b", "anon"])
def test_runs_and_dry_runs_are_refused_to_others(db, world, who):
    rid = rules.save_rule(db, world.staff_a, None, form())
    actor = getattr(world, who)
    for call in (lambda: rules.list_runs(db, actor, rid), lambda: rules.run_detail(db, actor, "arun_x"),
                 lambda: rules.cancel_run(db, actor, "arun_x"), lambda: rules.retry_step(db, actor, "arun_x", 0),
                 lambda: rules.preview_email(db, actor, form(), 0, world.contact_a1.public_id),
                 lambda: rules.test_run(db, actor, form(), world.contact_a1.public_id)):
        with pytest.raises(ServiceError):
            call()

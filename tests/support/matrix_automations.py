"""Authorization matrix rows for Automations: the list, the editor and the run history
(part of tests/support/matrix.py; test_authz_matrix.py runs them for every kind of actor).

Owners and admins of workspace A only: a member and a client are refused, B's owner finds none
of A's rules or runs (and what B does in its own workspace, e.g. a new rule, is B's)."""

from __future__ import annotations

from datetime import timedelta


def automations_world(db, world) -> None:
    """Rules of workspace A (one to edit and run, two to delete) and two runs of the first: one
    waiting (to cancel), one whose step failed (to retry)."""
    from sqlmodel import select

    from portal_app.models import AutomationRule, AutomationRun, AutomationRunStep, new_public_id, utcnow
    from portal_app.services.automations import rules

    def make(name: str) -> str:
        form = rules.blank_form()
        email = {**rules.blank_step("email"), "subject": "Welcome, {{ contact.first_name }}",
                 "body": "Hello {{ contact.first_name }}, the matrix template."}
        form.update(name=name, trigger="document.completed", steps=[email, rules.blank_step("wait")])
        return rules.save_rule(db, world.staff_a, None, form)

    world.rule, world.rule_del_list, world.rule_del_editor = make("Matrix rule"), make("Delete me"), make("Also me")
    db.flush()
    rule = db.exec(select(AutomationRule).where(AutomationRule.public_id == world.rule)).one()
    now = utcnow()
    runs = {}
    for name, status, steps in (("waiting", "waiting", ("done", "scheduled")), ("failed", "failed", ("failed", "pending"))):
        run = AutomationRun(public_id=new_public_id("arun"), workspace_id=world.ws_a.id, rule_id=rule.id,
                            version_id=rule.current_version_id, contact_id=world.contact_a1.id,
                            event_kind="document.completed", event_key=f"matrix-{name}",
                            summary='Contract "Matrix" completed', status=status)
        db.add(run)
        db.flush()
        for position, step_status in enumerate(steps):
            db.add(AutomationRunStep(
                run_id=run.id, position=position, step_type=("email", "wait")[position], status=step_status,
                attempts=1 if step_status in ("done", "failed") else 0,
                scheduled_for=now + timedelta(days=2) if step_status == "scheduled" else None,
                error="The mail server refused it." if step_status == "failed" else ""))
        runs[name] = run.public_id
    db.flush()
    world.auto_runs = runs


def automation_rows(world, grids: dict) -> list:
    from portal_app.state.staff.automation_editor import AutomationEditorState as E
    from portal_app.state.staff.automations import AutomationRunsState as R
    from portal_app.state.staff.automations import AutomationsState as L

    ADMIN, grid = grids["ADMIN"], grids["grid"]
    a_only = grid(ADMIN, staff_b_on_b="denied")
    top, new = "/staff/automations", "/staff/automations/new"
    rule = lambda: f"{top}/{world.rule}"  # noqa: E731
    runs = lambda: f"{top}/{world.rule}/runs"  # noqa: E731
    open_run = lambda name: ("load", ("open_run", lambda: (world.auto_runs[name],)))  # noqa: E731
    a1 = lambda: world.contact_a1.public_id  # noqa: E731
    # a rule typed in the editor (no page load: what a forged or stale tab can send): a name, a
    # trigger, one step (its key is k1)
    tag_rule = (("set_name", ("Matrix new",)), ("set_trigger", ("invite.accepted",)),
                ("set_new_step_type", ("add_tag",)), "add_step", ("set_step", ("k1", "tag", "vip")))
    email_rule = (("set_name", ("Matrix mail",)), ("set_trigger", ("document.completed",)),
                  ("set_new_step_type", ("email",)), "add_step", ("set_step", ("k1", "subject", "Hi")),
                  ("set_step", ("k1", "body", "Hello {{ contact.first_name }}")))
    return [
        (L, "load", (), top, ADMIN),
        (L, "set_enabled", (lambda: world.rule, True), top, a_only),
        (L, "set_enabled", (lambda: world.rule, False), top, a_only),
        (L, "delete", (lambda: world.rule_del_list,), top, a_only),
        (L, "setvar", ("rows", []), top, "setvar"),
        (E, "load", (), new, ADMIN),
        (E, "load", (), rule, a_only),
        (E, "load", (), f"{top}/ar_doesnotexist", grid(ADMIN, staff_a="denied", staff_b_on_b="denied")),
        *[(E, name, args, new, "local") for name, args in (
            ("set_name", ("Hacked",)), ("set_trigger", ("document.completed",)), ("set_trigger_days", ("3",)),
            ("add_condition", ()), ("remove_condition", ("k1",)), ("set_condition", ("k1", "value", "x")),
            ("set_new_step_type", ("wait",)), ("add_step", ()), ("remove_step", ("k1",)), ("move_step", ("k1", 1)),
            ("set_step", ("k1", "subject", "x")), ("set_preview_contact", ("sample",)),
            ("set_test_contact", ("ct_x",)), ("close_preview", ()))],
        # Save: a new version of A's rule; B's owner finds no such rule, whatever the form holds
        (E, "save", (), rule, a_only, tag_rule),
        # as loaded (B's load of A's rule found nothing, so B's form is blank: refused as such)
        (E, "save", (), rule, grid(a_only, staff_b_on_b="invalid"), ("load",)),
        # bad input is refused with a message and nothing is written
        (E, "save", (), rule, grid(a_only, staff_a="invalid", staff_b_on_b="invalid"), tag_rule + (("set_name", ("",)),)),
        (E, "save", (), new, grid(ADMIN, staff_a="invalid", staff_b_on_b="invalid")),
        # a new rule: B's goes to B
        (E, "save", (), new, ADMIN, ("load",) + tag_rule),
        # Preview and Test run: on A's contact (B's owner: no such contact)
        (E, "show_preview", (0,), rule, a_only, email_rule + (("set_preview_contact", lambda: (a1(),)),)),
        (E, "show_preview", (0,), rule, grid(a_only, staff_a="invalid", staff_b_on_b="invalid"), tag_rule),
        (E, "test_run", (), rule, a_only, email_rule + (("set_test_contact", lambda: (a1(),)),)),
        (E, "test_run", (), rule, grid(a_only, staff_a="invalid", staff_b_on_b="invalid"), email_rule),
        (E, "set_enabled", (True,), rule, a_only, ("load",)),
        (E, "set_enabled", (False,), rule, a_only, ("load",)),
        (E, "delete", (), lambda: f"{top}/{world.rule_del_editor}", a_only, ("load",)),
        (E, "setvar", ("rule_id", "ar_x"), new, "setvar"),
        (R, "load", (), runs, a_only),
        (R, "load", (), lambda: f"{runs()}?run={world.auto_runs['waiting']}", a_only),
        (R, "open_run", (lambda: world.auto_runs["waiting"],), runs, a_only, ("load",)),
        (R, "close_run", (), runs, "local"),
        (R, "cancel_run", (), runs, a_only, open_run("waiting")),
        # a stale tab: the run is cancelled already, the service says so
        (R, "cancel_run", (), runs, grid(a_only, staff_a="invalid"), open_run("waiting")),
        (R, "retry_step", (0,), runs, a_only, open_run("failed")),
        (R, "retry_step", (0,), runs, grid(a_only, staff_a="invalid"), open_run("failed")),
        (R, "setvar", ("runs", []), runs, "setvar"),
    ]

"""Automations in Chromium against the production build (issue 14):

staff open Automations from the staff navigation and build a rule in the editor: when a document
is completed, if its kind is contract → email "Welcome to the studio, {{ contact.first_name }}" → wait
2 days → email. A placeholder that does not exist is refused at Save with the message next to
the body, and what was typed stays; Save says "Saved — version 1". Preview shows the rendered
email; Test run on the client shows each step's outcome and sends nothing. Staff switch it on;
the client signs a contract; the welcome email arrives (the dev outbox on embedded, the SMTP
server on production); the run history shows step 1 done and the wait scheduled with its time.
Staff cancel the run (a confirm dialog); a second, stale tab's Cancel is refused with the
service's message. The rule is deleted at the end (the server is shared with the other
journeys). Every websocket frame the client's tab received is searched for the rule's template:
none of it reaches a client. axe-core scans each page; screenshots at 1280 and 390 px (also
copied to /tmp/shots-automations/).
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import sqlalchemy as sa
from playwright.sync_api import expect

from tests.support.frames import received_frames
from tests.support.journey import Journey, accept_invite, invite_client, look_and_keep, staff_sign_in
from tests.support.signing import place, send, sign_as_client, upload
from tests.support.waiting import until

CLIENT = ("Otto", "Onboard", "otto@onboard.example")
SHOTS = Path("/tmp/shots-automations")


def _look(j: Journey, page, name: str) -> None:
    look_and_keep(j, page, name, SHOTS)


def _mails(server, to: str) -> list[tuple[str, str]]:
    """(subject, text) of every email to `to` so far: the SMTP server's, or the dev outbox's."""
    if server.mailbox is not None:
        return [(str(m["Subject"]), m.get_body(preferencelist=("plain",)).get_content())
                for m in list(server.mailbox.messages) if to in str(m["To"])]
    engine = sa.create_engine(server.env["PORTAL_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT subject, text_body FROM dev_mail WHERE to_addr = :to ORDER BY id"),
                                {"to": to}).all()
        return [(r[0], r[1]) for r in rows]
    finally:
        engine.dispose()


def _step(page, n: int, label: str):
    return page.get_by_role("listitem", name=f"Step {n}: {label}")


def _add_step(page, kind: str) -> None:
    page.get_by_label("Add a step").select_option(kind)
    page.get_by_role("button", name="Add step").click()


def test_automations_journey(server, browser, axe, tmp_path):
    j = Journey(server, browser, axe)
    staff_ctx, client_ctx = j.context(), j.context()
    staff, client = j.page(staff_ctx), j.page(client_ctx)
    client_frames = received_frames(client)
    marker = f"TPL-{secrets.token_hex(5)}"
    name = f"Welcome journey {marker[-4:]}"
    staff_sign_in(j, staff)
    accept_invite(client, invite_client(j, staff, *CLIENT), CLIENT[0])

    # the list, from the staff navigation
    staff.get_by_role("navigation", name="Staff navigation").get_by_role("link", name="Automations").click()
    staff.wait_for_url(re.compile(r"/staff/automations$"))
    expect(staff.get_by_role("heading", name="Automations", exact=True)).to_be_visible()
    empty = staff.get_by_text("No automations yet.")
    expect(staff.get_by_role("table").or_(empty)).to_be_visible()
    if server.env["PORTAL_DEMO"] == "0":  # a fresh install: the empty state says what automations do
        expect(empty).to_be_visible()
        expect(staff.get_by_role("status")).to_contain_text("when a contract is completed")
    _look(j, staff, "staff-automations")

    # the editor: name, trigger, a condition
    staff.get_by_role("link", name="New automation").click()
    staff.wait_for_url(re.compile(r"/staff/automations/new$"))
    expect(staff.get_by_role("heading", name="New automation")).to_be_visible()
    staff.get_by_label("Name", exact=True).fill(name)
    staff.get_by_label("Trigger").select_option("document.completed")
    staff.get_by_role("button", name="Add condition").click()
    condition = staff.get_by_role("group", name="Condition 1")
    expect(condition.get_by_label("Field")).to_be_focused()  # the new row takes the focus
    condition.get_by_label("Field").select_option("document.kind")
    condition.get_by_label("Operator").select_option("is")
    condition.get_by_label("Value").select_option("contract")

    # the steps: an email with a placeholder that does not exist, a wait, an email (by keyboard)
    _add_step(staff, "email")
    first = _step(staff, 1, "Send an email")
    expect(first.get_by_label("Subject")).to_be_focused()
    expect(first).to_contain_text("{{ contact.first_name }}")  # the trigger's placeholders are listed
    first.get_by_label("Subject").fill("Welcome to the studio, {{ contact.first_name }}")
    first.get_by_label("Body", exact=True).fill(f"Hello {{{{ contact.nick }}}}, welcome. {marker}")
    _add_step(staff, "wait")
    wait = _step(staff, 2, "Wait")
    wait.get_by_label("Wait", exact=True).fill("2")
    wait.get_by_label("Unit").select_option("days")
    staff.get_by_label("Add a step").select_option("email")
    staff.get_by_role("button", name="Add step").press("Enter")
    third = _step(staff, 3, "Send an email")
    expect(third.get_by_label("Subject")).to_be_focused()
    staff.keyboard.type("How is it going, {{ contact.first_name }}?")
    third.get_by_label("Body", exact=True).fill(f"Two days in: tell us how it goes. {marker}")
    # moving a step by keyboard keeps the focus on it: the wait down, then up again
    wait.get_by_role("button", name="Move step 2 down").press("Enter")
    # at the end: its other button
    expect(_step(staff, 3, "Wait").get_by_role("button", name="Move step 3 up")).to_be_focused()
    staff.keyboard.press("Enter")
    expect(_step(staff, 2, "Wait").get_by_role("button", name="Move step 2 up")).to_be_focused()

    # Save refuses the bad placeholder next to the body, and keeps what was typed
    staff.get_by_role("button", name="Save", exact=True).click()
    expect(first.get_by_role("alert")).to_contain_text("contact.nick")
    expect(first.get_by_role("alert")).to_contain_text("does not exist")
    expect(first.get_by_label("Body", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(first.get_by_label("Body", exact=True)).to_have_value(f"Hello {{{{ contact.nick }}}}, welcome. {marker}")
    expect(third.get_by_label("Subject")).to_have_value("How is it going, {{ contact.first_name }}?")
    assert "/staff/automations/new" in staff.url
    _look(j, staff, "staff-automation-refused")
    first.get_by_label("Body", exact=True).fill(f"Hello {{{{ contact.first_name }}}}, welcome. {marker}")
    staff.get_by_role("button", name="Save", exact=True).click()
    staff.wait_for_url(re.compile(r"/staff/automations/ar_[\w-]+\?saved=1$"))
    expect(staff.get_by_role("status").filter(has_text="Saved — version 1")).to_be_visible()
    rule_id = staff.url.split("/staff/automations/", 1)[1].split("?", 1)[0]
    first = _step(staff, 1, "Send an email")
    expect(first.get_by_label("Subject")).to_have_value("Welcome to the studio, {{ contact.first_name }}")
    expect(staff.get_by_role("group", name="Condition 1").get_by_label("Value")).to_have_value("contract")

    # Preview: the rendered subject and the branded body, for sample data
    first.get_by_role("button", name="Preview the email of step 1").click()
    preview = first.get_by_role("region", name="Email preview")
    expect(preview).to_contain_text("Subject:")
    expect(preview).to_contain_text("Welcome to the studio, ")
    expect(preview.locator("iframe")).to_have_attribute("sandbox", "")
    assert "{{" not in preview.get_by_text("Subject:").inner_text()

    # Test run on the client: each step's outcome, nothing sent
    sent_before = len(_mails(server, CLIENT[2]))
    test = staff.get_by_label("Contact", exact=True)
    test.select_option(label=f"{CLIENT[0]} {CLIENT[1]} ({CLIENT[2]})")
    staff.get_by_role("button", name="Test run").click()
    outcome = staff.get_by_role("region", name="Test run result")
    expect(outcome.get_by_role("listitem")).to_have_count(3)
    expect(outcome.get_by_role("listitem").nth(0)).to_contain_text(f"Welcome to the studio, {CLIENT[0]}")
    expect(outcome.get_by_role("listitem").nth(0)).to_contain_text(CLIENT[2])
    expect(outcome.get_by_role("listitem").nth(1)).to_contain_text("2 days")
    expect(outcome.get_by_role("listitem").nth(0)).to_contain_text("Would run")  # nothing was done
    _look(j, staff, "staff-automation-editor")

    # switched on
    staff.get_by_role("switch", name=re.compile("Disabled")).click()
    expect(staff.get_by_role("switch", name=re.compile("Enabled"))).to_be_checked()
    j.go(staff, "/staff/automations")
    row = staff.get_by_role("row").filter(has_text=name)
    expect(row).to_contain_text("Document completed")
    expect(row.get_by_role("switch")).to_be_checked()
    _look(j, staff, "staff-automations-list")
    assert len(_mails(server, CLIENT[2])) == sent_before  # Test run and Preview sent nothing

    # the client signs a contract: the welcome email arrives
    doc = upload(j, staff, tmp_path, f"Contract {marker[-4:]}", countersign=False, client_email=CLIENT[2])
    place(staff, "Signature", f"{CLIENT[0]} {CLIENT[1]}", 0.3, 0.84)
    send(staff)
    sign_as_client(j, client, doc, "automations-client-signing")
    welcome = f"Welcome to the studio, {CLIENT[0]}"
    text = until(lambda: next((t for s, t in _mails(server, CLIENT[2]) if s == welcome), None), 90,
                 f"no '{welcome}' email reached {CLIENT[2]}")
    assert f"Hello {CLIENT[0]}, welcome." in text and "{{" not in text

    # the run history: step 1 done, the wait scheduled with its time
    j.go(staff, f"/staff/automations/{rule_id}")
    staff.get_by_role("link", name="Run history").click()
    staff.wait_for_url(re.compile(rf"/staff/automations/{rule_id}/runs$"))
    run_row = staff.get_by_role("row").filter(has_text=f"{CLIENT[0]} {CLIENT[1]}")
    expect(run_row).to_have_count(1)
    expect(run_row).to_contain_text("completed")
    expect(run_row).to_contain_text("Waiting")
    run_row.get_by_role("button", name=re.compile("^Open the run of")).click()
    expect(staff.get_by_role("heading", name=f"Run for {CLIENT[0]} {CLIENT[1]}")).to_be_focused()
    steps = staff.get_by_role("list", name="Steps of this run")
    expect(steps.get_by_role("listitem").nth(0)).to_contain_text("Done")
    expect(steps.get_by_role("listitem").nth(1)).to_contain_text("Scheduled")
    expect(steps.get_by_role("listitem").nth(1)).to_contain_text(re.compile(r"scheduled for \d+ \w+ \d{4}, \d\d:\d\d UTC"))
    expect(steps.get_by_role("listitem").nth(2)).to_contain_text("Pending")
    _look(j, staff, "staff-automation-runs")

    # a second tab holds the same run open; the first cancels it (asked first), the second is refused
    stale = j.page(staff_ctx)
    j.go(stale, f"/staff/automations/{rule_id}/runs")
    stale.get_by_role("row").filter(has_text=CLIENT[0]).get_by_role("button", name=re.compile("^Open")).click()
    expect(stale.get_by_role("button", name="Cancel run")).to_be_visible()
    staff.get_by_role("button", name="Cancel run").click()
    confirm = staff.get_by_role("alertdialog", name="Cancel this run?")
    expect(confirm).to_be_visible()
    staff.keyboard.press("Escape")
    expect(confirm).to_have_count(0)
    expect(steps.get_by_role("listitem").nth(1)).to_contain_text("Scheduled")
    staff.get_by_role("button", name="Cancel run").click()
    confirm.get_by_role("button", name="Cancel run").click()
    expect(staff.get_by_role("status").filter(has_text="Run cancelled")).to_be_visible()
    expect(steps.get_by_role("listitem").nth(1)).to_contain_text("Cancelled")
    expect(staff.get_by_role("button", name="Cancel run")).to_have_count(0)
    stale.get_by_role("button", name="Cancel run").click()
    stale.get_by_role("alertdialog").get_by_role("button", name="Cancel run").click()
    expect(stale.get_by_role("alert").filter(has_text="already cancelled")).to_be_visible()
    expect(stale.get_by_role("list", name="Steps of this run").get_by_role("listitem").nth(1)).to_contain_text("Cancelled")
    stale.close()

    # nothing of the rule reaches a client: not its page (sent home), not its templates in any frame
    j.go(client, f"/staff/automations/{rule_id}")
    client.wait_for_url(re.compile(r"/$"))
    j.go(client, "/staff/automations")
    client.wait_for_url(re.compile(r"/$"))
    seen = "\n".join(client_frames)
    assert CLIENT[2] in seen  # the client's own data arrived: these are the real frames
    assert marker not in seen and "contact.first_name" not in seen and name not in seen

    # delete (asked first; Escape keeps it), so the other journeys' contracts start nothing
    j.go(staff, f"/staff/automations/{rule_id}")
    staff.get_by_role("button", name="Delete this automation").click()
    confirm = staff.get_by_role("alertdialog", name="Delete this automation?")
    expect(confirm).to_be_visible()
    staff.keyboard.press("Escape")
    expect(confirm).to_have_count(0)
    staff.get_by_role("button", name="Delete this automation").click()
    confirm.get_by_role("button", name="Delete automation").click()
    staff.wait_for_url(re.compile(r"/staff/automations$"))
    expect(staff.get_by_role("row").filter(has_text=name)).to_have_count(0)
    assert [s for s, _ in _mails(server, CLIENT[2])].count(welcome) == 1

    assert not axe.serious(), axe.serious()
    assert not j.errors, j.errors
    staff_ctx.close()
    client_ctx.close()

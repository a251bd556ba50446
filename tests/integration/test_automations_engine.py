"""Automations end to end on SQLite and PostgreSQL, through the real job queue (worker.run_once)
with an injected clock (worker.clock and models.base.clock move together; nothing sleeps):
event → run → steps; a wait runs at its time; one run per event; a run keeps its version;
Cancel; a failing step is retried with backoff, then failed, and Retry resumes the run; a
webhook step reaches a local receiver signed per Standard Webhooks; conditions skip a run."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import col, select
from standardwebhooks import Webhook

from portal_app import worker
from portal_app.errors import Invalid
from portal_app.jobs import queue
from portal_app.models import AutomationRun, AutomationRunStep, ContactTag, DevMail, OutboxMessage, utcnow
from portal_app.models import base as model_base
from portal_app.services import bus
from portal_app.services.automations import engine, rules
from portal_app.services.billing.invoices import create_invoice, send_invoice
from portal_app.services.webhooks import endpoints
from portal_app.settings import reset_settings_cache
from tests.support.clock import Clock
from tests.support.webhook_receiver import webhook_receiver

LINES = [{"description": "Brand workshop", "quantity": "1", "unit_minor": 48_000, "tax_rate": "0"}]


@pytest.fixture
def clock(monkeypatch, db_url):
    c = Clock(utcnow().replace(microsecond=0))
    monkeypatch.setattr(worker, "clock", c)
    monkeypatch.setattr(model_base, "clock", c)
    monkeypatch.setattr(queue, "rng", lambda: 0.5)
    return c


def step(kind: str, **kw) -> dict:
    s = rules.blank_step(kind)
    s.update(kw)
    return s


def rule(db, staff, steps, trigger="invoice.sent", conditions=(), enabled=True) -> str:
    form = rules.blank_form()
    form.update(name="Follow-up", trigger=trigger, conditions=list(conditions), steps=steps)
    rid = rules.save_rule(db, staff, None, form)
    rules.set_enabled(db, staff, rid, enabled)
    db.commit()
    return rid


def send(db, world, total=48_000) -> str:
    today = utcnow().date()
    lines = [{**LINES[0], "unit_minor": total}]
    inv = create_invoice(db, world.staff_a, contact_public_id=world.contact_a1.public_id, lines=lines,
                         issue_date=today, due_date=today + timedelta(days=14))
    send_invoice(db, world.staff_a, inv.public_id)
    db.commit()
    return inv.public_id


def drain() -> None:
    while worker.run_once():
        pass


def steps_of(db, run_id: str) -> list[tuple[str, str]]:
    db.expire_all()
    return [(s["status"], s["detail"]) for s in rules.run_detail(db, _owner, run_id)["steps"]]


_owner = None


def the_run(db, world, rid) -> dict:
    global _owner
    _owner = world.staff_a
    runs = rules.list_runs(db, world.staff_a, rid)
    assert len(runs) == 1
    return rules.run_detail(db, world.staff_a, runs[0]["id"])


def emails(db, to: str) -> list[str]:
    db.expire_all()
    jobs = db.exec(select(OutboxMessage).where(OutboxMessage.kind == "email").order_by(col(OutboxMessage.id))).all()
    return [json.loads(j.payload)["subject"] for j in jobs if json.loads(j.payload)["to"] == to]


def test_an_event_starts_a_run_whose_wait_ends_at_its_time(db, world, clock):
    rid = rule(db, world.staff_a, [step("email", subject="Thanks, {{ contact.first_name }}",
                                        body="Invoice {{ invoice.number }}: {{ portal_url }}"),
                                   step("wait", amount="2", unit="days"),
                                   step("add_tag", tag="invoiced")])
    send(db, world)
    start = clock.now
    drain()
    run = the_run(db, world, rid)
    assert run["status"] == "waiting" and run["can_cancel"]
    assert [s["status"] for s in run["steps"]] == ["done", "scheduled", "pending"]
    assert run["steps"][0]["detail"].startswith("Emailed alice@client.example \u201cThanks, Alice\u201d")
    assert run["steps"][1]["when"] == "scheduled for " + rules.when_text(start + timedelta(days=2))
    assert emails(db, "alice@client.example")[-1] == "Thanks, Alice"
    mail = db.exec(select(DevMail).where(DevMail.subject == "Thanks, Alice")).one()  # the dev outbox
    assert "Invoice INV-" in mail.text_body and "https://alpha.example.test/" in mail.text_body  # {{ portal_url }}
    assert "Alpha Studio" in mail.html_body and "Open your portal" in mail.html_body  # branded

    clock.advance(days=2, seconds=-1)
    drain()
    assert db.exec(select(ContactTag)).all() == []
    clock.advance(seconds=1)
    drain()
    run = the_run(db, world, rid)
    assert run["status"] == "done"
    assert [s["status"] for s in run["steps"]] == ["done", "done", "done"]
    assert [t.tag for t in db.exec(select(ContactTag)).all()] == ["invoiced"]


def test_a_redelivered_event_never_starts_a_second_run(db, world, clock):
    rid = rule(db, world.staff_a, [step("add_tag", tag="x")])
    inv = send(db, world)
    record = ("evt_12345", clock.now)
    payload = {"invoice": inv, "number": "INV-0001"}
    for _ in range(2):
        bus.dispatch(db, world.ws_a.id, "invoice.sent", payload, record=record)
        db.commit()
    runs = db.exec(select(AutomationRun)).all()
    assert len([r for r in runs if r.event_key == "evt_12345"]) == 1
    assert len(rules.list_runs(db, world.staff_a, rid)) == 1


def test_a_run_finishes_the_version_it_started_with(db, world, clock):
    rid = rule(db, world.staff_a, [step("wait", amount="1", unit="hours"),
                                   step("email", subject="Old {{ contact.first_name }}", body="v1")])
    send(db, world)
    drain()
    form = rules.get_rule(db, world.staff_a, rid)["form"]
    form["steps"][1]["subject"] = "New {{ contact.first_name }}"
    rules.save_rule(db, world.staff_a, rid, form)
    db.commit()
    clock.advance(hours=1)
    drain()
    assert emails(db, "alice@client.example")[-1] == "Old Alice"
    run = the_run(db, world, rid)
    assert run["version"] == 1 and run["status"] == "done"
    send(db, world)  # a new run takes the new version
    drain()
    clock.advance(hours=1)
    drain()
    assert emails(db, "alice@client.example")[-1] == "New Alice"


def test_cancel_stops_the_scheduled_steps(db, world, clock):
    rid = rule(db, world.staff_a, [step("wait", amount="10", unit="minutes"), step("add_tag", tag="late")])
    send(db, world)
    drain()
    run_id = rules.list_runs(db, world.staff_a, rid)[0]["id"]
    rules.cancel_run(db, world.staff_a, run_id)
    db.commit()
    clock.advance(minutes=11)
    drain()
    run = rules.run_detail(db, world.staff_a, run_id)
    assert run["status"] == "cancelled" and not run["can_cancel"]
    assert [s["status"] for s in run["steps"]] == ["cancelled", "cancelled"]
    assert db.exec(select(ContactTag)).all() == []
    with pytest.raises(Invalid, match="already cancelled"):
        rules.cancel_run(db, world.staff_a, run_id)


def test_a_failing_step_is_retried_then_failed_and_retry_resumes_the_run(db, world, clock, monkeypatch):
    monkeypatch.setenv("PORTAL_BASE_URL", "http://localhost:3000")
    monkeypatch.setenv("PORTAL_WEBHOOKS_ALLOW_LOOPBACK", "1")
    reset_settings_cache()
    with webhook_receiver() as receiver:
        view, secret = endpoints.create_endpoint(db, world.staff_a, url=receiver.url, kinds=["document.sent"])
        endpoints.set_enabled(db, world.staff_a, view["id"], False)
        db.commit()
        rid = rule(db, world.staff_a, [step("webhook", target_id=view["id"]), step("add_tag", tag="hooked")])
        send(db, world)
        for _ in range(engine.STEP_ATTEMPTS):
            drain()
            clock.advance(seconds=engine.BACKOFF_CAP)
        run = the_run(db, world, rid)
        assert run["status"] == "failed"
        first = run["steps"][0]
        assert first["status"] == "failed" and first["can_retry"] and first["attempts"] == engine.STEP_ATTEMPTS
        assert "is disabled" in first["detail"] and first["detail"].startswith("Failed after 5 attempts")
        with pytest.raises(Invalid):
            rules.retry_step(db, world.staff_a, run["id"], 1)

        endpoints.set_enabled(db, world.staff_a, view["id"], True)
        rules.retry_step(db, world.staff_a, run["id"], 0)
        db.commit()
        drain()
        run = the_run(db, world, rid)
        assert run["status"] == "done"
        assert [s["status"] for s in run["steps"]] == ["done", "done"]
        assert len(receiver.requests) == 1
        _, headers, body = receiver.requests[0]
        event = Webhook(secret).verify(body, headers)
        assert event["type"] == "automation.step"
        assert event["data"]["run"] == run["id"] and event["data"]["contact"]["email"] == "alice@client.example"


def test_conditions_not_met_skip_the_run(db, world, clock):
    rid = rule(db, world.staff_a, [step("add_tag", tag="big")],
               conditions=[{"field": "invoice.amount", "op": "above", "value": "1000"}])
    send(db, world, total=48_000)  # 480.00
    drain()
    run = the_run(db, world, rid)
    assert run["status"] == "skipped"
    assert run["steps"][0]["detail"] == "Skipped: conditions not met (Invoice total is above \u201c1000\u201d)"
    send(db, world, total=200_000)
    drain()
    assert [r["status"] for r in rules.list_runs(db, world.staff_a, rid)] == ["done", "skipped"]
    assert db.exec(select(AutomationRunStep).where(AutomationRunStep.status == "done")).first() is not None


def test_a_disabled_rule_starts_nothing(db, world, clock):
    rid = rule(db, world.staff_a, [step("add_tag", tag="x")], enabled=False)
    send(db, world)
    drain()
    assert rules.list_runs(db, world.staff_a, rid) == []


def test_overdue_is_raised_once_per_invoice_and_the_rule_waits_its_n_days(db, world, clock):
    from portal_app.services.automations import overdue

    form = rules.blank_form()
    form.update(name="Chase", trigger="invoice.overdue", trigger_days="3",
                steps=[step("email", subject="Reminder {{ invoice.number }}", body="Due {{ invoice.due_date }}")])
    rid = rules.save_rule(db, world.staff_a, None, form)
    rules.set_enabled(db, world.staff_a, rid, True)
    inv_id = send(db, world)  # due in 14 days
    drain()
    assert overdue.raise_due(db) == 0
    clock.advance(days=15)  # the day after the due date
    assert overdue.raise_due(db) == 1
    db.commit()
    assert overdue.raise_due(db) == 0  # once per invoice, however often the job runs
    drain()
    run = the_run(db, world, rid)
    assert run["summary"].endswith("overdue") and run["steps"][0]["status"] == "scheduled"
    due = clock.now.replace(hour=0, minute=0, second=0) - timedelta(days=1)
    assert run["steps"][0]["when"] == "scheduled for " + rules.when_text(due + timedelta(days=3))
    clock.advance(days=3)
    drain()
    assert emails(db, "alice@client.example")[-1].startswith("Reminder INV-")
    assert inv_id


def test_accepting_the_portal_invitation_raises_invite_accepted(db, world, clock):
    from portal_app.models import ClientAccount
    from portal_app.services.accounts import invites
    from portal_app.services.accounts.contacts import create_contact

    rid = rule(db, world.staff_a, [step("add_tag", tag="portal")], trigger="invite.accepted")
    contact = create_contact(db, world.staff_a, {"first_name": "Dee", "email": "dee@client.example"})
    invites.send_invite(db, world.staff_a, contact.public_id)
    db.commit()
    token = _invite_token(db)
    invites.accept_invite(db, token, "a long enough password 1", "a long enough password 1",
                          workspace_id=world.ws_a.id)
    db.commit()
    drain()
    run = the_run(db, world, rid)
    assert run["contact"] == "Dee" and run["status"] == "done"
    assert db.exec(select(ClientAccount).where(ClientAccount.contact_id == contact.id)).one().status == "active"


def _invite_token(db) -> str:
    import re

    job = db.exec(select(OutboxMessage).where(OutboxMessage.kind == "email").order_by(col(OutboxMessage.id).desc())).first()
    return re.search(r"token=([\w-]+)|/invite/([\w-]+)", json.loads(job.payload)["text"]).group(0).split("=")[-1].split("/")[-1]


def test_share_draft_invoice_and_notify_staff_steps(db, world, clock):
    from portal_app.models import FileShare, Invoice
    from portal_app.services.files.files import create_folder

    folder = create_folder(db, world.staff_a, name="Kick-off")
    template_id = send(db, world, total=99_000)
    drain()
    rid = rule(db, world.staff_a, [step("share", target_id=folder.public_id),
                                   step("share", target_id=folder.public_id),  # already shared: fine
                                   step("draft_invoice", target_id=template_id),
                                   step("notify_staff", subject="{{ contact.name }} started",
                                        body="Invoice {{ invoice.number }}")])
    send(db, world)
    drain()
    run = the_run(db, world, rid)
    assert run["status"] == "done", run
    details = [s["detail"] for s in run["steps"]]
    assert details[0] == "Shared the folder \u201cKick-off\u201d with Alice Client."
    assert details[1] == "The folder \u201cKick-off\u201d was already shared with Alice Client."
    assert details[2].startswith("Created draft invoice INV-") and "copied from INV-0001" in details[2]
    assert details[3] == "Notified owner@alpha.example."  # every owner and admin (the member is not)
    assert [s.contact_id for s in db.exec(select(FileShare).where(FileShare.item_id == folder.id))] == \
        [world.contact_a1.id]
    draft = db.exec(select(Invoice).where(Invoice.status == "draft")).one()
    assert draft.total_minor == 99_000 and draft.contact_id == world.contact_a1.id
    assert emails(db, "owner@alpha.example")[-1] == "Alice Client started"


def test_a_target_deleted_after_saving_fails_the_step_with_a_reason(db, world, clock):
    from portal_app.services.files.files import create_folder, delete_item

    folder = create_folder(db, world.staff_a, name="Gone soon")
    rid = rule(db, world.staff_a, [step("share", target_id=folder.public_id)])
    delete_item(db, world.staff_a, folder.public_id)
    db.commit()
    send(db, world)
    for _ in range(engine.STEP_ATTEMPTS):
        drain()
        clock.advance(seconds=engine.BACKOFF_CAP)
    run = the_run(db, world, rid)
    assert run["status"] == "failed"
    assert run["steps"][0]["detail"] == ("Failed after 5 attempts: The folder or file to share no longer exists.")

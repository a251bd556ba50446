"""The demo workspace's "Onboarding sequence": the seed's own completed contract starts nothing;
the client signing the pending demo contract (sealed by the worker: document.completed) starts
it -- the welcome email is in the dev outbox, the Onboarding folder is shared, the 2-day wait is
scheduled, and the check-in follows two days later (injected clock)."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from portal_app import worker
from portal_app.access import Client, Staff
from portal_app.models import (
    AutomationRule,
    ClientAccount,
    Contact,
    DevMail,
    Document,
    FileItem,
    FileShare,
    StaffUser,
    utcnow,
)
from portal_app.models import base as model_base
from portal_app.services.automations import rules
from portal_app.services.documents import signing
from portal_app.services.portal.demo import DEMO_CLIENT_EMAIL, seed_demo
from tests.support.clock import Clock


def drain() -> None:
    while worker.run_once():
        pass


def test_signing_the_demo_contract_starts_the_onboarding_sequence(db, monkeypatch):
    assert seed_demo(db, "http://localhost:3000", "staff-pass-123", "client-pass-123") is not None
    db.commit()
    clock = Clock(utcnow() + timedelta(seconds=1))
    monkeypatch.setattr(worker, "clock", clock)
    monkeypatch.setattr(model_base, "clock", clock)
    drain()  # the seed's events: its already-completed contract is older than the rule
    owner = db.exec(select(StaffUser)).one()
    staff = Staff(owner.workspace_id, owner.id, owner.role, owner.email, owner.name)
    [row] = rules.list_rules(db, staff)
    assert (row["name"], row["enabled"], row["runs"], row["steps"]) == ("Onboarding sequence", True, 0, 4)
    folder = db.exec(select(FileItem).where(FileItem.name == "Onboarding")).one()
    assert db.exec(select(FileShare).where(FileShare.item_id == folder.id)).all() == []  # not shared yet

    contact = db.exec(select(Contact).where(Contact.email == DEMO_CLIENT_EMAIL)).one()
    account = db.exec(select(ClientAccount).where(ClientAccount.contact_id == contact.id)).one()
    client = Client(contact.workspace_id, contact.id, account.id, contact.email, contact.display_name)
    doc = db.exec(select(Document).where(Document.title == "Website redesign contract")).one()
    signing.sign_document(db, client, doc.public_id, consent=True, values={},
                          signature={"kind": "typed", "name": contact.display_name}, ip="127.0.0.1",
                          user_agent="test")
    db.commit()
    drain()  # seal → document.completed → the run's first steps

    rule = db.exec(select(AutomationRule)).one()
    [run_row] = rules.list_runs(db, staff, rule.public_id)
    run = rules.run_detail(db, staff, run_row["id"])
    assert run["summary"] == 'Contract "Website redesign contract" completed' and run["contact"] == "Casey Client"
    assert [s["status"] for s in run["steps"]] == ["done", "done", "scheduled", "pending"]
    assert run["steps"][2]["when"] == "scheduled for " + rules.when_text(clock.now + timedelta(days=2))
    welcome = db.exec(select(DevMail).where(DevMail.subject == "Welcome aboard, Casey")).one()
    assert welcome.to_addr == DEMO_CLIENT_EMAIL and "Website redesign contract" in welcome.text_body
    assert [s.contact_id for s in db.exec(select(FileShare).where(FileShare.item_id == folder.id))] == [contact.id]

    clock.advance(days=2)
    drain()
    assert db.exec(select(DevMail).where(DevMail.subject == "How is it going?")).one().to_addr == DEMO_CLIENT_EMAIL
    assert rules.run_detail(db, staff, run_row["id"])["status"] == "done"

"""When sealing fails: the document stays "sealing", never completed unsealed; the worker
retries with backoff and then gives up; staff's "Retry sealing now" starts one fresh job
that completes it once the cause is gone. Runs the real worker (worker.run_once) against
the test database."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import select

from portal_app import worker
from portal_app.adapters import pdf_complete
from portal_app.errors import Forbidden, Invalid, NotFound
from portal_app.jobs import queue
from portal_app.models import AuditEvent, Document, OutboxMessage, utcnow
from portal_app.services.documents import document_views, sealing, verify
from tests.support.clock import Clock
from tests.support.docs import sent, sign_as_client


def _seal_jobs(db, doc) -> list[OutboxMessage]:
    db.rollback()
    db.expire_all()
    rows = db.exec(select(OutboxMessage).where(OutboxMessage.kind == "document.seal").order_by(OutboxMessage.id)).all()
    return [m for m in rows if json.loads(m.payload)["document"] == doc.public_id]


def _due_now(db) -> None:
    """Skip the backoff wait: every pending job is due."""
    for m in db.exec(select(OutboxMessage).where(OutboxMessage.done_at.is_(None))).all():
        m.next_attempt_at = utcnow()
        db.add(m)
    db.commit()


@pytest.fixture
def signed(db, world):
    doc = sent(db, world)
    sign_as_client(db, world, doc)
    db.commit()
    assert doc.status == "sealing"
    return doc


@pytest.fixture
def broken_sealer(monkeypatch):
    calls = []

    def refuse(*args, **kwargs):
        calls.append(1)
        raise pdf_complete.DocumentError("The sealing certificate has expired.")

    monkeypatch.setattr(pdf_complete, "complete_document", refuse)
    return calls


def test_a_failed_seal_keeps_the_document_sealing_and_says_why(db, world, signed, broken_sealer, monkeypatch):
    clock = Clock()  # the retry is due 2 s after the failure, however long the checks below take
    monkeypatch.setattr(worker, "clock", clock)
    monkeypatch.setattr(queue, "rng", lambda: 0.5)  # the jitter's middle: exactly 2 ** attempts seconds
    worker.run_once()
    [job] = _seal_jobs(db, signed)
    doc = db.get(Document, signed.id)
    assert (doc.status, doc.completed_key, doc.completed_sha256) == ("sealing", "", "")
    assert doc.seal_error == "The sealing certificate has expired."
    assert job.done_at is None and job.attempts == 1 and job.next_attempt_at == clock.now + timedelta(seconds=2)
    assert "DocumentError" in job.last_error
    view = document_views.document_detail(db, world.staff_a, doc.public_id)
    assert (view["status"], view["seal_error"]) == ("sealing", "The sealing certificate has expired.")
    with pytest.raises(Invalid):
        document_views.document_file(db, world.client_a1, doc.public_id, "completed")  # nothing to download yet
    assert not db.exec(select(OutboxMessage).where(OutboxMessage.kind == "document.completed")).all()


def test_the_worker_gives_up_then_staff_retry_and_it_completes(db, world, signed, broken_sealer, monkeypatch):
    for _ in range(worker.MAX_ATTEMPTS + 2):
        _due_now(db)
        worker.run_once()
    assert len(broken_sealer) == worker.MAX_ATTEMPTS  # then it stops asking
    [job] = _seal_jobs(db, signed)
    assert job.attempts == worker.MAX_ATTEMPTS and job.done_at is None

    monkeypatch.undo()  # the cause is fixed
    sealing.retry_sealing(db, world.member_a, signed.public_id)  # any staff member may
    db.commit()
    old, fresh = _seal_jobs(db, signed)
    assert old.done_at is not None and "superseded by a retry" in old.last_error
    assert fresh.done_at is None and fresh.attempts == 0
    assert db.get(Document, signed.id).seal_error == ""  # the stale reason is gone until the job reports
    trail = [e.action for e in db.exec(select(AuditEvent).where(AuditEvent.subject_id == signed.public_id)).all()]
    assert "document.seal_retried" in trail

    assert worker.run_once() >= 1
    db.rollback()
    db.expire_all()
    doc = db.get(Document, signed.id)
    assert (doc.status, doc.seal_error) == ("completed", "") and len(doc.completed_sha256) == 64
    data, _ = document_views.document_file(db, world.client_a1, doc.public_id, "completed")
    assert verify.verify_upload(db, data).verdict == "sealed_here"
    with pytest.raises(Invalid, match="waiting to be sealed"):  # completed: nothing to retry
        sealing.retry_sealing(db, world.staff_a, signed.public_id)


def test_a_second_job_for_a_completed_document_changes_nothing(db, world, signed):
    sealing.retry_sealing(db, world.staff_a, signed.public_id)  # two jobs queued: the first superseded
    db.commit()
    sealing.complete(db, signed.public_id)
    db.commit()
    first = (signed.completed_sha256, signed.completed_at)
    sealing.complete(db, signed.public_id)  # a late job: left alone
    db.commit()
    db.refresh(signed)
    assert (signed.completed_sha256, signed.completed_at) == first


def test_only_this_workspaces_staff_retry_and_only_a_sealing_document(db, world, signed):
    with pytest.raises(Forbidden):
        sealing.retry_sealing(db, world.client_a1, signed.public_id)
    with pytest.raises(NotFound):
        sealing.retry_sealing(db, world.staff_b, signed.public_id)
    with pytest.raises(NotFound):
        sealing.retry_sealing(db, world.staff_a, "doc_guessed")
    other = sent(db, world)
    with pytest.raises(Invalid, match="waiting to be sealed"):
        sealing.retry_sealing(db, world.staff_a, other.public_id)
    db.rollback()
    assert len(_seal_jobs(db, signed)) == 1  # nothing was queued by the refusals


def test_the_live_page_says_completed_when_the_retried_seal_lands(db, world, signed, broken_sealer,
                                                                  monkeypatch, staff_cookie):
    from portal_app.db import unit_of_work
    from portal_app.state.staff.document_detail import StaffDocumentState
    from tests.support.states import HOST_A, run_handler

    worker.run_once()  # fails: the page shows why
    state, _ = run_handler(StaffDocumentState, "retry_sealing", (), HOST_A, staff_cookie,
                           f"/staff/documents/{signed.public_id}", pre=("load",))
    assert state.notice == "Sealing will be tried again in a moment."
    with unit_of_work() as s:  # the follow loop's check while nothing has changed
        state._refresh_live(s, state._context(s).actor)
    assert state.notice == "Sealing will be tried again in a moment."
    monkeypatch.undo()  # the cause is fixed
    sealing.complete(db, signed.public_id)  # the worker seals it
    db.commit()
    with unit_of_work() as s:
        state._refresh_live(s, state._context(s).actor)
    assert state.doc["status"] == "completed"
    assert (state.notice, state.notice_tone) == ("Completed: every signer has signed and the PDF is sealed.", "green")

"""Settings › Jobs, in Chromium against the production build: an email whose every attempt
failed (the mail server was down) is on the owner's dead list with its last error; Retry
queues it again, the list empties, and the email then reaches its recipient. Retrying it a
second time from a stale page is refused with a message, not an error."""

from __future__ import annotations

import json

import sqlalchemy as sa
from playwright.sync_api import expect

from tests.support.journey import Journey, staff_credentials, staff_sign_in

TO = "dana@jobs.example"
ERROR = "SMTPServerDisconnected: Connection unexpectedly closed"


def _dead_email(j: Journey) -> int:
    """An email job of the owner's workspace whose attempts are all spent, as the worker leaves it."""
    engine = sa.create_engine(j.s.env["PORTAL_DATABASE_URL"])
    payload = {"to": TO, "subject": "Your documents are ready", "from_name": "Jobs journey",
               "text": f"Hello Dana, your documents are ready: {j.s.url}/documents",
               "html": f"<p>Hello Dana, your documents are ready: <a href=\"{j.s.url}/documents\">open them</a></p>"}
    try:
        with engine.begin() as conn:
            ws = conn.execute(sa.text("SELECT workspace_id FROM staff_user WHERE email = :e"),
                              {"e": staff_credentials(j)[0]}).scalar_one()
            return conn.execute(sa.text(
                "INSERT INTO outbox_message (workspace_id, kind, payload, created_at, next_attempt_at, attempts, "
                "max_attempts, priority, last_error, dead_at) VALUES (:ws, 'email', :p, CURRENT_TIMESTAMP, "
                "CURRENT_TIMESTAMP, 8, 8, 0, :err, CURRENT_TIMESTAMP) RETURNING id"),
                {"ws": ws, "p": json.dumps(payload), "err": ERROR}).scalar_one()
    finally:
        engine.dispose()


def test_jobs_journey(server, browser, axe):
    j = Journey(server, browser, axe)
    owner = j.page(j.context())
    staff_sign_in(j, owner)
    job_id = _dead_email(j)

    j.go(owner, "/staff/settings/jobs")
    expect(owner.get_by_role("heading", name="Jobs", exact=True)).to_be_visible()
    # (other journeys on this server may have left dead jobs of their own: this one is found by its id)
    row = owner.get_by_role("row").filter(has=owner.get_by_role("button", name=f"Retry job {job_id}", exact=True))
    expect(row).to_contain_text(ERROR)
    expect(row.get_by_role("cell").nth(1)).to_contain_text("8")  # attempts
    j.look(owner, "staff-jobs")

    stale = j.page(owner.context)  # a second tab, opened before the retry
    j.go(stale, "/staff/settings/jobs")
    expect(stale.get_by_role("button", name=f"Retry job {job_id}", exact=True)).to_be_visible()

    row.get_by_role("button", name=f"Retry job {job_id}", exact=True).click()
    expect(owner.get_by_role("status").filter(has_text="Queued again")).to_be_visible()
    expect(owner.get_by_role("button", name=f"Retry job {job_id}", exact=True)).to_have_count(0)

    # the same job again from a page opened before the retry: refused in words
    stale.get_by_role("button", name=f"Retry job {job_id}", exact=True).click()
    expect(stale.get_by_role("alert").filter(has_text="no longer dead")).to_be_visible()

    # the worker runs it: the email reaches Dana
    link = server.mailbox.link_for(TO) if server.mailbox is not None else server.dev_mail_link(TO)
    assert link == f"{server.url}/documents", link
    assert not j.errors, j.errors

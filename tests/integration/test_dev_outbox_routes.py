"""GET /api/dev-outbox/attachments/<dma_id>: a dev outbox mail's file (an appointment's .ics),
inside SecurityHeaders over Starlette's TestClient, on SQLite and PostgreSQL.

The rule is the /staff/outbox page's own (access.require_read_dev_outbox): the workspace's
owner, while PORTAL_MAIL=outbox. GET_MATRIX is the route's row of the authorization matrix:
every kind of actor (tests/integration/conftest.py `sessions`; `*_on_a` is a cookie taken to the
other workspace's host) with what it gets; everyone refused gets the same plain 404 as a
guessed id, and the refusal carries none of the file.
"""

from __future__ import annotations

import pytest
from sqlmodel import select

from portal_app import worker
from portal_app.adapters.mail import Attachment
from portal_app.adapters.storage import content_disposition
from portal_app.models import DevMailAttachment
from portal_app.services import emails, mail_attachments
from portal_app.services.sessions import SESSION_COOKIE
from portal_app.settings import reset_settings_cache
from tests.support.file_routes import fresh_db, is_not_found

ICS = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Client Portal//Appointments//EN\r\nMETHOD:REQUEST\r\n"
       b"BEGIN:VEVENT\r\nUID:ap_1@alpha.example.test\r\nSEQUENCE:0\r\nSUMMARY:Tax review\r\n"
       b"DTSTART:20260309T130000Z\r\nDTEND:20260309T133000Z\r\nDTSTAMP:20260301T000000Z\r\nEND:VEVENT\r\n"
       b"END:VCALENDAR\r\n")
BLOB = bytes(range(256)) * 8

# actor -> expected outcome of downloading workspace A's attachment
GET_MATRIX = {
    "staff_a": "ok",
    "member_a": "404",       # staff, not the owner: the outbox holds other people's links
    "alice": "404",          # the client the mail went to: not hers to read here
    "bob": "404",
    "carol_on_a": "404",     # a client of workspace B, cookie sent to A
    "staff_b_on_b": "404",   # another workspace's owner, on their own host
    "staff_b_on_a": "404",   # ... and with their cookie sent to A's host
    "anon": "404",
}


@pytest.fixture
def sent(db, world) -> dict[str, str]:
    """An invitation with two files, delivered to workspace A's dev outbox; filename -> public id."""
    emails.queue_email(db, world.ws_a, to="alice@client.example", subject="Appointment", html="<p>h</p>",
                       text="t", attachments=[mail_attachments.calendar_invitation(ICS),
                                              Attachment("Agenda – Zoë.bin", "application/x-thing", BLOB)])
    db.commit()
    assert worker.run_once() == 1
    with fresh_db() as s:
        return {a.filename: a.public_id for a in s.exec(select(DevMailAttachment)).all()}


def _get(http, sessions, who: str, public_id: str):
    host, token = sessions[who]
    headers = {"host": host}
    if token:
        headers["cookie"] = f"{SESSION_COOKIE}={token}"
    return http.get(f"/api/dev-outbox/attachments/{public_id}", headers=headers)


@pytest.mark.parametrize("who", sorted(GET_MATRIX))
def test_get_matrix(http, sessions, sent, who):
    resp = _get(http, sessions, who, sent["invite.ics"])
    if GET_MATRIX[who] == "ok":
        assert resp.status_code == 200 and resp.content == ICS
        assert resp.headers["content-type"].startswith("text/calendar")
        assert resp.headers["content-disposition"] == content_disposition("invite.ics")
    else:
        # deny assertion: the same 404 as an id nobody has, and not a byte of the file
        assert is_not_found(resp), (who, resp.status_code, resp.text[:200])
        assert b"VCALENDAR" not in resp.content


def test_download_headers_of_another_file(http, sessions, sent):
    resp = _get(http, sessions, "staff_a", sent["Agenda – Zoë.bin"])
    assert resp.status_code == 200 and resp.content == BLOB
    h = resp.headers
    assert h["content-type"] == "application/octet-stream"  # never rendered in our origin
    assert h["content-disposition"] == content_disposition("Agenda – Zoë.bin")
    assert h["x-content-type-options"] == "nosniff" and "sandbox" in h["content-security-policy"]
    assert h["cache-control"] == "private, no-store"


@pytest.mark.parametrize("junk", ["dma_nothing-here", "nope", "dma_" + "x" * 80, "dma_a.b%00"])
def test_junk_and_unknown_ids_are_plain_404s(http, sessions, sent, junk):
    assert is_not_found(_get(http, sessions, "staff_a", junk))


def test_no_downloads_once_mail_goes_by_smtp(http, sessions, sent, monkeypatch):
    monkeypatch.setenv("PORTAL_MAIL", "smtp")
    reset_settings_cache()
    assert is_not_found(_get(http, sessions, "staff_a", sent["invite.ics"]))

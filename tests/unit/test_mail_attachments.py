"""Email attachments (issue 16: an appointment's .ics reaches the client's calendar).

The MIME the SMTP mailer builds, parsed back with the email package: a calendar invitation is a
text/calendar alternative with its METHOD and the same bytes again as invite.ics; other files
are plain attachments. The limits on what queue_email accepts (ValueError: our code makes
attachments, people never do). The path through the job payload and the worker to the dev
outbox, which lists the files and lets the owner download them (the route itself:
tests/integration/test_dev_outbox_routes.py).
"""

from __future__ import annotations

import base64
import dataclasses
import email
import email.policy
import json
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from portal_app import limits, worker
from portal_app.adapters.mail import Attachment, Mail, build_message, calendar_method
from portal_app.errors import Forbidden, NotFound
from portal_app.models import DevMail, DevMailAttachment, OutboxMessage
from portal_app.services import emails, mail_attachments
from portal_app.services.appointments.ics import IcsEvent, invitation
from portal_app.services.portal import staff_views
from portal_app.settings import reset_settings_cache
from tests.support.outbox import outbox_payloads

EVENT = IcsEvent(
    uid="ap_7Kq2@alpha.example.test", sequence=2,
    start=datetime(2026, 3, 9, 13, tzinfo=UTC), end=datetime(2026, 3, 9, 13, 30, tzinfo=UTC),
    zone="Europe/Berlin", summary="Tax review with Zoë", description="Bring last year's return.",
    url="https://alpha.example.test/appointments/ap_7Kq2",
    organizer_email="owner@alpha.example", organizer_name="Olivia Owner",
    attendee_email="alice@client.example", attendee_name="Alice", stamp=datetime(2026, 3, 1, tzinfo=UTC),
)
REQUEST = invitation(EVENT, method="REQUEST")
CANCEL = invitation(EVENT, method="CANCEL")
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 4


def _mail(*attachments: Attachment) -> Mail:
    return Mail(to="alice@client.example", subject="Your appointment", text="See you on Monday.",
                html="<p>See you on <b>Monday</b>.</p>", from_name="Alpha Studio", attachments=attachments)


def _parsed(mail: Mail) -> email.message.EmailMessage:
    """Built, flattened as SMTP sends it (CRLF), and parsed back."""
    raw = build_message(mail, "portal@portal.test", "<1@portal.test>").as_bytes(
        policy=email.policy.SMTP)
    return email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[return-value]


def _lines(data: bytes) -> list[bytes]:
    return data.replace(b"\r\n", b"\n").split(b"\n")


# --- the MIME ------------------------------------------------------------------------------------

@pytest.mark.parametrize("ics,method", [(REQUEST, "REQUEST"), (CANCEL, "CANCEL")])
def test_a_calendar_invitation_is_an_alternative_with_its_method_and_an_attachment(ics, method):
    msg = _parsed(_mail(mail_attachments.calendar_invitation(ics)))
    assert msg.get_content_type() == "multipart/mixed"
    alternative, attached = msg.get_payload()
    assert alternative.get_content_type() == "multipart/alternative"
    plain, html, calendar = alternative.get_payload()
    assert (plain.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
    assert plain.get_content().strip() == "See you on Monday."
    assert calendar.get_content_type() == "text/calendar"
    assert calendar.get_param("method") == method
    assert calendar.get_content_charset() == "utf-8"
    assert calendar.get_content_disposition() is None  # inline, the part calendars act on
    assert _lines(calendar.get_content().encode("utf-8")) == _lines(ics)
    assert f"METHOD:{method}" in calendar.get_content()

    assert attached.get_content_type() == "application/ics"
    assert attached.get_content_disposition() == "attachment"
    assert attached.get_filename() == "invite.ics" and attached.get_param("name") == "invite.ics"
    assert attached.get_content() == ics  # base64: the very bytes
    # the text part is still what a reader without a calendar sees first
    assert msg.get_body(("plain",)).get_content().strip() == "See you on Monday."
    assert msg.get_body(("html",)).get_content().strip() == "<p>See you on <b>Monday</b>.</p>"


def test_other_files_are_plain_attachments_after_the_alternatives():
    feed = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    msg = _parsed(_mail(Attachment("Invoice INV-7.pdf", "application/pdf", PDF),
                        Attachment("feed.ics", "text/calendar", feed)))
    alternative, pdf, ics = msg.get_payload()
    assert [p.get_content_type() for p in alternative.get_payload()] == ["text/plain", "text/html"]
    assert (pdf.get_content_type(), pdf.get_filename(), pdf.get_content()) == (
        "application/pdf", "Invoice INV-7.pdf", PDF)
    # a calendar without METHOD is a file, not an invitation
    assert ics.get_content_type() == "text/calendar" and ics.get_param("method") is None
    assert ics.get_filename() == "feed.ics" and ics.get_content_disposition() == "attachment"


def test_without_attachments_the_message_is_as_before():
    msg = _parsed(_mail())
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.get_payload()] == ["text/plain", "text/html"]


def test_a_unicode_file_name_survives():
    msg = _parsed(_mail(Attachment("Résumé – Zoë.pdf", "application/pdf", PDF)))
    assert msg.get_payload()[1].get_filename() == "Résumé – Zoë.pdf"


@pytest.mark.parametrize("data,want", [
    (REQUEST, "REQUEST"),
    (CANCEL, "CANCEL"),
    (b"BEGIN:VCALENDAR\nmethod:publish\nBEGIN:VEVENT\nEND:VEVENT\nEND:VCALENDAR\n", "PUBLISH"),
    # METHOD belongs to the VCALENDAR: a property of the same name inside an event is not one
    (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nMETHOD:REQUEST\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n", None),
    (b"BEGIN:VCALENDAR\r\nMETHOD:SHOUT\r\nEND:VCALENDAR\r\n", None),  # not an iTIP method
    (b"METHOD:REQUEST\r\n", None),  # not a calendar
])
def test_calendar_method(data, want):
    assert calendar_method(Attachment("a.ics", "text/calendar", data)) == want
    assert calendar_method(Attachment("a.ics", "application/octet-stream", data)) is None


# --- what queue_email accepts --------------------------------------------------------------------

def test_names_and_types_are_cleaned():
    [a, b, c] = mail_attachments.check([
        Attachment("../../etc/pass\x00wd\u202e.ics", "Text/Calendar", b"x"),
        Attachment("", "application/pdf", PDF),
        Attachment("n" * 300 + ".pdf", "application/pdf", b"%PDF"),
    ])
    assert (a.filename, a.content_type) == ("passwd.ics", "text/calendar")
    assert b.filename == "file"
    assert len(c.filename) == limits.MAIL_ATTACHMENT_NAME and c.filename.endswith("n.pdf")


def test_the_limits_are_exact():
    each = limits.MAIL_ATTACHMENTS_BYTES // limits.MAIL_ATTACHMENTS
    most = [Attachment(f"f{i}.bin", "application/octet-stream", b"x" * each) for i in range(limits.MAIL_ATTACHMENTS)]
    most[0] = Attachment("f0.bin", "application/octet-stream",
                         b"x" * (limits.MAIL_ATTACHMENTS_BYTES - each * (limits.MAIL_ATTACHMENTS - 1)))
    assert sum(len(a.data) for a in mail_attachments.check(most)) == limits.MAIL_ATTACHMENTS_BYTES
    with pytest.raises(ValueError, match="at most 5 attachments"):
        mail_attachments.check([*most[:4], Attachment("a", "text/plain", b"a"), Attachment("b", "text/plain", b"b")])
    with pytest.raises(ValueError, match="bytes together"):
        mail_attachments.check([*most[:4], Attachment("big", "application/octet-stream", most[4].data + b"!")])


@pytest.mark.parametrize("bad,why", [
    (Attachment("a.txt", "text/plain", b""), "empty"),
    (Attachment("a.txt", "text/plain", "not bytes"), "bytes"),  # type: ignore[arg-type]
    (Attachment("a.txt", "text/plain; charset=utf-8", b"x"), "content type"),
    (Attachment("a.txt", "text", b"x"), "content type"),
    (Attachment("a.txt", "multipart/mixed", b"x"), "content type"),
    (Attachment("a.txt", "text/plain\r\nBcc: x@y", b"x"), "content type"),
    (Attachment("a.ics", "text/calendar", REQUEST.replace(b"Zo\xc3\xab", b"Zo\xeb")), "UTF-8"),
])
def test_bad_attachments_are_refused(bad, why):
    with pytest.raises(ValueError, match=why):
        mail_attachments.check([bad])


def test_one_invitation_per_email():
    with pytest.raises(ValueError, match="one calendar invitation"):
        mail_attachments.check([mail_attachments.calendar_invitation(REQUEST),
                                mail_attachments.calendar_invitation(CANCEL, "cancel.ics")])
    with pytest.raises(ValueError, match="one calendar invitation"):
        build_message(_mail(Attachment("a.ics", "text/calendar", REQUEST), Attachment("b.ics", "text/calendar", CANCEL)),
                      "p@portal.test", "<1@portal.test>")


def test_payload_round_trip_and_malformed_payloads():
    items = [mail_attachments.calendar_invitation(REQUEST), Attachment("a.pdf", "application/pdf", PDF)]
    payload = json.loads(json.dumps(mail_attachments.to_payload(items)))
    assert payload[0] == {"filename": "invite.ics", "content_type": "text/calendar",
                          "data": base64.b64encode(REQUEST).decode()}
    assert mail_attachments.from_payload(payload) == tuple(items)
    assert mail_attachments.from_payload(None) == ()
    for bad in ({"a": 1}, [{"filename": "a"}], [{"filename": "a", "content_type": "text/plain", "data": "!!"}]):
        with pytest.raises(ValueError):
            mail_attachments.from_payload(bad)


def test_queue_email_refuses_too_much_and_queues_nothing(db, world):
    too_big = Attachment("big.bin", "application/octet-stream", b"x" * (limits.MAIL_ATTACHMENTS_BYTES + 1))
    with pytest.raises(ValueError):
        emails.queue_branded_email(db, world.ws_a, to="alice@client.example", subject="S", heading="H",
                                   paragraphs=["p"], button_label="Open", button_url="https://a.test/",
                                   footer="f", attachments=[too_big])
    db.flush()
    assert db.exec(select(OutboxMessage)).all() == []


# --- through the worker to the dev outbox -------------------------------------------------------

def _send_invitation(db, world, to="alice@client.example"):
    emails.queue_branded_email(
        db, world.ws_a, to=to, subject="Appointment: Tax review", heading="Hello Alice,",
        paragraphs=["Your appointment is booked."], button_label="Open", button_url=EVENT.url,
        footer="f", attachments=[mail_attachments.calendar_invitation(REQUEST),
                                 Attachment("Agenda.pdf", "application/pdf", PDF)])
    db.commit()


def test_the_worker_delivers_attachments_to_the_dev_outbox_and_scrubs_the_payload(db, world):
    _send_invitation(db, world)
    [payload] = outbox_payloads(db)
    assert [a["filename"] for a in payload["attachments"]] == ["invite.ics", "Agenda.pdf"]
    assert base64.b64decode(payload["attachments"][0]["data"]) == REQUEST
    assert worker.run_once() == 1
    db.expire_all()
    [mail] = db.exec(select(DevMail)).all()
    files = db.exec(select(DevMailAttachment).order_by(DevMailAttachment.position)).all()
    assert [(f.dev_mail_id, f.filename, f.content_type, f.size, f.data) for f in files] == [
        (mail.id, "invite.ics", "text/calendar", len(REQUEST), REQUEST),
        (mail.id, "Agenda.pdf", "application/pdf", len(PDF), PDF)]
    assert all(f.workspace_id == world.ws_a.id and f.public_id.startswith("dma_") for f in files)
    [row] = db.exec(select(OutboxMessage)).all()
    assert "attachments" not in json.loads(row.payload)  # scrubbed once sent, like the text


def test_the_outbox_page_lists_the_files_with_download_links(db, world):
    from portal_app.services.accounts.auth import start_staff_session
    from portal_app.state.staff.outbox import OutboxState
    from tests.support.states import HOST_A, run_handler

    emails.staff_notice_email(db, world.ws_a, to="member@alpha.example", subject="No files", text="t",
                              link="https://a.test/")
    _send_invitation(db, world)
    assert worker.run_once() == 2
    files = {f.filename: f.public_id for f in db.exec(select(DevMailAttachment)).all()}
    [with_files, without] = staff_views.dev_outbox(db, world.staff_a)
    assert without["attachments"] == []
    assert with_files["attachments"] == [
        {"name": "invite.ics", "type": "text/calendar", "size": f"{len(REQUEST) / 1024:.1f} KB",
         "url": f"/api/dev-outbox/attachments/{files['invite.ics']}"},
        {"name": "Agenda.pdf", "type": "application/pdf", "size": "1.0 KB",
         "url": f"/api/dev-outbox/attachments/{files['Agenda.pdf']}"}]

    cookie = start_staff_session(db, world.owner_user)
    db.commit()
    state, _ = run_handler(OutboxState, "load", (), HOST_A, cookie, "/staff/outbox")
    assert state._outcome == "ok"
    assert [a["name"] for a in state.mails[0]["attachments"]] == ["invite.ics", "Agenda.pdf"]
    assert "BEGIN:VCALENDAR" not in json.dumps(state.dict(), default=str)  # names only, never bytes


def test_the_listing_reads_no_file_bytes(db, world):
    """The files of 50 mails are one statement of names and sizes."""
    import sqlalchemy as sa

    _send_invitation(db, world)
    worker.run_once()
    seen: list[str] = []

    def record(conn, cursor, statement, *args):
        seen.append(statement)

    engine = db.get_bind()
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        staff_views.dev_outbox(db, world.staff_a)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    statements = [s for s in seen if "dev_mail_attachment" in s]
    assert len(statements) == 1 and "dev_mail_attachment.data" not in statements[0]


# --- the download service (the route: tests/integration/test_dev_outbox_routes.py) --------------

def test_the_owner_downloads_a_file_and_nobody_else_does(db, world):
    _send_invitation(db, world, to="owner@alpha.example")
    worker.run_once()
    files = {f.filename: f.public_id for f in db.exec(select(DevMailAttachment)).all()}
    got = staff_views.dev_mail_attachment(db, world.staff_a, files["invite.ics"])
    assert (got.filename, got.content_type, got.data) == ("invite.ics", "text/calendar", REQUEST)
    assert staff_views.dev_mail_attachment(db, world.staff_a, files["Agenda.pdf"]).data == PDF
    with pytest.raises(Forbidden):
        staff_views.dev_mail_attachment(db, world.member_a, files["invite.ics"])
    with pytest.raises(NotFound):  # another workspace's owner: as if it did not exist
        staff_views.dev_mail_attachment(db, world.staff_b, files["invite.ics"])
    with pytest.raises(NotFound):
        staff_views.dev_mail_attachment(db, world.staff_a, "dma_guessed")
    with pytest.raises(Forbidden):
        staff_views.dev_mail_attachment(db, world.client_a1, files["invite.ics"])


def test_no_download_when_mail_goes_by_smtp(db, world, monkeypatch):
    _send_invitation(db, world)
    worker.run_once()
    public_id = db.exec(select(DevMailAttachment.public_id)).first()
    monkeypatch.setenv("PORTAL_MAIL", "smtp")
    reset_settings_cache()
    with pytest.raises(NotFound, match="SMTP"):
        staff_views.dev_mail_attachment(db, world.staff_a, public_id)


def test_links_in_a_calendar_file_of_mail_to_someone_else_are_redacted(db, world):
    secret = "https://alpha.example.test/confirm-email?token=" + "s3cr3t" * 12  # long: the .ics folds it
    ics = invitation(dataclasses.replace(EVENT, description=f"Confirm first: {secret}"))
    assert secret.encode() not in ics  # folded across lines
    for to in ("alice@client.example", "owner@alpha.example"):
        emails.queue_email(db, world.ws_a, to=to, subject="S", html="<p>h</p>", text="t",
                           attachments=[mail_attachments.calendar_invitation(ics)])
    db.commit()
    assert worker.run_once() == 2
    by_to = {m.to_addr: m.id for m in db.exec(select(DevMail)).all()}
    ids = {f.dev_mail_id: f.public_id for f in db.exec(select(DevMailAttachment)).all()}
    others = staff_views.dev_mail_attachment(db, world.staff_a, ids[by_to["alice@client.example"]]).data
    assert b"s3cr3t" not in others and b"/confirm-email?token=\xe2\x80\xa2\xe2\x80\xa2" in others
    own = staff_views.dev_mail_attachment(db, world.staff_a, ids[by_to["owner@alpha.example"]]).data
    assert own == ics

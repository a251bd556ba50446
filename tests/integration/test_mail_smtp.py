"""SmtpMailer against a real SMTP server (aiosmtpd) in this process, over loopback sockets:
plain, AUTH LOGIN/PLAIN, STARTTLS and implicit TLS with a throw-away CA; then the whole path
from send_invite through the outbox worker to the server."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import json
import re
import smtplib
import socket
import ssl

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlmodel import Session, select

from portal_app.adapters import mail as mail_adapter
from portal_app.adapters.mail import Mail, SmtpMailer
from portal_app.settings import get_settings, reset_settings_cache
from tests.support.clock import Clock

USER, PASSWORD = "mailer@portal.test", "s3cret-smtp-pass"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Collector:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        tls = server.transport.get_extra_info("sslcontext") is not None
        self.envelopes.append((envelope, bool(session.authenticated), tls))
        return "250 Message accepted"


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == USER.encode() \
        and auth_data.password == PASSWORD.encode()
    # handled=False: aiosmtpd itself answers 535 on failure (True would leave the client waiting).
    return AuthResult(success=ok, handled=False)


def _cert(subject: str, key, issuer_cert=None, issuer_key=None, *, ca=False, names=()):
    now = dt.datetime.now(dt.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    builder = (x509.CertificateBuilder().subject_name(name)
               .issuer_name(issuer_cert.subject if issuer_cert else name)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ca:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
            key_encipherment=False, data_encipherment=False, key_agreement=False,
            encipher_only=False, decipher_only=False), critical=True)
        builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
    else:
        builder = builder.add_extension(x509.SubjectAlternativeName(list(names)), critical=False)
        builder = builder.add_extension(x509.ExtendedKeyUsage([x509.ExtendedKeyUsageOID.SERVER_AUTH]), False)
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), False)
    return builder.sign(issuer_key or key, hashes.SHA256())


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A test CA, a server certificate for 127.0.0.1/localhost and one for another name."""
    folder = tmp_path_factory.mktemp("pki")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _cert("Portal Test CA", ca_key, ca=True)
    out = {"ca_file": str(folder / "ca.pem")}
    (folder / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    for label, names in {"good": [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))],
                         "wrong_name": [x509.DNSName("mail.elsewhere.test")]}.items():
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _cert(label, key, ca, ca_key, names=names)
        (folder / f"{label}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        (folder / f"{label}.key").write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(folder / f"{label}.pem", folder / f"{label}.key")
        out[label] = ctx
    return out


@pytest.fixture
def smtp_server(recwarn):
    """Start an aiosmtpd server with the given options; stopped after the test."""
    started = []

    def start(**kwargs):
        handler = Collector()
        port = _free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port, **kwargs)
        controller.start()
        started.append(controller)
        return handler, port

    yield start
    for controller in started:
        controller.stop()


@pytest.fixture
def configure(monkeypatch):
    def apply(**env):
        monkeypatch.setenv("PORTAL_MAIL", "smtp")
        monkeypatch.setenv("PORTAL_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("PORTAL_MAIL_FROM", "portal@portal.test")
        for name in ("PORTAL_SMTP_USERNAME", "PORTAL_SMTP_PASSWORD", "PORTAL_SMTP_CA_FILE"):
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(f"PORTAL_SMTP_{name.upper()}", str(value))
        reset_settings_cache()
        mail_adapter.set_mailer(None)
        mailer = mail_adapter.get_mailer()
        assert isinstance(mailer, SmtpMailer)
        return mailer
    return apply


MAIL = Mail(to="alice@client.example", subject="Your invoice INV-7 is ready",
            text="Hello Alice,\nyour invoice is ready.", html="<p>Hello <b>Alice</b>, your invoice is ready.</p>",
            from_name="Alpha Studio")


def _parse(envelope) -> email.message.EmailMessage:
    # SMTP carries CRLF line ends; compare bodies with the newlines the mailer was given.
    return email.message_from_bytes(envelope.original_content.replace(b"\r\n", b"\n"),
                                    policy=email.policy.default)


def test_plain_delivery_multipart_text_and_html(smtp_server, configure):
    handler, port = smtp_server()
    configure(port=port, security="none").send(MAIL, 1, None)
    [(envelope, authenticated, tls)] = handler.envelopes
    assert envelope.mail_from == "portal@portal.test"
    assert envelope.rcpt_tos == ["alice@client.example"]
    assert (authenticated, tls) == (False, False)
    msg = _parse(envelope)
    assert msg["From"] == "Alpha Studio <portal@portal.test>"
    assert msg["To"] == "alice@client.example"
    assert msg["Subject"] == "Your invoice INV-7 is ready"
    assert msg["Message-ID"].endswith("@portal.test>")
    assert msg.get_content_type() == "multipart/alternative"
    text, html = msg.get_body(("plain",)), msg.get_body(("html",))
    assert text.get_content().strip() == MAIL.text
    assert html.get_content().strip() == MAIL.html


def test_unicode_sender_name_and_subject_survive(smtp_server, configure):
    handler, port = smtp_server()
    note = Mail(to="zoe@client.example", subject="Facture n° 7 — Zoë", text="Bonjour Zoë",
                html="<p>Bonjour Zoë</p>", from_name="Café Ünïcode")
    configure(port=port, security="none").send(note, 1, None)
    msg = _parse(handler.envelopes[0][0])
    assert msg["Subject"] == "Facture n° 7 — Zoë"
    assert msg["From"].addresses[0].display_name == "Café Ünïcode"
    assert msg.get_body(("plain",)).get_content().strip() == "Bonjour Zoë"


def test_auth_login_with_username_and_password(smtp_server, configure):
    handler, port = smtp_server(authenticator=_authenticator, auth_required=True, auth_require_tls=False)
    configure(port=port, security="none", username=USER, password=PASSWORD).send(MAIL, 1, None)
    [(envelope, authenticated, _tls)] = handler.envelopes
    assert authenticated is True and envelope.rcpt_tos == ["alice@client.example"]


def test_auth_with_wrong_password_is_refused_and_nothing_delivered(smtp_server, configure):
    handler, port = smtp_server(authenticator=_authenticator, auth_required=True, auth_require_tls=False)
    with pytest.raises(smtplib.SMTPAuthenticationError):
        configure(port=port, security="none", username=USER, password="wrong").send(MAIL, 1, None)
    assert handler.envelopes == []


def test_server_requiring_auth_refuses_anonymous_sender(smtp_server, configure):
    handler, port = smtp_server(authenticator=_authenticator, auth_required=True, auth_require_tls=False)
    with pytest.raises(smtplib.SMTPException):
        configure(port=port, security="none").send(MAIL, 1, None)
    assert handler.envelopes == []


def test_starttls_with_private_ca_then_auth(smtp_server, configure, pki):
    handler, port = smtp_server(tls_context=pki["good"], require_starttls=True,
                                authenticator=_authenticator, auth_required=True)  # AUTH only after TLS
    mailer = configure(port=port, security="starttls", username=USER, password=PASSWORD,
                       ca_file=pki["ca_file"])
    mailer.send(MAIL, 1, None)
    [(envelope, authenticated, tls)] = handler.envelopes
    assert (authenticated, tls) == (True, True)
    assert _parse(envelope)["Subject"] == MAIL.subject


def test_starttls_refuses_a_certificate_nobody_vouches_for(smtp_server, configure, pki):
    handler, port = smtp_server(tls_context=pki["good"], require_starttls=True)
    with pytest.raises(ssl.SSLCertVerificationError):
        configure(port=port, security="starttls").send(MAIL, 1, None)  # no CA file: system CAs only
    assert handler.envelopes == []


def test_starttls_refuses_a_certificate_for_another_host(smtp_server, configure, pki):
    handler, port = smtp_server(tls_context=pki["wrong_name"], require_starttls=True)
    with pytest.raises(ssl.SSLCertVerificationError):
        configure(port=port, security="starttls", ca_file=pki["ca_file"]).send(MAIL, 1, None)
    assert handler.envelopes == []


def test_starttls_required_but_not_offered_fails_instead_of_sending_in_clear(smtp_server, configure):
    handler, port = smtp_server(authenticator=_authenticator, auth_require_tls=False)  # no TLS at all
    with pytest.raises(smtplib.SMTPNotSupportedError):
        configure(port=port, security="starttls", username=USER, password=PASSWORD).send(MAIL, 1, None)
    assert handler.envelopes == []


def test_implicit_tls(smtp_server, configure, pki):
    handler, port = smtp_server(ssl_context=pki["good"])
    configure(port=port, security="ssl", ca_file=pki["ca_file"]).send(MAIL, 1, None)
    assert len(handler.envelopes) == 1 and handler.envelopes[0][2] is True


def test_unknown_security_mode_is_an_error_not_plaintext(smtp_server, configure):
    handler, port = smtp_server(authenticator=_authenticator, auth_require_tls=False)
    with pytest.raises(ValueError):
        configure(port=port, security="tls", username=USER, password=PASSWORD).send(MAIL, 1, None)
    assert handler.envelopes == []


def test_ca_file_setting_is_documented_and_read(monkeypatch, pki):
    from portal_app.settings import SETTINGS_DOC

    assert "PORTAL_SMTP_CA_FILE" in {name for name, _default, _doc in SETTINGS_DOC}
    assert get_settings().smtp_ca_file == ""
    monkeypatch.setenv("PORTAL_SMTP_CA_FILE", pki["ca_file"])
    reset_settings_cache()
    assert get_settings().smtp_ca_file == pki["ca_file"]


# --- end to end: invite -> outbox -> worker -> SMTP ----------------------------------------

def test_invite_email_goes_through_worker_to_smtp(world, db, smtp_server, configure):
    from portal_app.db import get_engine
    from portal_app.models import OutboxMessage
    from portal_app.services.accounts.contacts import create_contact
    from portal_app.services.accounts.invites import send_invite
    from portal_app.worker import run_once

    handler, port = smtp_server()
    contact = create_contact(db, world.staff_a, {"first_name": "Dana", "last_name": "Newclient",
                                                 "email": "dana@client.example"})
    send_invite(db, world.staff_a, contact.public_id)
    db.commit()
    configure(port=port, security="none")

    assert run_once() == 1
    [(envelope, _auth, _tls)] = handler.envelopes
    assert envelope.rcpt_tos == ["dana@client.example"]
    msg = _parse(envelope)
    assert msg["Subject"] == "Alpha Studio invited you to your client portal"
    assert msg["From"] == "Alpha Studio <portal@portal.test>"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    links = re.findall(r"https?://\S+", text)
    assert links and all(link.startswith(world.ws_a.base_url + "/invite?token=") for link in links)
    token = links[0].split("token=", 1)[1]
    assert len(token) >= 40 and f'href="{world.ws_a.base_url}/invite?token={token}"' in html

    # Acknowledged: marked done, one-time link scrubbed from the database, never sent twice.
    with Session(get_engine()) as s:
        [row] = s.exec(select(OutboxMessage).where(OutboxMessage.workspace_id == world.ws_a.id)).all()
        assert row.done_at is not None and row.attempts == 1
        assert token not in row.payload and json.loads(row.payload)["scrubbed"] is True
    assert run_once() == 0
    assert len(handler.envelopes) == 1


def test_worker_keeps_the_message_when_smtp_is_down(world, db, configure, monkeypatch):
    from portal_app import worker
    from portal_app.db import get_engine
    from portal_app.jobs import queue
    from portal_app.models import OutboxMessage
    from portal_app.services.accounts.contacts import create_contact
    from portal_app.services.accounts.invites import send_invite
    from portal_app.worker import run_once

    contact = create_contact(db, world.staff_a, {"first_name": "Eve", "last_name": "Later",
                                                 "email": "eve@client.example"})
    send_invite(db, world.staff_a, contact.public_id)
    db.commit()
    configure(port=_free_port(), security="none")  # nothing listens there
    clock = Clock()  # the retry is due 2 s after the failure, however slow the refused connection
    monkeypatch.setattr(worker, "clock", clock)
    monkeypatch.setattr(queue, "rng", lambda: 0.5)  # the jitter's middle: exactly 2 ** attempts seconds

    assert run_once() == 0
    with Session(get_engine()) as s:
        [row] = s.exec(select(OutboxMessage)).all()
        assert row.done_at is None and row.attempts == 1 and row.last_error
        assert "token=" in json.loads(row.payload)["text"]  # kept for the retry
        assert row.next_attempt_at == clock.now + dt.timedelta(seconds=2)


# --- attachments: a calendar invitation over SMTP (issue 16) -------------------------------

def _invitation(method: str = "REQUEST") -> bytes:
    from portal_app.services.appointments.ics import IcsEvent, invitation

    return invitation(IcsEvent(
        uid="ap_7Kq2@alpha.example.test", sequence=1,
        start=dt.datetime(2026, 3, 9, 13, tzinfo=dt.UTC), end=dt.datetime(2026, 3, 9, 13, 30, tzinfo=dt.UTC),
        zone="Europe/Berlin", summary="Tax review with Zoë", organizer_email="owner@alpha.example",
        attendee_email="alice@client.example", stamp=dt.datetime(2026, 3, 1, tzinfo=dt.UTC)), method=method)


def _calendar_parts(msg) -> tuple:
    """(the text/calendar alternative, the .ics attachment) of a received message."""
    assert msg.get_content_type() == "multipart/mixed"
    alternative, *attached = msg.get_payload()
    assert [p.get_content_type() for p in alternative.get_payload()] == ["text/plain", "text/html", "text/calendar"]
    return alternative.get_payload()[2], attached


@pytest.mark.parametrize("method", ["REQUEST", "CANCEL"])
def test_a_calendar_invitation_arrives_as_calendar_part_and_attachment(smtp_server, configure, method):
    from portal_app.services.mail_attachments import calendar_invitation

    ics = _invitation(method)
    handler, port = smtp_server()
    mail = Mail(to=MAIL.to, subject=MAIL.subject, text=MAIL.text, html=MAIL.html, from_name=MAIL.from_name,
                attachments=(calendar_invitation(ics),))
    configure(port=port, security="none").send(mail, 1, None)
    [(envelope, _auth, _tls)] = handler.envelopes
    assert b"\r\nMETHOD:" + method.encode() + b"\r\n" in envelope.original_content  # CRLF lines on the wire
    msg = _parse(envelope)
    calendar, [attached] = _calendar_parts(msg)
    assert calendar.get_param("method") == method and calendar.get_content_charset() == "utf-8"
    assert calendar.get_content().replace("\n", "\r\n") == ics.decode("utf-8")
    assert (attached.get_content_type(), attached.get_filename()) == ("application/ics", "invite.ics")
    assert attached.get_content() == ics
    assert msg.get_body(("plain",)).get_content().strip() == MAIL.text


def test_an_invitation_goes_through_the_worker_to_smtp(world, db, smtp_server, configure):
    from portal_app.services import emails
    from portal_app.services.mail_attachments import calendar_invitation
    from portal_app.worker import run_once

    ics = _invitation()
    handler, port = smtp_server()
    emails.queue_branded_email(db, world.ws_a, to="alice@client.example", subject="Appointment booked: Tax review",
                               heading="Hello Alice,", paragraphs=["Your appointment is booked."],
                               button_label="Open", button_url=world.ws_a.base_url + "/appointments",
                               footer="f", attachments=[calendar_invitation(ics)])
    db.commit()
    configure(port=port, security="none")
    assert run_once() == 1
    [(envelope, _auth, _tls)] = handler.envelopes
    msg = _parse(envelope)
    assert msg["Subject"] == "Appointment booked: Tax review"
    calendar, [attached] = _calendar_parts(msg)
    assert calendar.get_param("method") == "REQUEST"
    assert "UID:ap_7Kq2@alpha.example.test" in calendar.get_content()
    assert attached.get_content() == ics

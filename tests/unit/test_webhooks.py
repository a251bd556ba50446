"""Outbound webhooks: signing (checked with the standardwebhooks reference code), the SSRF
guard at save and delivery time, the retry schedule, one job per endpoint and event, 410 Gone,
the secret shown once and sealed, and who may manage endpoints."""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from portal_app import worker
from portal_app.errors import Forbidden, Invalid, NotFound, NotSignedIn
from portal_app.jobs import queue
from portal_app.models import OutboxMessage, WebhookDelivery, WebhookEndpoint
from portal_app.services import bus, events
from portal_app.services.secret_box import unseal
from portal_app.services.webhooks import delivery, endpoints, guard
from portal_app.settings import SettingsError, load_settings, reset_settings_cache
from tests.support.webhook_receiver import webhook_receiver

PUBLIC = "93.184.216.34"


def _resolve_to(monkeypatch, address: str) -> None:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    monkeypatch.setattr(guard, "resolver", lambda host, port, **kw: [(family, socket.SOCK_STREAM, 6, "",
                                                                      (address, port))])


@pytest.fixture
def loopback(monkeypatch):
    """The test-only allowance: a local base URL and PORTAL_WEBHOOKS_ALLOW_LOOPBACK=1."""
    monkeypatch.setenv("PORTAL_BASE_URL", "http://localhost:3000")
    monkeypatch.setenv("PORTAL_WEBHOOKS_ALLOW_LOOPBACK", "1")
    reset_settings_cache()


def _jobs(db) -> list[OutboxMessage]:
    db.expire_all()
    return list(db.exec(select(OutboxMessage).where(OutboxMessage.kind == delivery.KIND)
                        .order_by(OutboxMessage.id)).all())


def test_signature_verifies_with_the_reference_code():
    secret = endpoints.new_secret()
    assert secret.startswith("whsec_")
    body = json.dumps({"type": "invoice.sent", "timestamp": "2026-12-07T12:00:00Z", "data": {"invoice": "in_1"}})
    headers = delivery.signed_headers(secret, "msg_1", body, datetime.now(UTC))
    assert headers["webhook-signature"].startswith("v1,")
    assert Webhook(secret).verify(body, headers)["data"] == {"invoice": "in_1"}
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoints.new_secret()).verify(body, headers)  # another secret: refused


@pytest.mark.parametrize("url", ["https://127.0.0.1/hook", "https://10.0.0.1/hook", "https://169.254.169.254/latest",
                                 "https://[::1]/hook", "https://192.168.1.5/", "https://[fc00::1]/",
                                 "https://[fe80::1]/", "https://224.0.0.1/", "https://0.0.0.0/",
                                 "https://[::ffff:127.0.0.1]/", "https://240.0.0.1/"])
def test_private_and_local_addresses_are_refused(url):
    with pytest.raises(guard.Refused, match="cannot be sent to"):
        guard.check_url(url)


@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.1", "169.254.169.254", "::1"])
def test_a_name_resolving_to_them_is_refused(monkeypatch, address):
    _resolve_to(monkeypatch, address)
    with pytest.raises(guard.Refused, match=f"hooks.example.com resolves to {address}"):
        guard.check_url("https://hooks.example.com/in")


def test_public_https_is_accepted_and_http_only_on_a_local_portal(monkeypatch):
    _resolve_to(monkeypatch, PUBLIC)
    assert guard.check_url("https://hooks.example.com/in") == [PUBLIC]
    with pytest.raises(guard.Refused, match="https"):
        guard.check_url("http://hooks.example.com/in")
    for bad in ("ftp://hooks.example.com/", "https://user:pw@hooks.example.com/", "hooks.example.com"):
        with pytest.raises(guard.Refused):
            guard.check_url(bad)
    monkeypatch.setenv("PORTAL_BASE_URL", "http://localhost:3000")
    reset_settings_cache()
    assert guard.check_url("http://hooks.example.com/in") == [PUBLIC]
    with pytest.raises(guard.Refused):  # loopback still needs the test-only allowance
        guard.check_url("http://127.0.0.1:8000/in")


def test_the_loopback_allowance_is_refused_in_production(monkeypatch, loopback):
    assert guard.check_url("http://127.0.0.1:8000/in") == ["127.0.0.1"]
    with pytest.raises(guard.Refused):
        guard.check_url("http://10.0.0.1/in")  # loopback only
    monkeypatch.setenv("PORTAL_BASE_URL", "https://portal.example.com")
    with pytest.raises(SettingsError, match="PORTAL_WEBHOOKS_ALLOW_LOOPBACK"):
        load_settings()


def test_saving_a_metadata_address_says_why(db, world, monkeypatch):
    _resolve_to(monkeypatch, "169.254.169.254")
    with pytest.raises(Invalid) as exc:
        endpoints.create_endpoint(db, world.staff_a, url="https://metadata.example.com/")
    assert exc.value.field == "url" and "link-local" in exc.value.message
    assert db.exec(select(WebhookEndpoint)).all() == []


def test_the_retry_schedule_spans_about_three_days():
    opts = queue.options_for(delivery.KIND)
    assert (opts.max_attempts, opts.backoff_cap) == (delivery.MAX_ATTEMPTS, delivery.BACKOFF_CAP)
    waits = [queue.backoff_seconds(a, opts.backoff_cap, rand=0.5) for a in range(1, opts.max_attempts)]
    total = timedelta(seconds=sum(waits))
    assert timedelta(days=2.9) <= total <= timedelta(days=3.3), total
    lo = sum(queue.backoff_seconds(a, opts.backoff_cap, rand=0.0) for a in range(1, opts.max_attempts))
    assert lo >= timedelta(days=2.5).total_seconds()  # even with the shortest jitter


def test_secret_is_shown_once_and_sealed(db, world, monkeypatch):
    _resolve_to(monkeypatch, PUBLIC)
    view, secret = endpoints.create_endpoint(db, world.staff_a, url="https://hooks.example.com/in",
                                             description="CRM", kinds=["invoice.sent", "invoice.paid"])
    db.commit()
    row = db.exec(select(WebhookEndpoint)).one()
    assert secret.startswith("whsec_") and secret not in row.secret_sealed and row.secret_sealed.startswith("fernet:")
    assert unseal(row.secret_sealed) == secret
    assert secret not in json.dumps(endpoints.list_endpoints(db, world.staff_a))
    assert view["kinds"] == "invoice.paid, invoice.sent" and row.wants("invoice.sent") and not row.wants("file.shared")
    rotated = endpoints.rotate_secret(db, world.staff_a, row.public_id)
    assert rotated != secret and unseal(row.secret_sealed) == rotated
    with pytest.raises(Invalid):
        endpoints.create_endpoint(db, world.staff_a, url="https://hooks.example.com/in", kinds=["invoice.teleported"])
    with pytest.raises(Invalid, match="at most"):
        endpoints.create_endpoint(db, world.staff_a, url="https://hooks.example.com/" + "x" * 600)


def test_one_job_per_endpoint_and_event(db, world, monkeypatch):
    _resolve_to(monkeypatch, PUBLIC)
    a, _ = endpoints.create_endpoint(db, world.staff_a, url="https://a.example.com/in")
    endpoints.create_endpoint(db, world.staff_a, url="https://b.example.com/in", kinds=["file.shared"])
    endpoints.create_endpoint(db, world.staff_b, url="https://c.example.com/in")  # another workspace
    db.commit()
    at = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    for _ in range(2):  # the same event handled twice (a retried bus row): still one delivery
        bus.dispatch(db, world.ws_a.id, "invoice.sent", {"invoice": "in_1", "number": "INV-1"}, record=("evt_9", at))
    db.commit()
    jobs = _jobs(db)
    assert len(jobs) == 1
    payload = json.loads(jobs[0].payload)
    assert jobs[0].unique_key == f"webhook:{payload['endpoint']}:evt_9"
    assert json.loads(payload["body"]) == {"type": "invoice.sent", "timestamp": "2026-12-07T12:00:00Z",
                                           "data": {"invoice": "in_1", "number": "INV-1"}}
    bus.dispatch(db, world.ws_a.id, "file.shared", {"item": "fi_1", "kind": "file", "contact": "ct_1"},
                 record=("evt_10", at))
    db.commit()
    assert len(_jobs(db)) == 3  # both of A's endpoints want file.shared; B's endpoint hears nothing of A
    endpoints.set_enabled(db, world.staff_a, a["id"], False)
    db.commit()
    bus.dispatch(db, world.ws_a.id, "invoice.voided", {"invoice": "in_1", "number": "INV-1"}, record=("evt_11", at))
    assert len(_jobs(db)) == 3  # a disabled endpoint gets nothing


def test_410_gone_disables_the_endpoint(db, world, loopback, monkeypatch):
    monkeypatch.setattr(queue, "rng", lambda: 0.5)
    with webhook_receiver([410]) as receiver:
        view, _ = endpoints.create_endpoint(db, world.staff_a, url=receiver.url)
        db.commit()
        bus.dispatch(db, world.ws_a.id, "invoice.viewed", {"invoice": "in_1"}, record=("evt_1", datetime.now(UTC)))
        db.commit()
        assert worker.run_once() == 1  # done: not retried
        assert len(receiver.requests) == 1
    db.expire_all()
    row = db.exec(select(WebhookEndpoint)).one()
    assert not row.enabled and "410" in row.disabled_reason
    log = endpoints.deliveries(db, world.staff_a, view["id"])
    assert [(d["status"], d["attempt"]) for d in log] == [("410", "1")]
    assert "410" in endpoints.list_endpoints(db, world.staff_a)[0]["status"]


def test_a_host_that_turns_private_is_refused_at_delivery(db, world, monkeypatch):
    monkeypatch.setattr(queue, "rng", lambda: 0.5)
    _resolve_to(monkeypatch, PUBLIC)
    endpoints.create_endpoint(db, world.staff_a, url="https://hooks.example.com/in")
    db.commit()
    bus.dispatch(db, world.ws_a.id, "invoice.viewed", {"invoice": "in_1"}, record=("evt_1", datetime.now(UTC)))
    db.commit()
    _resolve_to(monkeypatch, "10.0.0.7")  # DNS rebinding: now it points inside
    connected = []
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: connected.append(a))
    assert worker.run_once() == 0
    assert connected == []
    job = _jobs(db)[0]
    assert job.done_at is None and job.attempts == 1 and "10.0.0.7" in job.last_error
    log = db.exec(select(WebhookDelivery)).one()
    assert log.status_code is None and "private network" in log.error


def test_replay_sends_the_same_webhook_id_again(db, world, loopback):
    with webhook_receiver() as receiver:
        endpoints.create_endpoint(db, world.staff_a, url=receiver.url)
        db.commit()
        bus.dispatch(db, world.ws_a.id, "invoice.viewed", {"invoice": "in_1"}, record=("evt_1", datetime.now(UTC)))
        db.commit()
        assert worker.run_once() == 1
        first = db.exec(select(WebhookDelivery)).one()
        endpoints.replay(db, world.staff_a, first.public_id)
        db.commit()
        assert worker.run_once() == 1
        ids = [headers["webhook-id"] for _, headers, _ in receiver.requests]
        assert len(ids) == 2 and ids[0] == ids[1] == first.message_id
        assert receiver.requests[0][2] == receiver.requests[1][2]


@pytest.mark.parametrize("who", ["client_a1", "member_a", "staff_b", "anon"])
def test_only_owners_and_admins_of_the_workspace_manage_webhooks(db, world, monkeypatch, who):
    _resolve_to(monkeypatch, PUBLIC)
    view, _ = endpoints.create_endpoint(db, world.staff_a, url="https://hooks.example.com/in")
    db.commit()
    actor = getattr(world, who)
    refused = (Forbidden, NotSignedIn, NotFound)
    calls = [lambda: endpoints.list_endpoints(db, actor),
             lambda: endpoints.create_endpoint(db, actor, url="https://hooks.example.com/other"),
             lambda: endpoints.set_enabled(db, actor, view["id"], False),
             lambda: endpoints.rotate_secret(db, actor, view["id"]),
             lambda: endpoints.delete_endpoint(db, actor, view["id"]),
             lambda: endpoints.deliveries(db, actor, view["id"])]
    for call in calls:
        if who == "staff_b" and call is calls[0]:
            assert call() == []  # B's owner sees B's (none), never A's
            continue
        if who == "staff_b" and call is calls[1]:
            continue  # B's owner may add B's own endpoint
        with pytest.raises(refused):
            call()
    db.rollback()
    row = db.exec(select(WebhookEndpoint).where(WebhookEndpoint.workspace_id == world.ws_a.id)).one()
    assert row.enabled and row.public_id == view["id"]


def test_every_event_kind_reaches_the_webhooks_but_a_persons_security_notices():
    personal = {kind for kind, cls in events.by_kind().items() if cls.personal}
    assert personal == {"account.new_device", "account.password_changed", "account.two_factor_changed"}
    assert bus.kinds() == sorted(events.by_kind())
    assert endpoints.event_kinds() == sorted(set(events.by_kind()) - personal)
    for kind, cls in events.by_kind().items():
        assert (delivery.fan_out in bus.HANDLERS[cls]) is not cls.personal, kind


def test_the_page_shows_the_secret_once(db, world, actors):
    from portal_app.state.staff.webhooks import WebhooksState
    from tests.support.states import run_handler

    host, cookie = actors["staff_a"]
    path = "/staff/settings/webhooks"
    form = {"webhook_url": "https://93.184.216.34/crm", "webhook_description": "CRM", "all_kinds": "on"}
    state, _ = run_handler(WebhooksState, "add", (form,), host, cookie, path, ("load",))
    assert state._outcome == "ok" and state.new_secret.startswith("whsec_")
    assert [r["url"] for r in state.rows][-1] == "https://93.184.216.34/crm"
    db.expire_all()
    row = db.exec(select(WebhookEndpoint).where(WebhookEndpoint.url == "https://93.184.216.34/crm")).one()
    assert unseal(row.secret_sealed) == state.new_secret and state.new_secret not in row.secret_sealed
    again, _ = run_handler(WebhooksState, "load", (), host, cookie, path, (("add", (form,)),))
    assert again.new_secret == "" and again.secret_for == ""  # gone once the page is loaded again
    bad, _ = run_handler(WebhooksState, "add", ({"webhook_url": "https://10.0.0.1/x"},), host, cookie, path, ("load",))
    assert bad._outcome == "invalid" and "private network" in bad.form_error and bad.new_secret == ""


def test_a_timeout_is_a_failed_attempt_and_retried(db, world, monkeypatch):
    monkeypatch.setattr(queue, "rng", lambda: 0.5)
    _resolve_to(monkeypatch, PUBLIC)
    endpoints.create_endpoint(db, world.staff_a, url="https://hooks.example.com/in")
    db.commit()
    bus.dispatch(db, world.ws_a.id, "invoice.viewed", {"invoice": "in_1"}, record=("evt_1", datetime.now(UTC)))
    db.commit()

    def slow(url, body, headers):
        raise TimeoutError("timed out")

    monkeypatch.setattr(delivery, "send", slow)
    assert worker.run_once() == 0
    job = _jobs(db)[0]
    assert job.done_at is None and job.dead_at is None and job.attempts == 1 and "No answer" in job.last_error
    log = db.exec(select(WebhookDelivery)).one()
    assert log.status_code is None and log.error == "No answer within 10 seconds."

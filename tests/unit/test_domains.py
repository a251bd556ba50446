"""Custom domains (services/portal/domains.py): hostname validation, the DNS verdicts in words,
the statuses a check moves a domain through, assign / make primary / remove (links fall back),
host resolution only through verified and assigned domains, Caddy's `allowed`, the worker's
re-check cadence, and who may do any of it. DNS here is an in-memory stand-in with the
adapter's interface (the real protocol against a dnslib server: tests/integration/test_domains_dns.py).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from portal_app.adapters.dns import DnsError, DnsTimeout
from portal_app.errors import Forbidden, Invalid, NotFound, NotSignedIn, Throttled
from portal_app.models import AuditEvent, Domain, OutboxMessage, Workspace
from portal_app.services.portal import domains
from portal_app.services.portal.workspaces import workspace_for_host
from portal_app.settings import get_settings

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
TARGET = "portal.example.test"  # the test settings' base host: PORTAL_CNAME_TARGET's default


class FakeDns:
    """The adapter's interface over a dict: name -> {"CNAME": [...], "TXT": [...]}; a name
    mapped to an exception raises it."""

    def __init__(self, zone: dict | None = None):
        self.zone = zone or {}

    def _get(self, name: str, kind: str) -> list[str]:
        entry = self.zone.get(name, {})
        if isinstance(entry, Exception):
            raise entry
        return list(entry.get(kind, []))

    def cname(self, name: str) -> list[str]:
        return self._get(name, "CNAME")

    def txt(self, name: str) -> list[str]:
        return self._get(name, "TXT")


class CountingDns(FakeDns):
    """FakeDns that counts the DNS questions asked (a CNAME look-up starts every check)."""

    def __init__(self, zone: dict | None = None):
        super().__init__(zone)
        self.asked = 0

    def cname(self, name: str) -> list[str]:
        self.asked += 1
        return super().cname(name)


def good_zone(view) -> dict:
    return {view.hostname: {"CNAME": [TARGET]},
            f"_portal-verify.{view.hostname}": {"TXT": ["v=spf1 -all", f"portal-verify={view.verification_token}"]}}


def verified(db, actor, hostname: str = "portal.acme.test", *, assign: bool = True):
    v = domains.add_domain(db, actor, hostname, now=NOW)
    v = domains.verify_domain(db, actor, v.public_id, FakeDns(good_zone(v)), now=NOW)
    if assign:
        v = domains.assign_domain(db, actor, v.public_id)
    db.commit()
    return v


def actions(db, ws_id: int) -> list[str]:
    return db.exec(select(AuditEvent.action).where(AuditEvent.workspace_id == ws_id)
                   .order_by(AuditEvent.seq)).all()


# --- hostnames ----------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, stored", [
    ("portal.acme.com", "portal.acme.com"),
    ("  Portal.ACME.com  ", "portal.acme.com"),  # uppercase, spaces
    ("portal.acme.com.", "portal.acme.com"),  # one trailing dot (the DNS root)
    ("portal.bäckerei.de", "portal.xn--bckerei-5wa.de"),  # IDN -> punycode
    ("PORTAL.BÄCKEREI.DE", "portal.xn--bckerei-5wa.de"),
    ("portal.xn--bckerei-5wa.de", "portal.xn--bckerei-5wa.de"),  # already punycode
    ("portal.example.co.uk", "portal.example.co.uk"),  # under a two-level public suffix
    ("a.b.c.acme-bakery.com", "a.b.c.acme-bakery.com"),
])
def test_clean_hostname_accepts_subdomains_in_their_dns_form(raw, stored):
    assert domains.clean_hostname(raw) == stored


@pytest.mark.parametrize("raw, words", [
    ("", "Enter a domain"),
    ("   ", "Enter a domain"),
    ("acme.com", "acme.com is a whole domain. Use a subdomain such as portal.acme.com"),  # apex
    ("ACME.com.", "acme.com is a whole domain"),
    ("example.co.uk", "is a whole domain"),  # apex under a two-level suffix
    ("Bäckerei.de", "bäckerei.de is a whole domain. Use a subdomain such as portal.bäckerei.de"),
    ("localhost", "local name"),
    ("*.acme.com", "Wildcard domains are not supported"),
    ("portal*.acme.com", "Wildcard"),
    ("192.168.1.10", "not an IP address"),
    ("::1", "not an IP address"),
    ("[2001:db8::1]", "not an IP address"),
    ("https://portal.acme.com/", "no https://"),
    ("portal.acme.com:8443", "without a port"),
    ("portal..acme.com", "no empty parts"),
    (".portal.acme.com", "no empty parts"),
    ("portal_x.acme.com", "only letters, digits and hyphens"),
    ("-portal.acme.com", "only letters, digits and hyphens"),
    ("portal.acme.com..", "no empty parts"),
    ("x" * 64 + ".acme.com", "at most 63 characters"),
    (".".join(["abcdefghi"] * 26) + ".com", "at most 253 characters"),
    ("portal.acme.123", "not a domain name"),
    ("app.localhost", "local name"),
    ("portal.example.test", "this service's own address"),  # the deployment's base host
    ("x.portal.example.test", "this service's own address"),  # … and names under it
])
def test_clean_hostname_refuses_with_words_naming_the_field(raw, words):
    with pytest.raises(Invalid) as err:
        domains.clean_hostname(raw)
    assert words in err.value.message and err.value.field == "hostname"


def test_the_cname_target_setting_is_refused_too(monkeypatch):
    from portal_app.settings import reset_settings_cache

    monkeypatch.setenv("PORTAL_CNAME_TARGET", "Edge.Hosting.Example.")
    reset_settings_cache()
    assert get_settings().cname_target == "edge.hosting.example"
    with pytest.raises(Invalid, match="own address"):
        domains.clean_hostname("edge.hosting.example")
    monkeypatch.setenv("PORTAL_CNAME_TARGET", "https://edge.example/")
    reset_settings_cache()
    from portal_app.settings import SettingsError, load_settings

    with pytest.raises(SettingsError, match="PORTAL_CNAME_TARGET"):
        load_settings()


def test_another_workspaces_domain_is_refused_without_naming_it(world, db):
    verified(db, world.staff_b, "portal.beta-books.test")
    for name in ("portal.beta-books.test", "PORTAL.beta-books.test.", "beta.example.test"):  # custom, base
        with pytest.raises(Invalid) as err:
            domains.add_domain(db, world.staff_a, name, now=NOW)
        assert err.value.message == domains.TAKEN and "Beta" not in err.value.message
    domains.add_domain(db, world.staff_a, "portal.alpha.test", now=NOW)
    with pytest.raises(Invalid, match="already in your list"):
        domains.add_domain(db, world.staff_a, "Portal.Alpha.test", now=NOW)


def test_a_workspace_has_at_most_max_domains(world, db, monkeypatch):
    monkeypatch.setattr(domains, "MAX_DOMAINS", 2)
    domains.add_domain(db, world.staff_a, "one.alpha.test", now=NOW)
    domains.add_domain(db, world.staff_a, "two.alpha.test", now=NOW)
    with pytest.raises(Invalid, match="at most 2 custom domains"):
        domains.add_domain(db, world.staff_a, "three.alpha.test", now=NOW)


# --- adding and the DNS records --------------------------------------------------------------

def test_add_domain_is_pending_with_its_records_and_reaches_nothing(world, db):
    v = domains.add_domain(db, world.staff_a, "Portal.Acme.test", now=NOW)
    db.commit()
    assert (v.hostname, v.status, v.assigned, v.is_primary) == ("portal.acme.test", "pending", False, False)
    assert v.public_id.startswith("dom_") and len(v.verification_token) == 32
    assert domains.dns_records(v) == [
        domains.DnsRecord("CNAME", "portal.acme.test", TARGET),
        domains.DnsRecord("TXT", "_portal-verify.portal.acme.test", f"portal-verify={v.verification_token}")]
    assert workspace_for_host(db, "portal.acme.test") is None  # deny: pending
    assert not domains.allowed(db, "portal.acme.test")
    assert [d.hostname for d in domains.list_domains(db, world.staff_a)] == ["portal.acme.test"]  # no base rows
    assert domains.list_domains(db, world.staff_b) == []  # deny: another workspace sees none
    assert actions(db, world.ws_a.id)[-1] == "domain.added"
    row = db.exec(select(Domain).where(Domain.hostname == "portal.acme.test")).one()
    assert row.source == "custom" and row.next_check_at == NOW + timedelta(minutes=5)


# --- verdicts ------------------------------------------------------------------------------------

def _verdict(zone_of) -> domains.Verdict:
    token = "t0k"
    return domains.check_records(FakeDns(zone_of(token)), "portal.acme.test", token, TARGET)


TXT = "_portal-verify.portal.acme.test"


@pytest.mark.parametrize("zone_of, ok, answered, words", [
    (lambda t: {"portal.acme.test": {"CNAME": [TARGET]}, TXT: {"TXT": [f"portal-verify={t}"]}}, True, True,
     f"Verified: CNAME points to {TARGET} and the TXT record matches."),
    (lambda t: {}, False, True, f"No CNAME record for portal.acme.test yet: add one pointing to {TARGET}."),
    (lambda t: {"portal.acme.test": {"CNAME": ["old-host.example.net"]}}, False, True,
     f"CNAME found but points to old-host.example.net (it should point to {TARGET})."),
    (lambda t: {"portal.acme.test": {"CNAME": [TARGET]}}, False, True,
     "TXT record missing: add _portal-verify.portal.acme.test with the value portal-verify=t0k."),
    (lambda t: {"portal.acme.test": {"CNAME": [TARGET]}, TXT: {"TXT": ["portal-verify=stale"]}}, False, True,
     "TXT record found but its value does not match (it should be portal-verify=t0k)."),
    (lambda t: {"portal.acme.test": DnsTimeout("3 s")}, False, False,
     "DNS did not answer (timed out); we will try again."),
    (lambda t: {"portal.acme.test": {"CNAME": [TARGET]}, TXT: DnsTimeout("3 s")}, False, False,
     "DNS did not answer (timed out); we will try again."),
    (lambda t: {"portal.acme.test": DnsError("SERVFAIL")}, False, False,
     "DNS did not answer (the server returned an error); we will try again."),
])
def test_each_dns_situation_has_its_verdict_in_words(zone_of, ok, answered, words):
    assert _verdict(zone_of) == domains.Verdict(ok, words, answered)


def test_verify_moves_pending_to_verified_and_records_when(world, db):
    v = domains.add_domain(db, world.staff_a, "portal.acme.test", now=NOW)
    missing = domains.verify_domain(db, world.staff_a, v.public_id, FakeDns(), now=NOW)
    assert missing.status == "pending" and missing.last_result.startswith("No CNAME record")
    later = NOW + timedelta(minutes=3)
    done = domains.verify_domain(db, world.staff_a, v.public_id, FakeDns(good_zone(v)), now=later)
    assert (done.status, done.verified_at, done.last_checked_at) == ("verified", later, later)
    row = db.exec(select(Domain).where(Domain.public_id == v.public_id)).one()
    assert row.next_check_at == later + timedelta(days=1)
    assert actions(db, world.ws_a.id)[-2:] == ["domain.added", "domain.verified"]
    # verified but not assigned: still reaches nothing
    assert workspace_for_host(db, "portal.acme.test") is None and not domains.allowed(db, "portal.acme.test")


def test_a_verified_domain_fails_only_at_the_second_missed_check_and_a_timeout_is_no_miss(world, db):
    v = verified(db, world.staff_a)
    domains.make_primary(db, world.staff_a, v.public_id)
    gone = FakeDns()
    t1 = NOW + timedelta(days=1)
    first = domains.check_one(db, v.public_id, gone, now=t1)
    assert first is not None and first.status == "verified" and first.assigned
    assert "One more failed check" in first.last_result
    silent = FakeDns({"portal.acme.test": DnsTimeout("3 s")})
    still = domains.check_one(db, v.public_id, silent, now=t1 + timedelta(minutes=5))
    assert still is not None and still.status == "verified"  # no answer: proves nothing
    failed = domains.check_one(db, v.public_id, gone, now=t1 + timedelta(minutes=10))
    assert failed is not None and (failed.status, failed.assigned, failed.is_primary) == ("failed", False, False)
    db.commit()
    ws = db.get(Workspace, world.ws_a.id)
    assert ws is not None and ws.base_url == "https://alpha.example.test"  # links fell back
    assert workspace_for_host(db, "portal.acme.test") is None and not domains.allowed(db, "portal.acme.test")
    assert actions(db, world.ws_a.id)[-1] == "domain.failed"
    row = db.exec(select(Domain).where(Domain.public_id == v.public_id)).one()
    assert row.next_check_at == t1 + timedelta(minutes=15)  # failed: every 5 minutes
    back = domains.check_one(db, v.public_id, FakeDns(good_zone(v)), now=t1 + timedelta(minutes=15))
    assert back is not None and back.status == "verified" and not back.assigned  # staff assign it again


# --- assign, primary, remove -----------------------------------------------------------------------

def test_assign_needs_verified_and_then_the_host_reaches_the_workspace(world, db):
    v = domains.add_domain(db, world.staff_a, "portal.acme.test", now=NOW)
    with pytest.raises(Invalid, match="Verify the domain first"):
        domains.assign_domain(db, world.staff_a, v.public_id)
    with pytest.raises(Invalid, match="Assign the domain"):
        domains.make_primary(db, world.staff_a, v.public_id)
    domains.verify_domain(db, world.staff_a, v.public_id, FakeDns(good_zone(v)), now=NOW)
    with pytest.raises(Invalid, match="Assign the domain"):
        domains.make_primary(db, world.staff_a, v.public_id)
    domains.assign_domain(db, world.staff_a, v.public_id)
    db.commit()
    ws = workspace_for_host(db, "Portal.Acme.test:443")
    assert ws is not None and ws.id == world.ws_a.id
    assert domains.allowed(db, "portal.acme.test") and domains.allowed(db, "PORTAL.acme.test.")
    domains.unassign_domain(db, world.staff_a, v.public_id)
    db.commit()
    assert workspace_for_host(db, "portal.acme.test") is None and not domains.allowed(db, "portal.acme.test")


def test_make_primary_moves_links_and_remove_falls_back(world, db):
    version = db.get(Workspace, world.ws_a.id).context_version  # type: ignore[union-attr]
    one = verified(db, world.staff_a, "portal.acme.test")
    two = verified(db, world.staff_a, "clients.acme.test")
    domains.make_primary(db, world.staff_a, one.public_id)
    db.commit()
    ws = db.get(Workspace, world.ws_a.id)
    assert ws is not None
    db.refresh(ws)  # context_version is bumped by SQL in the flush (models/context_version.py)
    assert ws.base_url == "https://portal.acme.test"
    assert ws.origin_base_url == "https://alpha.example.test" and ws.context_version > version
    domains.make_primary(db, world.staff_a, two.public_id)  # at most one primary
    db.commit()
    primaries = db.exec(select(Domain.hostname).where(Domain.is_primary == True)).all()  # noqa: E712
    assert primaries == ["clients.acme.test"]
    db.refresh(ws)
    assert ws.base_url == "https://clients.acme.test"
    domains.remove_domain(db, world.staff_a, two.public_id)
    db.commit()
    db.refresh(ws)
    assert ws.base_url == "https://alpha.example.test"  # fell back
    assert db.exec(select(Domain).where(Domain.hostname == "clients.acme.test")).first() is None
    assert workspace_for_host(db, "clients.acme.test") is None and not domains.allowed(db, "clients.acme.test")
    assert workspace_for_host(db, "portal.acme.test") is not None  # the other one still serves
    # unset primary goes back too
    domains.make_primary(db, world.staff_a, one.public_id)
    domains.unset_primary(db, world.staff_a)
    db.commit()
    db.refresh(ws)
    assert ws.base_url == "https://alpha.example.test"
    assert actions(db, world.ws_a.id)[-3:] == ["domain.removed", "domain.primary", "domain.primary_unset"]
    assert {"domain.added", "domain.verified", "domain.assigned", "domain.primary", "domain.removed",
            "domain.primary_unset"} <= set(actions(db, world.ws_a.id))


def test_base_rows_are_never_listed_removed_or_asked_about_as_loopback(world, db):
    base = db.exec(select(Domain).where(Domain.hostname == "alpha.example.test")).one()
    assert (base.source, base.status, base.assigned) == ("base", "verified", True)
    with pytest.raises(NotFound):
        domains.remove_domain(db, world.staff_a, base.public_id)
    assert domains.allowed(db, "alpha.example.test")  # a real base host gets its certificate
    from portal_app.services.portal.workspaces import create_workspace

    create_workspace(db, name="Local", base_url="http://localhost:3000", owner_email="o@local.example",
                     owner_name="Lo Cal", owner_password=world.password, is_default=False)
    db.commit()
    assert workspace_for_host(db, "localhost:3000") is not None
    for name in ("localhost", "127.0.0.1", "::1"):
        assert not domains.allowed(db, name)


def test_removing_a_domain_ends_the_sessions_signed_in_on_it_only(world, db):
    from portal_app.access import Anonymous, Client
    from portal_app.services.accounts import auth

    one = verified(db, world.staff_a, "portal.acme.test")
    verified(db, world.staff_a, "clients.acme.test")
    on_removed = auth.start_client_session(db, world.account_a1, host="portal.acme.test")
    on_other = auth.start_client_session(db, world.account_a1, host="clients.acme.test")
    on_base = auth.start_client_session(db, world.account_a1, host="alpha.example.test")
    db.commit()
    domains.remove_domain(db, world.staff_a, one.public_id)
    db.commit()
    assert isinstance(auth.resolve_actor(db, on_removed, world.ws_a.id, "portal.acme.test"), Anonymous)
    # the workspace's other hosts keep their sessions
    assert isinstance(auth.resolve_actor(db, on_other, world.ws_a.id, "clients.acme.test"), Client)
    assert isinstance(auth.resolve_actor(db, on_base, world.ws_a.id, "alpha.example.test"), Client)


# --- who may ---------------------------------------------------------------------------------------

def test_only_owners_and_admins_of_the_workspace_manage_domains(world, db):
    from portal_app.access import Staff

    v = domains.add_domain(db, world.staff_a, "portal.acme.test", now=NOW)
    db.commit()
    admin = Staff(world.ws_a.id, world.member_a.user_id, "admin", "admin@alpha.example", "Ada Admin")
    assert [d.hostname for d in domains.list_domains(db, admin)] == ["portal.acme.test"]
    pid = v.public_id
    calls = {
        "list": lambda a: domains.list_domains(db, a),
        "add": lambda a: domains.add_domain(db, a, "other.acme.test", now=NOW),
        "verify": lambda a: domains.verify_domain(db, a, pid, FakeDns(), now=NOW),
        "request": lambda a: domains.request_check(db, a, pid, now=NOW),
        "assign": lambda a: domains.assign_domain(db, a, pid),
        "unassign": lambda a: domains.unassign_domain(db, a, pid),
        "primary": lambda a: domains.make_primary(db, a, pid),
        "unset": lambda a: domains.unset_primary(db, a),
        "remove": lambda a: domains.remove_domain(db, a, pid),
    }
    denied = {"member": (world.member_a, Forbidden), "client": (world.client_a1, Forbidden),
              "anonymous": (world.anon, NotSignedIn)}
    audit_before = actions(db, world.ws_a.id)
    for who, (actor, error) in denied.items():
        for name, call in calls.items():
            with pytest.raises(error):
                call(actor)
                pytest.fail(f"{name} allowed for {who}")
    # the other workspace's owner: its own (empty) list, and not found for A's domain
    for name in ("verify", "request", "assign", "unassign", "primary", "remove"):
        with pytest.raises(NotFound):
            calls[name](world.staff_b)
    db.commit()
    row = db.exec(select(Domain).where(Domain.public_id == pid)).one()
    assert (row.status, row.last_checked_at) == ("pending", None)  # nothing was checked or changed
    assert actions(db, world.ws_a.id) == audit_before
    assert db.exec(select(Domain).where(Domain.hostname == "other.acme.test")).first() is None


# --- the worker's re-checks ---------------------------------------------------------------------

def test_due_domains_are_queued_once_each_and_checked_at_their_cadence(world, db, monkeypatch):
    from portal_app import worker
    from portal_app.jobs import periodic

    assert periodic.PERIODIC["domains.recheck"].every_seconds == worker.DOMAINS_SCAN_EVERY_SECONDS
    assert {"domains.recheck", "domain.check"} <= set(worker.HANDLERS)
    pending = domains.add_domain(db, world.staff_a, "pending.acme.test", now=NOW)
    ok = verified(db, world.staff_a, "ok.acme.test")
    db.commit()
    assert domains.queue_due_checks(db, NOW + timedelta(minutes=4)) == 0  # nothing due yet
    assert domains.queue_due_checks(db, NOW + timedelta(minutes=5)) == 1
    assert domains.queue_due_checks(db, NOW + timedelta(minutes=6)) == 1  # still waiting: the same job
    db.commit()
    jobs = db.exec(select(OutboxMessage).where(OutboxMessage.kind == "domain.check")).all()
    assert [j.unique_key for j in jobs] == [f"domain.check:{pending.public_id}"]
    # the job's work: the domain is checked (with the settings' resolver, here a stand-in)
    monkeypatch.setattr(domains, "get_resolver", lambda: FakeDns(good_zone(pending)))
    monkeypatch.setattr(worker, "clock", lambda: NOW + timedelta(minutes=6))
    worker.HANDLERS["domain.check"](db, jobs[0], {"domain": pending.public_id})
    row = db.exec(select(Domain).where(Domain.public_id == pending.public_id)).one()
    assert row.status == "verified"
    # a verified domain is due again a day after its check
    assert domains.queue_due_checks(db, NOW + timedelta(hours=23)) == 0
    due = db.exec(select(Domain.hostname).where(Domain.next_check_at <= NOW + timedelta(days=1, minutes=6))).all()
    assert sorted(due) == ["ok.acme.test", "pending.acme.test"]
    assert ok.status == "verified"
    # a removed domain's queued check does nothing
    domains.remove_domain(db, world.staff_a, ok.public_id)
    assert domains.check_one(db, ok.public_id, FakeDns(), now=NOW) is None


def test_the_database_holds_one_primary_per_workspace(world, db):
    import sqlalchemy as sa
    from sqlalchemy.exc import IntegrityError

    one = verified(db, world.staff_a, "portal.acme.test")
    two = verified(db, world.staff_a, "clients.acme.test")
    domains.make_primary(db, world.staff_a, one.public_id)
    db.commit()
    with pytest.raises(IntegrityError):  # what a concurrent second make_primary would hit
        db.execute(sa.update(Domain).where(Domain.public_id == two.public_id).values(is_primary=True))
        db.flush()
    db.rollback()
    with pytest.raises(Invalid, match="already this portal's own address"):
        domains.add_domain(db, world.staff_a, "alpha.example.test", now=NOW)


# --- Verify's throttle ---------------------------------------------------------------------------

def _row(db, public_id: str) -> Domain:
    db.flush()
    db.expire_all()
    return db.exec(select(Domain).where(Domain.public_id == public_id)).one()


def test_verify_asks_dns_at_most_once_per_domain_every_ten_seconds(world, db):
    v = domains.add_domain(db, world.staff_a, "portal.acme.test", now=NOW)
    other = domains.add_domain(db, world.staff_a, "clients.acme.test", now=NOW)
    dns = CountingDns()
    first = domains.verify_domain(db, world.staff_a, v.public_id, dns, now=NOW)  # allowed
    assert dns.asked == 1 and first.last_checked_at == NOW
    db.commit()
    for after, words in ((0, "10 seconds"), (3, "7 seconds"), (9.5, "1 second.")):
        with pytest.raises(Throttled) as err:
            domains.verify_domain(db, world.staff_a, v.public_id, dns, now=NOW + timedelta(seconds=after))
        assert err.value.message.startswith("Checked a moment ago; try again in ") and words in err.value.message
    assert err.value.message == "Checked a moment ago; try again in 1 second."
    assert dns.asked == 1  # refused: no DNS question asked
    db.rollback()
    assert _row(db, v.public_id).last_checked_at == NOW  # … and nothing written
    # per domain: another one is checked at once
    domains.verify_domain(db, world.staff_a, other.public_id, dns, now=NOW + timedelta(seconds=3))
    assert dns.asked == 2
    # allowed again once the window has passed
    again = domains.verify_domain(db, world.staff_a, v.public_id, dns, now=NOW + timedelta(seconds=10))
    assert dns.asked == 3 and again.last_checked_at == NOW + timedelta(seconds=10)


def test_verify_through_the_worker_shares_the_throttle_and_automatic_checks_do_not_count(world, db):
    v = domains.add_domain(db, world.staff_a, "portal.acme.test", now=NOW)
    domains.request_check(db, world.staff_a, v.public_id, now=NOW)
    with pytest.raises(Throttled, match="try again in 5 seconds"):
        domains.verify_domain(db, world.staff_a, v.public_id, CountingDns(), now=NOW + timedelta(seconds=5))
    with pytest.raises(Throttled, match="try again in 4 seconds"):
        domains.request_check(db, world.staff_a, v.public_id, now=NOW + timedelta(seconds=6))
    db.commit()
    jobs = db.exec(select(OutboxMessage).where(OutboxMessage.kind == "domain.check")).all()
    assert len(jobs) == 1
    # the worker's check is not a person's: Verify right after it is allowed
    domains.check_one(db, v.public_id, FakeDns(), now=NOW + timedelta(seconds=20))
    dns = CountingDns()
    domains.verify_domain(db, world.staff_a, v.public_id, dns, now=NOW + timedelta(seconds=21))
    assert dns.asked == 1


def test_a_refused_press_costs_the_owner_nothing_and_a_clock_set_back_waits_one_window(world, db):
    v = domains.add_domain(db, world.staff_a, "portal.acme.test", now=NOW)
    dns = CountingDns()
    for actor, error in ((world.member_a, Forbidden), (world.client_a1, Forbidden), (world.anon, NotSignedIn)):
        with pytest.raises(error):
            domains.verify_domain(db, actor, v.public_id, dns, now=NOW)
    with pytest.raises(NotFound):  # another workspace's owner: not found, not throttled
        domains.verify_domain(db, world.staff_b, v.public_id, dns, now=NOW)
    with pytest.raises(NotFound):  # an unknown id (bad input)
        domains.verify_domain(db, world.staff_a, "dom_nope", dns, now=NOW)
    assert dns.asked == 0 and _row(db, v.public_id).manual_check_at is None
    domains.verify_domain(db, world.staff_a, v.public_id, dns, now=NOW)  # the owner's press: allowed
    assert dns.asked == 1
    # a server clock set back an hour: one window at most, never an hour
    with pytest.raises(Throttled, match="try again in 10 seconds"):
        domains.verify_domain(db, world.staff_a, v.public_id, dns, now=NOW - timedelta(hours=1))


@pytest.mark.parametrize("after, wait", [(None, 0), (0, 10), (0.001, 10), (1, 9), (9, 1), (9.999, 1), (10, 0),
                                         (11, 0), (-3600, 10)])
def test_manual_check_wait_at_its_boundaries(after, wait):
    d = Domain(hostname="p.acme.test", workspace_id=1, created_at=NOW,
               manual_check_at=None if after is None else NOW)
    at = NOW + timedelta(seconds=after or 0)
    assert d.manual_check_wait(at) == wait


# --- automatic checks stop after 7 days unverified --------------------------------------------------

def test_a_domain_unverified_for_seven_days_is_no_longer_rechecked_and_verify_still_works(world, db):
    from portal_app.state.staff.domains import card

    v = domains.add_domain(db, world.staff_a, "portal.acme.test", now=NOW)
    assert _row(db, v.public_id).unverified_since == NOW
    almost = NOW + timedelta(days=7, minutes=-5)
    seen = domains.check_one(db, v.public_id, FakeDns(), now=almost)
    assert seen is not None and seen.shown_status == "pending" and seen.note == ""
    assert _row(db, v.public_id).next_check_at == almost + timedelta(minutes=5)
    week = NOW + timedelta(days=7)
    stopped = domains.check_one(db, v.public_id, FakeDns(), now=week)
    assert stopped is not None and (stopped.status, stopped.shown_status) == ("pending", "stopped")
    assert _row(db, v.public_id).next_check_at is None
    assert stopped.note == domains.STOPPED_NOTE
    assert "Automatic checks stopped" in stopped.note and "Verify still checks it" in stopped.note
    shown = card(stopped)
    assert (shown["status"], shown["shown_status"], shown["status_label"]) == ("pending", "stopped",
                                                                               "Checks stopped")
    assert shown["note"] == domains.STOPPED_NOTE
    assert actions(db, world.ws_a.id)[-1] == "domain.checks_stopped"
    db.commit()
    assert domains.queue_due_checks(db, week + timedelta(days=30)) == 0  # never queued again
    # a Verify that still finds nothing: still stopped, no second audit event
    nothing = domains.verify_domain(db, world.staff_a, v.public_id, FakeDns(), now=week + timedelta(hours=1))
    assert nothing.shown_status == "stopped" and _row(db, v.public_id).next_check_at is None
    assert actions(db, world.ws_a.id).count("domain.checks_stopped") == 1
    # a Verify that finds the records verifies it as before; the daily checks resume
    later = week + timedelta(hours=2)
    done = domains.verify_domain(db, world.staff_a, v.public_id, FakeDns(good_zone(v)), now=later)
    assert (done.status, done.shown_status, done.note, done.verified_at) == ("verified", "verified", "", later)
    row = _row(db, v.public_id)
    assert row.next_check_at == later + timedelta(days=1) and row.unverified_since is None
    assert actions(db, world.ws_a.id)[-1] == "domain.verified"


def test_a_failed_domains_seven_days_count_from_its_failure_and_silence_stops_it_too(world, db):
    v = verified(db, world.staff_a)
    gone = FakeDns()
    t1 = NOW + timedelta(days=30)
    domains.check_one(db, v.public_id, gone, now=t1)
    failed = domains.check_one(db, v.public_id, gone, now=t1 + timedelta(minutes=5))
    assert failed is not None and failed.status == "failed"
    fell = t1 + timedelta(minutes=5)
    row = _row(db, v.public_id)
    assert row.unverified_since == fell and row.next_check_at == fell + timedelta(minutes=5)  # not 30 days old
    silent = FakeDns({"portal.acme.test": DnsTimeout("3 s")})
    still = domains.check_one(db, v.public_id, silent, now=fell + timedelta(days=6))
    assert still is not None and still.shown_status == "failed"
    over = domains.check_one(db, v.public_id, silent, now=fell + timedelta(days=7))
    assert over is not None and (over.status, over.shown_status) == ("failed", "stopped")
    assert _row(db, v.public_id).next_check_at is None


def test_the_recheck_rule_on_the_model():
    base = Domain(hostname="acme.example", workspace_id=1, source="base", status="verified", created_at=NOW)
    assert base.next_check_after(NOW) is None and not base.auto_checks_stopped  # base rows: never checked
    pending = Domain(hostname="p.acme.test", workspace_id=1, created_at=NOW, unverified_since=None)
    assert pending.next_check_after(NOW + timedelta(days=6)) == NOW + timedelta(days=6, minutes=5)  # created_at
    assert pending.next_check_after(NOW + timedelta(days=7)) is None
    pending.next_check_at = None
    assert pending.auto_checks_stopped and pending.shown_status() == "stopped"
    pending.status = "verified"
    assert pending.next_check_after(NOW + timedelta(days=70)) == NOW + timedelta(days=71)
    assert not pending.auto_checks_stopped and pending.shown_status() == "verified"

"""Settings › Domains (state/staff/domains.py), driven as the browser drives it: an owner adds a
subdomain, reads the DNS records to create, presses Verify (the look-up runs in the background
event, in a thread), sees the verdict in words, assigns the verified domain to the Client Portal,
makes it primary (links use it) and removes it (links fall back). A bad hostname is answered
under the field; a member, a client, another workspace's owner and someone signed out change
nothing and see nothing of A's domains."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlmodel import select

from portal_app.models import Domain, Workspace
from tests.support.clock import Clock
from tests.support.matrix_domains import NoRecords, RightRecords
from tests.support.states import HOST_A, call, run_handler

PATH = "/staff/settings/domains"


def _state():
    from portal_app.state.staff.domains import DomainsState

    return DomainsState


def _resolver(monkeypatch, resolver) -> None:
    """What the Verify button's check asks (the settings' resolver, PORTAL_DNS_SERVER, otherwise)."""
    from portal_app.services.portal import domains

    monkeypatch.setattr(domains, "get_resolver", lambda: resolver)


def _records(world, db, hostname: str):
    from portal_app.services.portal import domains

    row = db.exec(select(Domain).where(Domain.hostname == hostname)).one()
    return domains.dns_records(domains.view(row))


def _verify(state, public_id: str):
    chained = call(state, "verify", public_id)
    assert state.checking == public_id, "the card says Checking… until the look-up is back"
    assert chained is not None and chained.fn.__name__ == "run_check"
    call(state, "run_check")
    assert state.checking == ""


def _clock(monkeypatch) -> Clock:
    """The injected "now" every utcnow() reads (Verify's 10 s throttle steps it, never sleeps)."""
    from portal_app.models import base

    clock = Clock()
    monkeypatch.setattr(base, "clock", clock)
    return clock


def _custom_domains(db) -> list[tuple]:
    db.expire_all()
    return [(d.hostname, d.status, d.assigned, d.is_primary, d.last_checked_at)
            for d in db.exec(select(Domain).where(Domain.source == "custom").order_by(Domain.id)).all()]


def test_an_owner_connects_a_domain_from_add_to_primary_and_removes_it(world, db, staff_cookie, monkeypatch):
    clock = _clock(monkeypatch)
    state, _ = run_handler(_state(), "load", (), HOST_A, staff_cookie, PATH)
    assert state._outcome == "ok" and state.rows == [] and state.refusal == ""

    call(state, "add", {"hostname": "  Portal.Alpha-Studio.TEST. "})
    assert state._outcome == "ok" and state.form_error == "" and state.form_version == 1
    assert "portal.alpha-studio.test added" in state.notice
    [row] = state.rows
    assert (row["hostname"], row["status"], row["status_label"]) == ("portal.alpha-studio.test", "pending",
                                                                      "Waiting for DNS")
    assert row["last_checked"] == "" and not row["assigned"] and not row["is_primary"]
    cname, txt = row["records"]
    assert (cname["type"], cname["name"], cname["value"]) == ("CNAME", "portal.alpha-studio.test",
                                                              "portal.example.test")
    assert txt["type"] == "TXT" and txt["name"] == "_portal-verify.portal.alpha-studio.test"
    assert txt["value"].startswith("portal-verify=") and len(txt["value"]) > 30
    domain_id = row["public_id"]

    # no records yet: the verdict in words, the check's time, still pending
    _resolver(monkeypatch, NoRecords())
    _verify(state, domain_id)
    [row] = state.rows
    assert row["status"] == "pending"
    assert row["last_result"].startswith("No CNAME record for portal.alpha-studio.test")
    assert row["last_checked"].endswith("UTC")
    assert state.notice_tone == "red" and "No CNAME record" in state.notice

    # Assign is refused until the domain is verified (a forged click): nothing changes
    call(state, "assign", domain_id)
    assert state._outcome == "invalid" and "Verify the domain first" in state.notice
    assert _custom_domains(db)[0][1:4] == ("pending", False, False)

    clock.advance(seconds=10)  # Verify's throttle: one check per domain every 10 s
    _resolver(monkeypatch, RightRecords(_records(world, db, "portal.alpha-studio.test")))
    _verify(state, domain_id)
    [row] = state.rows
    assert (row["status"], row["status_label"]) == ("verified", "Verified")
    assert row["last_result"].startswith("Verified: CNAME points to portal.example.test")
    assert state.notice_tone == "green"

    call(state, "assign", domain_id)
    assert state._outcome == "ok" and state.rows[0]["assigned"] and "now serves your Client Portal" in state.notice
    call(state, "make_primary", domain_id)
    assert state._outcome == "ok" and state.rows[0]["is_primary"]
    db.expire_all()
    assert db.get_one(Workspace, world.ws_a.id).base_url == "https://portal.alpha-studio.test"

    # a reload shows the same
    again, _ = run_handler(_state(), "load", (), HOST_A, staff_cookie, PATH)
    assert again.rows == state.rows

    call(state, "remove", domain_id)
    assert state._outcome == "ok" and state.rows == [] and "portal.alpha-studio.test removed" in state.notice
    assert _custom_domains(db) == []
    db.expire_all()
    assert db.get_one(Workspace, world.ws_a.id).base_url == "https://alpha.example.test"


@pytest.mark.parametrize(("typed", "says"), [
    ("alpha-studio.test", "Use a subdomain such as portal.alpha-studio.test"),
    ("https://portal.alpha-studio.test/", "no https://"),
    ("*.alpha-studio.test", "Wildcard"),
    ("portal..alpha-studio.test", "no empty parts"),
    ("x" * 300 + ".example.com", "at most 253 characters"),
])
def test_a_bad_hostname_is_answered_under_the_field(world, db, staff_cookie, typed, says):
    state, _ = run_handler(_state(), "add", ({"hostname": typed},), HOST_A, staff_cookie, PATH, ("load",))
    assert state._outcome == "invalid"
    assert says in state.form_error, state.form_error
    assert state.notice == "" and state.rows == [] and state.form_version == 0
    assert _custom_domains(db) == []
    # the next good one clears the message
    call(state, "add", {"hostname": "portal.alpha-studio.test"})
    assert state._outcome == "ok" and state.form_error == ""


@pytest.mark.parametrize(("actor", "outcome"), [("member_a", "denied"), ("client_a1", "denied"),
                                                 ("staff_b_on_b", "denied"), ("anon", "signin")])
def test_only_owners_and_admins_of_the_workspace_manage_its_domains(world, db, actors, actor, outcome,
                                                                    monkeypatch):
    _resolver(monkeypatch, RightRecords(_records(world, db, "portal.alpha-studio.test")))
    host, cookie = actors[actor]
    before = _custom_domains(db)
    base = db.get_one(Workspace, world.ws_a.id).base_url
    load_outcome = "ok" if actor == "staff_b_on_b" else outcome  # B's owner sees B's (empty) page
    state, _ = run_handler(_state(), "load", (), host, cookie, PATH)
    assert state._outcome == load_outcome
    assert state.rows == []
    for handler, domain in [("verify", world.domain_pending), ("assign", world.domain_verified),
                            ("make_primary", world.domain_verified), ("remove", world.domain_pending),
                            ("remove", world.domain_verified)]:
        state, _ = run_handler(_state(), handler, (domain,), host, cookie, PATH)
        assert state._outcome == outcome, (handler, state._outcome)
        assert state.checking == "" and state.rows == []
    # a forged background check: refused before any look-up
    state, _ = run_handler(_state(), "run_check", (), host, cookie, PATH)
    assert "alpha-studio" not in str(state.dict())
    assert _custom_domains(db) == before
    db.expire_all()
    assert db.get_one(Workspace, world.ws_a.id).base_url == base


def test_the_dns_look_up_runs_in_a_thread_not_on_the_event_loop(world, db, staff_cookie, monkeypatch):
    seen: list[int] = []

    class Watching(NoRecords):
        def cname(self, name: str) -> list[str]:
            seen.append(threading.get_ident())
            return []

    _resolver(monkeypatch, Watching())
    state, _ = run_handler(_state(), "add", ({"hostname": "portal.alpha-studio.test"},), HOST_A, staff_cookie,
                           PATH, ("load",))
    _verify(state, state.rows[0]["public_id"])
    assert seen and seen[0] != threading.get_ident()


def test_a_run_check_without_verify_asks_nothing(world, db, staff_cookie, monkeypatch):
    class Refusing(NoRecords):
        def cname(self, name: str) -> list[str]:
            raise AssertionError("DNS was asked without a Verify")

    _resolver(monkeypatch, Refusing())
    state, _ = run_handler(_state(), "add", ({"hostname": "portal.alpha-studio.test"},), HOST_A, staff_cookie,
                           PATH, ("load",))
    call(state, "run_check")
    assert state.checking == "" and _custom_domains(db)[0][4] is None


def test_a_second_verify_within_ten_seconds_says_when_to_try_again_and_asks_nothing(world, db, staff_cookie,
                                                                                  monkeypatch):
    clock = _clock(monkeypatch)
    asked: list[str] = []

    class Counting(NoRecords):
        def cname(self, name: str) -> list[str]:
            asked.append(name)
            return []

    _resolver(monkeypatch, Counting())
    state, _ = run_handler(_state(), "add", ({"hostname": "portal.alpha-studio.test"},), HOST_A, staff_cookie,
                           PATH, ("load",))
    domain_id = state.rows[0]["public_id"]
    _verify(state, domain_id)
    assert asked == ["portal.alpha-studio.test"] and "No CNAME record" in state.notice
    checked = _custom_domains(db)[0][4]
    clock.advance(seconds=4)
    _verify(state, domain_id)
    # where Verify's result shows, in words; no DNS question, nothing written
    assert state.notice == "Checked a moment ago; try again in 6 seconds." and state.notice_tone == "red"
    assert asked == ["portal.alpha-studio.test"] and _custom_domains(db)[0][4] == checked
    assert state.rows[0]["last_result"].startswith("No CNAME record")  # the card keeps the last verdict
    clock.advance(seconds=6)
    _verify(state, domain_id)
    assert len(asked) == 2 and state.notice.startswith("Checked just now: No CNAME record")


def test_a_domain_whose_automatic_checks_stopped_says_so_on_its_card(world, db, staff_cookie, monkeypatch):
    from portal_app.services.portal import domains

    clock = _clock(monkeypatch)
    state, _ = run_handler(_state(), "add", ({"hostname": "portal.alpha-studio.test"},), HOST_A, staff_cookie,
                           PATH, ("load",))
    domain_id = state.rows[0]["public_id"]
    assert state.rows[0]["note"] == "" and state.rows[0]["shown_status"] == "pending"
    # the worker's re-check a week on (the session's clock stays: a week idle would sign the owner out)
    domains.check_one(db, domain_id, NoRecords(), now=clock.now + timedelta(days=7))
    db.commit()
    call(state, "load")
    assert state._outcome == "ok"
    [row] = state.rows
    assert (row["status"], row["shown_status"], row["status_label"]) == ("pending", "stopped", "Checks stopped")
    assert row["note"].startswith("Automatic checks stopped") and "Verify still checks it" in row["note"]
    # Verify still works, and a successful one verifies it
    _resolver(monkeypatch, RightRecords(_records(world, db, "portal.alpha-studio.test")))
    _verify(state, domain_id)
    [row] = state.rows
    assert (row["status"], row["shown_status"], row["note"]) == ("verified", "verified", "")

"""Authorization matrix rows for Settings › Domains (part of tests/support/matrix.py).

Owners and admins of a workspace manage its custom domains; a member or a client is refused
before anything is read, someone signed out is sent to sign in, and B's owner finds none of A's
domains (not found) while managing B's own. DNS is never asked here: the one check the rows run
goes to a stand-in resolver with no records."""

from __future__ import annotations

import asyncio


class NoRecords:
    """A resolver (adapters/dns.Resolver's interface) for names that have no records yet."""

    def cname(self, name: str) -> list[str]:
        return []

    def txt(self, name: str) -> list[str]:
        return []


class RightRecords:
    """A resolver answering with exactly the records a domain's card asks for."""

    def __init__(self, records):
        self.records = records  # services/portal/domains.dns_records(view)

    def _answer(self, kind: str, name: str) -> list[str]:
        return [r.value for r in self.records if r.type == kind and r.name.rstrip(".") == name.rstrip(".")]

    def cname(self, name: str) -> list[str]:
        return self._answer("CNAME", name)

    def txt(self, name: str) -> list[str]:
        return self._answer("TXT", name)


def domains_world(db, world) -> None:
    """Two custom domains of workspace A: one waiting for DNS, one verified (through a check that
    saw the right records)."""
    from portal_app.services.portal import domains

    pending = domains.add_domain(db, world.staff_a, "portal.alpha-studio.test")
    ready = domains.add_domain(db, world.staff_a, "clients.alpha-studio.test")
    verified = domains.verify_domain(db, world.staff_a, ready.public_id,
                                     resolver=RightRecords(domains.dns_records(ready)))
    assert verified.status == "verified", verified
    world.domain_pending, world.domain_verified = pending.public_id, ready.public_id


def _check_pending(world):
    """run_check's first act past the tab's own pending check: verify_domain as this actor."""
    from portal_app.services.portal import domains

    def check(state) -> None:
        asyncio.run(state._run(lambda db, ws, a: domains.verify_domain(db, a, world.domain_pending,
                                                                       resolver=NoRecords())))

    return check


def _follow_rows(state) -> None:
    """The live page re-reads the workspace's domains as this actor."""
    asyncio.run(state._run(lambda db, ws, a: state._marker(db, a)))


def domains_rows(world, grids: dict) -> list:
    from portal_app.state.staff.domains import DomainsState as D

    ADMIN, grid = grids["ADMIN"], grids["grid"]
    path = "/staff/settings/domains"
    a_only = grid(ADMIN, staff_b_on_b="denied")
    pending = lambda: world.domain_pending  # noqa: E731
    verified = lambda: world.domain_verified  # noqa: E731
    return [
        (D, "load", (), path, ADMIN),
        (D, "follow", (), path, ("background", ADMIN, _follow_rows)),
        # B's owner adds one to B (a name nobody uses yet): theirs to add
        (D, "add", ({"hostname": "book.alpha-studio.test"},), path, ADMIN),
        # a bare domain (no subdomain) is refused with a reason, nothing written
        (D, "add", ({"hostname": "alpha-studio.test"},), path, grid(ADMIN, staff_a="invalid", staff_b_on_b="invalid")),
        (D, "verify", (pending,), path, a_only),
        (D, "run_check", (), path, ("background", a_only, _check_pending(world))),
        # only a verified domain serves the portal; the pending one is refused, nothing written
        (D, "assign", (pending,), path, grid(a_only, staff_a="invalid")),
        (D, "assign", (verified,), path, a_only),
        (D, "make_primary", (verified,), path, a_only),
        (D, "remove", (pending,), path, a_only),
        (D, "setvar", ("checking", "dom_x"), path, "setvar"),
    ]

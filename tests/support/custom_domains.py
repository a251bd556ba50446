"""Custom domains for a running app's database, built through the services as staff would in
Settings › Domains: add the hostname, Verify (DNS answered by `RecordsResolver`, the records the
page told staff to create), assign it to the Client Portal. The owner of the workspace acts.

For tests that need a domain in a given state and are about something else (TLS on demand,
tests/integration/test_caddy_tls.py); the DNS check itself is tested against a real DNS server
in the domain tests.
"""

from __future__ import annotations

from contextlib import contextmanager

import sqlalchemy as sa
from sqlmodel import Session, select

from portal_app.adapters.dns import Resolver
from portal_app.models import StaffRole, StaffUser, Workspace
from portal_app.services.portal import domains, workspaces


class RecordsResolver(Resolver):
    """DNS as it is once staff created the two records Settings › Domains showed them."""

    def __init__(self, records: dict[str, tuple[str, str]]):
        super().__init__()
        self.records = records  # hostname -> (CNAME target, TXT value)

    def cname(self, name: str) -> list[str]:
        found = self.records.get(name.rstrip("."))
        return [found[0]] if found else []

    def txt(self, name: str) -> list[str]:
        for hostname, (_, value) in self.records.items():
            if name.rstrip(".") == domains.verify_name(hostname):
                return [value]
        return []


@contextmanager
def _owner_session(database_url: str):
    engine = sa.create_engine(database_url)
    try:
        with Session(engine) as db:
            ws = db.exec(select(Workspace).where(Workspace.is_default)).first() or db.exec(select(Workspace)).first()
            assert ws is not None, "the database has no workspace (seed it first)"
            owner = db.exec(select(StaffUser).where(StaffUser.workspace_id == ws.id,
                                                    StaffUser.role == StaffRole.owner.value)).first()
            assert owner is not None
            yield db, workspaces.owner_actor(owner)
            db.commit()
    finally:
        engine.dispose()


def connect_domain(database_url: str, hostname: str, *, verify: bool = True, assign: bool = True) -> str:
    """Add `hostname` to the (default) workspace; with `verify`, its DNS records are in place and
    Verify is pressed; with `assign` too, it serves the Client Portal. The domain's public id."""
    with _owner_session(database_url) as (db, owner):
        added = domains.add_domain(db, owner, hostname)
        if verify:
            records = {r.type: r.value for r in domains.dns_records(added)}
            checked = domains.verify_domain(db, owner, added.public_id,
                                            RecordsResolver({added.hostname: (records["CNAME"], records["TXT"])}))
            assert checked.status == "verified", checked.last_result
            if assign:
                domains.assign_domain(db, owner, added.public_id)
        return added.public_id


def remove_domain(database_url: str, public_id: str) -> None:
    with _owner_session(database_url) as (db, owner):
        domains.remove_domain(db, owner, public_id)

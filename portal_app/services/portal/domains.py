"""Custom domains (Settings › Domains): a workspace's portal on portal.yourbusiness.com.

Where the flows start:
- Staff (owners, admins: access.require_manage_domains) add a hostname (`add_domain`; checked
  by `clean_hostname`), create the two DNS records `dns_records` lists (a CNAME to the
  deployment's PORTAL_CNAME_TARGET, a TXT `_portal-verify.<host>` with the domain's token),
  press Verify (`verify_domain`, or `request_check` to let the worker ask; either at most once
  per domain every 10 s, Domain.manual_check_wait: a press within that is refused with the
  seconds to wait, and no DNS question is asked), then `assign_domain` (the portal answers on
  the host) and `make_primary` (every link uses it).
  `remove_domain` deletes it: its sessions end, links fall back to the workspace's own base URL.
- The worker re-checks (`queue_due_checks`, periodic, queues one `domain.check` job per due
  domain; `check_one` runs one): pending and failed domains every 5 minutes, verified ones
  once a day (`next_check_at`). A domain that has stayed unverified for 7 days
  (`unverified_since`: added, or turned failed) is no longer re-checked: its card says so in
  words (status shown "stopped", `STOPPED_NOTE`), and Verify still checks it -- a Verify that
  finds the records verifies it as ever, and the daily re-checks resume
  (Domain.next_check_after holds the rule).
- Caddy's on-demand TLS asks `allowed(hostname)` (api/domains.py): verified and assigned only.

Statuses. pending: added, its records not found yet (it stays pending, re-checked, until they
are). verified: both records found. failed: a verified domain whose records were missing at
two checks in a row (one miss could be a DNS provider's hiccup, so the first only says so in
`last_result`); it stops serving at once, is unassigned and loses primary (links fall back),
and staff assign it again once it verifies. A check DNS did not answer (timeout, SERVFAIL)
changes no status: it is not evidence either way.

Every change is audited; a domain row's change bumps its workspace's context_version by
itself (models/context_version.py), so every worker resolves hosts afresh.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from portal_app import access
from portal_app.access import Actor
from portal_app.adapters.dns import DnsError, DnsTimeout, Resolver, get_resolver
from portal_app.db import prebuilt, run, savepoint
from portal_app.errors import Invalid, NotFound, Throttled
from portal_app.models import Domain, Workspace, utcnow
from portal_app.models.base import one_of
from portal_app.models.workspace import AUTO_CHECK_DAYS, RECHECK_UNVERIFIED
from portal_app.services import audit
from portal_app.services.portal.hostnames import FIELD, LOOPBACK, MAX_HOSTNAME, clean_hostname
from portal_app.settings import get_settings

MAX_DOMAINS = 20  # custom domains per workspace
VERIFY_PREFIX = "_portal-verify"
TOKEN_PREFIX = "portal-verify="
MISSES_BEFORE_FAILED = 2
CHECK_KIND = "domain.check"
SCAN_KIND = "domains.recheck"
SCAN_BATCH = 500  # due domains queued per scan (the next scan takes the rest)
TAKEN = "This domain is already connected to another portal."
STOPPED_NOTE = (f"Automatic checks stopped: this domain has not been verified for {AUTO_CHECK_DAYS} days. "
                "Verify still checks it: choose Verify once its DNS records are in place.")


# --- views ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DnsRecord:
    type: str  # "CNAME" | "TXT"
    name: str
    value: str


@dataclass(frozen=True)
class DomainView:
    public_id: str
    hostname: str
    status: str  # pending | verified | failed
    assigned: bool
    is_primary: bool
    last_result: str
    last_checked_at: datetime | None
    verified_at: datetime | None
    verification_token: str
    cname_target: str
    shown_status: str = ""  # the status the page shows: status, or "stopped" (Domain.shown_status)

    @property
    def serves_portal(self) -> bool:
        return self.status == "verified" and self.assigned

    @property
    def auto_checks_stopped(self) -> bool:
        return self.shown_status == "stopped"

    @property
    def note(self) -> str:
        """What the card says beside the last result ("" for nothing)."""
        return STOPPED_NOTE if self.auto_checks_stopped else ""


def view(domain: Domain) -> DomainView:
    return DomainView(domain.public_id, domain.hostname, domain.status, domain.assigned, domain.is_primary,
                      domain.last_result, domain.last_checked_at, domain.verified_at, domain.verification_token,
                      get_settings().cname_target, domain.shown_status())


def verify_name(hostname: str) -> str:
    return f"{VERIFY_PREFIX}.{hostname}"


def dns_records(v: DomainView) -> list[DnsRecord]:
    """The records staff create at their DNS provider, in the order to create them."""
    return [DnsRecord("CNAME", v.hostname, v.cname_target),
            DnsRecord("TXT", verify_name(v.hostname), TOKEN_PREFIX + v.verification_token)]


# --- the DNS check ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Verdict:
    ok: bool
    words: str  # what staff read (Domain.last_result)
    answered: bool = True  # False: DNS did not answer, which proves nothing


def check_records(resolver: Resolver, hostname: str, token: str, target: str) -> Verdict:
    """Look the domain's two records up and say, in words, what was found."""
    txt_name = verify_name(hostname)
    expected = TOKEN_PREFIX + token
    try:
        cnames = resolver.cname(hostname)
        if not cnames:
            return Verdict(False, f"No CNAME record for {hostname} yet: add one pointing to {target}.")
        if target not in cnames:
            return Verdict(False, f"CNAME found but points to {cnames[0]} (it should point to {target}).")
        txts = resolver.txt(txt_name)
    except DnsTimeout:
        return Verdict(False, "DNS did not answer (timed out); we will try again.", answered=False)
    except DnsError:
        return Verdict(False, "DNS did not answer (the server returned an error); we will try again.",
                       answered=False)
    if not txts:
        return Verdict(False, f"TXT record missing: add {txt_name} with the value {expected}.")
    if expected not in (t.strip() for t in txts):
        return Verdict(False, f"TXT record found but its value does not match (it should be {expected}).")
    return Verdict(True, f"Verified: CNAME points to {target} and the TXT record matches.")


def _apply(db: Session, domain: Domain, verdict: Verdict, now: datetime, actor: Any) -> None:
    """Record a check's verdict on the row: status, words, next check; audit a status change."""
    before, was_stopped = domain.status, domain.auto_checks_stopped
    domain.last_checked_at = now
    domain.last_result = verdict.words[:300]
    if verdict.ok:
        domain.status = "verified"
        domain.failed_checks = 0
        domain.unverified_since = None
        if before != "verified":
            domain.verified_at = now
    elif verdict.answered and before == "verified":
        domain.failed_checks += 1
        if domain.failed_checks >= MISSES_BEFORE_FAILED:
            domain.status = "failed"
            domain.unverified_since = now
            domain.assigned = False
            if domain.is_primary:
                _unset_primary(db, domain.workspace_id)
        else:
            domain.last_result = (verdict.words + " (One more failed check and the portal stops answering "
                                                  "on this domain.)")[:300]
    domain.next_check_at = domain.next_check_after(now)
    db.add(domain)
    if domain.status != before:
        audit.record(db, domain.workspace_id, actor, f"domain.{domain.status}", "domain", domain.public_id,
                     {"hostname": domain.hostname, "result": domain.last_result})
    if domain.auto_checks_stopped and not was_stopped:
        audit.record(db, domain.workspace_id, actor, "domain.checks_stopped", "domain", domain.public_id,
                     {"hostname": domain.hostname, "unverified_since": _iso(domain.unverified_since)})


def _iso(at: datetime | None) -> str:
    return at.isoformat() if at else ""


def _claim_manual_check(domain: Domain, now: datetime) -> None:
    """The Verify throttle: at most one manual check per domain every 10 s
    (models/workspace.py MANUAL_CHECK_EVERY).
    Refused (Throttled, nothing asked, nothing written) within it; otherwise stamped. A read
    then a write, not a lock: two presses in the same instant from two tabs may both pass (a
    tab runs one check at a time: state/staff/domains.py); a DNS look-up never holds a lock."""
    wait = domain.manual_check_wait(now)
    if wait:
        raise Throttled(f"Checked a moment ago; try again in {wait} second{'s' if wait != 1 else ''}.")
    domain.manual_check_at = now


# --- use cases ----------------------------------------------------------------------------------

def _domain(db: Session, staff: access.Staff, public_id: str) -> Domain:
    domain = db.exec(select(Domain).where(Domain.public_id == (public_id or ""),
                                          Domain.workspace_id == staff.workspace_id,
                                          Domain.source == "custom")).first()
    if domain is None:
        raise NotFound("That domain is not connected to this portal.")
    return domain


def list_domains(db: Session, actor: Actor) -> list[DomainView]:
    """The workspace's custom domains, oldest first (at most MAX_DOMAINS exist)."""
    staff = access.require_manage_domains(actor)
    rows = db.exec(select(Domain).where(Domain.workspace_id == staff.workspace_id, Domain.source == "custom")
                   .order_by(col(Domain.created_at), col(Domain.id)).limit(MAX_DOMAINS)).all()
    return [view(d) for d in rows]


def add_domain(db: Session, actor: Actor, hostname: str, *, now: datetime | None = None) -> DomainView:
    staff = access.require_manage_domains(actor)
    name = clean_hostname(hostname)
    now = now or utcnow()
    existing = db.exec(select(Domain.workspace_id, Domain.source).where(Domain.hostname == name)).first()
    if existing is not None:
        owner_id, source = existing
        if owner_id != staff.workspace_id:
            raise Invalid(TAKEN, FIELD)
        if source == "base":
            raise Invalid("That is already this portal's own address.", FIELD)
        raise Invalid("This domain is already in your list.", FIELD)
    count = db.exec(select(sa.func.count()).select_from(Domain).where(
        Domain.workspace_id == staff.workspace_id, Domain.source == "custom")).one()
    if count >= MAX_DOMAINS:
        raise Invalid(f"A portal has at most {MAX_DOMAINS} custom domains: remove one first.", FIELD)
    domain = Domain(hostname=name, workspace_id=staff.workspace_id, source="custom", status="pending",
                    assigned=False, is_primary=False, verification_token=secrets.token_hex(16),
                    last_result="Not checked yet: create the two DNS records, then press Verify.",
                    next_check_at=now + RECHECK_UNVERIFIED, created_at=now, unverified_since=now)
    try:
        with savepoint(db):
            db.add(domain)
            db.flush()
    except IntegrityError:  # another workspace added it in the meantime
        raise Invalid(TAKEN, FIELD) from None
    audit.record(db, staff.workspace_id, staff, "domain.added", "domain", domain.public_id, {"hostname": name})
    return view(domain)


def verify_domain(db: Session, actor: Actor, public_id: str, resolver: Resolver | None = None, *,
                  now: datetime | None = None) -> DomainView:
    """The Verify button: ask DNS now (up to two look-ups of at most 3 s each: run it off the
    event loop) and record the verdict. Throttled (no DNS question) within 10 s of the domain's
    last manual check; works whether or not automatic checks have stopped."""
    staff = access.require_manage_domains(actor)
    domain = _domain(db, staff, public_id)
    now = now or utcnow()
    _claim_manual_check(domain, now)
    verdict = check_records(resolver or get_resolver(), domain.hostname, domain.verification_token,
                            get_settings().cname_target)
    _apply(db, domain, verdict, now, staff)
    return view(domain)


def request_check(db: Session, actor: Actor, public_id: str, *, now: datetime | None = None) -> DomainView:
    """Verify through the worker instead (the page follows last_checked_at): one queued check
    per domain at a time, and under Verify's throttle."""
    staff = access.require_manage_domains(actor)
    domain = _domain(db, staff, public_id)
    now = now or utcnow()
    _claim_manual_check(domain, now)
    db.add(domain)
    _queue_check(db, domain, now)
    return view(domain)


def assign_domain(db: Session, actor: Actor, public_id: str) -> DomainView:
    """Serve the Client Portal on this (verified) domain."""
    staff = access.require_manage_domains(actor)
    domain = _domain(db, staff, public_id)
    if domain.status != "verified":
        raise Invalid("Verify the domain first: the portal is served only on a verified domain.", FIELD)
    if not domain.assigned:
        domain.assigned = True
        db.add(domain)
        audit.record(db, staff.workspace_id, staff, "domain.assigned", "domain", domain.public_id,
                     {"hostname": domain.hostname})
    return view(domain)


def unassign_domain(db: Session, actor: Actor, public_id: str) -> DomainView:
    """Stop serving the portal on this domain (it stays verified); a primary one stops being primary."""
    staff = access.require_manage_domains(actor)
    domain = _domain(db, staff, public_id)
    if domain.assigned:
        if domain.is_primary:
            _unset_primary(db, staff.workspace_id)
        domain.assigned = False
        db.add(domain)
        audit.record(db, staff.workspace_id, staff, "domain.unassigned", "domain", domain.public_id,
                     {"hostname": domain.hostname})
    return view(domain)


def make_primary(db: Session, actor: Actor, public_id: str) -> DomainView:
    """Every link (emails, feeds, invitations) is built on this domain from now on:
    Workspace.base_url = https://<hostname>. The previous primary, if any, stays assigned."""
    staff = access.require_manage_domains(actor)
    domain = _domain(db, staff, public_id)
    if not domain.serves_portal:
        raise Invalid("Assign the domain to the Client Portal first: only a domain the portal answers on "
                      "can be its main address.", FIELD)
    if domain.is_primary:
        return view(domain)
    for other in db.exec(select(Domain).where(Domain.workspace_id == staff.workspace_id,
                                              col(Domain.is_primary).is_(True))).all():
        other.is_primary = False
        db.add(other)
    db.flush()  # the old primary is unset before the new one is set (one primary: ux_domain_primary)
    ws = db.get_one(Workspace, staff.workspace_id)
    if not ws.origin_base_url:
        ws.origin_base_url = ws.base_url
    ws.base_url = f"https://{domain.hostname}"
    domain.is_primary = True
    db.add_all([ws, domain])
    audit.record(db, staff.workspace_id, staff, "domain.primary", "domain", domain.public_id,
                 {"hostname": domain.hostname, "base_url": ws.base_url})
    return view(domain)


def unset_primary(db: Session, actor: Actor) -> None:
    """Links go back to the workspace's own base URL (no custom domain is primary)."""
    staff = access.require_manage_domains(actor)
    was = _unset_primary(db, staff.workspace_id)
    if was is not None:
        audit.record(db, staff.workspace_id, staff, "domain.primary_unset", "domain", was.public_id,
                     {"hostname": was.hostname})


def _unset_primary(db: Session, workspace_id: int) -> Domain | None:
    was = None
    for domain in db.exec(select(Domain).where(Domain.workspace_id == workspace_id,
                                               col(Domain.is_primary).is_(True))).all():
        domain.is_primary = False
        db.add(domain)
        was = domain
    ws = db.get_one(Workspace, workspace_id)
    if ws.origin_base_url and ws.base_url != ws.origin_base_url:
        ws.base_url = ws.origin_base_url
        db.add(ws)
    return was


def remove_domain(db: Session, actor: Actor, public_id: str) -> None:
    """Delete a custom domain: the portal stops answering on it at once, the sessions started on
    it end, and links fall back to the workspace's own base URL if it was primary."""
    from portal_app.services.accounts.auth import end_sessions_on_host

    staff = access.require_manage_domains(actor)
    domain = _domain(db, staff, public_id)
    if domain.is_primary:
        _unset_primary(db, staff.workspace_id)
    ended = end_sessions_on_host(db, staff.workspace_id, domain.hostname)
    audit.record(db, staff.workspace_id, staff, "domain.removed", "domain", domain.public_id,
                 {"hostname": domain.hostname, "sessions_ended": ended})
    db.delete(domain)
    db.flush()


# --- Caddy's question -----------------------------------------------------------------------------

@prebuilt
def _allowed_statement() -> sa.Select:
    return (select(Domain.id).where(Domain.hostname == sa.bindparam("name"), Domain.status == "verified",
                                    col(Domain.assigned).is_(True),
                                    sa.or_(col(Domain.source) == "custom", sa.not_(one_of(col(Domain.hostname), LOOPBACK))))
            .limit(1))


def allowed(db: Session | sa.Connection, hostname: str) -> bool:
    """May a certificate be issued for this host: a verified domain assigned to the Client
    Portal (custom, or a workspace's own non-loopback base host). One look-up on the unique
    hostname index; `db` may be a plain connection (the ask route skips the ORM session)."""
    name = (hostname or "").strip().lower().rstrip(".")
    if not name or len(name) > MAX_HOSTNAME:
        return False
    if isinstance(db, sa.Connection):
        return db.execute(_allowed_statement(), {"name": name}).first() is not None
    return run(db, _allowed_statement(), name=name).first() is not None


# --- the worker's re-checks ----------------------------------------------------------------------

def _queue_check(db: Session, domain: Domain, now: datetime) -> None:
    from portal_app.jobs import queue

    queue.enqueue(db, domain.workspace_id, CHECK_KIND, {"domain": domain.public_id},
                  unique_key=f"domain.check:{domain.public_id}", now=now)


def queue_due_checks(db: Session, now: datetime | None = None) -> int:
    """Periodic: one `domain.check` job per custom domain whose next check is due (at most
    SCAN_BATCH a scan); how many were queued (or already waiting)."""
    now = now or utcnow()
    due = db.exec(select(Domain).where(Domain.source == "custom", col(Domain.next_check_at).is_not(None),
                                       col(Domain.next_check_at) <= now)
                  .order_by(col(Domain.next_check_at)).limit(SCAN_BATCH)).all()
    for domain in due:
        _queue_check(db, domain, now)
    return len(due)


def check_one(db: Session, public_id: str, resolver: Resolver | None = None, *,
              now: datetime | None = None) -> DomainView | None:
    """A `domain.check` job: ask DNS about one domain and record the verdict (None: removed since)."""
    domain = db.exec(select(Domain).where(Domain.public_id == public_id, Domain.source == "custom")).first()
    if domain is None:
        return None
    verdict = check_records(resolver or get_resolver(), domain.hostname, domain.verification_token,
                            get_settings().cname_target)
    _apply(db, domain, verdict, now or utcnow(), None)
    return view(domain)

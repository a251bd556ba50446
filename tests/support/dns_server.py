"""A real DNS server for tests: dnslib on a free loopback UDP port, answering from a dict.

    zone = {"portal.acme.test": {"CNAME": "portal.example.test"},
            "_portal-verify.portal.acme.test": {"TXT": "portal-verify=abc"}}
    with local_dns(zone) as server:          # "127.0.0.1:<port>"
        Resolver(server).cname("portal.acme.test")   # ["portal.example.test"]

Records per name: "CNAME" (one target), "TXT" (a string or a list of them: one record each),
"A" / "AAAA" (an address or a list). A name in the zone without the type asked: an empty
answer (NOERROR); a name not in the zone: NXDOMAIN; `{"SERVFAIL": True}`: the server fails.
A name with a CNAME answers every other type with the CNAME (and the target's records when
the target is in the zone), as a real server does. The zone dict is read at every question:
change it while the server runs (records added, changed, gone). Names are case-insensitive,
without the trailing dot.

`silent_dns()` is a UDP port that never answers (a DNS server that times out).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from dnslib import AAAA, CNAME, QTYPE, RCODE, RR, TXT, A, DNSLabel
from dnslib.server import BaseResolver, DNSLogger, DNSServer

Zone = dict[str, dict[str, Any]]
TTL = 60
_RDATA = {"A": A, "AAAA": AAAA, "CNAME": CNAME}


def _values(value: Any) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]


class ZoneResolver(BaseResolver):
    def __init__(self, zone: Zone):
        self.zone = zone
        self.questions: list[tuple[str, str]] = []  # (name, type) asked, in order

    def _records(self, name: str) -> dict[str, Any] | None:
        for key, records in list(self.zone.items()):
            if key.lower().rstrip(".") == name:
                return records
        return None

    def _answer(self, reply, name: str, qtype: str, depth: int = 0) -> None:
        records = self._records(name) or {}
        if qtype != "CNAME" and "CNAME" in records and depth < 8:
            target = str(records["CNAME"]).lower().rstrip(".")
            reply.add_answer(RR(DNSLabel(name), QTYPE.CNAME, rdata=CNAME(target), ttl=TTL))
            if self._records(target) is not None:
                self._answer(reply, target, qtype, depth + 1)
            return
        if qtype not in records:
            return
        for value in _values(records[qtype]):
            rdata = TXT(str(value)) if qtype == "TXT" else _RDATA[qtype](str(value))
            reply.add_answer(RR(DNSLabel(name), getattr(QTYPE, qtype), rdata=rdata, ttl=TTL))

    def resolve(self, request, handler):
        reply = request.reply()
        name = str(request.q.qname).lower().rstrip(".")
        qtype = QTYPE[request.q.qtype]
        self.questions.append((name, qtype))
        records = self._records(name)
        if records is None:
            reply.header.rcode = RCODE.NXDOMAIN
        elif records.get("SERVFAIL"):
            reply.header.rcode = RCODE.SERVFAIL
        else:
            self._answer(reply, name, qtype)
        return reply


class _Quiet(DNSLogger):
    def __init__(self) -> None:
        super().__init__(log="-request,-reply,-truncated,-error,-recv,-send,-data", prefix=False,
                         logf=lambda _msg: None)


@contextmanager
def local_dns(zone: Zone) -> Iterator[str]:
    """A DNS server answering from `zone` while the block runs; yields "127.0.0.1:<port>"
    (what PORTAL_DNS_SERVER and adapters.dns.Resolver take)."""
    with local_dns_server(zone) as (address, _resolver):
        yield address


@contextmanager
def local_dns_server(zone: Zone) -> Iterator[tuple[str, ZoneResolver]]:
    """As local_dns, also yielding the ZoneResolver (its `questions` show what was asked)."""
    resolver = ZoneResolver(zone)
    server = DNSServer(resolver, port=0, address="127.0.0.1", logger=_Quiet())
    server.start_thread()
    try:
        host, port = server.server.server_address[:2]
        yield f"{host}:{port}", resolver
    finally:
        server.stop()
        server.server.server_close()


@contextmanager
def silent_dns() -> Iterator[str]:
    """A loopback UDP port that receives DNS questions and never answers."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield f"127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()

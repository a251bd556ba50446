"""DNS look-ups behind a small interface (dnspython): the CNAME and TXT records a custom
domain's verification reads (services/portal/domains.py).

`Resolver(server="ip:port")` asks that server only (the tests point it at a local dnslib
server on a loopback port: tests/support/dns_server.py); `server=""` asks the system's
resolvers (/etc/resolv.conf). Each question waits at most `timeout` seconds in all.

Answers: a list of strings (names lowercased, without the trailing dot; TXT strings joined
as RFC 7208 says); [] when the name does not exist (NXDOMAIN) or has no record of that type.
`DnsTimeout` when no server answered in time, `DnsError` when they answered with a failure
(SERVFAIL, REFUSED): both mean "we do not know", never "the record is missing".
"""

from __future__ import annotations

import dns.exception
import dns.name
import dns.rdatatype
import dns.resolver

DEFAULT_TIMEOUT = 3.0


class DnsError(Exception):
    """The DNS question got no usable answer (the record may well exist)."""


class DnsTimeout(DnsError):
    """No DNS server answered in time."""


def parse_server(server: str) -> tuple[str, int]:
    """"127.0.0.1:5353" -> ("127.0.0.1", 5353); "10.0.0.2" -> port 53; "[::1]:53" for IPv6."""
    server = server.strip()
    if server.startswith("["):
        host, _, rest = server[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") else 53
    if server.count(":") == 1:
        host, port = server.split(":")
        return host, int(port)
    return server, 53


class Resolver:
    def __init__(self, server: str = "", timeout: float = DEFAULT_TIMEOUT):
        self.server = server
        self.timeout = timeout
        self._resolver: dns.resolver.Resolver | None = None

    def _get(self) -> dns.resolver.Resolver:
        if self._resolver is None:
            if self.server:
                resolver = dns.resolver.Resolver(configure=False)
                host, port = parse_server(self.server)
                resolver.nameservers = [host]
                resolver.port = port
            else:
                try:
                    resolver = dns.resolver.Resolver(configure=True)
                except dns.resolver.NoResolverConfiguration as exc:
                    raise DnsError("no DNS server is configured on this machine") from exc
            resolver.timeout = self.timeout
            resolver.lifetime = self.timeout
            resolver.cache = None  # every check asks afresh: a record just added must be seen
            self._resolver = resolver
        return self._resolver

    def _ask(self, name: str, rdtype: str) -> list[dns.rdata.Rdata]:
        try:
            answer = self._get().resolve(dns.name.from_text(name), rdtype, search=False, raise_on_no_answer=False,
                                         lifetime=self.timeout)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return []
        except dns.exception.Timeout as exc:
            raise DnsTimeout(f"no answer within {self.timeout:g} s") from exc
        except dns.resolver.NoNameservers as exc:
            raise DnsError("the DNS servers answered with an error") from exc
        except dns.exception.DNSException as exc:
            raise DnsError(type(exc).__name__) from exc
        if answer.rrset is None:
            return []
        return list(answer.rrset)

    def cname(self, name: str) -> list[str]:
        """The CNAME targets of `name` (normally one), e.g. ["portal.example.net"]."""
        return [r.target.to_text(omit_final_dot=True).lower()  # type: ignore[attr-defined]
                for r in self._ask(name, "CNAME")]

    def txt(self, name: str) -> list[str]:
        """The TXT records of `name`, each one string (a record's strings joined)."""
        return [b"".join(r.strings).decode("utf-8", "replace")  # type: ignore[attr-defined]
                for r in self._ask(name, "TXT")]


def get_resolver() -> Resolver:
    """A resolver of the settings (PORTAL_DNS_SERVER); tests pass their own instead."""
    from portal_app.settings import get_settings

    return Resolver(get_settings().dns_server)

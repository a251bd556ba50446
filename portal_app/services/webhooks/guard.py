"""Where a webhook may go: only http(s) to public addresses (SSRF guard).

Refused: a host that is or resolves to a loopback, private (RFC 1918, fc00::/7), link-local
(169.254/16 with the cloud metadata address, fe80::/10), multicast, unspecified, reserved or any
other non-global address. Checked when an endpoint is saved (`check_url`, a human message) and
again at each delivery on the address actually connected to: the host is resolved once, the
address checked, and the connection made to that address with the original Host header and
TLS server name (delivery.py); redirects are never followed.

https is required unless the portal runs on a local http address (`Settings.dev_mode`: the demo,
a developer's machine). PORTAL_WEBHOOKS_ALLOW_LOOPBACK=1 (tests only; settings.py refuses it
unless the base URL is local) lets loopback addresses through, nothing else.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from portal_app.errors import Invalid
from portal_app.settings import get_settings

# socket.getaddrinfo's shape; tests replace it to make a name resolve where they want
resolver: Callable[..., list[Any]] = socket.getaddrinfo


class Refused(Invalid):
    """A URL or address webhooks may not reach (the message says why)."""


def _why_not(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return _why_not(ip.ipv4_mapped)
    if ip.is_loopback:
        return "" if get_settings().webhooks_allow_loopback else "this server itself (loopback)"
    for test, what in ((ip.is_unspecified, "an unspecified address"), (ip.is_link_local, "a link-local address"),
                       (ip.is_multicast, "a multicast address"), (ip.is_private, "a private network"),
                       (ip.is_reserved, "a reserved address")):
        if test:
            return what
    return "" if ip.is_global else "an address that is not public"


def check_address(address: str) -> None:
    """Refused unless webhooks may connect to this IP address."""
    ip = ipaddress.ip_address(address.split("%")[0])
    why = _why_not(ip)
    if why:
        raise Refused(f"Webhooks cannot be sent to {ip}: it is {why}.", "url")


def resolve(host: str, port: int) -> list[str]:
    """Every address the host resolves to (a literal address: itself)."""
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    try:
        infos = resolver(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise Refused(f"The host {host} could not be found.", "url") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise Refused(f"The host {host} could not be found.", "url")
    return addresses


def split_url(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an endpoint URL webhooks may use; Refused otherwise."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise Refused("Enter a valid URL, like https://example.com/webhooks.", "url") from exc
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in ("http", "https") or not host:
        raise Refused("Enter an http or https URL, like https://example.com/webhooks.", "url")
    if scheme == "http" and not get_settings().dev_mode:
        raise Refused("Use an https URL: webhooks carry your clients' data.", "url")
    if parts.username or parts.password:
        raise Refused("Leave user names and passwords out of the URL.", "url")
    return scheme, host, port or (443 if scheme == "https" else 80)


def check_url(url: str) -> list[str]:
    """Refused when the URL, or any address its host resolves to, may not be reached; the
    addresses otherwise (every one is checked: a name resolving to a public and a private
    address is refused)."""
    _, host, port = split_url(url)
    addresses = resolve(host, port)
    for address in addresses:
        try:
            check_address(address)
        except Refused as exc:
            if address != host:
                raise Refused(f"{host} resolves to {address}. {exc.message}", "url") from exc
            raise
    return addresses

"""Hostnames staff may connect as a portal's custom domain (services/portal/domains.py): what
a typed name is stored as (`normalise`: lowercase, no trailing dot, punycode) and why one is
refused (`clean_hostname`: a message naming what to change). Plain rules; no database."""

from __future__ import annotations

import ipaddress
import re

from portal_app.errors import Invalid
from portal_app.settings import get_settings

FIELD = "hostname"
MAX_HOSTNAME = 253
MAX_LABEL = 63
LOOPBACK = ("localhost", "127.0.0.1", "::1")

# Two-level public suffixes common enough to matter (a registrable domain under them has
# three labels: example.co.uk). Not the whole Public Suffix List: a name under a suffix not
# listed here is judged by its label count alone, and verification still needs both records.
TWO_LEVEL_SUFFIXES = frozenset({
    "co.uk", "org.uk", "me.uk", "ltd.uk", "plc.uk", "net.uk", "ac.uk", "gov.uk",
    "com.au", "net.au", "org.au", "edu.au", "gov.au", "asn.au", "id.au",
    "co.nz", "net.nz", "org.nz", "govt.nz", "ac.nz",
    "co.za", "org.za", "web.za", "net.za",
    "co.jp", "ne.jp", "or.jp", "ac.jp", "go.jp",
    "co.kr", "or.kr", "co.in", "net.in", "org.in", "firm.in", "gen.in", "ind.in",
    "com.br", "net.br", "org.br", "com.mx", "org.mx", "com.ar", "com.co", "com.pe",
    "com.cn", "net.cn", "org.cn", "com.hk", "org.hk", "com.tw", "org.tw", "com.sg", "org.sg",
    "com.my", "com.ph", "co.id", "or.id", "co.th", "in.th", "com.vn", "com.tr", "org.tr",
    "co.il", "org.il", "com.sa", "com.eg", "com.ng", "co.ke", "com.pk", "com.ua", "co.at", "or.at",
    "com.pl", "net.pl", "org.pl", "co.hu", "com.es", "com.pt", "com.gr", "com.cy",
})
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
APEX_MESSAGE = ("{name} is a whole domain. Use a subdomain such as portal.{name}: a domain's apex cannot "
                "have the CNAME record the portal needs.")

def _to_ascii(name: str) -> str:
    """An internationalised name in its DNS form (punycode): "bäckerei.example" -> "xn--bckerei-…"."""
    if name.isascii():
        return name
    try:
        import idna

        return idna.encode(name, uts46=True).decode("ascii")
    except ImportError:  # pragma: no cover - idna ships with httpx
        pass
    except Exception:
        raise Invalid("That is not a valid domain name: check its letters.", FIELD) from None
    try:
        return name.encode("idna").decode("ascii")
    except UnicodeError:
        raise Invalid("That is not a valid domain name: check its letters.", FIELD) from None


def syntax_problem(name: str) -> str:
    """Why `name` (lowercase, ASCII, no trailing dot) is not a DNS hostname ("" when it is)."""
    if not name:
        return "Enter a domain, such as portal.example.com."
    if len(name) > MAX_HOSTNAME:
        return f"A domain has at most {MAX_HOSTNAME} characters."
    labels = name.split(".")
    for label in labels:
        if not label:
            return "A domain has no empty parts (two dots in a row, or a dot at the start)."
        if len(label) > MAX_LABEL:
            return f"Each part of a domain between dots has at most {MAX_LABEL} characters."
        if not _LABEL.fullmatch(label):
            return ("A domain has only letters, digits and hyphens between its dots (a part does not start "
                    "or end with a hyphen).")
    if labels[-1].isdigit():
        return "That is not a domain name."
    return ""


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return False
    return True


def normalise(raw: str) -> str:
    """What a person typed or a request names, in the form hostnames are stored: trimmed,
    lowercase, one trailing dot dropped, an internationalised name in punycode. No checks."""
    name = (raw or "").strip().lower()
    if name.endswith("."):
        name = name[:-1]
    return _to_ascii(name)


def is_apex(name: str) -> bool:
    labels = name.split(".")
    if len(labels) < 3:
        return True
    return ".".join(labels[-2:]) in TWO_LEVEL_SUFFIXES and len(labels) < 4


def clean_hostname(raw: str) -> str:
    """A hostname staff may connect, in its stored form; raises Invalid (field "hostname") with
    a message saying what to change. Does not look at the database (add_domain does)."""
    text = (raw or "").strip()
    if "://" in text or "/" in text:
        raise Invalid("Enter the domain alone, such as portal.example.com (no https:// and no path).", FIELD)
    if "*" in text:
        raise Invalid("Wildcard domains are not supported: enter one domain, such as portal.example.com.", FIELD)
    if _is_ip(text):
        raise Invalid("Enter a domain name, such as portal.example.com, not an IP address.", FIELD)
    if ":" in text:
        raise Invalid("Enter the domain without a port, such as portal.example.com.", FIELD)
    if len(text) > 4 * MAX_HOSTNAME:
        raise Invalid(f"A domain has at most {MAX_HOSTNAME} characters.", FIELD)
    name = normalise(text)
    problem = syntax_problem(name)
    if problem:
        raise Invalid(problem, FIELD)
    if name in LOOPBACK or name.endswith(".localhost"):
        raise Invalid("A local name (localhost) cannot be a portal domain.", FIELD)
    settings = get_settings()
    ours = {settings.base_host, settings.cname_target}
    if name in ours or any(name.endswith("." + host) for host in ours if host):
        raise Invalid("That is this service's own address; connect a domain of your business instead.", FIELD)
    if is_apex(name):
        shown = text.lower().rstrip(".")  # as they typed it (an IDN in its letters, not punycode)
        raise Invalid(APEX_MESSAGE.format(name=shown), FIELD)
    return name

"""Which device a session is on, from its stored user agent, and which devices an account
has signed in from before (the "new sign-in" email).

A small parser of our own, on purpose: the Security page needs a browser family and an OS
family ("Firefox on Windows"), not a device database; no third-party service is asked and no
data file is loaded. Unknown or empty user agents read "Unknown browser" / "unknown system".
The order of the checks matters: Edge, Opera and Samsung Internet also say "Chrome", Chrome
also says "Safari", and iOS browsers are WebKit whatever their name (CriOS, FxiOS, EdgiOS).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from portal_app.models import KnownDevice, utcnow

# (pattern, browser family), first match wins
_BROWSERS: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p), name) for p, name in (
    (r"\bEdg(e|A|iOS)?/", "Edge"),
    (r"\bOPR/|\bOpera\b|\bOPT/", "Opera"),
    (r"\bSamsungBrowser/", "Samsung Internet"),
    (r"\bVivaldi/", "Vivaldi"),
    (r"\bYaBrowser/", "Yandex Browser"),
    (r"\bFirefox/|\bFxiOS/", "Firefox"),
    (r"\bCriOS/", "Chrome"),
    (r"\bChromium/", "Chromium"),
    (r"\bHeadlessChrome/", "Chrome"),
    (r"\bChrome/", "Chrome"),
    (r"\bVersion/[\d.]+.*\bSafari/|\b(iPhone|iPad|Macintosh)\b.*\bAppleWebKit/", "Safari"),
    (r"\bMSIE |\bTrident/", "Internet Explorer"),
))

# (pattern, OS family), first match wins
_SYSTEMS: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p), name) for p, name in (
    (r"\biPad\b", "iPadOS"),
    (r"\b(iPhone|iPod)\b", "iOS"),
    (r"\bAndroid\b", "Android"),
    (r"\bCrOS\b", "ChromeOS"),
    (r"\bWindows\b", "Windows"),
    (r"\bMac OS X\b|\bMacintosh\b", "macOS"),
    (r"\bLinux\b|\bX11\b|\bUbuntu\b|\bFedora\b", "Linux"),
))

UNKNOWN_BROWSER = "Unknown browser"
UNKNOWN_SYSTEM = "unknown system"


@dataclass(frozen=True)
class Device:
    browser: str
    system: str
    phone: bool  # a phone or tablet (shown with another icon)

    @property
    def label(self) -> str:
        """"Firefox on Windows": the device family the page shows and the emails name."""
        return f"{self.browser} on {self.system}"


def parse_user_agent(user_agent: str | None) -> Device:
    ua = (user_agent or "")[:300]
    browser = next((name for pattern, name in _BROWSERS if pattern.search(ua)), UNKNOWN_BROWSER)
    system = next((name for pattern, name in _SYSTEMS if pattern.search(ua)), UNKNOWN_SYSTEM)
    phone = system in ("iOS", "iPadOS", "Android") or "Mobile" in ua
    return Device(browser, system, phone)


def note_device(db: Session, workspace_id: int, account_kind: str, account_id: int, user_agent: str) -> str | None:
    """Remember the device of a sign-in for this account; returns its label when the account
    has signed in before from other devices only (the caller raises the "new sign-in" event),
    else None: a device seen before, the account's very first device (an invitation just
    accepted), or no user agent at all (a script, a test)."""
    if not user_agent.strip():
        return None
    label = parse_user_agent(user_agent).label
    now = utcnow()
    mine = sa.and_(col(KnownDevice.account_kind) == account_kind, col(KnownDevice.account_id) == account_id)
    seen = db.exec(select(KnownDevice).where(mine, KnownDevice.device == label)).first()
    if seen is not None:
        seen.last_seen_at = now
        db.add(seen)
        return None
    others = db.exec(select(sa.func.count()).select_from(KnownDevice).where(mine)).one()
    try:
        with db.begin_nested():  # two first sign-ins from one device at once: one row, one email
            db.add(KnownDevice(workspace_id=workspace_id, account_kind=account_kind, account_id=account_id,
                               device=label, first_seen_at=now, last_seen_at=now))
    except IntegrityError:
        return None
    return label if others else None

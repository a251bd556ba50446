"""Fonts, text and colours for the PDFs we draw (the invoice, and the stamp and certificate
page of a signed document): hostile user text made printable (`_clean`), the portal's date
style, an accent colour made legible, and the check a logo PNG passes before it is embedded.
No Reflex, no database, no services.

Fonts: DejaVu Sans (regular, bold) from `portal_app/adapters/fonts/` (license beside them),
found from this file's location, not the working directory.
"""

from __future__ import annotations

import io
import re
import struct
import unicodedata
from datetime import date
from pathlib import Path

FONT_DIR = Path(__file__).resolve().parent / "fonts"  # package data, not the public assets/ folder
FONT_REGULAR = FONT_DIR / "DejaVuSans.ttf"
FONT_BOLD = FONT_DIR / "DejaVuSans-Bold.ttf"
FAMILY = "DejaVuSans"

DEFAULT_ACCENT = "#1f4e79"
PRODUCER = "fpdf2"  # the PDF's /Producer: the library that wrote it (Creator and Author: the business)
MAX_LOGO_BYTES = 5_000_000
MAX_LOGO_SIDE = 4_096


# ------------------------------------------------------------------ text and colour helpers

_DROP = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u200b\u2060\ufeff\ud800-\udfff]")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ELLIPSIS = "…"


def _clean(value: object, limit: int, multiline: bool = False) -> str:
    """User text made printable: no control characters or lone surrogates, NFC (so a
    decomposed "e + ¨" draws as one "ë"), tabs as spaces, at most `limit` characters."""
    text = "" if value is None else str(value)
    text = text[: limit * 2]
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    text = text.replace("\t", " ")
    text = _DROP.sub("", text)
    text = unicodedata.normalize("NFC", text)
    if multiline:
        text = "\n".join(line.rstrip() for line in text.split("\n"))
        text = re.sub(r"\n{3,}", "\n\n", text).strip("\n")
    else:
        text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + ELLIPSIS
    return text


def _date(value: date) -> str:
    """03 Mar 2026 — the portal's date style, spelled here so the locale cannot change it."""
    return f"{value.day:02d} {_MONTHS[value.month - 1]} {value.year}"


def _rgb(hex_color: str) -> tuple[int, int, int]:
    if not isinstance(hex_color, str) or not _HEX.match(hex_color):
        hex_color = DEFAULT_ACCENT
    return tuple(int(hex_color[i:i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def _luminance(rgb: tuple[int, int, int]) -> float:
    def channel(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _readable(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    """The accent darkened until white text on it (and it on white) reaches 4.5:1 (WCAG AA):
    a pale brand colour still gives a legible title and balance band."""
    for _ in range(40):
        if 1.05 / (_luminance(rgb) + 0.05) >= 4.5:
            return rgb
        rgb = tuple(int(c * 0.9) for c in rgb)  # type: ignore[assignment]
    return rgb


def _tint(rgb: tuple[int, int, int], amount: float) -> tuple[int, int, int]:
    return tuple(round(c + (255 - c) * amount) for c in rgb)  # type: ignore[return-value]


def _png_size(data: object) -> tuple[int, int] | None:
    """(width, height) of a PNG we are willing to embed, else None: the signature and the
    header are checked before anything decodes it (no decompression bombs), then Pillow
    decodes it fully so a truncated or corrupt file is refused here, not halfway through
    the PDF."""
    if not isinstance(data, (bytes, bytearray)) or not 33 <= len(data) <= MAX_LOGO_BYTES:
        return None
    if data[:8] != _PNG_SIGNATURE or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    if not (0 < width <= MAX_LOGO_SIDE and 0 < height <= MAX_LOGO_SIDE):
        return None
    try:
        from PIL import Image

        with Image.open(io.BytesIO(bytes(data))) as image:
            if image.format != "PNG":
                return None
            image.load()
    except Exception:
        return None
    return width, height


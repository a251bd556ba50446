"""Brand colors people can read: WCAG 2 relative luminance and contrast ratio.

The portal uses a workspace's colors in two ways:

- the **accent** is drawn *as text and lines on white* (links, focus rings, the outline of a
  primary button's label-free parts) and as the background of primary buttons (white label): it
  needs 4.5:1 against white (WCAG AA for body text), or it is refused at save with a message
  that names the field and the ratio;
- **brand colors 1 and 2** are drawn *as backgrounds* (the header's title band, the footer): any
  color is fine so long as a text color reaches 4.5:1 on it, so each is paired with white or
  near-black text, whichever reads (`text_on`); a color on which neither does is refused.
"""

from __future__ import annotations

from portal_app.errors import Invalid

AA_TEXT = 4.5
WHITE = "#ffffff"
NEAR_BLACK = "#111827"
BLACK = "#000000"


def _channel(c: int) -> float:
    s = c / 255
    return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4


def luminance(hex_color: str) -> float:
    """WCAG relative luminance of "#rrggbb" (0 black .. 1 white)."""
    h = hex_color.strip().lstrip("#")
    if len(h) != 6:
        raise ValueError(f"not a #rrggbb color: {hex_color!r}")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def ratio(a: str, b: str) -> float:
    """The WCAG contrast ratio of two colors, 1.0 .. 21.0."""
    la, lb = luminance(a), luminance(b)
    hi, lo = max(la, lb), min(la, lb)
    return (hi + 0.05) / (lo + 0.05)


def shown(r: float) -> str:
    """A ratio as people read it, rounded down so a refused color never reads as 4.5:1."""
    return f"{int(r * 10) / 10:.1f}:1"


def check_text_on_white(color: str, field: str, label: str) -> str:
    """`color` (cleaned "#rrggbb") if it reads as text on white (4.5:1), else Invalid naming the
    field and the ratio."""
    r = ratio(color, WHITE)
    if r < AA_TEXT:
        raise Invalid(f"{label}: {color} has a contrast of {shown(r)} on white; text needs 4.5:1 "
                      "— pick a darker shade.", field)
    return color


def text_on(background: str) -> str:
    """The text color for `background`: white or near-black, whichever reaches 4.5:1 with the
    higher contrast; pure black when neither does (on a mid-tone where white falls short, black
    always reaches 4.6:1)."""
    for candidate in sorted((WHITE, NEAR_BLACK), key=lambda c: -ratio(c, background)):
        if ratio(candidate, background) >= AA_TEXT:
            return candidate
    return BLACK


def check_background(color: str, field: str, label: str) -> str:
    """`color` if some text color reaches 4.5:1 on it (always true for #rrggbb: see text_on), else
    Invalid naming the field and the best ratio."""
    best = ratio(text_on(color), color)
    if best < AA_TEXT:  # pragma: no cover - white or black always reaches 4.5:1 on one side
        raise Invalid(f"{label}: no text color reaches 4.5:1 on {color} (best {shown(best)}) "
                      "— pick a lighter or darker shade.", field)
    return color

"""Invoice PDF: what to draw (`InvoicePdf`, a view model the invoice service fills) and how
(`render_invoice`, with fpdf2). No Reflex, no database, no services.

Amounts arrive already formatted. The invoice service owns money (services/billing/money.py:
`format_amount`) and fills every amount field with its text, e.g. "1,234.50 USD" — the same
string the portal pages show — so an adapter never re-implements currency exponents, and
the PDF cannot disagree with the screen. `discount` is what it takes off, a negative
amount ("−12.00 USD", with the minus sign U+2212), and so is a refund in `payments`
("−50.00 USD"), exactly as format_amount writes them: the PDF prints them as given.

Metadata: Title and Subject "Invoice <number>", Author and Creator the business's name (the
invoice is the business's document, not the software's), Producer the library (fpdf2).

The output is deterministic: the same `InvoicePdf` gives the same bytes (the creation date
is the issue date at 00:00 UTC, the file id is a hash of the content), so a cache keyed by
the content hash of the view model is safe.

Hostile text is expected (a client's name, a line's description, notes): control
characters are dropped, every text is capped in length and in lines, words longer than
their column are broken, rows taller than a page continue on the next one, and a logo that
is not a plain, sane PNG is ignored in favour of the business name. Nothing a user types
can make this loop forever or raise.

Fonts: DejaVu Sans (regular, bold) from `portal_app/adapters/fonts/` (license beside
them), found from this file's location, not the working directory: Unicode everywhere
("Zoë Łukasiewicz – Café", "€", "—"), subset-embedded.
"""

from __future__ import annotations

import io
import re
import struct
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path

from fpdf import FPDF

FONT_DIR = Path(__file__).resolve().parent / "fonts"  # package data, not the public assets/ folder
FONT_REGULAR = FONT_DIR / "DejaVuSans.ttf"
FONT_BOLD = FONT_DIR / "DejaVuSans-Bold.ttf"
FAMILY = "DejaVuSans"

STATUSES = ("draft", "sent", "partially_paid", "paid", "void", "overdue")
PAPERS = ("A4", "Letter")
DEFAULT_ACCENT = "#1f4e79"
PRODUCER = "fpdf2"  # the PDF's /Producer: the library that wrote it (Creator and Author: the business)

# Caps on what one field may contribute (characters; lines once wrapped).
MAX_SHORT = 300           # names, labels, amounts, numbers
MAX_DESCRIPTION = 4_000
MAX_LONG = 10_000          # notes, terms
MAX_PAY_METHODS = 4
MAX_PAY_ROWS = 8
MAX_DESCRIPTION_LINES = 80  # a row taller than a page continues on the next one
MAX_NOTE_LINES = 200
MAX_ADDRESS_LINES = 8
MAX_LOGO_BYTES = 5_000_000
MAX_LOGO_SIDE = 4_096


# ------------------------------------------------------------------ the view model


@dataclass(frozen=True, kw_only=True)
class PartyPdf:
    name: str
    company: str = ""
    email: str = ""
    address_lines: list[str] = field(default_factory=list)
    phone: str = ""
    tax_id: str = ""              # printed "Tax ID: …"


@dataclass(frozen=True, kw_only=True)
class PayMethodPdf:
    """One way to pay under "How to pay": a title, (label, value) rows, a sentence."""
    title: str
    rows: list[tuple[str, str]] = field(default_factory=list)
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class LinePdf:
    description: str
    quantity: str                 # "2", "1.5"
    unit_price: str               # formatted: "120.00 USD"
    tax_rate_label: str = ""      # "8.875 %", "" for none
    amount: str                   # formatted: quantity × unit price


@dataclass(frozen=True, kw_only=True)
class PaymentPdf:
    date: date
    method: str                   # "Card", "Bank transfer", "Refund (card)"
    amount: str                   # formatted; negative for a refund: "-50.00 USD"
    reference: str = ""


@dataclass(frozen=True, kw_only=True)
class InvoicePdf:
    number: str
    status: str                   # one of STATUSES
    issue_date: date
    due_date: date
    currency: str                 # ISO code, shown in the details block
    business: PartyPdf
    client: PartyPdf
    lines: list[LinePdf]
    subtotal: str
    total: str
    balance: str
    amount_paid: str = ""         # "" hides the row
    discount: str = ""            # negative, formatted ("−12.00 USD"); "" hides the row
    discount_label: str = ""      # "Discount (10 %)"; "Discount" when empty
    tax_by_rate: list[tuple[str, str]] = field(default_factory=list)  # ("Tax 8.875 %", "8.88 USD")
    payments: list[PaymentPdf] = field(default_factory=list)
    notes: str = ""
    terms: str = ""
    accent_color: str = DEFAULT_ACCENT   # "#rrggbb"; anything else falls back to the default
    logo_png: bytes | None = None
    rounding_note: str = ""       # e.g. "Amounts rounded half up per line."
    how_to_pay: list[PayMethodPdf] = field(default_factory=list)
    how_to_pay_note: str = ""     # shown under "How to pay" when no method is (e.g. "please contact us")

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"unknown invoice status {self.status!r}; expected one of {STATUSES}")


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


# ------------------------------------------------------------------ drawing

INK = (31, 35, 40)
MUTED = (96, 104, 113)
RULE = (216, 222, 228)
FILL = (245, 247, 249)
WHITE = (255, 255, 255)
GREEN = (26, 127, 55)
RED = (200, 30, 42)
STATUS_STYLE = {
    "draft": ("Draft", (96, 104, 113)),
    "sent": ("Sent", (9, 105, 218)),
    "partially_paid": ("Partially paid", (154, 103, 0)),
    "paid": ("Paid", GREEN),
    "void": ("Void", RED),
    "overdue": ("Overdue", RED),
}
PT = 25.4 / 72  # mm per point

MARGIN = 16.0
FOOTER_SPACE = 17.0   # below the content: footer rule and two lines of small print
CELL_PAD_X = 2.0
CELL_PAD_Y = 1.45
HEADER_ROW_H = 7.0


class _Pdf(FPDF):
    """fpdf2 with our running header (fpdf2 calls it on every new page)."""

    renderer: _Renderer

    def header(self):
        self.renderer.page_header()


class _Renderer:
    def __init__(self, inv: InvoicePdf, paper: str):
        self.inv = inv
        self.accent = _readable(_rgb(inv.accent_color))
        self.number = _clean(inv.number, 80)
        self.business_name = _clean(inv.business.name, MAX_SHORT) or _clean(inv.business.company, MAX_SHORT)
        self._widths: dict[tuple, dict[str, float]] = {}

        pdf = _Pdf(orientation="P", unit="mm", format=paper)
        pdf.renderer = self
        pdf.set_auto_page_break(False)
        pdf.set_margins(MARGIN, MARGIN, MARGIN)
        pdf.set_compression(True)
        # page x/y is written once the page count is known; None turns the alias off, as fpdf2 documents
        pdf.alias_nb_pages(None)  # type: ignore[arg-type]  # (its annotation says str only)
        pdf.add_font(FAMILY, "", str(FONT_REGULAR))
        pdf.add_font(FAMILY, "B", str(FONT_BOLD))
        pdf.set_title(f"Invoice {self.number}")
        # the invoice is the business's document: Author and Creator name the business (none
        # when it has no name); Producer says honestly which library wrote the bytes
        if self.business_name:
            pdf.set_author(self.business_name)
            pdf.set_creator(self.business_name)
        pdf.set_producer(PRODUCER)
        pdf.set_subject(f"Invoice {self.number}")
        pdf.set_lang("en")
        pdf.set_creation_date(datetime.combine(inv.issue_date, time(0, 0), tzinfo=UTC))
        self.pdf = pdf
        self.left = MARGIN
        self.right = pdf.w - MARGIN
        self.width = self.right - self.left
        self.bottom = pdf.h - FOOTER_SPACE
        self.y = MARGIN
        self.fresh_top = MARGIN + self.line_h(8) + 2 + 5   # where content starts on page 2+
        self.heading_h = self.line_h(10, 1.3) + 1.5

    # -- primitives ------------------------------------------------------------------

    def font(self, size: float, bold: bool = False, color: tuple[int, int, int] = INK) -> None:
        self.pdf.set_font(FAMILY, "B" if bold else "", size)
        self.pdf.set_text_color(*color)

    def measure(self, text: str) -> float:
        """Width of `text` in the current font (mm). Per-character widths are cached: fpdf2
        draws without kerning, so widths add up, and wrapping long text stays linear."""
        key = (self.pdf.font_style, self.pdf.font_size_pt)
        table = self._widths.setdefault(key, {})
        total = 0.0
        for ch in text:
            w = table.get(ch)
            if w is None:
                w = table[ch] = self.pdf.get_string_width(ch)
            total += w
        return total

    def _head(self, word: str, width: float) -> str:
        """The longest start of `word` that fits `width` (at least one character)."""
        used, n = 0.0, 0
        for ch in word:
            used += self.measure(ch)
            if used > width and n:
                break
            n += 1
        return word[:n]

    def _ellipsize(self, line: str, width: float) -> str:
        while line and self.measure(line + ELLIPSIS) > width:
            line = line[:-1]
        return line.rstrip() + ELLIPSIS

    def wrap(self, text: str, width: float, max_lines: int | None = None) -> list[str]:
        """Lines of `text` no wider than `width` in the current font: words wrap, a word
        longer than the width is broken, "\\n" starts a new line. Past `max_lines` the last
        line ends with "…"."""
        width = max(width, 1.0)
        space = self.measure(" ")
        lines: list[str] = []
        limit = (max_lines or 10 ** 9) + 1
        for paragraph in text.split("\n"):
            line, used = "", 0.0
            for word in paragraph.split():
                w = self.measure(word)
                if line and used + space + w <= width:
                    line, used = f"{line} {word}", used + space + w
                    continue
                if line:
                    lines.append(line)
                while w > width and len(lines) < limit:
                    head = self._head(word, width)
                    lines.append(head)
                    word = word[len(head):]
                    w = self.measure(word)
                line, used = word, w
                if len(lines) >= limit:
                    break
            lines.append(line)
            if len(lines) >= limit:
                break
        if max_lines and len(lines) > max_lines:
            lines = lines[:max_lines]
            lines[-1] = self._ellipsize(lines[-1], width)
        return lines

    def put(self, x: float, top: float, line_h: float, text: str, align: str = "L", width: float = 0) -> None:
        """One line of text in a box starting at `top`, `line_h` tall, vertically centred;
        `align` "R" puts its right edge at x + width, "C" centres it in the box."""
        if not text:
            return
        if align == "R":
            x = x + width - self.measure(text)
        elif align == "C":
            x = x + (width - self.measure(text)) / 2
        size_mm = self.pdf.font_size_pt * PT
        self.pdf.text(x, top + line_h / 2 + 0.36 * size_mm, text)

    def rule(self, y: float, color=RULE, width: float = 0.2, x0: float | None = None, x1: float | None = None) -> None:
        self.pdf.set_draw_color(*color)
        self.pdf.set_line_width(width)
        self.pdf.line(self.left if x0 is None else x0, y, self.right if x1 is None else x1, y)

    @staticmethod
    def line_h(size_pt: float, leading: float = 1.38) -> float:
        return size_pt * PT * leading

    def new_page(self) -> None:
        self.pdf.add_page()   # fpdf2 calls page_header()

    def ensure(self, height: float) -> bool:
        """Start a new page unless `height` mm still fit above the footer; True if it did."""
        if self.y + height <= self.bottom:
            return False
        self.new_page()
        return True

    # -- running header and footer ---------------------------------------------------

    def page_header(self) -> None:
        pdf = self.pdf
        pdf.set_fill_color(*self.accent)
        pdf.rect(0, 0, pdf.w, 2.6, style="F")
        self.y = MARGIN
        if pdf.page_no() == 1:
            return
        self.font(8, color=MUTED)
        lh = self.line_h(8)
        number = self.wrap(self.number, self.width * 0.45, 1)[0] if self.number else ""
        right = f"Invoice {number} (continued)"
        right_w = self.measure(right)
        self.put(self.left, self.y, lh, right, "R", self.width)
        name = self.wrap(self.business_name, self.width - right_w - 8, 1)[0] if self.business_name else ""
        self.put(self.left, self.y, lh, name)
        self.y += lh + 2
        self.rule(self.y)
        self.y += 5

    def page_footers(self) -> None:
        """Footers go on once every page exists, so "Page x/y" is exact text, right-aligned
        (fpdf2's {nb} alias reserves a fixed width and would leave a gap)."""
        pdf = self.pdf
        for page in range(1, pdf.pages_count + 1):
            pdf.page = page
            pdf.current_font_is_set_on_page = False   # this page's stream has not selected a font
            self.page_footer(page, pdf.pages_count)

    def page_footer(self, page: int, pages: int) -> None:
        pdf = self.pdf
        top = pdf.h - FOOTER_SPACE + 3.5
        self.rule(top)
        self.font(7.5, color=MUTED)
        lh = self.line_h(7.5, 1.3)
        page_text = f"Page {page}/{pages}"
        page_w = self.measure(page_text)
        number = self.wrap(self.number, 40, 1)[0] if self.number else ""
        number_w = self.measure(number) + 4 if number else 0
        note = _clean(self.inv.rounding_note, MAX_SHORT)
        for i, line in enumerate(self.wrap(note, self.width - page_w - number_w - 8, 2) if note else []):
            self.put(self.left, top + 1.5 + i * lh, lh, line)
        self.put(self.left, top + 1.5, lh, page_text, "R", self.width)
        self.put(self.right - page_w - number_w, top + 1.5, lh, number, "R", number_w - 4)

    # -- sections --------------------------------------------------------------------

    def header_block(self) -> None:
        inv, pdf = self.inv, self.pdf
        top = self.y
        # left: logo, or the business name
        left_h = 0.0
        logo = inv.logo_png or b""  # no logo: b"" is refused like None
        size = _png_size(logo)
        if size:
            w_px, h_px = size
            scale = min(40.0 / w_px, 16.0 / h_px)
            w_mm, h_mm = w_px * scale, h_px * scale
            try:
                pdf.image(io.BytesIO(bytes(logo)), x=self.left, y=top, w=w_mm, h=h_mm)
                left_h = h_mm
            except Exception:
                left_h = 0.0
        if not left_h:
            self.font(15, bold=True)
            lh = self.line_h(15, 1.2)
            for i, line in enumerate(self.wrap(self.business_name or "Invoice", self.width * 0.52, 2)):
                self.put(self.left, top + i * lh, lh, line)
                left_h = (i + 1) * lh
        # right: INVOICE, its number, its status
        y = top
        self.font(21, bold=True, color=self.accent)
        lh = self.line_h(21, 1.1)
        self.put(self.left, y, lh, "INVOICE", "R", self.width)
        y += lh + 0.6
        self.font(10.5, bold=True)
        lh = self.line_h(10.5, 1.3)
        for line in self.wrap(self.number, self.width * 0.42, 2):
            self.put(self.left, y, lh, line, "R", self.width)
            y += lh
        label, color = STATUS_STYLE[inv.status]
        self.font(7.5, bold=True, color=color)
        pill_w, pill_h = self.measure(label) + 5, 5.0
        y += 1.4
        pdf.set_fill_color(*_tint(color, 0.88))
        pdf.rect(self.right - pill_w, y, pill_w, pill_h, style="F", round_corners=True, corner_radius=2.5)
        self.put(self.right - pill_w, y, pill_h, label, "C", pill_w)
        y += pill_h
        self.y = max(top + left_h, y) + 5
        self.rule(self.y)
        self.y += 5

    def party_lines(self, party: PartyPdf, width: float) -> list[tuple[str, float, bool, tuple]]:
        """(text, size, bold, colour) lines of an address block, each capped."""
        out: list[tuple[str, float, bool, tuple]] = []
        self.font(9.5, bold=True)
        out += [(ln, 9.5, True, INK) for ln in self.wrap(_clean(party.name, MAX_SHORT), width, 3) if ln]
        self.font(9)
        company = _clean(party.company, MAX_SHORT)
        if company and company != _clean(party.name, MAX_SHORT):
            out += [(ln, 9, False, INK) for ln in self.wrap(company, width, 2)]
        for raw in list(party.address_lines or [])[:MAX_ADDRESS_LINES]:
            out += [(ln, 9, False, INK) for ln in self.wrap(_clean(raw, MAX_SHORT), width, 2) if ln]
        for extra in (party.email, party.phone, f"Tax ID: {party.tax_id}" if party.tax_id else ""):
            text = _clean(extra, MAX_SHORT)
            if text:
                out += [(ln, 9, False, MUTED) for ln in self.wrap(text, width, 2)]
        return out

    def caption(self, x: float, y: float, text: str) -> float:
        self.font(7, bold=True, color=MUTED)
        lh = self.line_h(7, 1.3)
        self.put(x, y, lh, text)
        return lh + 1.2

    def parties_block(self) -> None:
        inv, pdf = self.inv, self.pdf
        gap = 7.0
        details_w = 60.0
        col_w = (self.width - details_w - 2 * gap) / 2
        top = self.y
        bottoms = []
        for i, (title, party) in enumerate((("FROM", inv.business), ("BILL TO", inv.client))):
            x = self.left + i * (col_w + gap)
            y = top + self.caption(x, top, title)
            for text, size, bold, color in self.party_lines(party, col_w):
                self.font(size, bold, color)
                lh = self.line_h(size, 1.35)
                self.put(x, y, lh, text)
                y += lh
            bottoms.append(y)
        # details: dates, currency, and the balance due, boxed
        x = self.right - details_w
        y = top
        lh = self.line_h(8.5, 1.45)
        for label, value in (("Issue date", _date(inv.issue_date)), ("Due date", _date(inv.due_date)),
                             ("Currency", _clean(inv.currency, 12))):
            self.font(8.5, color=MUTED)
            self.put(x, y, lh, label)
            overdue = label == "Due date" and inv.status == "overdue"
            self.font(8.5, bold=label == "Due date", color=RED if overdue else INK)
            self.put(x, y, lh, value, "R", details_w)
            y += lh
        y += 2.5
        self.font(12.5, bold=True)
        value_lh = self.line_h(12.5, 1.25)
        balance = self.wrap(_clean(inv.balance, MAX_SHORT), details_w - 6, 2)
        box_h = 3 + self.line_h(7, 1.3) + 0.6 + value_lh * len(balance) + 2.6
        pdf.set_fill_color(*_tint(self.accent, 0.92))
        pdf.rect(x, y, details_w, box_h, style="F", round_corners=True, corner_radius=1.5)
        pdf.set_fill_color(*self.accent)
        pdf.rect(x, y, 1.1, box_h, style="F")
        self.font(7, bold=True, color=MUTED)
        cap_h = self.line_h(7, 1.3)
        self.put(x + 3, y + 3, cap_h, "BALANCE DUE")
        vy = y + 3 + cap_h + 0.6
        self.font(12.5, bold=True)
        for line in balance:
            self.put(x, vy, value_lh, line, "R", details_w - 3)
            vy += value_lh
        bottoms.append(y + box_h)
        self.y = max(bottoms) + 8

    # -- tables ----------------------------------------------------------------------

    def _table_header(self, cols, widths) -> None:
        h = HEADER_ROW_H
        self.pdf.set_fill_color(*FILL)
        self.pdf.rect(self.left, self.y, self.width, h, style="F")
        self.font(7.5, bold=True, color=MUTED)
        x = self.left
        for (title, _w, align, _max), w in zip(cols, widths, strict=True):
            self.put(x + CELL_PAD_X, self.y, h, title, align, w - 2 * CELL_PAD_X)
            x += w
        self.rule(self.y + h, color=(180, 188, 196), width=0.3)
        self.y += h

    def table(self, cols, rows, size: float = 9, heading: str = "") -> None:
        """cols: (title, width or 0 for the flexible one, align, max lines per cell).
        The header row repeats on every page the table reaches; a row that does not fit
        moves to the next page whole, unless it is taller than a page: then it is split."""
        fixed = sum(c[1] for c in cols)
        widths = [c[1] or (self.width - fixed) for c in cols]
        lh = self.line_h(size, 1.32)
        for index, row in enumerate(rows):
            self.font(size)
            cells = [self.wrap(text, w - 2 * CELL_PAD_X, col[3]) for col, w, text in zip(cols, widths, row, strict=True)]
            n = max(1, max(len(c) for c in cells))
            if index == 0:
                # the heading, the header row and (the start of) the first row stay together
                first_h = min(n, 3) * lh + 2 * CELL_PAD_Y
                self.ensure((self.heading_h if heading else 0) + HEADER_ROW_H + first_h)
                if heading:
                    self.heading(heading)
                self._table_header(cols, widths)
            self._table_row(cols, widths, cells, n, lh, size)

    def _rows_that_fit(self, lh: float) -> int:
        return int((self.bottom - self.y - 2 * CELL_PAD_Y) // lh)

    def _table_row(self, cols, widths, cells, n, lh, size) -> None:
        fresh_rows = int((self.bottom - self.fresh_top - HEADER_ROW_H - 2 * CELL_PAD_Y) // lh)
        start = 0
        while start < n:
            room = self._rows_that_fit(lh)
            remaining = n - start
            fresh = self.y <= self.fresh_top + HEADER_ROW_H + 0.5   # nothing above but headers
            if remaining > room and (remaining <= fresh_rows or room < 3) and not fresh:
                # the (rest of the) row fits a fresh page, or only a sliver of it fits here
                self.new_page()
                self._table_header(cols, widths)
                continue
            take = max(1, min(remaining, room))   # always progress, even on a tiny page
            top = self.y + CELL_PAD_Y
            x = self.left
            for (_title, _w, align, _m), w, lines in zip(cols, widths, cells, strict=True):
                self.font(size)
                for i, line in enumerate(lines[start:start + take]):
                    self.put(x + CELL_PAD_X, top + i * lh, lh, line, align, w - 2 * CELL_PAD_X)
                x += w
            self.y = top + take * lh + CELL_PAD_Y
            start += take
            if start < n:
                self.new_page()
                self._table_header(cols, widths)
        self.rule(self.y)

    def items_block(self) -> None:
        cols = [("Description", 0, "L", MAX_DESCRIPTION_LINES), ("Qty", 15, "R", 3), ("Unit price", 30, "R", 3),
                ("Tax", 17, "R", 3), ("Amount", 32, "R", 3)]
        rows = [[_clean(ln.description, MAX_DESCRIPTION, multiline=True), _clean(ln.quantity, 40),
                 _clean(ln.unit_price, 60), _clean(ln.tax_rate_label, 40), _clean(ln.amount, 60)]
                for ln in self.inv.lines]
        if not rows:
            rows = [["No line items.", "", "", "", ""]]
        self.table(cols, rows)
        self.y += 6

    def totals_block(self) -> None:
        inv, pdf = self.inv, self.pdf
        tw, label_w = 86.0, 50.0
        value_w = tw - label_w
        x0 = self.right - tw
        rows: list[tuple[str, str, str]] = [("Subtotal", _clean(inv.subtotal, MAX_SHORT), "normal")]
        discount = _clean(inv.discount, MAX_SHORT)
        if discount:
            rows.append((_clean(inv.discount_label, MAX_SHORT) or "Discount", discount, "normal"))
        for label, amount in list(inv.tax_by_rate or [])[:50]:
            rows.append((_clean(label, MAX_SHORT) or "Tax", _clean(amount, MAX_SHORT), "normal"))
        rows.append(("Total", _clean(inv.total, MAX_SHORT), "total"))
        paid = _clean(inv.amount_paid, MAX_SHORT)
        if paid:
            rows.append(("Amount paid", paid, "normal"))
        rows.append(("Balance due", _clean(inv.balance, MAX_SHORT), "band"))

        laid = []
        for label, value, kind in rows:
            size = 9 if kind == "normal" else 10.5
            self.font(size, bold=kind != "normal")
            lh = self.line_h(size, 1.3)
            labels = self.wrap(label, label_w - 2 * CELL_PAD_X, 3)
            values = self.wrap(value, value_w - CELL_PAD_X, 2)
            pad = 1.0 if kind == "normal" else 2.2
            laid.append((labels, values, kind, size, lh, pad, max(len(labels), len(values)) * lh + 2 * pad))
        block_h = sum(r[-1] for r in laid) + 2
        stamp = inv.status in ("paid", "void")
        stamp_h = 30.0 if stamp else 0.0
        fresh_room = self.bottom - self.fresh_top
        self.ensure(min(max(block_h, stamp_h), fresh_room))   # together, unless taller than a page
        top = self.y
        if stamp:
            self.stamp(self.left, top, x0 - self.left - 6, max(min(block_h, self.bottom - top), stamp_h))
        for labels, values, kind, size, lh, pad, h in laid:
            if self.ensure(h + 1.2):
                top = self.y
            if kind == "total":
                self.rule(self.y, color=INK, width=0.35, x0=x0)
            if kind == "band":
                self.y += 1.2
                pdf.set_fill_color(*self.accent)
                pdf.rect(x0, self.y, tw, h, style="F")
            color = WHITE if kind == "band" else INK
            self.font(size, bold=kind != "normal", color=MUTED if kind == "normal" else color)
            for i, line in enumerate(labels):
                self.put(x0 + CELL_PAD_X, self.y + pad + i * lh, lh, line)
            self.font(size, bold=kind != "normal", color=color)
            for i, line in enumerate(values):
                self.put(x0, self.y + pad + i * lh, lh, line, "R", tw - CELL_PAD_X)
            self.y += h
        self.y = max(self.y, top + stamp_h) + 7

    def stamp(self, x: float, y: float, w: float, h: float) -> None:
        """PAID (green) or VOID (red), boxed and tilted like a rubber stamp, left of the
        totals. Real text, so it is searchable and extractable."""
        inv, pdf = self.inv, self.pdf
        color = GREEN if inv.status == "paid" else RED
        word = "PAID" if inv.status == "paid" else "VOID"
        sub = ""
        if inv.status == "paid" and inv.payments:
            sub = _date(max(p.date for p in inv.payments))
        self.font(30, bold=True, color=color)
        word_w, word_h = self.measure(word), self.line_h(30, 1.0)
        self.font(8.5, bold=True, color=color)
        sub_h = self.line_h(8.5, 1.2) if sub else 0
        box_w = word_w + 12
        box_h = word_h + sub_h + 6
        cx, cy = x + w / 2, y + h / 2
        bx, by = cx - box_w / 2, cy - box_h / 2
        with pdf.rotation(9, cx, cy):
            with pdf.local_context(stroke_opacity=0.85, fill_opacity=0.85):
                pdf.set_draw_color(*color)
                pdf.set_line_width(1.1)
                pdf.rect(bx, by, box_w, box_h, style="D", round_corners=True, corner_radius=2)
                pdf.set_line_width(0.35)
                pdf.rect(bx + 1.4, by + 1.4, box_w - 2.8, box_h - 2.8, style="D", round_corners=True,
                         corner_radius=1.2)
                self.font(30, bold=True, color=color)
                self.put(bx, by + 3, word_h, word, "C", box_w)
                if sub:
                    self.font(8.5, bold=True, color=color)
                    self.put(bx, by + 3 + word_h, sub_h, sub, "C", box_w)

    def heading(self, text: str) -> None:
        self.font(10, bold=True)
        self.put(self.left, self.y, self.line_h(10, 1.3), text)
        self.y += self.heading_h

    def payments_block(self) -> None:
        payments = list(self.inv.payments or [])
        if not payments:
            return
        cols = [("Date", 26, "L", 1), ("Method", 44, "L", 3), ("Reference", 0, "L", 3), ("Amount", 34, "R", 2)]
        rows = [[_date(p.date), _clean(p.method, MAX_SHORT), _clean(p.reference, MAX_SHORT),
                 _clean(p.amount, MAX_SHORT)] for p in payments]
        self.table(cols, rows, size=8.5, heading="Payments")
        self.y += 6

    def how_to_pay_block(self) -> None:
        """Each offered way to pay: its title on the left, label and value rows, its note;
        two methods side by side when there are several (a typical invoice stays on one page)."""
        methods = list(self.inv.how_to_pay or [])[:MAX_PAY_METHODS]
        note = _clean(self.inv.how_to_pay_note, MAX_SHORT)
        if not methods and not note:
            return
        size = 8.5
        lh = self.line_h(size, 1.4)
        gap = 8.0
        per_row = 2 if len(methods) > 1 else 1
        col_w = (self.width - gap * (per_row - 1)) / per_row
        label_w = 34.0
        blocks = [self._pay_method_lines(m, col_w, label_w) for m in methods]
        self.ensure(self.heading_h + (len(blocks[0]) + 1 if blocks else 2) * lh)
        self.heading("How to pay")
        if note:
            for line in self.wrap(note, self.width, 3):
                self.ensure(lh)
                self.font(size)
                self.put(self.left, self.y, lh, line)
                self.y += lh
            self.y += 2
        for start in range(0, len(blocks), per_row):
            group = blocks[start:start + per_row]
            height = max(len(b) for b in group) * lh
            self.ensure(height)
            top = self.y
            for i, lines in enumerate(group):
                x = self.left + i * (col_w + gap)
                for j, (label, value, bold, beside) in enumerate(lines):
                    self.font(size, bold=bold, color=MUTED)
                    self.put(x, top + j * lh, lh, label)
                    self.font(size, bold=bold)
                    self.put(x + (label_w if beside else 0), top + j * lh, lh, value)
            self.y = top + height + 3
        self.y += 3

    def _pay_method_lines(self, method: PayMethodPdf, width: float,
                          label_w: float) -> list[tuple[str, str, bool, bool]]:
        """(label, value, bold, value beside the label) lines: the title, each row (its value
        wrapped beside its label), the note."""
        self.font(8.5, bold=True)
        out = [("", ln, True, False) for ln in self.wrap(_clean(method.title, MAX_SHORT), width, 1)]
        self.font(8.5)
        for label, value in list(method.rows)[:MAX_PAY_ROWS]:
            text = _clean(value, MAX_SHORT, multiline=True)
            wrapped = [w for part in text.split("\n") for w in self.wrap(part, width - label_w, 2)][:MAX_ADDRESS_LINES]
            for k, line in enumerate(wrapped or [""]):
                out.append((_clean(label, 40) if k == 0 else "", line, False, True))
        if method.note:
            out += [("", ln, False, False) for ln in self.wrap(_clean(method.note, MAX_LONG, multiline=True), width, 8)]
        return out

    def notes_and_terms(self) -> None:
        """Notes and terms side by side when both are short enough to fit here; otherwise one
        after the other, full width, continuing across pages line by line."""
        notes = _clean(self.inv.notes, MAX_LONG, multiline=True)
        terms = _clean(self.inv.terms, MAX_LONG, multiline=True)
        if notes and terms:
            gap = 8.0
            col_w = (self.width - gap) / 2
            self.font(8.5)
            lh = self.line_h(8.5, 1.4)
            cols = [self.wrap(notes, col_w, MAX_NOTE_LINES), self.wrap(terms, col_w, MAX_NOTE_LINES)]
            height = self.heading_h + max(len(c) for c in cols) * lh
            if self.y + height <= self.bottom:
                top = self.y
                for i, (title, lines) in enumerate((("Notes", cols[0]), ("Terms", cols[1]))):
                    x = self.left + i * (col_w + gap)
                    self.font(10, bold=True)
                    self.put(x, top, self.line_h(10, 1.3), title)
                    self.font(8.5)
                    for j, line in enumerate(lines):
                        self.put(x, top + self.heading_h + j * lh, lh, line)
                self.y = top + height + 4
                return
        self.text_section("Notes", notes)
        self.text_section("Terms", terms)

    def text_section(self, title: str, text: str) -> None:
        if not text:
            return
        self.font(8.5)
        lh = self.line_h(8.5, 1.4)
        lines = self.wrap(text, self.width, MAX_NOTE_LINES)
        self.ensure(self.heading_h + min(len(lines), 3) * lh)
        self.heading(title)
        for line in lines:
            self.ensure(lh)
            self.font(8.5)
            self.put(self.left, self.y, lh, line)
            self.y += lh
        self.y += 4

    def render(self) -> bytes:
        self.new_page()
        self.header_block()
        self.parties_block()
        self.items_block()
        self.totals_block()
        self.payments_block()
        self.how_to_pay_block()
        self.notes_and_terms()
        self.page_footers()
        return bytes(self.pdf.output())


def render_invoice(inv: InvoicePdf, *, paper: str = "A4") -> bytes:
    """The invoice as PDF bytes (A4 by default, or "Letter"): the same input gives the same
    bytes."""
    if paper not in PAPERS:
        raise ValueError(f"paper must be one of {PAPERS}")
    return _Renderer(inv, paper).render()

"""The invoice PDF's pages: the canvas the invoice is drawn on (fpdf2, the fonts, the page
geometry and palette), its primitives (measure, wrap, put a line, rules, page breaks), the
running header and footer of every page, and tables whose header row repeats on each page
a table reaches. The invoice's sections are drawn on it by adapters/pdf_invoice_blocks.py."""

from __future__ import annotations

from datetime import UTC, datetime, time

from fpdf import FPDF

from portal_app.adapters.pdf_invoice_model import MAX_SHORT, InvoicePdf
from portal_app.adapters.pdf_text import ELLIPSIS, FAMILY, FONT_BOLD, FONT_REGULAR, PRODUCER, _clean, _readable, _rgb

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

    renderer: _Pages

    def header(self):
        self.renderer.page_header()


class _Pages:
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


    def heading(self, text: str) -> None:
        self.font(10, bold=True)
        self.put(self.left, self.y, self.line_h(10, 1.3), text)
        self.y += self.heading_h

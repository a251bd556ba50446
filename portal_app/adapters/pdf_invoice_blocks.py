"""The invoice PDF's sections, drawn in order on its pages (adapters/pdf_invoice_pages.py):
the header (logo or name, number, status), the parties and the balance due, the line items,
the totals with a PAID or VOID stamp, payments, how to pay, notes and terms."""

from __future__ import annotations

import io

from portal_app.adapters.pdf_invoice_model import (
    MAX_ADDRESS_LINES,
    MAX_DESCRIPTION,
    MAX_DESCRIPTION_LINES,
    MAX_LONG,
    MAX_NOTE_LINES,
    MAX_PAY_METHODS,
    MAX_PAY_ROWS,
    MAX_SHORT,
    PartyPdf,
    PayMethodPdf,
)
from portal_app.adapters.pdf_invoice_pages import CELL_PAD_X, GREEN, INK, MUTED, RED, STATUS_STYLE, WHITE, _Pages
from portal_app.adapters.pdf_text import _clean, _date, _png_size, _tint


class _Renderer(_Pages):
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

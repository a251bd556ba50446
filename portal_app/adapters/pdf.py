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

Where it lives: this module is the entry (`render_invoice`) and re-exports the names callers
import from it; pdf_invoice_model.py holds the view model and the caps, pdf_text.py the fonts
and the text, colour and logo helpers (shared with the signed document's stamp and
certificate page), pdf_invoice_pages.py the pages (canvas, wrapping, running header and
footer, tables), pdf_invoice_blocks.py the sections.
"""

from __future__ import annotations

from portal_app.adapters.pdf_invoice_blocks import _Renderer
from portal_app.adapters.pdf_invoice_model import (
    MAX_ADDRESS_LINES,
    MAX_DESCRIPTION,
    MAX_DESCRIPTION_LINES,
    MAX_LONG,
    MAX_NOTE_LINES,
    MAX_PAY_METHODS,
    MAX_PAY_ROWS,
    MAX_SHORT,
    STATUSES,
    InvoicePdf,
    LinePdf,
    PartyPdf,
    PaymentPdf,
    PayMethodPdf,
)
from portal_app.adapters.pdf_invoice_pages import (
    CELL_PAD_X,
    CELL_PAD_Y,
    FILL,
    FOOTER_SPACE,
    GREEN,
    HEADER_ROW_H,
    INK,
    MARGIN,
    MUTED,
    PT,
    RED,
    RULE,
    STATUS_STYLE,
    WHITE,
)
from portal_app.adapters.pdf_text import (
    DEFAULT_ACCENT,
    ELLIPSIS,
    FAMILY,
    FONT_BOLD,
    FONT_DIR,
    FONT_REGULAR,
    MAX_LOGO_BYTES,
    MAX_LOGO_SIDE,
    _clean,
    _luminance,
    _readable,
    _rgb,
)

__all__ = [
    "CELL_PAD_X", "CELL_PAD_Y", "DEFAULT_ACCENT", "ELLIPSIS", "FAMILY", "FILL", "FONT_BOLD", "FONT_DIR", "FONT_REGULAR",
    "FOOTER_SPACE", "GREEN", "HEADER_ROW_H", "INK", "MARGIN", "MAX_ADDRESS_LINES", "MAX_DESCRIPTION",
    "MAX_DESCRIPTION_LINES", "MAX_LOGO_BYTES", "MAX_LOGO_SIDE", "MAX_LONG", "MAX_NOTE_LINES", "MAX_PAY_METHODS",
    "MAX_PAY_ROWS", "MAX_SHORT", "MUTED", "PAPERS", "PT", "RED", "RULE", "STATUSES", "STATUS_STYLE", "WHITE",
    "InvoicePdf", "LinePdf", "PartyPdf", "PayMethodPdf", "PaymentPdf", "render_invoice",
    # helpers the tests read directly
    "_clean", "_luminance", "_readable", "_rgb",
]

PAPERS = ("A4", "Letter")


def render_invoice(inv: InvoicePdf, *, paper: str = "A4") -> bytes:
    """The invoice as PDF bytes (A4 by default, or "Letter"): the same input gives the same
    bytes."""
    if paper not in PAPERS:
        raise ValueError(f"paper must be one of {PAPERS}")
    return _Renderer(inv, paper).render()

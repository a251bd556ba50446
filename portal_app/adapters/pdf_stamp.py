"""Stamping field values onto a document's pages: where (page geometry) and what (fpdf2).

Geometry. The field editor gives fractions of the page *as displayed*: the visible box
(CropBox, clipped to the MediaBox) turned clockwise by the page's /Rotate, origin top-left.
We draw one overlay page per stamped page with fpdf2 at the displayed size, in points; its
own user space is then "displayed space, origin bottom-left" (u right, v up). `PageBox.matrix`
maps that space onto the original page's user space, so pypdf can merge the overlay with
`merge_transformed_page` and leave the page, its /Rotate and its boxes untouched:

    /Rotate   0: x = llx + u          y = lly + v
    /Rotate  90: x = llx + cw - v     y = lly + u
    /Rotate 180: x = llx + cw - u     y = lly + ch - v
    /Rotate 270: x = llx + v          y = lly + ch - u

(cw, ch: the visible box's width and height in user space; llx, lly: its lower-left corner,
which need not be 0,0.) Rotating the visible box clockwise by /Rotate and moving it back to
the origin gives these; tests/unit/test_pdf_seal.py checks each against text positions that
pypdf reads back. A /Rotate that is not a multiple of 90 is invalid PDF and read as 0.

Drawing: typed signatures and initials in Kristi (OFL, fonts/; DejaVu Sans stands in
for the glyphs it lacks, e.g. "Ł", "š"), fitted to the box; drawn ones are the signer's PNG,
re-encoded by Pillow and fitted keeping its aspect ratio; text and dates in DejaVu Sans,
shrunk to fit, then cut with "…"; a ticked checkbox is a drawn check mark.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime

from fpdf import FPDF

from portal_app.adapters.pdf_records import DocumentError, FieldValue
from portal_app.adapters.pdf_text import FAMILY, FONT_BOLD, FONT_DIR, FONT_REGULAR, _clean

FONT_SCRIPT = FONT_DIR / "Kristi.ttf"
SCRIPT = "Kristi"
INK = (18, 38, 110)           # signature blue
TEXT_INK = (20, 20, 20)
MAX_PNG_BYTES = 2_000_000
MAX_PNG_SIDE = 4_000
MIN_TEXT_PT = 4.0
MAX_TEXT_PT = 14.0
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class PageBox:
    llx: float
    lly: float
    width: float      # of the visible box, in user space
    height: float
    rotation: int     # 0, 90, 180 or 270

    @classmethod
    def of(cls, page) -> PageBox:
        media = page.mediabox
        crop = page.cropbox
        llx = max(float(crop.left), float(media.left))
        lly = max(float(crop.bottom), float(media.bottom))
        urx = min(float(crop.right), float(media.right))
        ury = min(float(crop.top), float(media.top))
        if urx - llx < 1 or ury - lly < 1:   # a crop box outside the media box: viewers show the media box
            llx, lly, urx, ury = (float(media.left), float(media.bottom), float(media.right), float(media.top))
        try:
            rotation = int(page.get("/Rotate", 0) or 0) % 360
        except (TypeError, ValueError):
            rotation = 0
        if rotation % 90:
            rotation = 0
        return cls(llx, lly, max(urx - llx, 1.0), max(ury - lly, 1.0), rotation)

    @property
    def displayed(self) -> tuple[float, float]:
        """(width, height) of the page as a viewer shows it."""
        if self.rotation in (90, 270):
            return self.height, self.width
        return self.width, self.height

    @property
    def matrix(self) -> tuple[float, float, float, float, float, float]:
        """PDF matrix [a b c d e f] from displayed space (origin bottom-left) to user space."""
        x0, y0, cw, ch = self.llx, self.lly, self.width, self.height
        return {
            0: (1, 0, 0, 1, x0, y0),
            90: (0, 1, -1, 0, x0 + cw, y0),
            180: (-1, 0, 0, -1, x0 + cw, y0 + ch),
            270: (0, -1, 1, 0, x0, y0 + ch),
        }[self.rotation]


def _fraction(value: float) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return 0.0
    return 0.0 if v != v else min(max(v, 0.0), 1.0)   # NaN → 0


def safe_png(data: object) -> bytes | None:
    """The PNG re-encoded by Pillow as RGBA (so fpdf2 gets one well-formed kind of PNG), or
    None when it is not a sane PNG (size, dimensions checked before decoding)."""
    if not isinstance(data, (bytes, bytearray)) or not 33 <= len(data) <= MAX_PNG_BYTES:
        return None
    if bytes(data[:8]) != b"\x89PNG\r\n\x1a\n":
        return None
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if not (0 < width <= MAX_PNG_SIDE and 0 < height <= MAX_PNG_SIDE):
        return None
    try:
        from PIL import Image

        with Image.open(io.BytesIO(bytes(data))) as image:
            if image.format != "PNG":
                return None
            rgba = image.convert("RGBA")
            bbox = rgba.getbbox()          # trim the empty margin around a drawn signature
            if bbox:
                rgba = rgba.crop(bbox)
            out = io.BytesIO()
            rgba.save(out, "PNG")
            return out.getvalue()
    except Exception:
        return None


def _truthy(value: object) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "on", "x", "checked")


class _Overlay:
    def __init__(self) -> None:
        pdf = FPDF(unit="pt")
        pdf.set_auto_page_break(False)
        pdf.set_margins(0, 0, 0)
        pdf.set_compression(True)
        pdf.set_creation_date(_EPOCH)
        pdf.add_font(FAMILY, "", str(FONT_REGULAR))
        pdf.add_font(FAMILY, "B", str(FONT_BOLD))
        pdf.add_font(SCRIPT, "", str(FONT_SCRIPT))
        pdf.set_fallback_fonts([FAMILY], exact_match=False)
        self.pdf = pdf

    def page(self, width: float, height: float) -> None:
        self.pdf.add_page(format=(width, height))

    def draw(self, f: FieldValue, width: float, height: float) -> None:
        x, y = _fraction(f.x) * width, _fraction(f.y) * height
        w = min(_fraction(f.w) * width, width - x)
        h = min(_fraction(f.h) * height, height - y)
        if w < 1 or h < 1:
            return
        if f.kind in ("signature", "initials"):
            if isinstance(f.value, (bytes, bytearray)):
                png = safe_png(f.value)
                if png is None:
                    raise DocumentError("A drawn signature is not a readable PNG image.")
                self.pdf.image(io.BytesIO(png), x, y, w, h, keep_aspect_ratio=True)
            else:
                self.script(str(f.value), x, y, w, h)
        elif f.kind == "checkbox":
            if _truthy(f.value):
                self.check(x, y, w, h)
        else:
            self.text(str(f.value), x, y, w, h)

    def _fit(self, text: str, w: float, h: float, family: str, top: float, bottom: float) -> float:
        self.pdf.set_font(family, "", 100)
        at_100 = self.pdf.get_string_width(text) or 1.0
        return max(min(top, h * 0.62 if family == SCRIPT else h * 0.7, 100 * w / at_100), bottom)

    def script(self, name: str, x: float, y: float, w: float, h: float) -> None:
        name = _clean(name, 120)
        if not name:
            return
        pad = min(w, h) * 0.06
        size = self._fit(name, w - 2 * pad, h, SCRIPT, 200.0, MIN_TEXT_PT)
        self.pdf.set_font(SCRIPT, "", size)
        self.pdf.set_text_color(*INK)
        self._line(name, x + pad, y, w - 2 * pad, h, size, centre=True)

    def text(self, value: str, x: float, y: float, w: float, h: float) -> None:
        value = _clean(value, 500)
        if not value:
            return
        pad = min(2.0, w * 0.05)
        size = self._fit(value, w - 2 * pad, h, FAMILY, MAX_TEXT_PT, MIN_TEXT_PT)
        self.pdf.set_font(FAMILY, "", size)
        self.pdf.set_text_color(*TEXT_INK)
        self._line(value, x + pad, y, w - 2 * pad, h, size, centre=False)

    def _line(self, text: str, x: float, y: float, w: float, h: float, size: float, centre: bool) -> None:
        if self.pdf.get_string_width(text) > w:
            while text and self.pdf.get_string_width(text + "…") > w:
                text = text[:-1]
            text = text.rstrip() + "…"
        # cell(), not text(): only cell() hands glyphs the script font lacks to the fallback font
        self.pdf.set_xy(x, y)
        self.pdf.cell(w, h, text, align="C" if centre else "L")

    def check(self, x: float, y: float, w: float, h: float) -> None:
        side = min(w, h) * 0.8
        cx, cy = x + (w - side) / 2, y + (h - side) / 2
        self.pdf.set_draw_color(*TEXT_INK)
        self.pdf.set_line_width(max(side * 0.12, 0.5))
        self.pdf.polyline([(cx + side * 0.12, cy + side * 0.55), (cx + side * 0.4, cy + side * 0.85),
                           (cx + side * 0.9, cy + side * 0.15)])

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def stamp(writer, fields: list[FieldValue]) -> int:
    """Draw `fields` onto the writer's pages (in place); returns how many pages were stamped."""
    from pypdf import PdfReader, Transformation

    by_page: dict[int, list[FieldValue]] = {}
    count = len(writer.pages)
    for f in fields:
        if not isinstance(f.page, int) or not 0 <= f.page < count:
            raise DocumentError(f"A field is placed on page {f.page + 1 if isinstance(f.page, int) else '?'}, "
                                f"but the document has {count} pages.")
        by_page.setdefault(f.page, []).append(f)
    if not by_page:
        return 0
    overlay = _Overlay()
    order = sorted(by_page)
    boxes = {}
    for index in order:
        box = boxes[index] = PageBox.of(writer.pages[index])
        width, height = box.displayed
        overlay.page(width, height)
        for f in by_page[index]:
            overlay.draw(f, width, height)
    stamped = PdfReader(io.BytesIO(overlay.output()))
    for n, index in enumerate(order):
        writer.pages[index].merge_transformed_page(stamped.pages[n], Transformation(boxes[index].matrix), over=True)
    return len(order)

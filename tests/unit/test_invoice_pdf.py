"""Invoice PDF renderer (adapters/pdf.py): what a person reads in the file, read back with
pypdf in strict mode — number, lines, totals, taxes, payments, the PAID/VOID mark, Unicode
names — plus page flow (500 lines), a bad logo, hostile text and byte-identical output.

The view models are filled the way the invoice service will fill them: totals from
services/money.compute, every amount formatted by services/money.format_amount."""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import io
import os
import re
import subprocess
import sys
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pypdf
import pytest
from PIL import Image, ImageDraw

from portal_app.adapters import pdf as pdf_adapter
from portal_app.adapters.pdf import FONT_DIR, InvoicePdf, LinePdf, PartyPdf, PaymentPdf, _readable, _rgb, render_invoice
from portal_app.services.billing.money import Discount, Line, compute, format_amount

ROOT = Path(__file__).resolve().parents[2]
CLIENT_NAME = "Zoë Łukasiewicz – Café"
BUSINESS_NAME = "Northwind Studio"
ITEMS = [
    ("Brand strategy workshop — two half-day sessions with the leadership team", "2", 95000, "20"),
    ("Logo design: three concepts, two rounds of revisions", "1", 240000, "20"),
    ("Website copywriting (per page)", "8", 18500, "20"),
    ("Hosting, 12 months", "12", 2500, "0"),
    ("Café meeting catering", "1.5", 4850, "10"),
]


def png_logo(width: int = 480, height: int = 160) -> bytes:
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    ImageDraw.Draw(image).rounded_rectangle((0, 0, width // 3, height - 1), 20, fill=(31, 78, 121, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def build(status: str = "sent", items=ITEMS, currency: str = "EUR", paid_part: float = 0.0,
          refund: int = 0, logo: bytes | None = None, **overrides) -> InvoicePdf:
    """An InvoicePdf as the invoice service will make one."""
    totals = compute([Line(D(q), unit, D(rate)) for _, q, unit, rate in items], Discount(percent=D(5)))
    money = lambda minor: format_amount(minor, currency)  # noqa: E731
    paid = round(totals.total * paid_part)
    payments = []
    if paid:
        payments.append(PaymentPdf(date=date(2026, 3, 10), method="Card (Visa •••• 4242)", amount=money(paid + refund),
                                   reference="pi_3PqR8x2eZvKYlo2C"))
    if refund:
        payments.append(PaymentPdf(date=date(2026, 3, 12), method="Refund (card)", amount=money(-refund),
                                   reference="re_1Nb2"))
    values = dict(
        number="INV-0042", status=status, issue_date=date(2026, 3, 2), due_date=date(2026, 4, 1), currency=currency,
        business=PartyPdf(name=BUSINESS_NAME, company="Northwind SARL", email="billing@northwind.example",
                          address_lines=["12 rue des Artisans", "69002 Lyon", "France"]),
        client=PartyPdf(name=CLIENT_NAME, company="Café Łukasiewicz sp. z o.o.", email="zoe@cafe.example",
                        address_lines=["ul. Floriańska 14", "31-019 Kraków", "Poland"]),
        lines=[LinePdf(description=desc, quantity=q, unit_price=money(unit),
                       tax_rate_label=f"{rate} %" if rate != "0" else "—", amount=money(amount))
               for (desc, q, unit, rate), amount in zip(items, totals.line_amounts, strict=True)],
        subtotal=money(totals.subtotal), discount=money(-totals.discount), discount_label="Discount (5 %)",
        tax_by_rate=[(f"VAT {rate} %", money(tax)) for rate, tax in sorted(totals.tax_by_rate.items(),
                                                                          key=lambda kv: D(kv[0]))],
        total=money(totals.total), payments=payments, amount_paid=money(paid), balance=money(totals.total - paid),
        notes="Thank you for your business!", terms="Payment due within 30 days — €40 recovery fee if late.",
        accent_color="#1f4e79", logo_png=logo,
        rounding_note="Amounts rounded half up per line; tax charged after discount, line by line.")
    values.update(overrides)
    return InvoicePdf(**values)


def read(data: bytes) -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(data), strict=True)


def pages_text(data: bytes) -> list[str]:
    return [page.extract_text() for page in read(data).pages]


def flat(text: str) -> str:
    return " ".join(text.split())


def text_of(data: bytes) -> str:
    return flat(" ".join(pages_text(data)))


# ------------------------------------------------------------------ the file itself


def test_a_strict_pdf_with_its_metadata():
    data = render_invoice(build(logo=png_logo()))
    assert data.startswith(b"%PDF-")
    assert data.rstrip().endswith(b"%%EOF")
    reader = read(data)
    assert len(reader.pages) == 1
    meta = reader.metadata
    assert meta.title == "Invoice INV-0042"
    assert meta.author == BUSINESS_NAME
    assert meta.creator == BUSINESS_NAME   # the business's document, not the software's
    assert meta.producer == "fpdf2"        # … written by this library: said honestly
    assert not any("Client Portal" in str(v) for v in meta.values())
    assert meta.creation_date.date() == date(2026, 3, 2)   # fixed from the issue date
    # compressed content streams
    assert b"/FlateDecode" in data


@pytest.mark.parametrize("name, company, shown", [
    ("Client Portal", "", "Client Portal"),       # a business may be called that: then it is its name
    ("", "Northwind SARL", "Northwind SARL"),      # no trading name: the legal one
    ("Evil\x00\x1b[31m Co\r\nX", "", "Evil[31m Co X"),  # control characters dropped, one line
    ("N" * 400, "", "N" * 299 + "…"),              # capped as every short field is
])
def test_the_metadata_names_the_business_whatever_its_name(name, company, shown):
    inv = build()
    inv = dataclasses.replace(inv, business=dataclasses.replace(inv.business, name=name, company=company))
    meta = read(render_invoice(inv)).metadata
    assert (meta.author, meta.creator, meta.producer) == (shown, shown, "fpdf2")


def test_a_business_without_any_name_gets_no_author_or_creator():
    inv = build()
    inv = dataclasses.replace(inv, business=dataclasses.replace(inv.business, name=" ", company=""))
    meta = read(render_invoice(inv)).metadata
    assert meta.author is None and meta.creator is None and meta.producer == "fpdf2"


def test_the_same_invoice_gives_the_same_bytes():
    inv = build("paid", paid_part=1, logo=png_logo())
    first, second = render_invoice(inv), render_invoice(inv)
    assert first == second
    assert render_invoice(dataclasses.replace(inv, notes="Changed")) != first


def test_the_bytes_do_not_depend_on_the_process(tmp_path):
    """Caching by content hash needs the same bytes from any worker: two fresh interpreters
    with different hash seeds (set/dict order of strings) and another cwd agree with us."""
    script = (
        "import hashlib, sys; sys.path.insert(0, sys.argv[1]); sys.path.insert(0, sys.argv[2]);"
        "from test_invoice_pdf import build, png_logo; from portal_app.adapters.pdf import render_invoice;"
        "print(hashlib.sha256(render_invoice(build('paid', paid_part=1, logo=png_logo()))).hexdigest())"
    )
    here = hashlib.sha256(render_invoice(build("paid", paid_part=1, logo=png_logo()))).hexdigest()
    for seed in ("1", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run([sys.executable, "-c", script, str(ROOT), str(Path(__file__).parent)], env=env,
                             cwd=tmp_path, capture_output=True, text=True, timeout=120, check=True)
        assert out.stdout.strip() == here


def test_letter_and_a4_paper():
    a4 = read(render_invoice(build())).pages[0].mediabox
    letter = read(render_invoice(build(), paper="Letter")).pages[0].mediabox
    assert (round(float(a4.width)), round(float(a4.height))) == (595, 842)
    assert (round(float(letter.width)), round(float(letter.height))) == (612, 792)
    assert BUSINESS_NAME in text_of(render_invoice(build(), paper="Letter"))
    with pytest.raises(ValueError):
        render_invoice(build(), paper="A3")


def test_an_unknown_status_is_a_programming_error():
    with pytest.raises(ValueError, match="status"):
        build("unpaid")


# ------------------------------------------------------------------ what a person reads


def test_number_lines_totals_taxes_and_payments_are_in_the_text():
    inv = build("partially_paid", paid_part=0.4, refund=1000)
    text = text_of(render_invoice(inv))
    assert "INVOICE" in text and "INV-0042" in text
    assert "Partially paid" in text
    assert "02 Mar 2026" in text and "01 Apr 2026" in text
    for line in inv.lines:
        assert line.description in text
        assert line.unit_price in text and line.amount in text
    for label, value in [("Subtotal", inv.subtotal), ("Discount (5 %)", inv.discount), ("Total", inv.total),
                         ("Amount paid", inv.amount_paid), ("Balance due", inv.balance)]:
        assert f"{label} {value}" in text, (label, value)
    assert len(inv.tax_by_rate) == 2                 # 10 % and 20 % (the 0 % line has no tax row)
    for label, value in inv.tax_by_rate:
        assert f"{label} {value}" in text
    assert "Payments" in text
    for payment in inv.payments:
        assert payment.method in text and payment.reference in text and payment.amount in text
    assert inv.discount.startswith("\u2212")      # as format_amount writes it, printed as given
    assert "\u221210.00 EUR" in text                 # the refund, negative (U+2212)
    assert "Thank you for your business!" in text and "€40 recovery fee" in text
    assert inv.rounding_note in text
    assert "Page 1/1" in text


def test_amounts_are_shown_exactly_as_money_formats_them():
    inv = build(currency="JPY", items=[("Consulting", "3", 12345, "10")])
    text = text_of(render_invoice(inv))
    assert format_amount(37035, "JPY") == "37,035 JPY" and "37,035 JPY" in text
    assert inv.total in text and inv.balance in text


@pytest.mark.parametrize("status, mark", [("paid", "PAID"), ("void", "VOID")])
def test_a_paid_or_void_invoice_is_marked(status, mark):
    inv = build(status, paid_part=1 if status == "paid" else 0)
    text = text_of(render_invoice(inv))
    assert mark in text
    other = {"PAID", "VOID"} - {mark}
    assert not other & set(re.findall(r"[A-Z]{4}", text))
    if status == "paid":
        assert "PAID 10 Mar 2026" in text           # the stamp carries the last payment's date


@pytest.mark.parametrize("status", ["draft", "sent", "partially_paid", "overdue"])
def test_an_unpaid_invoice_has_neither_mark(status):
    text = text_of(render_invoice(build(status, paid_part=0.5 if status == "partially_paid" else 0)))
    assert "PAID" not in text and "VOID" not in text
    assert {"draft": "Draft", "sent": "Sent", "partially_paid": "Partially paid", "overdue": "Overdue"}[status] in text


def test_unicode_round_trips_through_extraction():
    inv = build(items=[("Création graphique — “Ünïcödé” ½ · naïve café ✓ Ωμέγα Привет", "1", 1000, "0")],
                business=PartyPdf(name="Ærøskøbing Ölçek Ltd — Straße", address_lines=["Łódź, ул. Ленина 1"]))
    text = text_of(render_invoice(inv))
    for expected in (CLIENT_NAME, "Café Łukasiewicz sp. z o.o.", "ul. Floriańska 14", "31-019 Kraków",
                     "Création graphique — “Ünïcödé” ½ · naïve café ✓ Ωμέγα Привет",
                     "Ærøskøbing Ölçek Ltd — Straße", "Łódź, ул. Ленина 1", "€40"):
        assert expected in text, expected


def test_decomposed_accents_are_composed():
    inv = build(client=PartyPdf(name="Zoe\u0308 Lukasiewicz"))   # e + combining diaeresis
    assert "Zoë Lukasiewicz" in text_of(render_invoice(inv))


# ------------------------------------------------------------------ page flow


def test_500_lines_flow_over_pages_with_the_header_repeated():
    items = [(f"Line {i:03d} consulting hours", "3", 12000 + i, "20") for i in range(1, 501)]
    inv = build(items=items, notes="", terms="")
    data = render_invoice(inv)
    pages = pages_text(data)
    assert len(pages) >= 10
    everything = flat(" ".join(pages))
    found = re.findall(r"Line (\d{3}) consulting hours", everything)
    assert found == [f"{i:03d}" for i in range(1, 501)]          # every line, once, in order
    table_header = "Description Qty Unit price Tax Amount"
    for number, page in enumerate(pages, start=1):
        text = flat(page)
        assert f"Page {number}/{len(pages)}" in text
        if re.search(r"Line \d{3} consulting", text):
            assert table_header in text, f"page {number} has rows but no header row"
            assert text.index(table_header) < text.index("Line ")
        if number > 1:
            assert "Invoice INV-0042 (continued)" in text
    assert f"Total {inv.total}" in flat(pages[-1])


def test_a_row_taller_than_a_page_continues_on_the_next():
    description = "\n".join(f"step {i:02d} of the migration plan" for i in range(1, 76))
    inv = build(items=[("First", "1", 100, "0"), (description, "1", 5000, "0"), ("Last", "1", 100, "0")])
    pages = pages_text(render_invoice(inv))
    assert len(pages) >= 2
    everything = flat(" ".join(pages))
    assert re.findall(r"step (\d\d) of", everything) == [f"{i:02d}" for i in range(1, 76)]
    assert "First" in everything and "Last" in everything


def test_a_typical_invoice_fits_one_page():
    inv = build("paid", paid_part=1, logo=png_logo())
    assert len(read(render_invoice(inv)).pages) == 1
    assert len(read(render_invoice(inv, paper="Letter")).pages) == 1


# ------------------------------------------------------------------ logo


def page_images(data: bytes) -> int:
    return len(read(data).pages[0].images)


def test_a_logo_replaces_the_business_name_in_the_header():
    data = render_invoice(build(logo=png_logo()))
    assert page_images(data) == 1
    # the name is then printed once, in the From block
    assert pages_text(data)[0].count(BUSINESS_NAME) == 1


def truncated_png() -> bytes:
    good = png_logo()
    return good[: len(good) // 2]


def huge_png_header() -> bytes:
    # a valid signature and IHDR announcing 100000 × 100000 pixels: never decoded
    import struct
    import zlib
    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 6, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + chunk + struct.pack(">I", zlib.crc32(chunk))


def jpeg_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 20), "red").save(out, "JPEG")
    return out.getvalue()


@pytest.mark.parametrize("logo", [b"not a png at all", b"\x89PNG\r\n\x1a\n" + b"garbage" * 20, b"",
                                  truncated_png(), huge_png_header(), jpeg_bytes()],
                         ids=["text", "signature-then-garbage", "empty", "truncated", "huge", "jpeg"])
def test_a_bad_logo_is_skipped_and_the_business_name_drawn(logo):
    data = render_invoice(build(logo=logo))
    assert page_images(data) == 0
    first = pages_text(data)[0]
    assert first.count(BUSINESS_NAME) == 2            # header (instead of the logo) and From
    assert flat(first).startswith(BUSINESS_NAME)


def test_a_tall_or_wide_logo_fits_its_box():
    for size in ((2000, 100), (100, 2000)):
        reader = read(render_invoice(build(logo=png_logo(*size))))
        (image,) = reader.pages[0].images
        assert image.image.size == size


# ------------------------------------------------------------------ hostile and empty input


def test_hostile_text_renders_bounded():
    inv = build(
        "void",
        lines=[LinePdf(description=description, quantity="1" * 200, unit_price="9" * 300, tax_rate_label="%" * 100,
                       amount="1" * 500)
               for description in ("X" * 20_000, "word " * 3_000,
                                   "\x00\x07bell\r\ntab\there {nb} \ud800 lone surrogate\u202e reversed\n\n\n\n\nend",
                                   "a\n" * 5_000, "")],
        number="N" * 500, notes="n " * 20_000, terms="T" * 50_000, discount_label="D" * 2_000,
        tax_by_rate=[("t" * 500, "1" * 500)] * 80, rounding_note="r" * 5_000, accent_color="javascript:alert(1)",
        business=PartyPdf(name="B" * 1_000, email="e" * 400 + "@x.example", address_lines=["line " * 100] * 50),
        client=PartyPdf(name=""),
        payments=[PaymentPdf(date=date(2026, 1, 1), method="m" * 500, amount="-" + "9" * 400,
                             reference="r" * 900)] * 40,
        logo_png=b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    data = render_invoice(inv)  # bounded by the work it does, not by a stopwatch (speed: bench/)
    pages = pages_text(data)
    assert 2 <= len(pages) <= 40                       # capped: no 1,000-page file
    text = flat(" ".join(pages))
    assert "VOID" in text
    assert "bell" in text and "tab here {nb}" in text   # control characters dropped, "{nb}" left as typed
    assert "XXXXXXXXXX" in text and "…" in text         # a 20,000-character word broken, capped


def test_every_optional_field_empty():
    inv = InvoicePdf(number="INV-1", status="draft", issue_date=date(2026, 1, 5), due_date=date(2026, 1, 5),
                     currency="USD", business=PartyPdf(name="Solo"), client=PartyPdf(name="Client"), lines=[],
                     subtotal="0.00 USD", total="0.00 USD", balance="0.00 USD")
    data = render_invoice(inv)
    text = text_of(data)
    assert len(read(data).pages) == 1
    assert "No line items." in text and "Balance due 0.00 USD" in text
    for absent in ("Payments", "Notes", "Terms", "Discount", "Amount paid", "PAID", "VOID"):
        assert absent not in text, absent


def test_empty_strings_everywhere_still_render():
    inv = InvoicePdf(number="", status="sent", issue_date=date(2026, 1, 5), due_date=date(2026, 1, 5), currency="",
                     business=PartyPdf(name=""), client=PartyPdf(name=""),
                     lines=[LinePdf(description="", quantity="", unit_price="", amount="")],
                     subtotal="", total="", balance="", payments=[PaymentPdf(date=date(2026, 1, 6), method="",
                                                                             amount="")])
    assert render_invoice(inv).startswith(b"%PDF-")


def test_the_accent_colour_is_checked_and_kept_readable():
    assert _rgb("#1F4E79") == (31, 78, 121)
    assert _rgb("red") == _rgb("#12345") == _rgb("") == (31, 78, 121)     # the default
    for colour in ("#ffff00", "#ffffff", "#f0f0f0", "#1f4e79", "#000000"):
        rgb = _readable(_rgb(colour))
        luminance = pdf_adapter._luminance(rgb)
        assert 1.05 / (luminance + 0.05) >= 4.5, colour
    assert _readable((31, 78, 121)) == (31, 78, 121)   # a dark brand colour is used as is
    assert render_invoice(build(accent_color="#ffff00")).startswith(b"%PDF-")


# ------------------------------------------------------------------ packaging and layering


def test_fonts_ship_with_the_project_and_load_from_any_cwd(tmp_path, monkeypatch):
    assert FONT_DIR == ROOT / "portal_app" / "adapters" / "fonts"  # package data, not the public assets/
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "LICENSE-DejaVu.txt"):
        assert (FONT_DIR / name).is_file(), name
    assert "Bitstream Vera" in (FONT_DIR / "LICENSE-DejaVu.txt").read_text()
    monkeypatch.chdir(tmp_path)
    data = render_invoice(build())
    resources = read(data).pages[0]["/Resources"]["/Font"]
    fonts = {str(ref.get_object()["/BaseFont"]) for ref in resources.values()}
    assert any("DejaVuSans" in name for name in fonts)


def test_the_adapter_imports_no_services_models_or_reflex():
    tree = ast.parse((ROOT / "portal_app" / "adapters" / "pdf.py").read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(("." * node.level) + (node.module or ""))
    for name in imported:
        assert not re.search(r"(^|\.)(services|models|state|pages|api)(\.|$)", name), name
        assert not name.startswith(("reflex", "sqlmodel", "sqlalchemy")), name

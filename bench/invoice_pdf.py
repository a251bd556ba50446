#!/usr/bin/env python3
"""Invoice PDF render benchmark (portal_app/adapters/pdf.py): time and size.

    .venv/bin/python bench/invoice_pdf.py [--runs 100] [--json PATH]

Two invoices, filled as the invoice service will fill them (totals from
services/money.compute, amounts from format_amount):

* typical: 8 lines (some descriptions wrap), a 480×160 RGBA PNG logo, a discount, two VAT
  rates, one payment, notes and terms; status paid (so the PAID stamp is drawn).
* 200 lines: the same business and client, 200 one-line items, no logo, status sent.

Each is rendered 3 times to warm up (imports, first font parse), then `--runs` times in
this process, one after another; the time is wall clock around `render_invoice()` (font
loading, layout, subsetting, compression, serialisation: everything a download route would
pay). Median, p95 (nearest rank) and min in milliseconds; size of the PDF in KB (1 KB =
1,000 bytes) and its page count. The load average is printed too: on a shared machine the
median and p95 follow it, the min much less. Every render of a case must give the same
bytes (checked). Results go to test-artifacts/bench/invoice_pdf.json with the machine's description.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import math
import os
import platform
import statistics
import sys
import time
from datetime import date
from decimal import Decimal as D
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pypdf  # noqa: E402
from PIL import Image, ImageDraw, ImageFont  # noqa: E402

from portal_app.adapters.pdf import FONT_BOLD, InvoicePdf, LinePdf, PartyPdf, PaymentPdf, render_invoice  # noqa: E402
from portal_app.services.billing.money import Discount, Line, compute, format_amount  # noqa: E402

DEFAULT_JSON = ROOT / "test-artifacts" / "bench" / "invoice_pdf.json"

TYPICAL_ITEMS = [
    ("Brand strategy workshop — two half-day sessions with the leadership team, including preparation "
     "and a written summary", "2", 95000, "20"),
    ("Logo design: three concepts, two rounds of revisions", "1", 240000, "20"),
    ("Website copywriting (per page)", "8", 18500, "20"),
    ("Photography — product shoot, 40 edited images", "1", 120000, "20"),
    ("Hosting, 12 months", "12", 2500, "0"),
    ("Travel expenses (Lyon ↔ Paris)", "1", 31240, "0"),
    ("Café meeting catering", "1", 4850, "10"),
    ("Project management", "6.5", 7500, "20"),
]


def logo_png() -> bytes:
    image = Image.new("RGBA", (480, 160), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 10, 140, 150), 28, fill=(31, 78, 121, 255))
    draw.text((35, 38), "N", font=ImageFont.truetype(str(FONT_BOLD), 64), fill="white")
    draw.text((165, 45), "Northwind", font=ImageFont.truetype(str(FONT_BOLD), 54), fill=(31, 35, 40, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def invoice(items, status: str, logo: bytes | None, currency: str = "EUR") -> InvoicePdf:
    totals = compute([Line(D(q), unit, D(rate)) for _, q, unit, rate in items], Discount(percent=D(5)))
    money = lambda minor: format_amount(minor, currency)  # noqa: E731
    paid = totals.total if status == "paid" else 0
    payments = [PaymentPdf(date=date(2026, 3, 20), method="Card (Visa •••• 4242)", amount=money(paid),
                           reference="pi_3PqR8x2eZvKYlo2C0d9a")] if paid else []
    return InvoicePdf(
        number="INV-0042", status=status, issue_date=date(2026, 3, 2), due_date=date(2026, 4, 1), currency=currency,
        business=PartyPdf(name="Northwind Studio", company="Northwind Studio SARL", email="billing@northwind.example",
                          address_lines=["12 rue des Artisans", "69002 Lyon", "France", "VAT FR12 345678901"]),
        client=PartyPdf(name="Zoë Łukasiewicz – Café", company="Café Łukasiewicz sp. z o.o.",
                        email="zoe@cafe-lukasiewicz.example", address_lines=["ul. Floriańska 14", "31-019 Kraków",
                                                                              "Poland"]),
        lines=[LinePdf(description=desc, quantity=q, unit_price=money(unit),
                       tax_rate_label=f"{rate} %" if rate != "0" else "—", amount=money(amount))
               for (desc, q, unit, rate), amount in zip(items, totals.line_amounts, strict=True)],
        subtotal=money(totals.subtotal), discount=money(totals.discount), discount_label="Discount (5 %)",
        tax_by_rate=[(f"VAT {rate} %", money(tax))
                     for rate, tax in sorted(totals.tax_by_rate.items(), key=lambda kv: D(kv[0]))],
        total=money(totals.total), payments=payments, amount_paid=money(paid), balance=money(totals.total - paid),
        notes="Thank you for your business! Questions about this invoice? Reply to billing@northwind.example.",
        terms="Payment due within 30 days. Late payments incur interest at three times the legal rate and a "
              "€40 recovery fee.",
        accent_color="#1f4e79", logo_png=logo,
        rounding_note="Amounts rounded half up per line; tax charged after discount, line by line.")


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def measure(name: str, inv: InvoicePdf, runs: int) -> dict:
    for _ in range(3):
        reference = render_invoice(inv)
    times, digests = [], set()
    for _ in range(runs):
        started = time.perf_counter()
        data = render_invoice(inv)
        times.append((time.perf_counter() - started) * 1000)
        digests.add(hashlib.sha256(data).hexdigest())
    if digests != {hashlib.sha256(reference).hexdigest()}:
        raise SystemExit(f"{name}: renders of the same invoice differ")
    pages = len(pypdf.PdfReader(io.BytesIO(reference), strict=True).pages)
    return {"case": name, "lines": len(inv.lines), "logo": inv.logo_png is not None, "runs": runs,
            "median_ms": round(statistics.median(times), 1), "p95_ms": round(p95(times), 1),
            "min_ms": round(min(times), 1), "size_kb": round(len(reference) / 1000, 1), "pages": pages}


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from importlib.metadata import version

    return {"python": platform.python_version(), "platform": platform.platform(), "cpu": cpu,
            "cpus": os.cpu_count(), "fpdf2": version("fpdf2"), "fonttools": version("fonttools")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON)
    args = parser.parse_args()

    many = [(f"Item {i + 1}: consulting hours, week {i % 52 + 1}", "3", 12000 + i, "20") for i in range(200)]
    results = [measure("typical (8 lines, logo)", invoice(TYPICAL_ITEMS, "paid", logo_png()), args.runs),
               measure("200 lines", invoice(many, "sent", None), args.runs)]

    header = f"{'case':<26}{'runs':>6}{'median ms':>11}{'p95 ms':>9}{'min ms':>9}{'size KB':>9}{'pages':>7}"
    print(header)
    print("-" * len(header))
    for r in results:
        print(f"{r['case']:<26}{r['runs']:>6}{r['median_ms']:>11.1f}{r['p95_ms']:>9.1f}{r['min_ms']:>9.1f}"
              f"{r['size_kb']:>9.1f}{r['pages']:>7}")
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    if load:
        # on a shared machine the median and p95 move with the load; min is the steadier figure
        print(f"\nload average (1/5/15 min) at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
              f" on {os.cpu_count()} CPUs")
    report = {"benchmark": "invoice_pdf", "machine": machine(), "load_average": load, "results": results}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwrote {args.json.relative_to(ROOT) if args.json.is_relative_to(ROOT) else args.json}")


if __name__ == "__main__":
    main()

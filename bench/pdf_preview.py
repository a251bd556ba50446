#!/usr/bin/env python3
"""PDF guard benchmark (portal_app/adapters/pdf_guard.py): preview render and inspection time.

    .venv/bin/python bench/pdf_preview.py [--runs 20] [--json PATH]

Cases, each timed `--runs` times after 2 warm-up calls, wall clock around the public call
(spawn of the child, its imports, limits, the work, PNG encoding, JSON back, decoding):

* render page 1 of a typical 1-page US-letter PDF (text, rules, a filled box) at 1200 px;
* render page 50 of a 100-page letter PDF at 1200 px;
* inspect_pdf of a 5-page and of a 300-page PDF (caps 50 MB / 300 pages);
* a bare child round trip (`python -I -c pass`): the floor any cold call pays.

"cold" starts a fresh child per call; "warm" uses keep_warm(), where the next child is
started and has imported its libraries while the previous call works. The warm spare is
given 0.3 s between calls to get ready, as it would have between uploads; that pause is not
timed. Median, p95 (nearest rank), min in ms. The load average is printed: on a shared
machine median and p95 follow it, min much less. Results go to
test-artifacts/bench/pdf_preview.json with the machine's description.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fpdf import FPDF  # noqa: E402

from portal_app.adapters import pdf_guard  # noqa: E402

DEFAULT_JSON = ROOT / "test-artifacts" / "bench" / "pdf_preview.json"
CAPS = {"max_bytes": 50_000_000, "max_pages": 300}


def letter_pdf(pages: int) -> bytes:
    pdf = FPDF(unit="pt", format="letter")
    pdf.set_font("helvetica", size=11)
    for number in range(pages):
        pdf.add_page()
        pdf.set_font("helvetica", "B", 18)
        pdf.text(72, 90, f"Services agreement - page {number + 1}")
        pdf.set_font("helvetica", size=11)
        pdf.set_xy(72, 110)
        pdf.multi_cell(468, 15, ("The Client engages the Studio to provide the services described in Schedule A. "
                                 "Fees are payable within thirty days of each invoice. ") * 12)
        pdf.set_fill_color(230, 236, 245)
        pdf.rect(72, 620, 468, 80, style="DF")
        pdf.line(72, 740, 300, 740)
        pdf.text(72, 755, "Signature")
    return bytes(pdf.output())


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def measure(case: str, mode: str, call, runs: int) -> dict:
    warm = mode == "warm"
    pdf_guard.keep_warm(warm)
    times = []
    for index in range(runs + 2):
        if warm:
            time.sleep(0.3)  # the spare gets ready between requests, as between uploads
        started = time.perf_counter()
        call()
        if index >= 2:
            times.append((time.perf_counter() - started) * 1000)
    pdf_guard.keep_warm(False)
    return {"case": case, "mode": mode, "runs": runs, "median_ms": round(statistics.median(times), 1),
            "p95_ms": round(p95(times), 1), "min_ms": round(min(times), 1)}


def bare_child() -> None:
    subprocess.run([sys.executable, "-I", "-c", "pass"], check=True)


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
            "cpus": os.cpu_count(), "pypdf": version("pypdf"), "pypdfium2": version("pypdfium2")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON)
    args = parser.parse_args()

    one, hundred, five, three_hundred = letter_pdf(1), letter_pdf(100), letter_pdf(5), letter_pdf(300)
    cases = [
        ("bare child (python -I)", bare_child, ["cold"]),
        ("render 1-page letter p1", lambda: pdf_guard.render_page(one, 0), ["cold", "warm"]),
        ("render 100-page p50", lambda: pdf_guard.render_page(hundred, 49), ["cold", "warm"]),
        ("inspect 5 pages", lambda: pdf_guard.inspect_pdf(five, **CAPS), ["cold", "warm"]),
        ("inspect 300 pages", lambda: pdf_guard.inspect_pdf(three_hundred, **CAPS), ["cold", "warm"]),
    ]
    results = [measure(name, mode, call, args.runs) for name, call, modes in cases for mode in modes]
    sizes = {"1-page": len(one), "100-page": len(hundred), "5-page": len(five), "300-page": len(three_hundred)}
    png = pdf_guard.render_page(one, 0)

    header = f"{'case':<26}{'mode':>6}{'runs':>6}{'median ms':>11}{'p95 ms':>9}{'min ms':>9}"
    print(header)
    print("-" * len(header))
    for r in results:
        print(f"{r['case']:<26}{r['mode']:>6}{r['runs']:>6}{r['median_ms']:>11.1f}{r['p95_ms']:>9.1f}"
              f"{r['min_ms']:>9.1f}")
    print("\nPDF sizes (KB): " + ", ".join(f"{k} {v / 1000:.1f}" for k, v in sizes.items())
          + f"; preview PNG (1200 px, page 1): {len(png) / 1000:.1f} KB")
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    if load:
        print(f"load average (1/5/15 min) at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
              f" on {os.cpu_count()} CPUs")
    report = {"benchmark": "pdf_preview", "machine": machine(), "load_average": load, "sizes_bytes": sizes,
              "preview_png_bytes": len(png), "results": results}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwrote {args.json.relative_to(ROOT) if args.json.is_relative_to(ROOT) else args.json}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Document completion benchmark (portal_app/adapters/pdf_complete.py): time and peak memory
to stamp, add the certificate pages and seal a signed document.

    .venv/bin/python bench/document_seal.py [--runs 5] [--json PATH]

Two documents, generated here with fpdf2 (A4, a heading and a paragraph per page): 5 pages
and 100 pages. Each has two signers: signer 1 types (initials on every page and a signature
on the last, drawn in the handwriting font), signer 2 draws (a PNG for initials on every
page and for the signature); a date next to each signature; 12 events in the trail. The
sealing identity is generated once (ECDSA P-256, self-signed), outside the timings.

Time: one warm-up completion, then `--runs` completions in this process; wall clock around
`complete_document()` (normalise, flatten, stamp, certificate pages, manifest, write, PAdES
seal): median and min in milliseconds. Memory, measured apart from the timings:
* tracemalloc peak: Python allocations during one completion in this process (tracemalloc
  slows it down, hence apart);
* peak RSS: a fresh child process imports everything and builds the inputs, reads its
  current RSS (/proc/self/statm), completes the document once and reports its peak RSS
  (ru_maxrss); "RSS +" is the difference, what a worker process needs on top of what it
  already holds.
The completed PDF's size and page count are printed, and each result is checked with
verify_pdf (sealed here). The load average is printed too: on a shared machine the median
follows it, the min much less. Results go to test-artifacts/bench/document_seal.json.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fpdf import FPDF  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from portal_app.adapters.pdf_complete import CertificateInfo, EventInfo, FieldValue, SignerInfo, complete_document  # noqa: E402
from portal_app.adapters.pdf_verify import verify_pdf  # noqa: E402
from portal_app.adapters.sealing import new_sealing_identity  # noqa: E402

DEFAULT_JSON = ROOT / "test-artifacts" / "bench" / "document_seal.json"
T0 = datetime(2026, 3, 2, 14, 5, 9, tzinfo=UTC)
PARAGRAPH = ("The Client engages the Studio to provide the services described in Schedule A. The Studio "
             "will perform the services with reasonable skill and care, and the Client will provide the "
             "information and access the Studio reasonably needs. ") * 6


def document(pages: int) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_creation_date(T0)
    for n in range(pages):
        pdf.add_page()
        pdf.set_font("helvetica", "B", 14)
        pdf.cell(0, 10, f"Services agreement, section {n + 1}", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("helvetica", size=10)
        pdf.multi_cell(0, 5, PARAGRAPH)
    return bytes(pdf.output())


def drawn(text_like: int, size=(480, 140)) -> bytes:
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    points = [(20 + i * (size[0] - 40) // 9, 30 + ((i * 37 + text_like) % 80)) for i in range(10)]
    draw.line(points, fill=(10, 20, 90, 255), width=5, joint="curve")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def case(pages: int):
    import hashlib

    original = document(pages)
    initials_png, signature_png = drawn(3, (160, 100)), drawn(11)
    fields = []
    for p in range(pages):
        fields.append(FieldValue(p, 0.78, 0.92, 0.07, 0.04, "initials", "ZŁ", "zoe@cafe.example"))
        fields.append(FieldValue(p, 0.87, 0.92, 0.07, 0.04, "initials", initials_png, "sam@northwind.example"))
    last = pages - 1
    fields += [FieldValue(last, 0.08, 0.70, 0.35, 0.07, "signature", "Zoë Łukasiewicz", "zoe@cafe.example"),
               FieldValue(last, 0.08, 0.78, 0.20, 0.03, "date", "2026-03-02"),
               FieldValue(last, 0.55, 0.70, 0.35, 0.07, "signature", signature_png, "sam@northwind.example"),
               FieldValue(last, 0.55, 0.78, 0.20, 0.03, "date", "2026-03-02")]
    signers = [SignerInfo(name="Zoë Łukasiewicz", email="zoe@cafe.example", role="Client", ip="203.0.113.7",
                          user_agent="Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0", consent_text="I agree.",
                          consent_version="2026-01", sent_at=T0, viewed_at=T0 + timedelta(minutes=2),
                          signed_at=T0 + timedelta(minutes=6)),
               SignerInfo(name="Sam Staff", email="sam@northwind.example", role="Countersigner", ip="2001:db8::1",
                          user_agent="Mozilla/5.0 (Macintosh) Safari/605.1.15", consent_text="I agree.",
                          consent_version="2026-01", sent_at=T0 + timedelta(minutes=7),
                          viewed_at=T0 + timedelta(minutes=8), signed_at=T0 + timedelta(minutes=9))]
    events = [EventInfo(at=T0 + timedelta(seconds=40 * i), action=f"event {i}", actor="sam@northwind.example",
                        ip="198.51.100.9") for i in range(12)]
    cert = CertificateInfo(title="Services agreement", document_id="doc_bench", workspace_name="Northwind Studio",
                           original_sha256=hashlib.sha256(original).hexdigest(), signers=signers, events=events)
    return original, fields, cert


def child(pages: int) -> None:
    """Run in a fresh process: RSS after imports and set-up, then peak RSS after one completion."""
    identity = new_sealing_identity("Bench sealing", "Bench")
    original, fields, cert = case(pages)
    before = int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
    complete_document(original, fields, cert, identity)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"rss_before_kb": before, "rss_peak_kb": after}))


def measure(pages: int, runs: int, identity) -> dict:
    original, fields, cert = case(pages)
    done = complete_document(original, fields, cert, identity)        # warm-up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        done = complete_document(original, fields, cert, identity)
        times.append((time.perf_counter() - started) * 1000)
    check = verify_pdf(done.data, {identity.fingerprint})
    if check.status != "sealed_here":
        raise SystemExit(f"{pages} pages: verify says {check.status}")
    tracemalloc.start()
    complete_document(original, fields, cert, identity)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    proc = subprocess.run([sys.executable, __file__, "--child", str(pages)], capture_output=True, text=True, check=True)
    rss = json.loads(proc.stdout.strip().splitlines()[-1])
    return {"case": f"{pages} pages", "pages": pages, "fields": len(fields), "runs": runs,
            "median_ms": round(statistics.median(times), 1), "min_ms": round(min(times), 1),
            "tracemalloc_peak_mb": round(peak / 1e6, 1), "rss_peak_mb": round(rss["rss_peak_kb"] / 1024, 1),
            "rss_increase_mb": round((rss["rss_peak_kb"] - rss["rss_before_kb"]) / 1024, 1),
            "original_kb": round(len(original) / 1000, 1), "completed_kb": round(len(done.data) / 1000, 1),
            "completed_pages": done.pages}


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
            "cpus": os.cpu_count(), **{p: version(p) for p in ("pypdf", "pyhanko", "fpdf2", "cryptography")}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return

    identity = new_sealing_identity("Bench sealing", "Bench")
    results = [measure(5, args.runs, identity), measure(100, args.runs, identity)]

    header = (f"{'case':<11}{'fields':>7}{'runs':>6}{'median ms':>11}{'min ms':>9}{'tracemalloc MB':>16}"
              f"{'peak RSS MB':>13}{'RSS + MB':>10}{'in KB':>8}{'out KB':>8}{'pages':>7}")
    print(header)
    print("-" * len(header))
    for r in results:
        print(f"{r['case']:<11}{r['fields']:>7}{r['runs']:>6}{r['median_ms']:>11.1f}{r['min_ms']:>9.1f}"
              f"{r['tracemalloc_peak_mb']:>16.1f}{r['rss_peak_mb']:>13.1f}{r['rss_increase_mb']:>10.1f}"
              f"{r['original_kb']:>8.1f}{r['completed_kb']:>8.1f}{r['completed_pages']:>7}")
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    if load:
        print(f"\nload average (1/5/15 min) at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
              f" on {os.cpu_count()} CPUs")
    report = {"benchmark": "document_seal", "machine": machine(), "load_average": load, "results": results}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwrote {args.json.relative_to(ROOT) if args.json.is_relative_to(ROOT) else args.json}")


if __name__ == "__main__":
    main()

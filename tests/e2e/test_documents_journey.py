"""Documents and e-signatures, in Chromium against the production build:

staff uploads a PDF (with a countersignature), places a signature and a date field for
the client and a signature for themselves in the field editor, sends it → the client opens
it from Documents, draws a signature with the pointer, agrees and signs → staff countersigns
by typing → the worker seals it → both download the completed PDF, which pyHanko validates
as intact and covering the whole file, and /verify says "sealed here"; one changed byte and
/verify says it changed → a second document is signed at phone width → a third is declined
and staff read the reason. axe-core scans every page; screenshots at 1280 and 390 px.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

from playwright.sync_api import expect

from tests.e2e.stuck_seal import REASON
from tests.support.journey import Journey, accept_invite, invite_client, parked_look, staff_sign_in
from tests.support.signing import place as _place
from tests.support.signing import sample_pdf as _pdf
from tests.support.signing import send as _send
from tests.support.signing import sign_as_client as _sign_as_client
from tests.support.signing import upload

CLIENT = ("Sara", "Signer", "sara@sign.example")


def _upload(j: Journey, staff, tmp_path, title: str, countersign: bool, look: bool = False) -> str:
    return upload(j, staff, tmp_path, title, countersign, CLIENT[2], look)


def _stuck_seal(server) -> str:
    """A signed document whose seal job used up its attempts, made in the server's own
    database, storage and keys (tests/e2e/stuck_seal.py)."""
    root = Path(__file__).resolve().parents[2]
    env = {**server.env, "PYTHONPATH": f"{server.app_dir}:{root}"}
    out = subprocess.run([sys.executable, str(Path(__file__).with_name("stuck_seal.py")), CLIENT[2]],
                         cwd=server.app_dir, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.strip().splitlines()[-1]


def _verify(j: Journey, page, data: bytes, tmp_path, name: str) -> str:
    j.go(page, "/verify")
    path = tmp_path / name
    path.write_bytes(data)
    page.locator("#verify-file input[type=file]").set_input_files(str(path))
    result = page.get_by_role("status").filter(has=page.get_by_role("heading"))
    expect(result).to_be_visible()
    return result.get_by_role("heading").inner_text()


def _pyhanko_intact(data: bytes) -> None:
    import asyncio
    import concurrent.futures

    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import async_validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    sig = PdfFileReader(io.BytesIO(data)).embedded_signatures[0]
    context = ValidationContext(trust_roots=[sig.signer_cert])
    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # Playwright's loop runs in this thread
        status = pool.submit(lambda: asyncio.run(async_validate_pdf_signature(sig, context))).result()
    assert status.intact and status.valid and status.coverage == SignatureCoverageLevel.ENTIRE_FILE, status


def test_documents_journey(server, browser, axe, tmp_path):
    j = Journey(server, browser, axe)
    staff_ctx, client_ctx = j.context(), j.context()
    staff, client = j.page(staff_ctx), j.page(client_ctx)
    staff_sign_in(j, staff)
    accept_invite(client, invite_client(j, staff, *CLIENT), CLIENT[0])
    staff_name = "Hana Harbor" if server.env["PORTAL_DEMO"] == "0" else "Olivia Owner"

    # staff: upload, place fields, send
    doc = _upload(j, staff, tmp_path, "Design retainer", countersign=True, look=True)
    _place(staff, "Signature", f"{CLIENT[0]} {CLIENT[1]}", 0.3, 0.84)
    _place(staff, "Date signed", f"{CLIENT[0]} {CLIENT[1]}", 0.7, 0.84)
    _place(staff, "Signature", staff_name, 0.3, 0.91)
    parked_look(j, staff, "staff-document-editor")
    _send(staff)
    parked_look(j, staff, "staff-document-sent")

    # the client signs by drawing; staff sees it live, then countersigns by typing
    _sign_as_client(j, client, doc, "client-signing")
    expect(staff.get_by_text("Partially signed", exact=True).first).to_be_visible(timeout=30_000)
    staff.get_by_role("link", name="Countersign").click()
    staff.wait_for_url(re.compile(rf"/staff/documents/{doc}/sign$"))
    staff.get_by_role("radio", name="Type").click()
    staff.get_by_label("Type your full name").fill(staff_name)
    staff.get_by_label(re.compile("I agree to sign this document electronically")).click()
    staff.get_by_role("button", name="Sign", exact=True).click()
    expect(staff.get_by_role("status").filter(has_text="Signed. Everyone has signed")).to_be_visible()

    # sealed by the worker: both download it
    j.go(client, f"/documents/{doc}")
    download = client.get_by_role("link", name="Download signed PDF")
    expect(download).to_be_visible(timeout=60_000)
    parked_look(j, client, "client-document-completed")
    with client.expect_download() as got:
        download.click()
    sealed = Path(got.value.path()).read_bytes()
    _pyhanko_intact(sealed)
    j.go(staff, f"/staff/documents/{doc}")
    expect(staff.get_by_text("Completed", exact=True).first).to_be_visible()
    j.go(staff, "/staff/settings/sealing")
    expect(staff.get_by_role("heading", name="Sealing certificate")).to_be_visible()
    parked_look(j, staff, "staff-sealing")
    j.go(staff, "/staff/documents")
    expect(staff.get_by_role("row").filter(has_text="Design retainer")).to_contain_text("Completed")
    parked_look(j, staff, "staff-documents")
    j.go(staff, f"/staff/documents/{doc}")
    with staff.expect_download() as got:
        staff.get_by_role("link", name="Signed PDF").click()
    assert Path(got.value.path()).read_bytes() == sealed
    expect(staff.get_by_role("listitem").filter(has_text=f"Signed by {CLIENT[2]} (drawn signature")).to_be_visible()
    expect(staff.get_by_role("listitem").filter(has_text="Sealed and completed")).to_be_visible()
    parked_look(j, staff, "staff-document-completed")

    # a seal that kept failing until the worker gave up: staff read why, retry, and it completes
    stuck = _stuck_seal(server)
    j.go(staff, f"/staff/documents/{stuck}")
    expect(staff.get_by_role("status").filter(has_text="Sealing has not finished yet")).to_contain_text(REASON)
    parked_look(j, staff, "staff-document-seal-stuck")
    staff.get_by_role("button", name="Retry sealing now").click()
    expect(staff.get_by_role("status").filter(has_text="Sealing will be tried again in a moment.")).to_be_visible()
    expect(staff.get_by_text("Completed", exact=True).first).to_be_visible(timeout=60_000)  # live, no reload
    expect(staff.get_by_role("status").filter(has_text="Completed: every signer has signed")).to_be_visible()
    expect(staff.get_by_text("Sealing will be tried again in a moment.")).to_have_count(0)
    expect(staff.get_by_role("button", name="Retry sealing now")).to_have_count(0)
    expect(staff.get_by_role("listitem").filter(has_text="Sealing retried")).to_be_visible()

    # /verify, for anyone
    anon = j.page(j.context())
    assert _verify(j, anon, sealed, tmp_path, "sealed.pdf") == "Sealed here and unchanged"
    expect(anon.get_by_text(re.compile(f"Signed by {CLIENT[0]} {CLIENT[1]}"))).to_be_visible()
    parked_look(j, anon, "verify-sealed")
    tampered = bytearray(sealed)
    tampered[len(sealed) // 2] ^= 0x01
    assert _verify(j, anon, bytes(tampered), tmp_path, "tampered.pdf") in ("Changed after sealing",
                                                                           "Not a PDF we can read")
    assert _verify(j, anon, _pdf("Elsewhere"), tmp_path, "other.pdf") == "Not sealed by this portal"

    # a second document, signed at phone width
    second = _upload(j, staff, tmp_path, "Photo release", countersign=False)
    _place(staff, "Signature", f"{CLIENT[0]} {CLIENT[1]}", 0.3, 0.84)
    _send(staff)
    client.set_viewport_size({"width": 390, "height": 844})
    _sign_as_client(j, client, second, "client-signing-phone")
    client.set_viewport_size({"width": 1280, "height": 900})

    # a third, declined with a reason that staff read
    third = _upload(j, staff, tmp_path, "Extra scope", countersign=False)
    _place(staff, "Signature", f"{CLIENT[0]} {CLIENT[1]}", 0.3, 0.84)
    _send(staff)
    j.go(client, f"/documents/{third}")
    client.get_by_role("button", name="Decline…").click()
    dialog = client.get_by_role("dialog")
    dialog.get_by_label("Reason").fill("We agreed on two rounds, not three.")
    dialog.get_by_role("button", name="Decline", exact=True).click()
    expect(client.get_by_role("status").filter(has_text="You declined this document.")).to_be_visible()
    j.go(staff, f"/staff/documents/{third}")
    expect(staff.get_by_role("status").filter(has_text="Declined. Reason: We agreed on two rounds, not three.")
           ).to_be_visible()
    parked_look(j, staff, "staff-document-declined")

    assert not axe.serious(), axe.serious()
    assert not j.errors, j.errors

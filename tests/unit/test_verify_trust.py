"""/verify cannot stall the server and cannot be forged (issue 11, item 3).

* Verdicts: "Sealed here and unchanged" (workspace named) only for a completed document
  the database knows by its SHA-256; a file sealed with a workspace's key — generated or an
  uploaded PKCS#12 — that no completed document matches gets its own verdict.
* A per-IP rate limit (injected clock, no sleeping) and a size cap derived from
  PORTAL_DOCUMENT_MAX_BYTES, each refused with a sentence.
* The crafted PDF of the issue (one incremental update with 60,000 tiny objects) is
  checked in the limited child while the event loop keeps running; a file past the child's
  limits is refused with a sentence, the loop still running.
"""

from __future__ import annotations

import asyncio
import io
import re
import threading
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from portal_app.adapters import pdf_guard
from portal_app.adapters.pdf_complete import complete_document
from portal_app.errors import Invalid, Throttled
from portal_app.services.documents import document_views, sealing, verify
from portal_app.services.rate_limit import RateLimiter
from tests.support.docs import sent, sign_as_client
from tests.support.pdf_samples import certificate, make_cert, make_p12, many_objects_update, plain_pdf

GIVE_UP = 8.0  # seconds: only so that a check run on the event loop fails the test instead of hanging it


# ---------------------------------------------------------------------------- helpers

class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def completed(db, world):
    doc = sent(db, world)
    sign_as_client(db, world, doc)
    db.commit()
    sealing.complete(db, doc.public_id)
    db.commit()
    data, _ = document_views.document_file(db, world.client_a1, doc.public_id, "completed")
    return doc, data


def sealed_offline(identity) -> bytes:
    """What the holder of a workspace's key can make without this portal."""
    original = plain_pdf(1)
    return complete_document(original, [], certificate(original), identity).data


def huge_xref(base: bytes, entries: int = 1_000_000) -> bytes:
    """`base` plus one update whose cross-reference table has `entries` rows (20 bytes each):
    seconds of parsing for any reader, well under the size cap."""
    size = int(re.findall(rb"/Size (\d+)", base)[-1])
    prev = int(re.findall(rb"startxref\s+(\d+)", base)[-1])
    root = re.findall(rb"/Root (\d+ \d+ R)", base)[-1]
    at = len(base)
    return (base + b"xref\n%d %d\n" % (size, entries) + b"0000000009 00000 n \n" * entries
            + b"trailer\n<< /Size %d /Prev %d /Root %s >>\nstartxref\n%d\n%%%%EOF\n" % (size + entries, prev, root, at))


def run_check(data: bytes, client_ip: str = "198.51.100.7"):
    """VerifyState.check as Reflex runs it (an async handler on the event loop). Returns
    (state, off_loop): for each call into the limited child, whether the event loop ran
    something while the call waited. Ordering, not a wall-clock bound: the call holds until a
    callback it posts to the loop has run, which happens only if the call is not on the loop
    itself (there it gives up after GIVE_UP s and records False)."""
    import reflex as rx
    from reflex.istate.data import RouterData
    from reflex.state import State

    import portal_app.portal_app  # noqa: F401  (registers every state)
    from portal_app.state.verify import VerifyState

    root = State(_reflex_internal_init=True)
    root.router = RouterData.from_router_data({"headers": {"host": "alpha.example"}, "pathname": "/verify",
                                               "asPath": "/verify", "ip": client_ip})
    state = root.get_substate(VerifyState.get_full_name().split(".")[1:])
    files = [rx.UploadFile(file=io.BytesIO(data), path=Path("contract.pdf"))]
    off_loop: list[bool] = []
    real_run = pdf_guard._run

    async def main():
        loop = asyncio.get_running_loop()

        def held_run(*args, **kwargs):
            loop_ran = threading.Event()
            loop.call_soon_threadsafe(loop_ran.set)
            off_loop.append(loop_ran.wait(GIVE_UP))
            return real_run(*args, **kwargs)

        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(pdf_guard, "_run", held_run)
            await VerifyState.event_handlers["check"].fn(state, files)

    asyncio.run(main())
    return state, off_loop


@pytest.fixture(autouse=True)
def fresh_limiter():
    verify.VERIFY_LIMITER.reset()
    yield
    verify.VERIFY_LIMITER.reset()


# ---------------------------------------------------------------------------- verdicts

def test_only_a_completed_document_is_sealed_here_and_another_seal_with_our_key_is_not(db, world):
    doc, data = completed(db, world)
    known = verify.verify_upload(db, data)
    assert (known.verdict, known.headline) == ("sealed_here", "Sealed here and unchanged")
    assert known.business == world.ws_a.name and known.document_id == doc.public_id and known.signers

    # the same workspace's own (generated) key, used outside the portal
    key = sealing._identity(sealing.ensure_identity(db, world.ws_a))
    forged = verify.verify_upload(db, sealed_offline(key))
    assert forged.verdict == "not_issued_here" and forged.headline != "Sealed here and unchanged"
    assert world.ws_a.name in forged.detail and "no completed document here has this content" in forged.detail
    assert not forged.signers and not forged.title and not forged.document_id   # the sealer's claims, not ours


def test_an_uploaded_pkcs12_key_cannot_mint_documents_verify_vouches_for(db, world):
    from portal_app.adapters.sealing import load_pkcs12

    key = ec.generate_private_key(ec.SECP256R1())
    p12 = make_p12(key, make_cert(key, name="Alpha documents"), b"pw")
    sealing.upload_pkcs12(db, world.staff_a, p12, "pw")   # Settings › Document sealing, as the owner
    db.commit()
    minted = sealed_offline(load_pkcs12(p12, "pw"))
    result = verify.verify_upload(db, minted)
    assert result.verdict == "not_issued_here" and world.ws_a.name in result.detail

    # a document the portal itself completes with that key is vouched for
    doc, data = completed(db, world)
    assert verify.verify_upload(db, data).verdict == "sealed_here"


# ---------------------------------------------------------------------------- refusals

def test_rate_limiter_counts_per_key_and_forgets_after_the_window():
    clock = Clock()
    limiter = RateLimiter(3, 60, clock=clock)
    assert [limiter.hit("a") for _ in range(3)] == [None, None, None]
    assert limiter.hit("a") == pytest.approx(60)
    assert limiter.hit("b") is None            # another address has its own budget
    clock.now += 30
    assert limiter.hit("a") == pytest.approx(30)   # refusals are not counted
    clock.now += 30.001
    assert limiter.hit("a") is None


def test_verify_is_rate_limited_per_client_ip_with_a_sentence(db, world):
    clock = Clock()
    limiter = RateLimiter(2, 600, clock=clock)
    pdf = plain_pdf(1)
    for _ in range(2):
        assert verify.verify_upload(db, pdf, client_ip="203.0.113.5", limiter=limiter).verdict == "not_signed"
    with pytest.raises(Throttled) as refused:
        verify.verify_upload(db, pdf, client_ip="203.0.113.5", limiter=limiter)
    assert "Please try again in 10 minute(s)" in refused.value.message and "Traceback" not in refused.value.message
    assert verify.verify_upload(db, pdf, client_ip="203.0.113.6", limiter=limiter).verdict == "not_signed"
    assert verify.verify_upload(db, b"not a pdf", client_ip="203.0.113.5", limiter=limiter).verdict == "unreadable"
    clock.now += 601
    assert verify.verify_upload(db, pdf, client_ip="203.0.113.5", limiter=limiter).verdict == "not_signed"


def test_the_page_limits_each_address(db, world):
    pdf = plain_pdf(1)
    for _ in range(verify.VERIFY_RATE):
        verify.VERIFY_LIMITER.hit("192.0.2.44")
    state, _ = run_check(pdf, client_ip="192.0.2.44")
    assert not state.result and "Please try again in" in state.error
    state, _ = run_check(pdf, client_ip="192.0.2.45")
    assert state.result["verdict"] == "not_signed" and not state.error


def test_size_cap_is_the_largest_original_plus_what_sealing_adds(db, world, monkeypatch):
    from portal_app.settings import reset_settings_cache

    monkeypatch.setenv("PORTAL_DOCUMENT_MAX_BYTES", str(1024 * 1024))
    reset_settings_cache()
    try:
        assert verify.max_bytes() == 9 * 1024 * 1024
        too_big = b"%PDF-1.7\n" + b"0" * (9 * 1024 * 1024)
        with pytest.raises(Invalid) as refused:
            verify.verify_upload(db, too_big)
        assert refused.value.message == ("That file is larger than any document we seal (9 MB at most), so it is "
                                          "not one of ours.")
        state, _ = run_check(too_big)
        assert state.error == refused.value.message and not state.result
    finally:
        monkeypatch.undo()
        reset_settings_cache()


# ---------------------------------------------------------------------------- no stall

def test_the_crafted_pdf_is_checked_in_the_child_while_the_loop_keeps_running(db, world):
    hostile = many_objects_update(sealed_offline(sealing._identity(sealing.ensure_identity(db, world.ws_a))))
    db.commit()
    state, off_loop = run_check(hostile)
    assert not state.error and state.result["verdict"] == "modified"   # content added after the seal
    assert off_loop and all(off_loop), "the check ran on the event loop"


def test_a_file_past_the_childs_limits_is_refused_and_the_loop_keeps_running(db, world, monkeypatch):
    # tight CPU budget: well under a second of work; a million-row xref needs seconds
    monkeypatch.setattr(pdf_guard, "VERIFY_LIMITS", pdf_guard.Limits(768 * 2**20, 0, 20.0))
    hostile = huge_xref(sealed_offline(sealing._identity(sealing.ensure_identity(db, world.ws_a))))
    db.commit()
    assert len(hostile) < verify.max_bytes()
    state, off_loop = run_check(hostile)
    assert not state.result and state.error.startswith("We could not check this file")
    assert "Traceback" not in state.error
    assert off_loop and all(off_loop), "the check ran on the event loop"

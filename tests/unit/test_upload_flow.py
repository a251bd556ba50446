"""The streamed upload as the background handler runs it (state/uploads.receive): chunks
arrive file after file; a bad file is refused without stopping the others; an oversized one
stops the reading at once; a cut-off upload leaves no temporary file and no row."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from reflex_components_core.core._upload import UploadChunk
from sqlmodel import select

from portal_app.models import FileItem
from portal_app.settings import reset_settings_cache
from portal_app.state import uploads
from portal_app.state.base import BaseState
from tests.support.file_samples import HTML, PDF
from tests.support.uploads import temps


class FakeState:
    """What the handler touches on its state proxy."""

    def __init__(self, actor, plan):
        self.actor = actor
        self._upload_plan = plan
        self._upload_sizes = [p["size"] for p in plan]
        self.uploads = [{"name": p["name"], "size": "", "status": "queued", "percent": 0, "message": ""}
                        for p in plan]
        self.upload_ready, self.uploading, self.upload_error = True, True, ""
        self.reloads = 0
        self._bound_session, self._upload_bound = "staff-session", ""

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        return False

    def _context(self, db):
        return SimpleNamespace(workspace=None, actor=self.actor)

    _run_background = BaseState._run_background  # what receive() calls on the real state
    _run_background_here = BaseState._run_background_here
    router = SimpleNamespace(url=SimpleNamespace(path="/staff/files"))
    _kept_out = BaseState._kept_out  # a client at a staff page is kept out (none here: staff)


def chunks_of(files: list[tuple[str, bytes]], piece: int = 1000, cut_after: int | None = None):
    async def gen():
        sent = 0
        for name, data in files:
            for offset in range(0, max(len(data), 1), piece):
                if cut_after is not None and sent >= cut_after:
                    raise asyncio.CancelledError()  # the browser went away
                yield UploadChunk(filename=name, offset=offset, content_type="application/octet-stream",
                                  data=data[offset:offset + piece])
                sent += 1
    return gen()


def run(state, files, **kw):
    def done(db, actor):
        state.reloads += 1

    asyncio.run(uploads.receive(state, chunks_of(files, **kw), lambda db, actor: None, done))


def rows(db) -> list[str]:
    db.expire_all()
    return sorted(i.name for i in db.exec(select(FileItem).where(FileItem.kind == "file")).all())


def plan(files):
    return [{"name": n, "size": len(d)} for n, d in files]


def test_files_arrive_one_after_another_and_are_listed(db, world, store):
    files = [("brief.pdf", PDF + b"%" * 5000), ("notes.txt", b"hello\n" * 900)]
    db.commit()
    state = FakeState(world.staff_a, plan(files))
    run(state, files)
    assert [r["status"] for r in state.uploads] == ["done", "done"]
    assert rows(db) == ["brief.pdf", "notes.txt"] and temps(store) == []
    assert state.uploading is False and state.reloads == 1


def test_a_tab_that_changes_hands_mid_upload_gets_none_of_its_rows(db, world, store):
    """Signed out (or someone else signed in) while the files were still arriving: the
    files are the uploader's and are stored, but nothing is written into the tab's state,
    which belongs to the next person now (session_guard.py)."""
    files = [("brief.pdf", PDF + b"%" * 5000), ("notes.txt", b"hello\n" * 900)]
    db.commit()
    state = FakeState(world.staff_a, plan(files))
    real_chunks = chunks_of(files)

    async def handed_over():
        async for chunk in real_chunks:
            if chunk.filename == "notes.txt":
                state._bound_session = ""  # the next event came from another session
                state.uploads = []  # ... and the guard reset the page
            yield chunk

    asyncio.run(uploads.receive(state, handed_over(), lambda db, actor: None,
                                lambda db, actor: setattr(state, "reloads", state.reloads + 1)))
    assert state.uploads == [] and state.uploading is True and state.reloads == 0
    assert rows(db) == ["brief.pdf", "notes.txt"] and temps(store) == []


def test_a_wrong_file_is_refused_and_the_next_one_still_arrives(db, world, store):
    files = [("photo.png", HTML * 200), ("brief.pdf", PDF + b"%" * 3000)]
    db.commit()
    state = FakeState(world.staff_a, plan(files))
    run(state, files)
    assert state.uploads[0]["status"] == "error" and "not a real .png" in state.uploads[0]["message"]
    assert state.uploads[1]["status"] == "done"
    assert rows(db) == ["brief.pdf"] and temps(store) == []


def test_an_oversized_file_stops_the_reading_at_once(db, world, store, monkeypatch):
    monkeypatch.setenv("PORTAL_FILE_MAX_BYTES", "4000")
    reset_settings_cache()
    consumed = []

    async def gen():
        for offset in range(0, 50_000, 1000):
            consumed.append(offset)
            yield UploadChunk(filename="big.pdf", offset=offset, content_type="", data=(PDF + b"%" * 1000)[:1000])

    db.commit()
    state = FakeState(world.staff_a, [{"name": "big.pdf", "size": 50_000}])
    asyncio.run(uploads.receive(state, gen(), lambda db, a: None, lambda db, a: None))
    assert state.uploads[0]["status"] == "error" and "larger than" in state.uploads[0]["message"]
    assert len(consumed) <= 5  # not the 50 pieces: the rest of the body is never read
    assert rows(db) == [] and temps(store) == []


def test_an_upload_cut_off_midway_leaves_nothing(db, world, store):
    files = [("first.pdf", PDF + b"%" * 2500), ("second.pdf", PDF + b"%" * 5000)]
    db.commit()
    state = FakeState(world.staff_a, plan(files))
    with pytest.raises(asyncio.CancelledError):
        run(state, files, cut_after=4)  # first file complete (3 pieces), second cut after 1 piece
    assert rows(db) == ["first.pdf"]  # what had fully arrived is kept; the rest never appears
    assert temps(store) == []
    assert state.uploads[1]["status"] == "error" and state.uploading is False


def test_a_refused_selection_reads_nothing(db, world, store):
    db.commit()
    state = FakeState(world.staff_a, [])
    consumed = []

    async def gen():
        consumed.append(1)
        yield UploadChunk(filename="x.pdf", offset=0, content_type="", data=PDF)

    asyncio.run(uploads.receive(state, gen(), lambda db, a: None, lambda db, a: None))
    assert consumed == [] and rows(db) == [] and state.uploading is False

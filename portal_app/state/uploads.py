"""The streamed multi-file upload shared by the staff and client Files pages.

The browser declares names and sizes first (`start`), so an oversized selection or a quota
overrun is refused before a byte is sent; then Reflex streams the files to a background
handler (`receive`) chunk by chunk: each file goes to a private temporary file, is checked
as it arrives (size limit, content vs name) and is listed only once stored. Progress per
file comes from the upload's own byte counter mapped onto the declared sizes.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TypedDict

from portal_app.db import unit_of_work
from portal_app.errors import ServiceError
from portal_app.services.files import file_transfer
from portal_app.services.files.filetypes import clean_file_name, human_size

log = logging.getLogger("portal.uploads")
GENERIC = "The upload failed on our side. Nothing was saved; please try again."


class DeclaredFile(TypedDict):
    """A file the browser says it will send (components/files_ui.py selected_meta())."""
    name: str
    size: int


class UploadRow(TypedDict):
    """One file of an upload in progress, as the Files pages list it."""
    name: str
    size: str        # human size
    status: str      # queued | uploading | done | error
    percent: int
    message: str


def start(state, meta: list, check) -> bool:
    """Called inside the handler's unit of work with the actor: validate and show the rows."""
    files: list[DeclaredFile] = [{"name": str(f.get("name", ""))[:500], "size": max(0, int(f.get("size") or 0))}
                                 for f in (meta or [])[:201] if isinstance(f, dict)]
    state.upload_error = ""
    if not files:
        state.upload_error = "Choose one or more files first."
        return False
    try:
        check(files)
    except ServiceError as exc:
        state.upload_error = exc.message
        state._upload_plan = []
        return False
    state._upload_plan = files
    state._upload_sizes = [f["size"] for f in files]
    state.upload_ready = True
    state.uploads = [{"name": clean_file_name(f["name"]), "size": human_size(f["size"]), "status": "queued",
                      "percent": 0, "message": ""} for f in files]
    state.uploading = True
    return True


def progress(state, prog: dict) -> None:
    """Map the request's bytes sent onto each declared file (multipart framing is small)."""
    try:
        loaded = int(prog.get("loaded", 0))
    except (TypeError, ValueError, AttributeError):
        return
    rows, offset = [dict(r) for r in state.uploads], 0
    for row, declared in zip(rows, state._upload_sizes, strict=False):  # sizes may lag the rows
        size = declared or 1
        if row["status"] in ("queued", "uploading"):
            pct = max(0, min(100, int(100 * (loaded - offset) / size)))
            row["percent"] = pct
            row["status"] = "uploading" if pct > 0 else "queued"
        offset += declared + 200
    state.uploads = rows


async def _set_row(state, index: int, **values) -> None:
    async with state:
        if state._bound_session != state._upload_bound:
            return  # the tab changed hands mid-upload: never write into the next person's page
        rows = [dict(r) for r in state.uploads]
        if 0 <= index < len(rows):
            rows[index].update(values)
            state.uploads = rows


async def receive(state, chunks, folder_for, done) -> None:
    """The background handler's body. `folder_for(db, actor)` names the target folder;
    `done(db, actor)` refreshes the page's listing."""
    async with state:
        plan = list(state._upload_plan)
        state._upload_plan, state.upload_ready = [], False
        state._upload_bound = state._bound_session

        def refused(exc: ServiceError) -> None:
            state.upload_error, state.uploading = exc.message, False

        ok, target = await state._run_background(lambda db, _ws, actor: (actor, folder_for(db, actor)),
                                                 on_error=refused, on_unexpected=lambda: refused(ServiceError(GENERIC)))
        if not ok:
            return
        actor, folder = target
    if not plan:
        async with state:
            state.uploading = False
        return  # refused at start: stop reading (the request ends with an error status)

    def store(incoming):
        with unit_of_work() as db:
            file_transfer.store_upload(db, actor, incoming, folder)

    current, index, skipping, stored = None, -1, False, 0
    try:
        async for chunk in chunks:
            if chunk.offset == 0:  # a new file begins
                if current is not None and not skipping:
                    await _finish(state, store, current, index)
                    stored += 1
                current, skipping = None, False
                index += 1
                current = file_transfer.IncomingFile(chunk.filename)
                await _set_row(state, index, status="uploading")
            if skipping:
                continue
            if current is None:  # the stream starts with a file's first chunk (offset 0)
                raise RuntimeError("an upload chunk before the start of its file")
            try:
                current.write(chunk.data)
            except ServiceError as exc:
                current.discard()
                await _set_row(state, index, status="error", message=exc.message, percent=0)
                if isinstance(exc, file_transfer.TooLarge):
                    return  # oversized: stop reading the body now
                skipping = True  # a wrong type: skip this file's remaining bytes, go on with the next
        if current is not None and not skipping:
            await _finish(state, store, current, index)
            stored += 1
            current = None
    except asyncio.CancelledError:  # the browser went away mid-upload
        raise
    except Exception:
        log.exception("upload failed")
        await _set_row(state, max(index, 0), status="error", message=GENERIC)
    finally:
        if current is not None:
            current.discard()
        async with state:
            # the tab changed hands mid-upload: nothing goes into the next person's page
            if state._bound_session == state._upload_bound:
                await _wrap_up(state, done)


async def _wrap_up(state, done) -> None:
    state.uploading = False
    rows = [dict(r) for r in state.uploads]
    for r in rows:
        if r["status"] in ("queued", "uploading"):
            r.update(status="error", message="Not uploaded: the upload stopped before this file.")
    state.uploads = rows
    # a failure is logged, and the rows above already say how each file ended
    await state._run_background(lambda db, _ws, actor: done(db, actor),
                                on_error=lambda exc: log.warning("could not refresh the listing after an upload: %s",
                                                                 exc.message),
                                on_unexpected=lambda: None)


async def _finish(state, store, incoming, index: int) -> None:
    try:
        await asyncio.to_thread(store, incoming)
    except ServiceError as exc:
        incoming.discard()
        await _set_row(state, index, status="error", message=exc.message, percent=0)
        return
    except Exception:
        incoming.discard()
        raise
    await _set_row(state, index, status="done", percent=100, message="")

"""Reading a chat attachment in a Reflex upload handler (the chat widget, the staff inbox).

The pages send a message with a file through Reflex's own upload, as the app's other uploads
do (api/conversations.py says why), to a *buffered* handler of their State:

    @rx.event
    async def send_with_file(self, files: list[rx.UploadFile]):
        name, data = await chat_upload.read_one(files)
        body = self.draft

        def work(db, ws, actor):
            view = attachments.send_with_file(db, actor, body, name, data)   # staff: conversation=,
            ...                                                             # internal=
        return await self._run(work, on_error=...)

and the handler's name goes in portal_app._upload_handlers with the "chat" limit (the
body limit in front of `/_upload`; tests/unit/test_body_limits.py fails without it).
"""

from __future__ import annotations

from portal_app.services.conversations import messages


async def read_one(files) -> tuple[str | None, bytes]:
    """(file name, bytes) of the first file of the upload, read to at most one byte past the
    attachment limit (the service then says "too large"); (None, b"") when none was chosen."""
    if not files:
        return None, b""
    upload = files[0]
    data = await upload.read(messages.ATTACHMENT_MAX_BYTES + 1)
    name = upload.name or upload.filename or ""
    if not data and not name:
        return None, b""
    return name or "file", data


def progress_percent(prog: object) -> int | None:
    """The browser's upload progress ({"progress": 0..1}) as a whole percent; None if unreadable."""
    if not isinstance(prog, dict):
        return None
    try:
        fraction = float(prog.get("progress", 0) or 0)
    except (TypeError, ValueError):
        return None
    return max(0, min(100, int(fraction * 100)))


def chooser_refusal(names: object, reasons: object) -> str:
    """Why the file chooser refused a file before sending it (type, size), in words."""
    from portal_app.services.conversations import attachments

    name = str(names[0])[:255] if isinstance(names, list) and names else ""
    codes = str(reasons[0])[:200].split(",") if isinstance(reasons, list) and reasons else []
    return attachments.refused_in_chooser(name, codes[:5])

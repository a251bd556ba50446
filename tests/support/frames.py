"""The websocket frames a page receives, as text (what "the next person at this computer" gets)."""

from __future__ import annotations


def received_frames(page) -> list[str]:
    frames: list[str] = []

    def on_socket(ws):
        ws.on("framereceived", lambda payload: frames.append(payload if isinstance(payload, str)
                                                               else payload.decode("utf-8", "replace")))

    page.on("websocket", on_socket)
    return frames

"""STUB (c-widget): the live push of conversations is written by the push helper; the lead
replaces this file with theirs at merge. Same signatures as docs in
/work/shared/contracts/conversations.md: a State handler calls

    await chat_push.follow(self, topic, "on_hint")   # call <State>.on_hint when `topic` is hinted
    await chat_push.unfollow(self, topic)

Until then nothing is pushed: a page shows what changed at its next event (navigation,
opening the panel, sending).
"""

from __future__ import annotations

STUB = True  # tests/e2e/test_chat_widget_journey.py checks the live reply only once this is gone


async def follow(state, topic: str, handler_name: str) -> None:  # STUB: does nothing
    return None


async def unfollow(state, topic) -> None:  # STUB: does nothing
    return None

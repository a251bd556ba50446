"""STUB (branch c-inbox): the live push of the Conversations issue is written by the push
helper; the lead replaces this file with the real one at merge. Same signatures, no effect:
a page still re-reads on every load and after its own actions."""

from __future__ import annotations


async def follow(state, topic: str, handler_name: str) -> None:
    """STUB: the real one makes `<state's class>.handler_name` run in this tab on a hint for `topic`."""
    return None


async def unfollow(state, topic: str) -> None:
    """STUB."""
    return None

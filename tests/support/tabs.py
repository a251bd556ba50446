"""A page open in a browser tab, driven through its State's event handlers (unit tests of pages)."""

from __future__ import annotations

import asyncio


class Tab:
    """One page open in a browser tab: a State tree for `path`, handlers called on it."""

    def __init__(self, state_cls, path: str, host: str, cookie: str | None):
        from reflex.istate.data import RouterData
        from reflex.state import State

        import portal_app.portal_app  # noqa: F401  (registers every state)

        self.cls = state_cls
        self.root = State(_reflex_internal_init=True)
        headers = {"host": host, "origin": f"https://{host}"}
        if cookie:
            headers["cookie"] = f"portal_session={cookie}"
        self.root.router = RouterData.from_router_data({"headers": headers, "pathname": path, "asPath": path})
        self.state = self.root.get_substate(state_cls.get_full_name().split(".")[1:])

    def __call__(self, handler: str, *args):
        result = self.cls.event_handlers[handler].fn(self.state, *args)
        if asyncio.iscoroutine(result):
            result = asyncio.run(result)
        return result

    def other(self, state_cls):
        return self.root.get_substate(state_cls.get_full_name().split(".")[1:])

    def go(self, state_cls, path: str) -> Tab:
        """Follow a redirect in the same tab: the same session's states, a new page."""
        from reflex.istate.data import RouterData

        tab = Tab.__new__(Tab)
        tab.cls, tab.root = state_cls, self.root
        headers = {"host": self.root.router.headers.host, "cookie": self.root.router.headers.cookie}
        self.root.router = RouterData.from_router_data({"headers": headers, "pathname": path, "asPath": path})
        tab.state = self.other(state_cls)
        return tab

    def __getattr__(self, name):
        return getattr(self.state, name)

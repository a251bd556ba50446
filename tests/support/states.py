"""State handlers run as Reflex runs them, without a browser: a State tree whose router carries
the Host and the HttpOnly session cookie exactly as the websocket's upgrade request would, the
app's middlewares (the session guard) first, then the handler.

`run_handler` is how the authorization matrix (test_authz_matrix.py) and the page tests call a
handler; `call` runs a further handler on a state `run_handler` returned.
"""

from __future__ import annotations

import asyncio

from tests.support.world import HOST_A, HOST_B

__all__ = ["HOST_A", "HOST_B", "call", "run_handler"]


def run_handler(state_cls, handler: str, args: tuple, host: str, cookie: str | None, path: str,
                pre: tuple[str, ...] = ()):
    from reflex.istate.data import RouterData
    from reflex.state import State
    from reflex_base.event import Event

    import portal_app.portal_app  # noqa: F401  (registers every state)
    from portal_app.state.session_guard import SessionGuard

    root = State(_reflex_internal_init=True)
    headers = {"host": host, "origin": f"https://{host}"}
    if cookie:
        headers["cookie"] = f"other=1; portal_session={cookie}"
    root.router_data = {"headers": headers, "pathname": path, "asPath": path}
    root.router = RouterData.from_router_data(root.router_data)
    # As Reflex does before every handler: the app's middlewares (the session guard) first.
    asyncio.run(SessionGuard().preprocess(app=None, state=root,
                                          event=Event(name=f"{state_cls.get_full_name()}.{handler}")))
    state = root.get_substate(state_cls.get_full_name().split(".")[1:])
    for step in pre:  # e.g. the page's load, as the browser would have run it first
        name, pre_args = (step, ()) if isinstance(step, str) else step
        pre_args = pre_args() if callable(pre_args) else pre_args
        ran = state_cls.event_handlers[name].fn(state, *pre_args)
        if asyncio.iscoroutine(ran):
            asyncio.run(ran)
    fn = state_cls.event_handlers[handler].fn
    result = fn(state, *args)
    if asyncio.iscoroutine(result):
        result = asyncio.run(result)
    return state, result


def call(state, handler: str, *args):
    """Another handler on the same state, as the page's next event (no middleware run again)."""
    result = type(state).event_handlers[handler].fn(state, *args)
    return asyncio.run(result) if asyncio.iscoroutine(result) else result


def tab_state(token: str, cls=None):
    """`cls`'s substate in a root whose router carries the tab token (as after a hydrate)."""
    from reflex.istate.data import RouterData
    from reflex.state import State

    import portal_app.portal_app  # noqa: F401  (registers every state)
    from portal_app.state.portal.home import HomeState

    cls = cls or HomeState
    root = State(_reflex_internal_init=True)
    root.router_data = {"token": token, "headers": {"host": "a.test"}, "pathname": "/", "asPath": "/"}
    root.router = RouterData.from_router_data(root.router_data)
    return root.get_substate(cls.get_full_name().split(".")[1:])

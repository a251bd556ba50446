"""Nothing blocks the event loop (issue 20): the rules of state/ a machine can check.

1. Database work in state/ runs in an event thread: a handler reaches the database only
   through `BaseState._run` / `_run_background` (which `off_loop` it), or a plain function
   of its own that a handler hands to a thread. So no `async def` and no event handler
   opens a unit of work itself.
2. A coroutine is always awaited: `_run`, `_run_background` and every handler or helper
   that calls them are `async`, and a call to one of them that is not awaited would hand
   Reflex a coroutine object instead of the handler's result (mypy only sees the unused
   ones, not a `return self._run(...)` in a sync function). A coroutine handed to the loop
   to run (`asyncio.run_coroutine_threadsafe`, `create_task`, `ensure_future`) is run too.
"""

from __future__ import annotations

import ast
from pathlib import Path

STATE = Path(__file__).resolve().parents[2] / "portal_app" / "state"
SCHEDULERS = ("asyncio.run_coroutine_threadsafe", "asyncio.create_task", "asyncio.ensure_future")


def _modules():
    for path in sorted(STATE.rglob("*.py")):
        yield path, ast.parse(path.read_text(), filename=str(path))


def _is_handler(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(ast.unparse(d) in ("rx.event", "rx.event(background=True)") or ast.unparse(d).startswith("rx.event(")
               for d in fn.decorator_list)


def _opens_unit_of_work(fn) -> bool:
    return any(isinstance(n, ast.Call) and ast.unparse(n.func) == "unit_of_work"
               for n in ast.walk(fn) if not isinstance(n, ast.Lambda))


def test_no_handler_and_no_coroutine_opens_a_unit_of_work_on_the_loop():
    found = []
    for path, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.AsyncFunctionDef | ast.FunctionDef) and (
                    isinstance(node, ast.AsyncFunctionDef) or _is_handler(node)):
                # nested plain functions are what gets handed to a thread: look at this body only
                body = ast.Module(body=[n for n in node.body if not isinstance(n, ast.FunctionDef)], type_ignores=[])
                if _opens_unit_of_work(body):
                    found.append(f"{path.relative_to(STATE)}:{node.lineno} {node.name}")
    assert not found, "database work on the event loop (use self._run / off_loop):\n" + "\n".join(found)


def test_every_handler_is_a_coroutine_when_it_runs_database_work():
    found = []
    for path, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and _is_handler(node) and any(
                    isinstance(n, ast.Call) and ast.unparse(n.func) in ("self._run", "self._run_background")
                    for n in ast.walk(node)):
                found.append(f"{path.relative_to(STATE)}:{node.lineno} {node.name}")
    assert not found, "a sync handler cannot await its database work:\n" + "\n".join(found)


def test_every_call_of_a_coroutine_of_state_is_awaited():
    trees = list(_modules())
    methods: set[str] = set()  # async methods of any state class (self.x / state.x)
    for _path, tree in trees:
        methods |= {n.name for c in ast.walk(tree) if isinstance(c, ast.ClassDef)
                    for n in c.body if isinstance(n, ast.AsyncFunctionDef)}
        methods |= {n.name for n in tree.body if isinstance(n, ast.AsyncFunctionDef)}  # helpers taking `state`
    found = []
    for path, tree in trees:
        functions = {n.name for n in tree.body if isinstance(n, ast.AsyncFunctionDef)}  # this module's own
        awaited = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Await)}
        # handed to the loop to run (chat_push schedules a delivery from a hint's thread)
        awaited |= {id(n.args[0]) for n in ast.walk(tree) if isinstance(n, ast.Call) and n.args
                    and ast.unparse(n.func) in SCHEDULERS}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or id(node) in awaited:
                continue
            func = node.func
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in ("self", "state"):
                hit = func.attr in methods
            else:
                hit = isinstance(func, ast.Name) and func.id in functions
            if hit:
                found.append(f"{path.relative_to(STATE)}:{node.lineno} {ast.unparse(node)[:80]}")
    assert not found, "a coroutine called without await:\n" + "\n".join(found)

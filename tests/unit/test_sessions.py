"""services/sessions.py: who is calling -- the session cookie read from a Cookie header, and
the (workspace, actor) a Host and a token resolve to, the one function state/ and api/ use."""

from __future__ import annotations

import ast
from pathlib import Path

from portal_app.access import Anonymous, Client, Staff
from portal_app.services.accounts import auth
from portal_app.services.sessions import SESSION_COOKIE, context_for, session_token
from tests.support.clock import Clock

HOST_A, HOST_B = "alpha.example.test", "beta.example.test"
APP = Path(__file__).resolve().parents[2] / "portal_app"


def _sign_in(db, world, kind: str, email: str) -> str:
    return auth.sign_in(db, world.ws_a.id, kind, email, world.password)


# --- the cookie ---------------------------------------------------------------------------------

def test_the_token_is_read_from_the_cookie_header():
    assert session_token(f"theme=dark; {SESSION_COOKIE}=abc123; other=1") == "abc123"
    assert session_token(f"{SESSION_COOKIE}=abc123") == "abc123"


def test_no_or_unreadable_cookie_is_no_token():
    for header in [None, "", "theme=dark", f"{SESSION_COOKIE}=", f"{SESSION_COOKIE}=\"unterminated"]:
        assert session_token(header) is None, header


# --- the context --------------------------------------------------------------------------------

def test_a_live_session_on_its_own_workspace(db, world):
    staff, client = _sign_in(db, world, "staff", "owner@alpha.example"), _sign_in(db, world, "client",
                                                                                   "alice@client.example")
    ws, actor = context_for(db, HOST_A, staff)
    assert ws.id == world.ws_a.id and isinstance(actor, Staff) and actor.user_id == world.staff_a.user_id
    ws, actor = context_for(db, "Alpha.Example.Test:3000", client)  # the Host as browsers send it
    assert ws.id == world.ws_a.id and isinstance(actor, Client) and actor.contact_id == world.contact_a1.id


def test_no_token_or_a_forged_one_is_anonymous(db, world):
    for token in [None, "", "forged-token", session_token("theme=dark")]:
        ws, actor = context_for(db, HOST_A, token)
        assert ws.id == world.ws_a.id and actor == Anonymous(world.ws_a.id)


def test_an_expired_session_is_anonymous(db, world, monkeypatch):
    clock = Clock()
    monkeypatch.setattr(auth, "clock", clock)
    token = _sign_in(db, world, "staff", "owner@alpha.example")
    assert isinstance(context_for(db, HOST_A, token)[1], Staff)
    clock.advance(days=30)
    assert context_for(db, HOST_A, token)[1] == Anonymous(world.ws_a.id)


def test_another_workspaces_session_is_anonymous(db, world):
    token = _sign_in(db, world, "staff", "owner@alpha.example")
    ws, actor = context_for(db, HOST_B, token)
    assert ws.id == world.ws_b.id and actor == Anonymous(world.ws_b.id)


def test_a_host_no_workspace_answers_is_no_workspace_and_anonymous(db, world):
    token = _sign_in(db, world, "staff", "owner@alpha.example")
    for host in ["elsewhere.example", "", None]:
        assert context_for(db, host, token) == (None, Anonymous(None))


# --- who imports what ---------------------------------------------------------------------------

def _imports(path: Path) -> set[str]:
    """The absolute module names a module imports (relative imports resolved)."""
    package = ".".join(path.relative_to(APP.parent).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([node.module] if node.module else []))
            found.add(base)
            found |= {f"{base}.{a.name}" for a in node.names}
    return found


def test_state_never_imports_api():
    """The session cookie and the context live below both (services/sessions.py)."""
    offenders = {str(p.relative_to(APP)): sorted(m for m in _imports(p) if m.startswith("portal_app.api"))
                 for p in (APP / "state").rglob("*.py")}
    assert not {k: v for k, v in offenders.items() if v}


def test_no_api_module_imports_the_route_table():
    """api/ modules share _common.py and forms.py; routes.py only assembles them (an import
    of it from a route module is a loop)."""
    offenders = [str(p.relative_to(APP)) for p in (APP / "api").rglob("*.py")
                 if p.name != "routes.py" and any(m.startswith("portal_app.api.routes") for m in _imports(p))]
    assert not offenders

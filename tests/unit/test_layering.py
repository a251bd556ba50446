"""Layering rules for authorization, checked on the source (ast, no imports needed).

1. **portal_app/access/ is the one place authorization rules live** (the package `access`,
   one module per area). No module of portal_app/ outside it may decide what someone may do by looking at a role or an actor kind:
   - a comparison (`==`, `!=`, `in`, `not in`) between something named `role` or `kind`
     (an attribute `x.role`/`x.kind`, a name `role`/`kind`, or `getattr(x, "role"|"kind")`)
     and a role or actor-kind value: the strings "owner", "admin", "member", "staff",
     "client", "anonymous", a `StaffRole.…` member, or a tuple/list/set holding one;
   - the same test in SQL: `X.role.in_([...])` / `X.kind.in_([...])` with such values;
   - any use of `ROLE_RANK`;
   - `isinstance(x, Staff | Client | Anonymous)`;
   - `require_staff(actor, "<role>")`: which role may do something is a named rule
     (`require_configure_portal`, `require_manage_team`, …); plain `require_staff(actor)`
     (any staff member) is fine.
   Ask `access` instead (`is_staff`, `is_signed_in`, `has_role`, `roles_at_least`,
   `is_own_signer`, `client_may_see_invoice`, …). The check is keyed on those values, so an
   unrelated `kind` (a document kind "contract", a file kind "folder", a ledger kind
   "refund") is not a finding.
   A few comparisons use the same words for data, not for a rule (which account table a
   sign-in form or a reset link names; the label or link a signer gets in an email): they
   are listed in DATA_NOT_RULES, each with its reason, by function and source text. An
   entry that no longer matches anything fails too, so the list cannot go stale.
2. **The access package and errors.py sit below the services.** They import nothing from
   portal_app.services, .state, .api, .pages or .components (not even inside a function).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "portal_app"
RULES_HOME = PACKAGE / "access"  # the package: every module in it
ROLE_VALUES = {"owner", "admin", "member"}
KIND_VALUES = {"staff", "client", "anonymous"}
RULE_VALUES = ROLE_VALUES | KIND_VALUES
SUBJECT_NAMES = {"role", "kind"}
ACTOR_CLASSES = {"Staff", "Client", "Anonymous"}
UPPER_LAYERS = ("services", "state", "api", "pages", "components")

# (qualified function, source of the comparison) -> why it is data, not an authorization rule
DATA_NOT_RULES = {
    ("sign_in", 'kind == "staff"'): "the sign-in form names the account table to look in",
    ("_sign_in", 'kind == "staff"'): "which sign-in page and home the form returns to",
    ("_account", 'kind == "staff"'): "the reset form names the account table to look in",
    ("request_reset", 'kind not in ("staff", "client")'): "an unknown account kind is bad input",
    ("request_reset", 'kind == "staff"'): "which column of the reset row names the account",
    ("request_reset", 'kind == "client"'): "which column of the reset row names the account",
    ("request_reset", "kind == 'staff'"): "the reset email names the kind of account",
    ("reset_password", 'check.kind == "staff"'): "which account table the reset row names",
    ("reset_password.redeem", 'kind == "staff"'): "which page to land on after a password reset",
    ("ResetPasswordState.load.work", 'check.kind == "staff"'): "which forgot-password page an expired link offers",
    ("_link", 'role == "client"'): "the signing link in an email: portal page or staff page",
    ("_certificate", 's.role == "client"'): "the signer's label on the certificate",
    ("complete", 's.role == "client"'): "the download link in the completion email",
    ("remind", 'signer.role != "client"'): "a reminder is mailed only to a client signer",
    ("_document_snapshot", 'signer.role != "client"'): "an automation's \"signed by the client\" trigger "
                                                       "names a client signer's contact",
    ("email_signer", 'signer.role == "client"'): "mail to a client signer goes on their Communications timeline",
    ("_on_document", 'signer.role == "client"'): "the timeline says \"You signed\" for the client's own signature",
    ("_note_device", 'kind == "staff"'): "which account table holds the public id the new-device event names",
    ("account_public_id", 'kind == "staff"'): "which account table holds the public id events and audit name",
    ("change_password", 'kind == "staff"'): "the audit record names the kind of account changed",
    ("_recipient", 'kind == "staff"'): "which account table the security email's recipient is in",
    ("_security_url", 'kind == "staff"'): "the security email's button: the staff or the client Security page",
}


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if RULES_HOME not in p.parents and "__pycache__" not in p.parts)


def _is_subject(node: ast.AST) -> bool:
    if isinstance(node, ast.Attribute):
        return node.attr in SUBJECT_NAMES
    if isinstance(node, ast.Name):
        return node.id in SUBJECT_NAMES
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr":
        return (len(node.args) >= 2 and isinstance(node.args[1], ast.Constant)
                and node.args[1].value in SUBJECT_NAMES)
    return False


def _is_rule_value(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and node.value in RULE_VALUES
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return any(_is_rule_value(e) for e in node.elts)
    if isinstance(node, ast.Attribute):  # StaffRole.owner, StaffRole.owner.value
        base = node
        while isinstance(base, ast.Attribute):
            base = base.value
        return isinstance(base, ast.Name) and base.id == "StaffRole"
    return False


def _is_actor_class(node: ast.AST) -> bool:
    if isinstance(node, ast.Name):
        return node.id in ACTOR_CLASSES
    if isinstance(node, ast.Attribute):
        return node.attr in ACTOR_CLASSES
    if isinstance(node, ast.Tuple):
        return any(_is_actor_class(e) for e in node.elts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _is_actor_class(node.left) or _is_actor_class(node.right)
    return False


def _finding(node: ast.AST) -> str | None:
    """What kind of rule this node is, or None."""
    if isinstance(node, ast.Compare):
        sides = [node.left, *node.comparators]
        if any(_is_subject(a) and _is_rule_value(b) or _is_subject(b) and _is_rule_value(a)
               for a, b in zip(sides, sides[1:], strict=False)):
            return "role/kind comparison"
    if isinstance(node, ast.Call):
        func = node.func
        if (isinstance(func, ast.Attribute) and func.attr in ("in_", "not_in") and _is_subject(func.value)
                and any(_is_rule_value(a) for a in node.args)):
            return "role/kind comparison in SQL"
        if isinstance(func, ast.Name) and func.id == "isinstance" and len(node.args) == 2 \
                and _is_actor_class(node.args[1]):
            return "isinstance on an actor class"
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name == "require_staff" and (any(_is_rule_value(a) for a in node.args[1:])
                                        or any(_is_rule_value(k.value) for k in node.keywords)):
            return "a minimum role chosen outside the access package"
    if isinstance(node, ast.Name) and node.id == "ROLE_RANK":
        return "ROLE_RANK"
    if isinstance(node, ast.Attribute) and node.attr == "ROLE_RANK":
        return "ROLE_RANK"
    if isinstance(node, ast.alias) and node.name == "ROLE_RANK":
        return "ROLE_RANK"
    return None


def _scan(path: Path):
    """(line, enclosing function, source text, finding) for every rule outside the access package."""
    source = path.read_text()
    tree = ast.parse(source, str(path))
    found = []

    def visit(node: ast.AST, func: str) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            func = node.name if func == "<module>" else f"{func}.{node.name}"
        what = _finding(node)
        if what:
            found.append((getattr(node, "lineno", 0), func, ast.get_source_segment(source, node) or "", what))
        for child in ast.iter_child_nodes(node):
            visit(child, func)

    visit(tree, "<module>")
    return found


def test_no_role_or_actor_kind_rule_outside_the_access_package():
    problems, used = [], set()
    for path in _modules():
        for line, func, text, what in _scan(path):
            key = (func, " ".join(text.split()))
            if key in DATA_NOT_RULES:
                used.add(key)
                continue
            problems.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {what} in {func}(): {text}")
    assert not problems, ("Authorization rules belong in portal_app/access/; ask it instead of comparing "
                          "roles or actor kinds here:\n" + "\n".join(problems))
    stale = sorted(set(DATA_NOT_RULES) - used)
    assert not stale, f"DATA_NOT_RULES entries that match nothing any more (remove them): {stale}"


def test_the_check_sees_what_it_should_and_only_that():
    cases = {
        'x.role == "owner"': True, 'role in ("owner", "admin")': True, 'actor.kind != "anonymous"': True,
        'getattr(actor, "kind", "") == "staff"': True, 'user.role == StaffRole.owner.value': True,
        'StaffUser.role.in_(["owner", "admin"])': True, "ROLE_RANK[x]": True, "isinstance(a, Staff)": True,
        "isinstance(a, (Client, Anonymous))": True, "isinstance(a, access.Staff)": True,
        'require_staff(actor, "admin")': True, 'access.require_staff(a, min_role="owner")': True,
        "require_staff(actor)": False,
        'doc.kind == "contract"': False, 'FileItem.kind == "folder"': False, 'e.kind == "refund"': False,
        'x.status == "client"': False, "isinstance(a, int)": False, 'role == other_role': False,
    }
    for text, expected in cases.items():
        hits = [n for n in ast.walk(ast.parse(text)) if _finding(n)]
        assert bool(hits) is expected, text


def _imported_modules(path: Path) -> list[tuple[int, str]]:
    """Absolute module names a file imports (relative imports resolved), at any depth."""
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            out.append((node.lineno, module))
            if module in ("portal_app", package):  # `from . import services`
                out += [(node.lineno, f"{module}.{a.name}") for a in node.names]
    return out


def test_access_and_errors_import_nothing_from_the_layers_above():
    upper = tuple(f"portal_app.{layer}" for layer in UPPER_LAYERS)
    errors = PACKAGE / "errors.py"
    problems = [] if errors.exists() else ["errors.py: missing (the service errors live at portal_app/errors.py)"]
    rules = sorted(RULES_HOME.rglob("*.py"))
    problems += [] if rules else ["access/: missing (the authorization rules live in portal_app/access/)"]
    problems += [f"{path.relative_to(PACKAGE)}:{line}: imports {module}"
                 for path in [*rules, errors] if path.exists()
                 for line, module in _imported_modules(path)
                 if module in upper or module.startswith(tuple(u + "." for u in upper))]
    assert not problems, "the access package and errors.py sit below the services:\n" + "\n".join(problems)

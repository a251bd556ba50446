"""The tests' own layout: no module imports a test module or a conftest.py.

Helpers shared between test modules live in tests/support/, fixtures in the nearest
conftest.py; a test module that is also a fixture library runs its neighbours' imports at
collection and ties their fate to its own. Checked with ast over tests/ and bench/.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def _imported(path: Path) -> set[str]:
    """Every module (and `from m import name` as m.name) the file imports, relative imports resolved."""
    package = _module_name(path).split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package[:len(package) - (node.level - 1)]
                base = ".".join([*parent, base] if base else parent)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _files() -> list[Path]:
    return sorted([*ROOT.glob("tests/**/*.py"), *ROOT.glob("bench/**/*.py")])


def _forbidden() -> set[str]:
    """Test modules and conftest modules under tests/, by dotted name."""
    return {_module_name(p) for p in ROOT.glob("tests/**/*.py")
            if p.name.startswith("test_") or p.name == "conftest.py"}


def imports_between_test_modules() -> list[str]:
    forbidden = _forbidden()
    return [f"{p.relative_to(ROOT)} imports {name}"
            for p in _files() for name in sorted(_imported(p) & forbidden)]


def test_no_module_imports_a_test_module_or_a_conftest():
    found = imports_between_test_modules()
    assert not found, "shared helpers belong in tests/support/, fixtures in conftest.py:\n" + "\n".join(found)


def test_the_check_sees_relative_and_absolute_imports(tmp_path, monkeypatch):
    """The walk above would pass on an empty tree: it must catch both spellings."""
    unit = tmp_path / "tests" / "unit"
    unit.mkdir(parents=True)
    (unit / "test_a.py").write_text("X = 1\n")
    (unit / "test_b.py").write_text("from .test_a import X\n")
    (unit / "test_c.py").write_text("from tests.unit import test_a\nimport tests.unit.test_a\n")
    (unit / "helpers.py").write_text("from tests.conftest import World\n")
    (tmp_path / "tests" / "conftest.py").write_text("")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert imports_between_test_modules() == [
        "tests/unit/helpers.py imports tests.conftest",
        "tests/unit/test_b.py imports tests.unit.test_a",
        "tests/unit/test_c.py imports tests.unit.test_a",
    ]

"""A copy of the app's sources in a temporary folder, for a test that runs the app as a user
would (the e2e journeys, the production start): what `make run` / `serve` read, and the
frontend's installed packages from the working tree's .web (faster builds)."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.support.browser import ROOT

COPY = ["rxconfig.py", "portal_app", "assets", "alembic", "alembic.ini", "reflex.lock"]


def copy_app(tmp: Path, *, keep_build: bool = False) -> Path:
    """tmp/app with the sources; the working tree's .web without its generated routes and
    backend zip, and without its build unless `keep_build` (a build whose inputs match)."""
    app = tmp / "app"
    app.mkdir()
    for name in COPY:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, app / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif src.exists():
            shutil.copy2(src, app / name)
    web = ROOT / ".web"
    if (web / "node_modules").is_dir():
        skip = {".react-router", "backend.zip"} | (set() if keep_build else {"build"})
        shutil.copytree(web, app / ".web", symlinks=True,
                        ignore=lambda d, names: skip & set(names) if Path(d) == web else set())
    return app

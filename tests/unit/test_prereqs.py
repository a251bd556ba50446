"""`make run` checks the Node.js/npm and bun it needs and says what to install
(portal_app/prereqs.py). On main a machine without Node.js, or with an old one, failed deep in
`npm install` or Reflex's build with no word on what to install."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from portal_app import prereqs

ROOT = Path(__file__).resolve().parents[2]


def test_the_minimums_are_reflex_s_own():
    from reflex_base.constants.installer import Bun, Node

    assert prereqs.parse_version(Bun.MIN_VERSION) == prereqs.BUN_MIN
    assert prereqs.parse_version(Node.MIN_VERSION) == prereqs.REFLEX_NODE_MIN


@pytest.mark.parametrize(("node", "npm", "said"), [
    (None, None, "Node.js, and it is not installed"),
    ("v16.20.2", "8.19.4", "needs Node.js 18.0.0 or newer to install bun from npm; this machine has 16.20.2"),
    ("garbage", "10.0.0", "could not read the Node.js version"),
    ("v20.20.2", None, "no `npm` on PATH"),
])
def test_missing_or_old_node_says_what_to_install(node, npm, said):
    problem = prereqs.node_problem(node, npm)
    assert said in problem and "https://nodejs.org" in problem and "make run" in problem


def test_a_good_node_and_bun_pass():
    assert prereqs.node_problem("v20.20.2", "10.8.2") == ""
    assert prereqs.node_problem("v22.22.0", "10.9.0") == ""
    assert prereqs.bun_problem("1.4.4") == "" and prereqs.bun_problem("1.5.0") == ""


def test_old_or_missing_bun_says_how_to_get_it():
    assert "1.4.4 or newer; .tools/ has 1.1.0" in prereqs.bun_problem("1.1.0")
    assert "none in .tools" in prereqs.bun_problem(None)


def _fake(tmp_path: Path, name: str, output: str) -> None:
    script = tmp_path / name
    script.write_text(f"#!/bin/sh\necho '{output}'\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


def test_the_script_stops_make_with_the_message(tmp_path):
    """As `make run` calls it: plain python3, no virtualenv, exit status 1 and the message."""
    _fake(tmp_path, "node", "v16.0.0")
    _fake(tmp_path, "npm", "8.0.0")
    env = {**os.environ, "PATH": str(tmp_path)}
    done = subprocess.run([sys.executable, "-S", str(ROOT / "portal_app" / "prereqs.py"), "node"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 1 and "Node.js 18.0.0 or newer" in done.stderr
    _fake(tmp_path, "node", "v20.1.0")
    done = subprocess.run([sys.executable, "-S", str(ROOT / "portal_app" / "prereqs.py"), "node"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr


def test_make_run_checks_before_installing():
    makefile = (ROOT / "Makefile").read_text()
    assert "run: prereqs install" in makefile and "portal_app/prereqs.py bun" in makefile

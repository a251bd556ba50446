"""What `make run` needs from the machine, checked before anything is installed: Python's
standard library only (it runs before the virtualenv exists), as
`python3 portal_app/prereqs.py node` (Node.js and npm, which install bun) and
`python3 portal_app/prereqs.py bun` (after `make install`: the bun Reflex builds with).

Reflex 0.10 builds the frontend with bun >= 1.4.4, or with Node.js >= 22.22.0 when it has no
bun (reflex_base/constants/installer.py: Bun.MIN_VERSION, Node.MIN_VERSION;
tests/unit/test_prereqs.py fails when Reflex changes them). Its own bun installer downloads
from GitHub, so `make run` installs bun from the npm registry into .tools/ and sets
REFLEX_USE_SYSTEM_BUN=1: npm is the one thing a newcomer must bring. npm 9+ (Node 18+) installs
the bun package.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

BUN_MIN = (1, 4, 4)  # reflex_base.constants.Bun.MIN_VERSION
REFLEX_NODE_MIN = (22, 22, 0)  # reflex_base.constants.Node.MIN_VERSION
NPM_NODE_MIN = (18, 0, 0)  # what `npm install bun` needs

INSTALL_NODE = ("Install Node.js {want} or newer with npm: https://nodejs.org/en/download "
                "(Debian/Ubuntu: `apt-get install nodejs npm`; macOS: `brew install node`), then run `make run` again.")


def parse_version(text: str) -> tuple[int, int, int] | None:
    found = re.search(r"(\d+)\.(\d+)\.(\d+)", text or "")
    return (int(found[1]), int(found[2]), int(found[3])) if found else None


def _dotted(version: tuple[int, int, int]) -> str:
    return ".".join(map(str, version))


def _version_of(cmd: str) -> str | None:
    path = shutil.which(cmd)
    if path is None:
        return None
    try:
        done = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def node_problem(node: str | None, npm: str | None) -> str:
    """Why `make run` cannot install its tools with this Node.js/npm ("" when it can)."""
    want = _dotted(NPM_NODE_MIN)
    if node is None:
        return "make run needs Node.js, and it is not installed (no `node` on PATH). " + INSTALL_NODE.format(want=want)
    version = parse_version(node)
    if version is None:
        return f"make run could not read the Node.js version (`node --version` said {node!r}). " + \
            INSTALL_NODE.format(want=want)
    if version < NPM_NODE_MIN:
        return (f"make run needs Node.js {want} or newer to install bun from npm; this machine has "
                f"{_dotted(version)}. " + INSTALL_NODE.format(want=want))
    if npm is None:
        return "make run needs npm (it comes with Node.js), and there is no `npm` on PATH. " + \
            INSTALL_NODE.format(want=want)
    return ""


def bun_problem(bun: str | None) -> str:
    """Why Reflex cannot build with the bun `make install` put in .tools/ ("" when it can)."""
    want = _dotted(BUN_MIN)
    if bun is None:
        return (f"Reflex builds the frontend with bun {want} or newer, and there is none in .tools/node_modules/.bin. "
                f"Run `rm -rf .tools/node_modules && make run` (npm installs it), or install bun {want}+ yourself.")
    version = parse_version(bun)
    if version is None or version < BUN_MIN:
        found = _dotted(version) if version else repr(bun)
        return (f"Reflex builds the frontend with bun {want} or newer; .tools/ has {found}. "
                f"Run `rm -rf .tools/node_modules && make run` to install the version .tools/package.json pins.")
    return ""


def main(argv: list[str]) -> int:
    what = argv[1] if len(argv) > 1 else "node"
    problem = bun_problem(_version_of("bun")) if what == "bun" else node_problem(_version_of("node"), _version_of("npm"))
    if problem:
        print(f"\n*** {problem}\n", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

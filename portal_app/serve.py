"""The production start: `python -m portal_app.cli serve` (`make serve`; README, "Production").

It runs the app as `reflex run --env prod --single-port` does -- granian, the ASGI interface, the
app factory `portal_app.portal_app:app`, the compiled frontend mounted in the app, the app
imported once in the supervisor and its workers forked from it -- with three differences:

- **Workers**: one granian worker per CPU core when REFLEX_REDIS_URL is set (Reflex starts
  2 x cores + 1), else one (tabs' state then lives in that process); PORTAL_WORKERS overrides.
- **Static files**: the build's hashed bundles (`/assets/…`: JavaScript, CSS, fonts) are served by
  granian's own static-file support, in Rust, never through Python and the event loop, with a
  year's `cache-control: max-age` (a bundle's name changes with its content). Pages stay with the
  app: each HTML response gets its own CSP nonce (api/security_headers.py), which a file server
  cannot add. What granian does not do for these files: compress them (the build's `.gz` copies
  are not used) or add `x-content-type-options: nosniff`; behind the reverse proxy of the README
  the proxy does both (or serves `/assets/` from the folder itself).
- **Build once**: the frontend is built (`reflex export --frontend-only --no-zip --env prod`) only
  when what it is built from changed -- the app's sources, rxconfig.py, reflex.lock, the Reflex
  version, the port -- recorded in a stamp next to the build; `reflex run` rebuilds on every start.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# URL prefix -> folder of the build's client output served by granian as files. Only content-hashed
# bundles: a page (HTML) needs the app's per-response CSP nonce.
STATIC_ROUTES: tuple[tuple[str, str], ...] = (("/assets", "assets"),)
ASSET_MAX_AGE = 365 * 24 * 3600
# Paths the app must keep answering: a static route may never shadow them.
APP_PATHS = ("/_event", "/_upload", "/api", "/ping", "/_health", "/_all_routes", "/auth-codespace")
APP_TARGET = "portal_app.portal_app:app"
STAMP = "portal-build.json"
# What the frontend build is made from (besides the Reflex version and the port). Not assets/external/:
# Reflex's compile links our components' .jsx files there (they count already, under portal_app/).
BUILD_INPUTS = ("rxconfig.py", "portal_app", "assets", "reflex.lock")
GENERATED = ("assets/external",)
# Settings Reflex reads from the environment that change what the build contains.
BUILD_ENV = ("REFLEX_SSR", "REFLEX_API_URL", "REFLEX_DEPLOY_URL", "REFLEX_FRONTEND_PATH", "REFLEX_BACKEND_PATH",
             "REFLEX_TRANSPORT", "VITE_MINIFY")


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def worker_count(workers_setting: int, redis_url: str, n_cores: int | None = None) -> int:
    """PORTAL_WORKERS when set (settings.py refuses more than one without Redis), else one per
    core with Redis, else one."""
    if workers_setting > 0:
        return workers_setting
    return max(1, n_cores or cores()) if redis_url else 1


def web_dir() -> Path:
    from reflex.utils import prerequisites

    return prerequisites.get_web_dir().resolve()


def client_dir() -> Path:
    return web_dir() / "build" / "client"


def static_mounts(client: Path) -> list[tuple[str, Path]]:
    return [(route, client / folder) for route, folder in STATIC_ROUTES]


def shadowed_app_paths(routes: list[str] | tuple[str, ...], page_routes: list[str] | tuple[str, ...] = ()) -> list[str]:
    """App paths (and page routes) a static route would answer instead of the app: granian looks
    at its static routes first, by prefix."""
    def under(path: str, route: str) -> bool:
        route = route.rstrip("/")
        return route == "" or path == route or path.startswith(route + "/") or route.startswith(path + "/")

    return sorted({p for p in (*APP_PATHS, *page_routes) for r in routes if under(p, r)})


# --- the frontend build ---------------------------------------------------------------------------

def build_digest(root: Path, port: int) -> str:
    """What the build depends on: the sources (names and contents), the Reflex version, the port
    (the page's websocket URL names it when served over plain http) and BUILD_ENV."""
    from importlib.metadata import version

    h = hashlib.sha256()
    h.update(json.dumps({"reflex": version("reflex"), "port": port,
                         **{name: os.environ.get(name, "") for name in BUILD_ENV}}).encode())
    for name in BUILD_INPUTS:
        top = root / name
        files = [top] if top.is_file() else sorted(p for p in top.rglob("*") if p.is_file()) if top.is_dir() else []
        for path in files:
            relative = path.relative_to(root)
            if "__pycache__" in path.parts or path.suffix in (".pyc", ".pyo") \
                    or any(relative.as_posix().startswith(g + "/") for g in GENERATED):
                continue
            h.update(str(relative).encode() + b"\0")
            h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def build_is_current(root: Path, port: int) -> bool:
    stamp = web_dir() / "build" / STAMP
    try:
        recorded = json.loads(stamp.read_text()).get("digest")
    except (OSError, ValueError):
        return False
    return recorded == build_digest(root, port) and (client_dir() / "assets").is_dir()


def build_env(port: int) -> dict[str, str]:
    """The environment the build and the server run in: the port both ends agree on (as
    `reflex run --single-port --frontend-port` sets it), and bun from .tools/ when it is there
    (`make install` puts it there; Reflex cannot download it on every machine)."""
    env = dict(os.environ)
    env["REFLEX_FRONTEND_PORT"] = env["REFLEX_BACKEND_PORT"] = str(port)
    env.setdefault("REFLEX_TELEMETRY_ENABLED", "false")
    env.setdefault("REFLEX_CHECK_LATEST_VERSION", "false")
    tools = ROOT / ".tools" / "node_modules" / ".bin"
    if (tools / "bun").exists():
        env["PATH"] = f"{tools}{os.pathsep}{env.get('PATH', '')}"
        env.setdefault("REFLEX_USE_SYSTEM_BUN", "1")
    return env


def build_frontend(root: Path, port: int) -> None:
    """`reflex export` (compile, then bun's production build into .web/build/client), then the stamp."""
    digest = build_digest(root, port)
    done = subprocess.run([sys.executable, "-m", "reflex", "export", "--frontend-only", "--no-zip", "--env", "prod"],
                          cwd=root, env=build_env(port))
    if done.returncode:
        raise SystemExit(f"Client Portal will not start: the frontend build failed (exit {done.returncode}, see above).")
    if not (client_dir() / "assets").is_dir():
        raise RuntimeError(f"the frontend build left no {client_dir() / 'assets'}")
    (web_dir() / "build" / STAMP).write_text(json.dumps({"digest": digest, "port": port}) + "\n")


# --- serving ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Plan:
    """What `serve` starts; tests check it without starting anything."""
    host: str
    port: int
    workers: int
    static: tuple[tuple[str, Path], ...]
    redis_url: str


def plan(host: str | None = None, port: int | None = None) -> Plan:
    from reflex_base.config import get_config

    from portal_app.settings import get_settings

    s = get_settings()
    return Plan(host=host or get_config().backend_host, port=port or s.port,
                workers=worker_count(s.workers, s.redis_url), static=tuple(static_mounts(client_dir())),
                redis_url=s.redis_url)


def _check_redis() -> None:
    """Fail at the start, not on the first tab, when Redis does not answer (as Reflex does)."""
    from redis.exceptions import RedisError
    from reflex.utils import prerequisites

    client = prerequisites.get_redis_sync()
    if client is None:
        return
    try:
        client.ping()
    except RedisError as exc:
        raise SystemExit(f"Client Portal will not start: Redis at REFLEX_REDIS_URL does not answer ({exc})") from None
    finally:
        client.close()


def serve(host: str | None = None, port: int | None = None, build: str = "auto") -> None:
    """Build if needed (`build`: auto, always, never), then run granian until stopped."""
    from portal_app.settings import get_settings

    if not (Path.cwd() / "rxconfig.py").exists():
        raise SystemExit("Run `serve` from the project folder (where rxconfig.py is).")
    # The port first, into the environment, before Reflex's config is read (as `reflex run` does).
    os.environ.update({k: v for k, v in build_env(port or get_settings().port).items()
                       if k.startswith("REFLEX_") or k == "PATH"})
    p = plan(host, port)
    if build == "always" or (build == "auto" and not build_is_current(Path.cwd(), p.port)):
        print("Building the frontend (it changed since the last build, or there is none) …", flush=True)
        build_frontend(Path.cwd(), p.port)
    missing = [str(path) for _, path in p.static if not path.is_dir()]
    if missing:
        raise SystemExit(f"No frontend build at {', '.join(missing)}: run `serve` with --build auto or always.")
    if p.redis_url:
        _check_redis()
    os.environ.update(state_env(p.redis_url, os.environ))
    _run_granian(p)


# How long a worker keeps a tab's tree under its lease before writing it back to Redis, and how long
# Redis keeps a lock nobody releases (a worker that died holding it). Reflex's defaults (10 s, half of
# it held) end a lease in the middle of a person's visit of a few pages, so the next page reads and
# unpickles the tree again: at 500 simulated users, 20 s held cut the app's CPU per visit by 10 %
# (docs/performance.md). The price: a worker that dies holding a lease keeps its tabs' lock 30 s.
OPLOCK_HOLD = "20s"
LOCK_EXPIRATION_MS = "30000"


def state_env(redis_url: str, environ) -> dict[str, str]:
    """With Redis: Reflex's opportunistic lock (REFLEX_OPLOCK_ENABLED), unless set otherwise. A
    worker then keeps a tab's state in memory while no other worker asks for its lock -- a tab's
    socket stays on one worker -- instead of locking, reading and writing it in Redis on every
    event: at 200 simulated users on 2 cores, p95 112 ms against 244 ms, 81 % of the cores
    against 109 % (docs/performance.md). The lease is held OPLOCK_HOLD (another worker asking
    for the lock ends it at once); a setting already in the environment stands."""
    if not redis_url or environ.get("REFLEX_OPLOCK_ENABLED", "true").lower() not in ("true", "1", "yes"):
        return {}
    wanted = {"REFLEX_OPLOCK_ENABLED": "true"}
    if not {"REFLEX_OPLOCK_HOLD_TIME", "REFLEX_OPLOCK_HOLD_TIME_MS", "REFLEX_REDIS_LOCK_EXPIRATION"} & set(environ):
        # both or neither: the hold must stay below the lock's expiration, or Reflex will not start
        wanted.update(REFLEX_OPLOCK_HOLD_TIME=OPLOCK_HOLD, REFLEX_REDIS_LOCK_EXPIRATION=LOCK_EXPIRATION_MS)
    return {k: v for k, v in wanted.items() if k not in environ}


def _run_granian(p: Plan) -> None:
    """reflex.utils.exec.run_granian_backend_prod (Reflex 0.10.1), plus the static mounts."""
    import multiprocessing

    from granian.constants import Interfaces
    from granian.log import LogLevels
    from granian.server import Server as Granian
    from reflex.utils import exec as rx_exec
    from reflex_base import constants
    from reflex_base.config import get_config
    from reflex_base.environment import environment

    environment.REFLEX_ENV_MODE.set(constants.Env.PROD)
    environment.REFLEX_SKIP_COMPILE.set(True)  # the build above compiled it; workers only import
    environment.REFLEX_MOUNT_FRONTEND_COMPILED_APP.set(True)  # pages (and the rest of the build) from the app
    # As Reflex does: import the app in this process and fork the workers from it, so they share its pages.
    if (start_method := rx_exec._backend_start_method()) is not None:
        multiprocessing.set_start_method(start_method, force=True)
        if start_method == "fork" and not rx_exec._preload_for_fork(None):
            multiprocessing.set_start_method("spawn", force=True)
    print(f"Serving on http://{p.host}:{p.port} with {p.workers} worker{'s' if p.workers > 1 else ''} "
          f"({'Redis' if p.redis_url else 'in-process'} state); "
          + ", ".join(f"{route}/ from {path}" for route, path in p.static) + " served by granian", flush=True)
    Granian(
        target=APP_TARGET,
        factory=True,
        address=p.host,
        port=p.port,
        interface=Interfaces.ASGI,
        workers=p.workers,
        log_level=LogLevels(os.getenv("GRANIAN_LOG_LEVEL", get_config().loglevel.subprocess_level().value)),
        log_dictconfig=rx_exec._granian_log_dictconfig(),
        static_path_route=[route for route, _ in p.static],
        static_path_mount=[path for _, path in p.static],
        static_path_expires=ASSET_MAX_AGE,
    ).serve()

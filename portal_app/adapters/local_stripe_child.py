"""`python -m portal_app.adapters.local_stripe_child`: localstripe (the Stripe API stand-in) for
the demo's test payments, run unchanged behind three small differences from its own `start()`:

- it listens on 127.0.0.1 only, on a port the system picks, and prints `PORT <n>` on its first
  line for the parent (localstripe's own start listens on every interface, on a fixed port);
- it keeps its state in memory only (localstripe also pickles it to the fixed path
  /tmp/localstripe.pickle on every write, shared by every copy on the machine);
- it exits when the process that started it is gone, so a killed app leaves no orphan.
"""

from __future__ import annotations

import os
import socket
import threading
import time


def _exit_with_parent(parent: int) -> None:
    while True:
        if os.getppid() != parent:
            os._exit(0)
        time.sleep(1.0)


def main() -> None:
    parent = os.getppid()
    threading.Thread(target=_exit_with_parent, args=(parent,), name="parent-watch", daemon=True).start()
    from aiohttp import web
    from localstripe import resources, server  # type: ignore[import-untyped]

    resources.store.dump_to_disk = lambda *args, **kwargs: None  # memory only
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    web.run_app(server.app, sock=sock, print=None, access_log=None)


if __name__ == "__main__":
    main()

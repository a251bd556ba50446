"""How the production build splits the browser's JavaScript (a Reflex plugin, listed in rxconfig).

Vite's default gives every npm module its own small chunk: the client home asked for 51 JavaScript
files, and a browser spent ~200 ms fetching and evaluating them one by one even from its cache.
One `vendor` chunk for everything under node_modules (React, Radix, the Reflex runtime, icons)
brings that to a handful of files; the app's own route modules stay split per page. Measured with
bench/page_load.py (docs/performance.md, "One chunk for the libraries").

Reflex 0.10 has no setting for Vite's chunking, so the plugin edits the vite.config.js it
generates, at the one place Reflex itself declares a chunk group; `tests/unit/test_bundles.py`
fails when an upgrade moves that place, so the split is never lost silently.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

# The group Reflex declares for its env.json, as its template renders it (reflex_base/compiler/templates.py).
REFLEX_GROUP = 'name: "reflex-env",\n            },'
VENDOR_GROUP = """
            {
              test: /node_modules/,
              name: "vendor",
            },"""
VITE_CONFIG = "vite.config.js"


class BuildChunks(Exception):
    """Reflex's vite.config.js no longer has the chunk group the vendor group is added after."""


def with_vendor_chunk(config_js: str) -> str:
    """`config_js` with the vendor group after Reflex's own (unchanged if it is there already)."""
    if VENDOR_GROUP in config_js:
        return config_js
    if config_js.count(REFLEX_GROUP) != 1:
        raise BuildChunks("Reflex's vite.config.js changed: portal_app/bundles.py cannot add the vendor chunk "
                          "group; update REFLEX_GROUP for this Reflex version")
    return config_js.replace(REFLEX_GROUP, REFLEX_GROUP + VENDOR_GROUP)


class VendorChunk(rx.plugins.Plugin):
    """Adds the vendor chunk group to the generated vite.config.js before each compile."""

    def pre_compile(self, **context: Any) -> None:
        context["add_modify_task"](VITE_CONFIG, with_vendor_chunk)

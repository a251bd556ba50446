"""The production build's vendor chunk (portal_app/bundles.py): added to the vite.config.js this
Reflex version generates, once, and loudly refused when an upgrade changes the template."""

from __future__ import annotations

import pytest
from reflex.config import get_config
from reflex.utils.frontend_skeleton import _compile_vite_config

from portal_app.bundles import VENDOR_GROUP, BuildChunks, VendorChunk, with_vendor_chunk


def test_the_vendor_group_follows_reflexs_own_in_the_generated_config():
    generated = _compile_vite_config(get_config())
    assert VENDOR_GROUP not in generated
    changed = with_vendor_chunk(generated)
    assert changed.count(VENDOR_GROUP) == 1
    assert changed.index('name: "reflex-env"') < changed.index('name: "vendor"')
    assert with_vendor_chunk(changed) == changed  # a second compile adds nothing


def test_a_template_without_reflexs_group_is_refused_by_name():
    with pytest.raises(BuildChunks, match="bundles.py"):
        with_vendor_chunk("export default defineConfig({ build: {} });")


def test_the_app_config_lists_the_plugin_and_it_asks_to_edit_the_vite_config():
    assert any(isinstance(p, VendorChunk) for p in get_config().plugins)
    tasks: list = []
    VendorChunk().pre_compile(add_modify_task=lambda path, fn: tasks.append((path, fn)))
    assert tasks == [("vite.config.js", with_vendor_chunk)]

"""The file preview dialog (client and staff Files pages) keeps Escape working after a click into
the PDF: the browser's PDF viewer frame keeps every key it gets, so when the frame takes focus
the page hands it back to the dialog's Close button (components/files_ui._FocusKeeper's hook,
compiled into the page: no eval). The browser proof is tests/e2e/test_rough_edges_journey.py."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("state_path", ["portal_app.state.portal.files:ClientFilesState",
                                        "portal_app.state.staff.files:StaffFilesState"])
def test_the_pdf_frame_hands_focus_back_to_close(state_path):
    import importlib

    import portal_app.portal_app  # noqa: F401  (registers every state)
    from portal_app.components.files_ui import preview_dialog

    module, name = state_path.split(":")
    rendered = str(preview_dialog(getattr(importlib.import_module(module), name)))
    dialog = preview_dialog(getattr(importlib.import_module(module), name))
    hooks = "\n".join(dialog._get_all_hooks())
    assert 'addEventListener("blur"' in hooks and "data-preview-close" in hooks
    assert "data-preview-frame" in rendered and "data-preview-close" in rendered
    assert "eval(" not in rendered + hooks

"""The Python side of the signing components (components/signature_pad.py, field_editor.py):
the wrappers create, render the props and events React sees, and point at their .jsx files.
Their behaviour in a browser is tests/e2e/test_sign_components.py."""

from __future__ import annotations

from pathlib import Path

import reflex as rx

from portal_app.components.field_editor import FieldEditor
from portal_app.components.signature_pad import SignaturePad

COMPONENTS = Path(__file__).resolve().parents[2] / "portal_app" / "components"


# No State class here: the authorization matrix walks every State subclass in the session.
def _log(value):
    return rx.console_log(value)


def _props(component) -> dict[str, str]:
    rendered = component.render()
    return dict(p.split(":", 1) for p in rendered["props"])


def test_signature_pad_renders_its_props_and_event():
    assert _props(SignaturePad.create()) == {}  # every prop has a default in the .jsx
    pad = SignaturePad.create(aria_label="Your signature", hint="Sign here", pen_color="#000000", disabled=True,
                              on_change=_log)
    props = _props(pad)
    assert pad.render()["name"] == "SignaturePad"
    assert {"ariaLabel", "hint", "penColor", "disabled", "onChange"} == set(props)
    assert props["ariaLabel"] == '"Your signature"' and props["disabled"] == "true"
    assert "_ev_0" in props["onChange"]  # the data URL React passes reaches the handler


def test_field_editor_renders_its_props_and_events():
    assert set(_props(FieldEditor.create(pages=[], fields=[], signers=[]))) == {"pages", "fields", "signers"}
    editor = FieldEditor.create(
        pages=[{"url": "/p1.png", "width": 612.0, "height": 792.0}], fields=[], signers=[],
        selected="", read_only=True, values={"f1": "2024-05-01"}, on_change=_log,
        on_select=_log, on_page_click=_log, on_delete=_log)
    props = _props(editor)
    assert editor.render()["name"] == "FieldEditor"
    assert set(props) == {"pages", "fields", "signers", "selected", "readOnly", "values", "onChange", "onSelect",
                          "onPageClick", "onDelete"}
    assert all("_ev_0" in props[e] for e in ("onChange", "onSelect", "onPageClick", "onDelete"))


def test_wrappers_import_their_own_jsx_component():
    for cls, name in ((SignaturePad, "signature_pad"), (FieldEditor, "field_editor")):
        imports = cls.create()._get_imports() if cls is SignaturePad else \
            cls.create(pages=[], fields=[], signers=[])._get_imports()
        (path,) = [p for p in imports if p.endswith(f"{name}.jsx")]
        assert [v.tag for v in imports[path]] == [cls.tag]
        assert f"export function {cls.tag}(" in (COMPONENTS / f"{name}.jsx").read_text()

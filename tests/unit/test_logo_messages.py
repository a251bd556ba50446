"""What Configure Portal says about a logo it refuses. On main a 4.2 MB PNG said "The logo is too
large (1024 KB). The limit is 1024 KB" (the handler reads only limit + 1 bytes and reported
those), and an .svg, refused by the file chooser, said "Choose an image file first"."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import reflex as rx

from portal_app.services.portal import brand_images as images
from portal_app.services.portal import portal_settings as ps
from portal_app.settings import reset_settings_cache
from portal_app.state.staff.configure_portal import PortalConfigState
from tests.support.states import call, run_handler

BIG = 4_404_019  # 4.2 MB


@pytest.fixture(autouse=True)
def _default_limit(monkeypatch):
    monkeypatch.delenv("PORTAL_LOGO_MAX_BYTES", raising=False)
    reset_settings_cache()
    yield
    reset_settings_cache()


def test_a_too_large_logo_is_told_its_own_size(world, db, actors):
    data = b"\x89PNG\r\n\x1a\n" + b"\x00" * (BIG - 8)
    upload = rx.UploadFile(file=io.BytesIO(data), path=Path("big.png"), size=len(data))
    state, _ = run_handler(PortalConfigState, "upload_logo", ([upload],), *actors["staff_a"], "/staff/sites/portal")
    assert state.logo_error == "The logo is too large (4.2 MB). The limit is 1 MB."


def test_without_a_size_the_message_does_not_invent_one():
    with pytest.raises(ps.Invalid) as err:
        images.check_logo(b"\x89PNG\r\n\x1a\n" + b"\x00" * (1024 * 1024 + 1), "big.png")
    assert err.value.message == "The logo is too large: the limit is 1 MB."


@pytest.mark.parametrize(("name", "size", "codes", "said"), [
    ("logo.svg", 2_000, ["file-invalid-type"], "SVG logos are not accepted because they can carry scripts. "
                                               "Please upload a PNG or JPEG."),
    ("logo.gif", 2_000, ["file-invalid-type"], "This file is not a PNG or JPEG image. Please upload a PNG or JPEG."),
    ("big.png", BIG, ["file-too-large"], "The logo is too large (4.2 MB). The limit is 1 MB."),
    ("a.png", 10, ["too-many-files"], "Choose one image: the logo is a single PNG or JPEG."),
    ("a.png", 10, ["something-else"], "This file cannot be used as a logo. Please upload a PNG or JPEG."),
])
def test_what_the_file_chooser_refused_is_explained(name, size, codes, said):
    assert images.refused_logo(name, size, codes) == said


def test_the_page_says_why_the_chooser_refused_an_svg_and_bad_input_is_cut(world, db, actors):
    state, _ = run_handler(PortalConfigState, "load", (), *actors["staff_a"], "/staff/sites/portal")
    call(state, "logo_refused", ["logo.svg"], [1234], ["file-invalid-type"])
    assert state.logo_error.startswith("SVG logos are not accepted")
    call(state, "logo_refused", ["x" * 10_000], ["not a number"], [{"evil": True}])  # bad input
    assert state.logo_error == "This file cannot be used as a logo. Please upload a PNG or JPEG."
    call(state, "logo_refused", "not a list", None, 3)
    assert state.logo_error == "This file cannot be used as a logo. Please upload a PNG or JPEG."


def test_the_empty_drop_beside_a_refusal_does_not_hide_why(world, db, actors):
    """react-dropzone sends on_drop (no files) as well as on_drop_rejected, in either order: the
    empty drop must not replace the reason with "Choose an image file first" (it did on main)."""
    state, _ = run_handler(PortalConfigState, "load", (), *actors["staff_a"], "/staff/sites/portal")
    call(state, "logo_refused", ["logo.svg"], [1234], ["file-invalid-type"])
    call(state, "upload_logo", [])
    assert state.logo_error.startswith("SVG logos are not accepted")


def test_the_favicon_chooser_s_refusal_is_said_under_the_favicon_chooser(world, db, actors):
    """The favicon's chooser refused a file silently (it had no on_drop_rejected): its reason now
    shows under it, and the logo's message is left alone."""
    state, _ = run_handler(PortalConfigState, "load", (), *actors["staff_a"], "/staff/sites/portal")
    call(state, "logo_refused", ["icon.svg"], [1234], ["file-invalid-type"], "favicon")
    assert state.favicon_error.startswith("SVG logos are not accepted") and state.logo_error == ""
    call(state, "upload_favicon", [])  # the empty drop beside it
    assert state.favicon_error.startswith("SVG logos are not accepted")

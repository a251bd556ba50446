"""The signing components (signature pad, field editor) in Chromium, without a Reflex build:
tests/e2e/component_harness/entry.jsx renders both with React 19, bundled here with bun and
served from a local http.server; the harness records every event in window.__events.
Real input throughout: Playwright's mouse, and the DevTools protocol for touch and pen."""

from __future__ import annotations

import base64
import functools
import http.server
import io
import re
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

import pytest
from PIL import Image

from tests.support.browser import ARTIFACTS, CHROMIUM, ROOT
from tests.support.services import REQUIRE_SERVICES

HARNESS = ROOT / "tests" / "e2e" / "component_harness"
TOOLS = ROOT / ".tools" / "node_modules"
SHOTS = ARTIFACTS / "components"


def _missing(what: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(what)
    pytest.skip(what + " (under CI, or with PORTAL_REQUIRE_SERVICES=1, this fails instead of skipping)")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def harness():
    """Bundle the harness and serve it; yields its URL."""
    if not Path(CHROMIUM).exists():
        _missing("Chromium is not installed at /usr/bin/chromium (make install-dev installs it)")
    bun = TOOLS / ".bin" / "bun"
    if not bun.exists() or not (TOOLS / "react-dom").is_dir():
        _missing("bun and React are missing from .tools/node_modules: run `make install`")
    tmp = Path(tempfile.mkdtemp(prefix="portal-sign-harness-"))
    # A copy of the sources beside a node_modules link, so that bun resolves "react" from
    # the components' folder as well as the harness's (neither has node_modules of its own).
    (tmp / "portal_app" / "components").mkdir(parents=True)
    for jsx in (ROOT / "portal_app" / "components").glob("*.jsx"):
        shutil.copy2(jsx, tmp / "portal_app" / "components" / jsx.name)
    shutil.copytree(HARNESS, tmp / "tests" / "e2e" / "component_harness")
    (tmp / "node_modules").symlink_to(TOOLS, target_is_directory=True)
    out = tmp / "site"
    built = subprocess.run([str(bun), "build", "tests/e2e/component_harness/entry.jsx", "--outdir", str(out),
                            "--target", "browser"], cwd=tmp, capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stdout + built.stderr
    for name in ("index.html", "harness.css"):
        shutil.copy2(HARNESS / name, out / name)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(out)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
    finally:
        server.shutdown()
        server.server_close()
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def open_harness(harness, browser):
    """Open the harness in a fresh context; fails the test on any console error or React warning."""
    contexts, problems = [], []

    def _open(**context_args):
        context_args.setdefault("viewport", {"width": 1280, "height": 900})
        context = browser.new_context(**context_args)
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto(harness)
        page.get_by_role("img", name="Signature drawing area").wait_for()
        return page

    yield _open
    for context in contexts:
        context.close()
    assert not problems, problems


def events(page, kind: str) -> list:
    return [e["value"] for e in page.evaluate("window.__events") if e["type"] == kind]


def next_event(page, kind: str, action) -> str:
    """Do `action`, wait until the page reported one more `kind` event, return its value (a
    click resolves when it is dispatched; the pad reports after it has drawn)."""
    count = len(events(page, kind))
    action()
    page.wait_for_function("([kind, n]) => window.__events.filter(e => e.type === kind).length > n",
                           arg=[kind, count])
    return events(page, kind)[-1]


def frames_later(page) -> None:
    """Return once two more animation frames have begun: a redraw the pad scheduled for the
    next frame has run by then."""
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def decode(url: str) -> Image.Image:
    assert url.startswith("data:image/png;base64,"), url[:40]
    return Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("RGBA")


def dark_ink(img: Image.Image) -> int:
    return sum(1 for r, g, b, a in img.getdata() if a > 200 and max(r, g, b) < 80)


def pad_box(page) -> dict:
    return page.get_by_role("img", name="Signature drawing area").bounding_box()


def mouse_stroke(page, points) -> None:
    page.mouse.move(*points[0])
    page.mouse.down()
    for p in points[1:]:
        page.mouse.move(*p, steps=4)
    page.mouse.up()


def zigzag(box, n=8, left=0.15, right=0.8):
    """Points across the pad, in page pixels."""
    return [(box["x"] + box["width"] * (left + (right - left) * i / (n - 1)),
             box["y"] + box["height"] * (0.35 if i % 2 else 0.65)) for i in range(n)]


def canvas_ink(page) -> int:
    """Painted pixels on the pad's canvas (its backing store, read as a PNG: getImageData
    would make Chromium warn about readbacks)."""
    img = decode(page.evaluate("document.querySelector('canvas').toDataURL('image/png')"))
    return sum(1 for px in img.getdata() if px[3] > 128)


# ---------------------------------------------------------------- signature pad

def test_mouse_stroke_gives_cropped_png_with_dark_ink(open_harness):
    page = open_harness()
    canvas = page.get_by_role("img", name="Signature drawing area")
    assert canvas.evaluate("c => getComputedStyle(c).touchAction") == "none"
    mouse_stroke(page, zigzag(pad_box(page)))
    url = events(page, "pad-change")[-1]
    img = decode(url)
    assert img.width <= 1200 and img.height <= 400
    assert dark_ink(img) > 200
    assert img.getpixel((0, 0))[3] == 0, "the background must be transparent"
    # cropped: the zigzag spans 65% of the pad's width and ~30% of its height (plus margins)
    assert 0.6 * 1200 < img.width < 0.8 * 1200 and img.height < 0.5 * 400
    page.get_by_role("img", name="Your drawn signature").wait_for()


def test_touch_and_pen_strokes_draw(open_harness):
    page = open_harness(has_touch=True)
    cdp = page.context.new_cdp_session(page)
    pts = zigzag(pad_box(page), left=0.2, right=0.5)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": pts[0][0], "y": pts[0][1]}]})
    for x, y in pts[1:]:
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    page.wait_for_function("window.__events.some(e => e.type === 'pad-change')")
    touch = decode(events(page, "pad-change")[-1])
    assert dark_ink(touch) > 100

    pen = zigzag(pad_box(page), left=0.55, right=0.9)
    base = {"pointerType": "pen", "button": "left", "force": 0.5}
    cdp.send("Input.dispatchMouseEvent", {**base, "type": "mousePressed", "x": pen[0][0], "y": pen[0][1],
                                          "buttons": 1, "clickCount": 1})
    for x, y in pen[1:]:
        cdp.send("Input.dispatchMouseEvent", {**base, "type": "mouseMoved", "x": x, "y": y, "buttons": 1})
    cdp.send("Input.dispatchMouseEvent", {**base, "type": "mouseReleased", "x": pen[-1][0], "y": pen[-1][1],
                                          "buttons": 0, "clickCount": 1})
    page.wait_for_function("window.__events.filter(e => e.type === 'pad-change').length >= 2")
    both = decode(events(page, "pad-change")[-1])
    assert both.width > touch.width * 1.5, "the pen stroke, to the right of the touch one, widens the crop"


def test_undo_and_clear(open_harness):
    page = open_harness()
    undo, clear = page.get_by_role("button", name="Undo"), page.get_by_role("button", name="Clear")
    assert undo.is_disabled() and clear.is_disabled()
    box = pad_box(page)
    next_event(page, "pad-change", lambda: mouse_stroke(page, zigzag(box, left=0.1, right=0.4)))
    two = decode(next_event(page, "pad-change", lambda: mouse_stroke(page, zigzag(box, left=0.5, right=0.9))))
    one = decode(next_event(page, "pad-change", undo.click))
    assert one.width < two.width * 0.7
    assert next_event(page, "pad-change", undo.click) == ""
    assert undo.is_disabled()
    assert next_event(page, "pad-change", lambda: mouse_stroke(page, zigzag(box))) != ""
    assert next_event(page, "pad-change", clear.click) == ""
    frames_later(page)  # the pad redraws in the next animation frame
    assert canvas_ink(page) == 0
    page.get_by_text("No signature yet").wait_for()


def test_a_tap_is_no_signature(open_harness):
    page = open_harness()
    box = pad_box(page)
    page.mouse.click(box["x"] + 100, box["y"] + 60)
    assert events(page, "pad-change") == [""]
    mouse_stroke(page, [(box["x"] + 100, box["y"] + 60), (box["x"] + 102, box["y"] + 61),
                        (box["x"] + 103, box["y"] + 60)])  # a speck, however many points
    assert events(page, "pad-change")[-1] == ""


def test_canvas_is_crisp_at_device_pixel_ratio_2_and_survives_resize(open_harness):
    page = open_harness(device_scale_factor=2, viewport={"width": 1280, "height": 900})
    size = page.evaluate("() => { const c = document.querySelector('canvas'); const r = c.getBoundingClientRect();"
                         " return [c.width, c.height, r.width, r.height]; }")
    assert size[0] == round(size[2] * 2) and size[1] == round(size[3] * 2)
    assert abs(size[2] / size[3] - 3) < 0.02
    mouse_stroke(page, zigzag(pad_box(page)))
    before = canvas_ink(page)
    assert before > 0
    page.set_viewport_size({"width": 390, "height": 844})  # a phone, or a rotation
    page.wait_for_function("() => { const c = document.querySelector('canvas');"
                           " return Math.abs(c.width - 2 * c.getBoundingClientRect().width) < 1; }")
    frames_later(page)
    after = canvas_ink(page)
    width_ratio = page.evaluate("document.querySelector('canvas').width") / size[0]
    # the same strokes, redrawn smaller: ink area shrinks with the pad's width
    assert after > 0 and 0.3 * before * width_ratio < after < 1.5 * before * width_ratio


# ---------------------------------------------------------------- field editor

def editor(page):
    return page.get_by_test_id("editor-section")


def page_rect(page, index=0) -> dict:
    return editor(page).locator(f"[data-page='{index}']").bounding_box()


def field_box(page, name: str):
    return editor(page).get_by_role("button", name=re.compile(name))


def last_field(page, field_id: str) -> dict:
    return next(f for f in events(page, "fields-change")[-1] if f["id"] == field_id)


def drag(page, start, delta, steps=8) -> None:
    before = len(events(page, "fields-change"))
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(start[0] + delta[0], start[1] + delta[1], steps=steps)
    assert len(events(page, "fields-change")) == before, "no on_change while the pointer is still down"
    page.mouse.up()
    assert len(events(page, "fields-change")) == before + 1, "one on_change when the gesture ends"


def test_drag_moves_a_field_by_the_pointer_fraction(open_harness):
    page = open_harness()
    rect = page_rect(page)
    box = field_box(page, "^Signature · Ivy Payer, page 1 of 2").bounding_box()
    drag(page, (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2), (60, -40))
    moved = last_field(page, "sig1")
    assert moved["x"] == pytest.approx(0.1 + 60 / rect["width"], abs=0.002)
    assert moved["y"] == pytest.approx(0.8 - 40 / rect["height"], abs=0.002)
    assert (moved["w"], moved["h"], moved["page"]) == (0.3, 0.06, 0)
    assert all(len(str(v).split(".")[-1]) <= 4 for v in (moved["x"], moved["y"]))
    assert len(events(page, "fields-change")) == 1 and events(page, "fields-change")[-1][1]["id"] == "date1"
    assert events(page, "select") == ["sig1"]
    assert field_box(page, "^Signature · Ivy Payer").get_attribute("aria-pressed") == "true"


def test_resize_from_the_corner_with_a_minimum_size(open_harness):
    page = open_harness()
    rect = page_rect(page)
    handle = editor(page).locator("[data-field-id='sig1'] [data-handle]").bounding_box()
    centre = (handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2)
    drag(page, centre, (45, 30))
    grown = last_field(page, "sig1")
    assert grown["w"] == pytest.approx(0.3 + 45 / rect["width"], abs=0.002)
    assert grown["h"] == pytest.approx(0.06 + 30 / rect["height"], abs=0.002)
    assert (grown["x"], grown["y"]) == (0.1, 0.8)
    handle = editor(page).locator("[data-field-id='sig1'] [data-handle]").bounding_box()
    drag(page, (handle["x"] + 12, handle["y"] + 12), (-1000, -1000))
    shrunk = last_field(page, "sig1")
    assert (shrunk["w"], shrunk["h"], shrunk["x"], shrunk["y"]) == (0.02, 0.02, 0.1, 0.8)


def test_a_field_stays_inside_its_page(open_harness):
    page = open_harness()
    box = field_box(page, "^Date · Ivy Payer").bounding_box()
    drag(page, (box["x"] + 10, box["y"] + 10), (2000, 3000))
    date = last_field(page, "date1")
    assert (date["x"], date["y"], date["page"]) == (pytest.approx(0.8), pytest.approx(0.96), 0)
    handle = editor(page).locator("[data-field-id='name1'] [data-handle]").bounding_box()
    drag(page, (handle["x"] + 12, handle["y"] + 12), (3000, 0))
    name = last_field(page, "name1")
    assert name["x"] + name["w"] == pytest.approx(1.0)


def test_keyboard_select_move_resize_and_delete(open_harness):
    page = open_harness()
    sig = field_box(page, "^Signature · Ivy Payer, page 1 of 2, at 10% from left, 80% from top, required$")
    sig.focus()
    page.keyboard.press("Enter")
    assert events(page, "select") == ["sig1"]
    page.keyboard.press("ArrowRight")
    assert last_field(page, "sig1")["x"] == pytest.approx(0.11)
    page.keyboard.press("Shift+ArrowUp")
    assert last_field(page, "sig1")["y"] == pytest.approx(0.75)
    page.keyboard.press("Alt+ArrowRight")
    page.keyboard.press("Alt+ArrowDown")
    f = last_field(page, "sig1")
    assert (f["w"], f["h"], f["x"], f["y"]) == (pytest.approx(0.31), pytest.approx(0.07), pytest.approx(0.11),
                                                pytest.approx(0.75))
    page.keyboard.press("Alt+ArrowLeft")  # not the browser's Back: the box takes the key
    assert last_field(page, "sig1")["w"] == pytest.approx(0.30)
    assert page.url.endswith("index.html") and len(events(page, "fields-change")) == 5
    assert field_box(page, "at 11% from left, 75% from top").count() == 1  # the label follows the box
    page.keyboard.press(" ")
    page.keyboard.press("Delete")
    assert events(page, "delete") == ["sig1"]
    page.keyboard.press("Backspace")
    assert events(page, "delete") == ["sig1", "sig1"]


def test_click_on_an_empty_spot_reports_page_fractions(open_harness):
    page = open_harness()
    editor(page).locator("[data-page='1']").scroll_into_view_if_needed()
    rect = page_rect(page, 1)
    page.mouse.click(rect["x"] + rect["width"] * 0.5, rect["y"] + rect["height"] * 0.3)
    spot = events(page, "page-click")[-1]
    assert spot["page"] == 1
    assert spot["x"] == pytest.approx(0.5, abs=0.003) and spot["y"] == pytest.approx(0.3, abs=0.003)
    box = field_box(page, "^Signature · Sam Staff").bounding_box()
    page.mouse.click(box["x"] + 5, box["y"] + 5)  # a click on a box selects it, no page click
    assert len(events(page, "page-click")) == 1 and events(page, "select") == ["sig2"]


def test_read_only_has_no_handles_and_shows_values(open_harness):
    page = open_harness()
    ro = page.get_by_test_id("readonly-section")
    assert ro.locator("[data-field-id]").count() == 4
    assert ro.locator("[data-handle]").count() == 0
    assert ro.get_by_role("button").count() == 0
    assert ro.locator("[data-field-id='sig1']").evaluate("b => getComputedStyle(b).pointerEvents") == "none"
    assert ro.get_by_role("img", name="Signature of Ivy Payer").count() == 1
    assert ro.get_by_role("img", name="Checked").count() == 1
    assert ro.get_by_text("2024-05-01").count() == 1 and ro.get_by_text("Ivy Payer", exact=True).count() == 1
    assert ro.get_by_role("img", name="Page 1 of 1").count() == 1
    # the signature drawn on the pad fills the read-only document's signature field
    mouse_stroke(page, zigzag(pad_box(page)))
    src = ro.get_by_role("img", name="Signature of Ivy Payer").get_attribute("src")
    assert src.startswith("data:image/png;base64,")


def test_accessibility_and_screenshots(open_harness, axe):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = open_harness()
    assert page.get_by_text("Draw your signature with a mouse, finger or pen.").is_visible()
    assert editor(page).get_by_role("img", name="Page 2 of 2").count() == 1
    mouse_stroke(page, zigzag(pad_box(page)))
    field_box(page, "^Date · Ivy Payer").click()
    axe.scan(page, "components-1280")
    page.screenshot(path=str(SHOTS / "harness-1280.png"), full_page=True)
    phone = open_harness(viewport={"width": 390, "height": 844}, device_scale_factor=2, has_touch=True)
    axe.scan(phone, "components-390")
    phone.screenshot(path=str(SHOTS / "harness-390.png"), full_page=True)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390, "no sideways scrolling on a phone"
    assert not axe.serious(), axe.serious()

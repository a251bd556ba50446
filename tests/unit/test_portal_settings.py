"""services/portal/portal_settings.py (branding, sections, logo) and portal_home section access."""

from __future__ import annotations

import io
import json
import os

import pytest
from PIL import Image
from sqlmodel import select

from portal_app.access import Staff
from portal_app.errors import Forbidden, Invalid, NotFound, NotSignedIn
from portal_app.models import SECTIONS, AuditEvent, PortalSettings, StaffUser
from portal_app.services.portal import brand_images as images
from portal_app.services.portal import portal_home
from portal_app.services.portal import portal_settings as ps
from portal_app.services.security import hash_password
from portal_app.settings import reset_settings_cache

ALL_ON = dict.fromkeys(SECTIONS, True)


def _png(size=(120, 60), mode="RGBA") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (30, 90, 200, 255) if mode == "RGBA" else (30, 90, 200)).save(out, "PNG")
    return out.getvalue()


def _jpeg(size=(80, 80)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(out, "JPEG", quality=85)
    return out.getvalue()


def _update(db, actor, **over):
    args = dict(portal_title="Alpha portal", accent_color="#112233", brand_primary="#AABBCC",
                brand_secondary="", sections=ALL_ON, chat_widget=False)
    args.update(over)
    ps.update_portal_settings(db, actor, **args)


@pytest.fixture
def admin_a(db, world) -> Staff:
    # no service adds staff yet; an admin row is the smallest stand-in
    user = StaffUser(workspace_id=world.ws_a.id, email="admin@alpha.example", name="Ada Admin",
                     role="admin", password_hash=hash_password(world.password))
    db.add(user)
    db.flush()
    return Staff(world.ws_a.id, user.id, "admin", user.email, user.name)


def test_owner_and_admin_update_settings(db, world, admin_a):
    _update(db, world.staff_a, sections={**ALL_ON, "files": False}, chat_widget=True)
    row = db.get(PortalSettings, world.ws_a.id)
    assert (row.portal_title, row.accent_color, row.brand_primary, row.brand_secondary) == (
        "Alpha portal", "#112233", "#aabbcc", None)
    assert row.show_files is False and row.show_invoices is True and row.chat_widget is True
    branding = ps.branding_for(db, world.ws_a)
    assert branding.sections["files"] is False and branding.brand_primary == "#aabbcc"
    _update(db, admin_a, portal_title="By admin", sections={**ALL_ON, "files": False}, chat_widget=True)
    assert db.get(PortalSettings, world.ws_a.id).portal_title == "By admin"
    # workspace B is untouched
    assert db.get(PortalSettings, world.ws_b.id).portal_title == "Beta Books client portal"
    events = db.exec(select(AuditEvent).where(AuditEvent.action == "portal.settings_changed")
                     .order_by(AuditEvent.seq)).all()
    assert len(events) == 2 and json.loads(events[1].detail) == {"portal_title": ["Alpha portal", "By admin"]}


def test_sections_missing_or_unknown(db, world):
    _update(db, world.staff_a, sections={"invoices": True, "admin": True, "files": "yes"})
    row = db.get(PortalSettings, world.ws_a.id)
    assert {s: row.section_enabled(s) for s in SECTIONS} == {
        "invoices": True, "documents": False, "files": True, "appointments": False,
        "communications": False}
    assert row.section_enabled("admin") is False


@pytest.mark.parametrize("over,field", [
    ({"accent_color": "red"}, "accent_color"),
    ({"accent_color": ""}, "accent_color"),
    ({"accent_color": "#12345"}, "accent_color"),
    ({"accent_color": "#1234567"}, "accent_color"),
    ({"brand_primary": "#ggg000"}, "brand_primary"),
    ({"brand_secondary": "url(javascript:alert(1))"}, "brand_secondary"),
    ({"brand_secondary": "#fff;}"}, "brand_secondary"),
    ({"portal_title": ""}, "portal_title"),
    ({"portal_title": "t" * 121}, "portal_title"),
    ({"portal_title": "a\x1bb"}, "portal_title"),
])
def test_invalid_settings_are_refused(db, world, over, field):
    with pytest.raises(Invalid) as err:
        _update(db, world.staff_a, **over)
    assert err.value.field == field


@pytest.mark.parametrize("who,error", [("member_a", Forbidden), ("client_a1", Forbidden),
                                       ("client_b1", Forbidden), ("anon", NotSignedIn)])
def test_only_owners_and_admins_configure(db, world, who, error):
    actor = getattr(world, who)
    with pytest.raises(error):
        _update(db, actor, portal_title="Hijacked")
    with pytest.raises(error):
        images.set_logo(db, actor, _png(), "logo.png")
    with pytest.raises(error):
        images.remove_logo(db, actor)
    db.expire_all()
    assert db.get(PortalSettings, world.ws_a.id).portal_title == "Alpha Studio client portal"
    assert db.get(PortalSettings, world.ws_a.id).logo_key is None


def test_other_workspace_owner_changes_only_its_own(db, world):
    _update(db, world.staff_b, portal_title="Beta portal")
    assert db.get(PortalSettings, world.ws_a.id).portal_title == "Alpha Studio client portal"
    assert db.get(PortalSettings, world.ws_b.id).portal_title == "Beta portal"


# --- logo ----------------------------------------------------------------------------------

@pytest.mark.parametrize("make,name,ctype,magic", [
    (lambda: _png(), "logo.png", "image/png", b"\x89PNG"),
    (lambda: _png(mode="RGB"), "LOGO.PNG", "image/png", b"\x89PNG"),
    (lambda: _jpeg(), "logo.jpg", "image/jpeg", b"\xff\xd8\xff"),
])
def test_check_logo_accepts_png_and_jpeg(make, name, ctype, magic):
    data, content_type = images.check_logo(make(), name)
    assert content_type == ctype and data.startswith(magic)
    assert Image.open(io.BytesIO(data)).size in {(120, 60), (80, 80)}


def test_check_logo_reencodes_and_shrinks():
    png = _png((2048, 512)) + b"<script>trailing</script>"
    data, _ = images.check_logo(png, "big.png")
    assert b"<script>" not in data
    assert Image.open(io.BytesIO(data)).size == (1024, 256)


def test_oversized_logo_is_refused(monkeypatch):
    data = _png()
    monkeypatch.setenv("PORTAL_LOGO_MAX_BYTES", str(len(data) - 1))
    reset_settings_cache()
    with pytest.raises(Invalid, match="too large") as err:
        images.check_logo(data, "logo.png")
    assert err.value.field == "logo"
    monkeypatch.setenv("PORTAL_LOGO_MAX_BYTES", str(len(data)))
    reset_settings_cache()
    assert images.check_logo(data, "logo.png")


def _truncated_png() -> bytes:
    data = _png((300, 300))
    return data[: len(data) // 2]


def _bad_crc_png() -> bytes:
    data = bytearray(_png((64, 64)))
    i = data.index(b"IDAT") + 6
    data[i] ^= 0xFF  # damage the compressed data, leaving the chunk's CRC wrong
    return bytes(data)


@pytest.mark.parametrize("data,name,match", [
    (b"", "logo.png", "empty"),
    (b"just some text, not an image", "logo.png", "not a PNG or JPEG"),
    (os.urandom(2048), "logo.jpg", "not a PNG or JPEG"),
    (b"GIF89a" + b"\x00" * 40, "logo.gif", "not a PNG or JPEG"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "logo.svg", "SVG"),
    (b'<?xml version="1.0"?><svg/>', "logo.png", "SVG"),
    (b"\n  <svg onload=alert(1)/>", "innocent.png", "SVG"),
    (b"<!doctype html><html><script>alert(1)</script></html>", "page.png", "not a PNG or JPEG"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 30, "logo.png", "damaged"),
    (_truncated_png(), "logo.png", "damaged"),
    (_bad_crc_png(), "logo.png", "damaged"),
    (_jpeg()[:150], "logo.jpg", "damaged"),
])
def test_check_logo_refuses_bad_files(data, name, match):
    with pytest.raises(Invalid, match=match) as err:
        images.check_logo(data, name)
    assert err.value.field == "logo"


def test_check_logo_refuses_too_many_pixels():
    out = io.BytesIO()
    Image.new("1", (6000, 5000)).save(out, "PNG")  # 30 megapixels, a few KB
    with pytest.raises(Invalid, match="megapixels"):
        images.check_logo(out.getvalue(), "bomb.png")


def test_set_logo_stores_through_the_storage_adapter(db, world, tmp_path):
    images.set_logo(db, world.staff_a, _png(), "logo.png")
    row = db.get(PortalSettings, world.ws_a.id)
    assert row.logo_key.startswith(f"{world.ws_a.public_id}/branding/logo-")
    assert (row.logo_content_type, row.logo_version) == ("image/png", 1)
    stored = tmp_path / "files" / row.logo_key
    assert stored.is_file()
    data, ctype = images.logo_bytes(db, world.ws_a.public_id)
    assert ctype == "image/png" and data == stored.read_bytes()
    assert ps.branding_for(db, world.ws_a).logo_url == f"/api/logo/{world.ws_a.public_id}?v=1"

    first_key = row.logo_key
    images.set_logo(db, world.staff_a, _jpeg(), "new.jpg")
    assert row.logo_version == 2 and row.logo_content_type == "image/jpeg"
    # the replaced logo stays until the change commits; then the worker deletes it
    assert (tmp_path / "files" / first_key).exists()
    db.commit()
    from portal_app.worker import run_once

    run_once()
    assert not (tmp_path / "files" / first_key).exists()
    assert images.logo_bytes(db, world.ws_a.public_id)[1] == "image/jpeg"
    with pytest.raises(NotFound):
        images.logo_bytes(db, world.ws_b.public_id)  # B has no logo; A's is not B's

    images.remove_logo(db, world.staff_a)
    assert row.logo_key is None and row.logo_version == 3
    db.commit()
    run_once()
    assert not list((tmp_path / "files").rglob("logo-*"))
    with pytest.raises(NotFound):
        images.logo_bytes(db, world.ws_a.public_id)
    with pytest.raises(NotFound):
        images.logo_bytes(db, "ws_nope")


def test_refused_logo_changes_nothing(db, world, tmp_path):
    with pytest.raises(Invalid):
        images.set_logo(db, world.staff_a, b"<svg/>", "logo.svg")
    assert db.get(PortalSettings, world.ws_a.id).logo_key is None
    assert not (tmp_path / "files").exists() or not list((tmp_path / "files").rglob("*"))


# --- sections in the client portal ---------------------------------------------------------

def test_open_section_follows_settings(db, world):
    assert portal_home.open_section(db, world.client_a1, "files").label == "Files"
    _update(db, world.staff_a, sections={**ALL_ON, "files": False})
    with pytest.raises(NotFound):
        portal_home.open_section(db, world.client_a1, "files")
    with pytest.raises(NotFound):
        portal_home.open_section(db, world.client_a1, "settings")
    # workspace B's clients still see their files section
    assert portal_home.open_section(db, world.client_b1, "files").key == "files"
    name, sections = portal_home.home_summary(db, world.client_a1)
    assert name == "Alice" and "files" not in [s.key for s in sections] and len(sections) == 4


def test_portal_home_is_for_clients(db, world):
    for actor, error in [(world.staff_a, Forbidden), (world.member_a, Forbidden),
                         (world.anon, NotSignedIn)]:
        with pytest.raises(error):
            portal_home.open_section(db, actor, "invoices")
        with pytest.raises(error):
            portal_home.home_summary(db, actor)

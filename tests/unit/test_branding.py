"""Branding everywhere (issue 17, item 4): the contrast rule (services/portal/contrast.py) at
Configure Portal's save, the favicon derived from the logo or uploaded, and the emails' sender
name and reply-to (validated, audited, carried to the sent message)."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image
from sqlmodel import select

from portal_app.adapters.mail import Mail, build_message
from portal_app.errors import Forbidden, Invalid, NotSignedIn
from portal_app.models import SECTIONS, AuditEvent, PortalSettings
from portal_app.services import emails
from portal_app.services.portal import brand_images as images
from portal_app.services.portal import contrast
from portal_app.services.portal import portal_settings as ps
from tests.support.outbox import outbox_payloads

ALL_ON = dict.fromkeys(SECTIONS, True)


def _png(size=(120, 60), color=(30, 90, 200, 255)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, color).save(out, "PNG")
    return out.getvalue()


def _save(db, actor, **over):
    args = dict(portal_title="Alpha portal", accent_color="#2563eb", brand_primary=None, brand_secondary=None,
                sections=ALL_ON, chat_widget=False)
    args.update(over)
    ps.update_portal_settings(db, actor, **args)


# --- the contrast rule ---------------------------------------------------------------------

@pytest.mark.parametrize("a,b,expected", [
    ("#000000", "#ffffff", 21.0), ("#ffffff", "#ffffff", 1.0), ("#2563eb", "#ffffff", 5.17),
    ("#767676", "#ffffff", 4.54), ("#777777", "#ffffff", 4.48), ("#7dd3fc", "#ffffff", 1.67),
])
def test_wcag_contrast_ratio(a, b, expected):
    assert contrast.ratio(a, b) == pytest.approx(expected, abs=0.01)
    assert contrast.ratio(b, a) == contrast.ratio(a, b)


def test_text_color_on_white_needs_4_5_to_1():
    assert contrast.check_text_on_white("#767676", "accent_color", "Accent color") == "#767676"  # 4.54: passes
    with pytest.raises(Invalid) as err:
        contrast.check_text_on_white("#777777", "accent_color", "Accent color")  # 4.48: rounds down
    assert err.value.field == "accent_color"
    assert err.value.message == ("Accent color: #777777 has a contrast of 4.4:1 on white; text needs 4.5:1 "
                                 "— pick a darker shade.")


@pytest.mark.parametrize("background,text", [
    ("#7dd3fc", contrast.NEAR_BLACK), ("#ffffff", contrast.NEAR_BLACK), ("#fde047", contrast.NEAR_BLACK),
    ("#1e3a8a", contrast.WHITE), ("#000000", contrast.WHITE), ("#2563eb", contrast.WHITE),
    ("#777777", contrast.BLACK),  # white 4.48, near-black 4.2: only pure black reaches 4.5
])
def test_brand_colors_get_a_readable_text_color(background, text):
    assert contrast.text_on(background) == text
    assert contrast.ratio(text, background) >= 4.5


def test_every_grey_gets_a_text_color_that_reads():
    for v in range(256):
        color = f"#{v:02x}{v:02x}{v:02x}"
        assert contrast.ratio(contrast.text_on(color), color) >= 4.5, color


def test_save_refuses_a_too_light_accent_naming_field_and_ratio(db, world):
    with pytest.raises(Invalid) as err:
        _save(db, world.staff_a, accent_color="#7DD3FC")
    assert err.value.field == "accent_color"
    assert "#7dd3fc has a contrast of 1.6:1 on white; text needs 4.5:1" in err.value.message
    db.expire_all()
    assert db.get(PortalSettings, world.ws_a.id).accent_color != "#7dd3fc"


def test_light_brand_colors_are_kept_and_paired_with_dark_text(db, world):
    _save(db, world.staff_a, accent_color="#1d4ed8", brand_primary="#FDE047", brand_secondary="#1e3a8a")
    b = ps.branding_for(db, world.ws_a)
    assert (b.accent_color, b.brand_primary, b.brand_secondary) == ("#1d4ed8", "#fde047", "#1e3a8a")
    from portal_app.state.base import contrast_text

    assert contrast_text(b.brand_primary) == contrast.NEAR_BLACK and contrast_text(b.brand_secondary) == "#ffffff"


# --- favicon -------------------------------------------------------------------------------

def test_favicon_derivation_fits_a_wide_logo_into_a_square():
    ico, touch = images.derive_icons(_png((400, 100)))  # 4:1: an 8 px band in 32 px
    icon = Image.open(io.BytesIO(ico))
    assert icon.format == "ICO" and set(icon.info["sizes"]) == {(16, 16), (32, 32)}
    icon.size = (32, 32)
    px = icon.convert("RGBA")
    assert px.getpixel((16, 16))[3] == 255  # the logo's band across the middle
    assert px.getpixel((16, 1))[3] == 0  # transparent above it: fitted, not stretched nor cropped
    apple = Image.open(io.BytesIO(touch))
    assert apple.format == "PNG" and apple.size == (180, 180) and apple.mode == "RGB"
    assert apple.getpixel((90, 2)) == (255, 255, 255)  # white, not black, behind it on iOS


def test_logo_brings_a_favicon_an_uploaded_one_wins_and_removal_goes_back(db, world):
    host = "alpha.example.test"
    assert images.icon_for_host(db, host, "ico") is None  # the default is served
    images.set_logo(db, world.staff_a, _png(), "logo.png")
    row = db.get(PortalSettings, world.ws_a.id)
    from_logo, version = row.favicon_key, row.favicon_version
    assert from_logo and row.touch_icon_key and not row.favicon_uploaded and version == 1
    data, ctype = images.icon_for_host(db, host, "ico")
    assert ctype == "image/x-icon" and Image.open(io.BytesIO(data)).format == "ICO"
    assert ps.branding_for(db, world.ws_a).favicon_url == "/favicon.ico?v=1"
    assert images.icon_for_host(db, "beta.example.test", "ico") is None  # another workspace: its own (none)

    images.set_favicon(db, world.staff_a, _png((64, 64), (200, 20, 20, 255)), "icon.png")
    own = row.favicon_key
    assert row.favicon_uploaded and own != from_logo
    images.set_logo(db, world.staff_a, _png((300, 100)), "logo2.png")  # a new logo leaves it alone
    assert row.favicon_key == own
    images.remove_favicon(db, world.staff_a)
    assert not row.favicon_uploaded and row.favicon_key not in (own, None)  # from the logo again
    images.remove_logo(db, world.staff_a)
    assert row.favicon_key is None and images.icon_for_host(db, host, "ico") is None
    deleted = {p["key"] for p in outbox_payloads(db, world.ws_a.id) if "key" in p}
    assert {from_logo, own} <= deleted  # old files go, after the commit
    actions = db.exec(select(AuditEvent.action).where(AuditEvent.workspace_id == world.ws_a.id)).all()
    assert {"portal.favicon_changed", "portal.favicon_removed"} <= set(actions)


def test_favicon_upload_is_checked_like_a_logo(db, world):
    with pytest.raises(Invalid, match="SVG") as err:
        images.set_favicon(db, world.staff_a, b"<svg onload=alert(1)/>", "icon.svg")
    assert err.value.field == "favicon"
    assert db.get(PortalSettings, world.ws_a.id).favicon_key is None


@pytest.mark.parametrize("who,error", [("member_a", Forbidden), ("client_a1", Forbidden),
                                       ("client_b1", Forbidden), ("anon", NotSignedIn)])
def test_only_owners_and_admins_change_the_favicon_or_the_sender(db, world, who, error):
    actor = getattr(world, who)
    with pytest.raises(error):
        images.set_favicon(db, actor, _png(), "icon.png")
    with pytest.raises(error):
        images.remove_favicon(db, actor)
    with pytest.raises(error):
        _save(db, actor, sender_name="Hijacked", reply_to="evil@attacker.example")
    db.expire_all()
    row = db.get(PortalSettings, world.ws_a.id)
    assert (row.favicon_key, row.sender_name, row.reply_to) == (None, "", "")


# --- sender name and reply-to ----------------------------------------------------------------

@pytest.mark.parametrize("over,field,match", [
    ({"reply_to": "not an address"}, "reply_to", "Reply-to address does not look like an email address"),
    ({"reply_to": "a@b\nBcc: x@y.example"}, "reply_to", "not allowed"),
    ({"reply_to": "x" * 250 + "@a.example"}, "reply_to", "at most 254"),
    ({"sender_name": "Alpha <evil@attacker.example>"}, "sender_name", "cannot contain"),
    ({"sender_name": "Alpha\r\nBcc: x@y.example"}, "sender_name", "not allowed"),
    ({"sender_name": "s" * 121}, "sender_name", "at most 120"),
])
def test_sender_settings_are_validated(db, world, over, field, match):
    with pytest.raises(Invalid, match=match) as err:
        _save(db, world.staff_a, **over)
    assert err.value.field == field


def test_sender_name_and_reply_to_are_saved_audited_and_used(db, world):
    emails.queue_email(db, world.ws_a, to="alice@client.example", subject="Before", html="<p>x</p>", text="x")
    _save(db, world.staff_a, sender_name="  Alpha Studio Team ", reply_to="Hello@Alpha.example")
    row = db.get(PortalSettings, world.ws_a.id)
    assert (row.sender_name, row.reply_to) == ("Alpha Studio Team", "hello@alpha.example")
    event = db.exec(select(AuditEvent).where(AuditEvent.action == "portal.settings_changed")).one()
    detail = json.loads(event.detail)
    assert detail["sender_name"] == ["", "Alpha Studio Team"]
    assert detail["reply_to"] == ["", "hello@alpha.example"]
    _save(db, world.staff_a)  # not given: kept
    assert (row.sender_name, row.reply_to) == ("Alpha Studio Team", "hello@alpha.example")

    emails.queue_email(db, world.ws_a, to="alice@client.example", subject="After", html="<p>x</p>", text="x")
    before, after = [p for p in outbox_payloads(db, world.ws_a.id) if p.get("subject") in ("Before", "After")]
    assert before["from_name"] == "Alpha Studio" and "reply_to" not in before  # defaults: business name, none
    assert after["from_name"] == "Alpha Studio Team" and after["reply_to"] == "hello@alpha.example"


def test_the_sent_message_carries_from_name_and_reply_to():
    mail = Mail(to="alice@client.example", subject="Hi", text="t", html="<p>t</p>",
                from_name="Alpha Studio Team", reply_to="hello@alpha.example")
    msg = build_message(mail, "portal@mail.example", "<id@mail.example>")
    assert msg["From"] == "Alpha Studio Team <portal@mail.example>"
    assert msg["Reply-To"] == "hello@alpha.example"
    plain = build_message(Mail(to="a@b.example", subject="s", text="t", html="h"), "portal@mail.example", "<i@m>")
    assert plain["Reply-To"] is None

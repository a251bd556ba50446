"""Settings › Payments: Stripe keys sealed at rest, never shown back; invoice numbering."""

from __future__ import annotations

import pytest
from sqlmodel import select

from portal_app.access import Anonymous
from portal_app.errors import Forbidden, Invalid, NotSignedIn
from portal_app.models import AuditEvent, WorkspacePayments
from portal_app.services.billing import payment_settings as ps

KEYS = dict(publishable_key="pk_test_51Habcdefgh", secret_key="sk_test_51Hsecret9876",
            webhook_secret="whsec_signing5555")


def test_keys_are_sealed_and_only_hints_come_back(db, world):
    view = ps.save_stripe_keys(db, world.staff_a, **KEYS)
    assert view["connected"] and view["secret_hint"] == "sk_test_…9876" and view["webhook_secret_hint"] == "whsec_…5555"
    assert view["webhook_url"] == f"https://alpha.example.test/api/stripe/webhook/{world.ws_a.public_id}"
    row = db.get(WorkspacePayments, world.ws_a.id)
    assert "sk_test_51Hsecret9876" not in row.stripe_secret_sealed and row.stripe_secret_sealed.startswith("fernet:")
    assert "whsec_signing5555" not in row.stripe_webhook_secret_sealed
    audit = db.exec(select(AuditEvent).where(AuditEvent.action == "payments.stripe_keys_saved")).one()
    assert "secret" not in audit.detail.replace("secret_changed", "").replace("webhook_secret_changed", "")
    # empty secret fields keep what is stored
    again = ps.save_stripe_keys(db, world.staff_a, publishable_key="pk_test_51Hnewpublic", secret_key="",
                                webhook_secret="")
    assert again["connected"] and again["secret_hint"] == "sk_test_…9876"
    assert again["publishable_key"] == "pk_test_51Hnewpublic"


@pytest.mark.parametrize("changes, message", [
    (dict(publishable_key=""), "Publishable key is required"),
    (dict(publishable_key="sk_test_51Hwrongplace"), "should start with pk_live_ or pk_test_"),
    (dict(secret_key="pk_test_51Hwrongplace"), "should start with sk_live_"),
    (dict(webhook_secret="sk_test_51Hwrongplace"), "should start with whsec_"),
    (dict(secret_key="sk_live_51Hmixedmodes"), "both be live keys or both be test keys"),
    (dict(secret_key="sk_test_1"), "looks too short"),
    (dict(secret_key=""), "Enter the secret key"),
])
def test_bad_keys_get_a_message_and_nothing_is_saved(db, world, changes, message):
    with pytest.raises(Invalid) as err:
        ps.save_stripe_keys(db, world.staff_a, **{**KEYS, **changes})
    assert message in err.value.message
    row = db.get(WorkspacePayments, world.ws_a.id)
    assert row is None or not row.stripe_secret_sealed or row.stripe_publishable_key == "pk_test_51Habcdefgh"


def test_only_owners_and_admins(db, world):
    with pytest.raises(Forbidden):
        ps.save_stripe_keys(db, world.member_a, **KEYS)
    with pytest.raises(Forbidden):
        ps.payments_view(db, world.client_a1)
    with pytest.raises(NotSignedIn):
        ps.payments_view(db, Anonymous())


def test_disconnect_forgets_the_keys(db, world):
    ps.save_stripe_keys(db, world.staff_a, **KEYS)
    view = ps.disconnect_stripe(db, world.staff_a)
    assert not view["connected"] and view["secret_hint"] == "" and view["publishable_key"] == ""


def test_unreachable_stripe_gives_a_human_answer(db, world):
    ps.save_stripe_keys(db, world.staff_a, **KEYS)
    with pytest.raises(Invalid) as err:
        ps.test_connection(db, world.staff_a)  # tests point Stripe at a closed port
    assert err.value.message.startswith("Stripe did not accept the connection:")
    with pytest.raises(Invalid):
        ps.test_connection(db, world.staff_b)  # B has no keys


def test_invoice_settings(db, world):
    view = ps.save_invoice_settings(db, world.staff_a, invoice_prefix="NW-", default_currency="eur",
                                    allow_partial=True, min_partial="25.50")
    assert (view["invoice_prefix"], view["next_number"], view["default_currency"], view["allow_partial"],
            view["min_partial"]) == ("NW-", "NW-0001", "EUR", True, "25.50")
    for kwargs, message in [(dict(invoice_prefix="N W"), "cannot contain spaces"),
                            (dict(default_currency="XXX"), "currency"),
                            (dict(min_partial="-3"), "cannot be negative")]:
        with pytest.raises(Invalid) as err:
            ps.save_invoice_settings(db, world.staff_a, **{**dict(invoice_prefix="NW-", default_currency="EUR",
                                                                 allow_partial=True, min_partial=""), **kwargs})
        assert message in err.value.message

"""Settings › Payments › Test connection, against localstripe (a real HTTP Stripe stand-in)."""

from __future__ import annotations

import pytest

from portal_app.errors import Invalid
from portal_app.services.billing import payment_settings as ps
from portal_app.settings import reset_settings_cache


def test_connection_is_checked_against_the_stripe_server(db, world, localstripe_url, monkeypatch):
    monkeypatch.setenv("PORTAL_STRIPE_API_BASE", localstripe_url)
    reset_settings_cache()
    ps.save_stripe_keys(db, world.staff_a, publishable_key="pk_test_51Habcdefgh", secret_key="sk_test_51Hsecret9876",
                        webhook_secret="whsec_signing5555")
    assert ps.test_connection(db, world.staff_a) == "Connected: Stripe accepted the secret key."


def test_a_closed_port_is_a_clear_answer_not_a_hang(db, world, monkeypatch):
    monkeypatch.setenv("PORTAL_STRIPE_API_BASE", "http://127.0.0.1:9")
    reset_settings_cache()
    ps.save_stripe_keys(db, world.staff_a, publishable_key="pk_test_51Habcdefgh", secret_key="sk_test_51Hsecret9876",
                        webhook_secret="whsec_signing5555")
    with pytest.raises(Invalid) as err:
        ps.test_connection(db, world.staff_a)
    assert "Stripe did not accept the connection" in err.value.message

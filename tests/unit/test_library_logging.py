"""Third-party loggers are held at WARNING by the app's logging setup (portal_app/logging_setup.py):
an invoice PDF used to log about ten `INFO fontTools.subset` lines each time it was rendered.
PORTAL_LIBRARY_LOG_LEVEL turns them back up."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from portal_app.models import utcnow
from portal_app.services.billing import invoice_pdf
from portal_app.services.billing.invoices import create_invoice, send_invoice

LIBRARIES = ("fontTools", "pyhanko", "pypdf", "urllib3", "botocore", "boto3", "stripe", "sqlalchemy.engine")


@pytest.fixture
def app_logging():
    """The logging the app sets up when it starts (importing the app module), restored after."""
    import portal_app.portal_app  # noqa: F401  (the app module configures logging on import)
    from portal_app import logging_setup

    before = {name: logging.getLogger(name).level for name in LIBRARIES}
    logging_setup.configure_logging()
    yield logging_setup
    for name, level in before.items():
        logging.getLogger(name).setLevel(level)


def _render(db, world) -> bytes:
    today = utcnow().date()
    inv = create_invoice(db, world.staff_a, contact_public_id=world.contact_a1.public_id,
                         lines=[{"description": "Workshop", "quantity": "1", "unit_minor": 10_000, "tax_rate": "0"}],
                         issue_date=today, due_date=today + timedelta(days=14))
    send_invoice(db, world.staff_a, inv.public_id)
    db.commit()
    return invoice_pdf.invoice_pdf(db, world.client_a1, inv.public_id).data


def test_rendering_an_invoice_pdf_logs_no_info_line_from_fonttools(world, db, app_logging, caplog):
    caplog.set_level(logging.INFO)
    assert _render(db, world).startswith(b"%PDF-")
    noisy = [r for r in caplog.records if r.name.startswith("fontTools") and r.levelno < logging.WARNING]
    assert noisy == []
    assert all(logging.getLogger(name).getEffectiveLevel() == logging.WARNING for name in LIBRARIES)


def test_the_env_var_turns_the_libraries_back_up(monkeypatch, app_logging):
    monkeypatch.setenv("PORTAL_LIBRARY_LOG_LEVEL", "info")
    app_logging.quiet_libraries()
    assert logging.getLogger("fontTools.subset").getEffectiveLevel() == logging.INFO


def test_a_misspelt_level_keeps_them_quiet(monkeypatch, app_logging):
    monkeypatch.setenv("PORTAL_LIBRARY_LOG_LEVEL", "loud")
    app_logging.quiet_libraries()
    assert logging.getLogger("fontTools").level == logging.WARNING

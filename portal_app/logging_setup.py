"""The one place logging is set up (the app and the worker call `configure_logging`).

Our own loggers speak at INFO. Third-party libraries are held at PORTAL_LIBRARY_LOG_LEVEL
(WARNING by default): fontTools alone logged about ten INFO lines per invoice PDF rendered
(its font subsetter), which buried the app's own lines.
"""

from __future__ import annotations

import logging

from portal_app.settings import library_log_level

# Libraries whose INFO lines are noise in the app's log (their children follow them).
LIBRARY_LOGGERS = ("fontTools", "pyhanko", "pyhanko_certvalidator", "pypdf", "urllib3", "botocore", "boto3",
                   "s3transfer", "stripe", "sqlalchemy.engine", "weasyprint", "PIL", "httpx", "httpcore")

FORMAT = "%(levelname)s %(name)s: %(message)s"


def configure_logging(level: int = logging.INFO) -> None:
    """Root at `level` (a handler is added only if none is there yet), libraries at
    PORTAL_LIBRARY_LOG_LEVEL."""
    logging.basicConfig(level=level, format=FORMAT)
    quiet_libraries()


def quiet_libraries() -> None:
    library_level = getattr(logging, library_log_level())
    for name in LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(library_level)

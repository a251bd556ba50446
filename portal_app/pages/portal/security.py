"""The client's Security page: where they are signed in, a new password, two-factor."""

from __future__ import annotations

import reflex as rx

from portal_app.components.layout import client_shell
from portal_app.components.security_ui import security_content


def security_page() -> rx.Component:
    return client_shell(*security_content("/security/two-factor"), title="Security")

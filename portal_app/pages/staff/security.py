"""Settings › Security, for every staff member: where they are signed in, a new password,
two-factor."""

from __future__ import annotations

import reflex as rx

from portal_app.components.layout import staff_shell
from portal_app.components.security_ui import security_content


def staff_security_page() -> rx.Component:
    return staff_shell(*security_content("/staff/security/two-factor"), title="Security", crumbs=["Settings"])

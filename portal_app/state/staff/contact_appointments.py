"""The contact record's Appointments panel (/staff/contacts/[id]): the contact's appointments
(newest first), New appointment (the calendar's dialog, with the contact chosen) and Send booking
link (an email with a link to the portal's booking page; services/appointments/booking_link.py)."""

from __future__ import annotations

import reflex as rx

from portal_app.errors import ServiceError
from portal_app.services.appointments import appointments as appts
from portal_app.services.appointments import booking_link
from portal_app.services.appointments.views import StaffAppointmentView
from portal_app.state.base import BaseState


class ContactAppointmentsState(BaseState):
    appointments: rx.Field[list[StaffAppointmentView]] = rx.field(default_factory=list)
    appt_loaded: bool = False
    link_error: str = ""
    link_sent: str = ""

    def _public_id(self) -> str:
        return (self.router.url.path or "").rstrip("/").rsplit("/", 1)[-1][:40]

    @rx.event
    async def load_panel(self):
        def work(db, ws, actor):
            self._assign(appointments=appts.contact_appointments(db, actor, self._public_id()), appt_loaded=True,
                         link_error="", link_sent="")

        def refused(exc: ServiceError):
            self._assign(appointments=[], appt_loaded=False)

        return await self._run(work, on_error=refused, keep_notice=True)

    @rx.event
    async def send_booking_link(self):
        def work(db, ws, actor):
            to = booking_link.send_booking_link(db, actor, self._public_id())
            self._assign(link_error="", link_sent=f"Booking link sent to {to}.")

        def refused(exc: ServiceError):
            self._assign(link_error=exc.message, link_sent="")

        return await self._run(work, on_error=refused)

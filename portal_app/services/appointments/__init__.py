"""Appointments: staff meetings with contacts, booking by clients, availability, calendar feeds.

Flows start in `appointments.py` (staff create, edit, reschedule, cancel; a client's list, cancel
and reschedule up to the workspace's cut-off), `booking.py` (booking types; a client books a slot,
race-safe through the slot claims of models/appointments.py), `availability.py` (a staff member's
weekly hours and days off), `free.py` (`available_slots`: the free start times of a booking type,
computed by the pure `slots.py`), `feeds.py` (private iCal feed tokens: made, reset, resolved).
`settings.py` keeps the cut-off and reminder times (owners and admins).
`times.py` reads zones and local times people type. The pure modules `slots.py` and `ics.py`
compute slots and write .ics; nothing here imports them at module level.
"""

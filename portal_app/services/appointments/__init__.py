"""Appointments (issue 16): staff meetings with contacts, booking by clients, availability,
.ics invitations and private calendar feeds, reminders.

Flows start in `appointments.py` (staff create, edit, reschedule, cancel; a client's list, cancel
and reschedule up to the workspace's cut-off), `booking.py` (booking types; a client books a slot,
race-safe through the slot claims of models/appointments.py), `availability.py` (a staff member's
weekly hours and days off), `free.py` (`available_slots`: the free start times of a booking type),
`feeds.py` (private iCal feed tokens: made, reset, resolved), `client_side.py` (the client's zone,
their appointment as .ics, the times they may move one to, their feed's addresses). `settings.py` keeps the cut-off and
reminder times (owners and admins). `times.py` reads zones and local times people type.

Pure parts (no database, no models, no reflex): `slots.py` computes free slot start times from one
staff member's weekly hours (in their own zone), days off, busy intervals and a booking type's
rules (duration, buffer, notice, horizon, step), correct across DST changes; `ics.py` writes
RFC 5545 invitations (METHOD REQUEST/CANCEL, stable UID, increasing SEQUENCE) and subscription
feeds with `icalendar`.
"""

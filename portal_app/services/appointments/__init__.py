"""Appointments (issue 16): staff availability, booking types, clients booking free slots,
.ics invitations and private calendar feeds, reminders.

Pure parts (no database, no models, no reflex; the database side imports them):
`slots.py` computes free slot start times from one staff member's weekly hours (in their own
zone), days off, busy intervals and a booking type's rules (duration, buffer, notice, horizon,
step), correct across DST changes; `ics.py` writes RFC 5545 invitations (METHOD REQUEST/CANCEL,
stable UID, increasing SEQUENCE) and subscription feeds with `icalendar`.
"""

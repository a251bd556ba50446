"""Conversations: the client's chat with the business and the staff inbox.

Flows start in `messages.py` (send_from_client, send_from_staff, mark_read_*), `threads.py`
(what a client or staff member sees of a thread, the inbox list; start_for_contact, assign,
resolve), `canned.py` (canned replies), `fallback.py` (the batched email of unread messages,
a worker job), `timeline.py` (the client's history: recorded in the transaction of each event).
Every change publishes a live hint after commit (adapters/hints.py); pages re-read on a hint.
"""

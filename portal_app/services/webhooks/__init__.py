"""Outbound webhooks (issue 14, item 4): Settings › Webhooks starts at state/staff/webhooks.py
(endpoints.py: add, enable/disable, rotate, delete, the delivery log, Replay); every domain
event reaches `delivery.fan_out` on the message bus (services/bus.py), which queues one
"webhook.deliver" job per wanting endpoint; the worker runs `delivery.deliver`. guard.py keeps
deliveries off this machine and private networks (SSRF)."""

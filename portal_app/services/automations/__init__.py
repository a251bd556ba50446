"""Automations: rules (trigger, conditions, steps), their runs, and the engine that follows events
(docs/architecture.md, "Automations"). The staff UI calls rules.py."""

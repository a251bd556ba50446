"""Reflex State classes: a small base session state and one substate per page."""

"""The client portal pages' states: state/portal/<page>.py serves pages/portal/<page>.py."""

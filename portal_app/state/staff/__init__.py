"""The staff pages' states: state/staff/<page>.py serves pages/staff/<page>.py."""

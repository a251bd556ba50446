"""Client portal pages."""

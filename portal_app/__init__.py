"""Client Portal: a self-hosted, branded client portal for service businesses."""

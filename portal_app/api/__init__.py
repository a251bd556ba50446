"""Starlette routes mounted with rx.App(api_transformer=...): thin, they call services."""

"""Errors a service (or an access rule) raises; each carries a human message safe to show.

This module sits below the access package and the services, so both can raise them."""

from __future__ import annotations


class ServiceError(Exception):
    message = "Something went wrong."

    def __init__(self, message: str | None = None, field: str | None = None):
        self.message = message or self.message
        self.field = field
        super().__init__(self.message)


class NotFound(ServiceError):
    message = "Not found."


class Forbidden(ServiceError):
    message = "You do not have access to this."


class NotSignedIn(ServiceError):
    message = "Please sign in."


class Invalid(ServiceError):
    message = "Please check the highlighted field."


class Throttled(ServiceError):
    message = "Too many attempts. Please wait a few minutes and try again."

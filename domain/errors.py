"""Domain errors: one base, one class per kind of refusal; the HTTP layer maps them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class HubError(Exception):
    """Base of every error the domain raises on purpose."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(HubError):
    """No such resource, or the caller may not see it (existence is never revealed)."""


class NotPermitted(HubError):
    """The caller may see the resource but not do this (wrong party or role)."""


class NotAuthenticated(HubError):
    """No credentials, or unknown or revoked credentials."""


class InvalidTransition(HubError):
    """The action is not allowed in the resource's current status."""

    def __init__(self, detail: str, status: str = "", allowed: Sequence[str] = ()) -> None:
        super().__init__(detail)
        self.status = status
        self.allowed = list(allowed)


class Conflict(HubError):
    """The resource already exists, or the request contradicts what is on record."""


class VersionMismatch(HubError):
    """The expected version (If-Match) is not the current one."""

    def __init__(self, detail: str, current: int) -> None:
        super().__init__(detail)
        self.current = current


class Invalid(HubError):
    """A value breaks a domain rule; `errors` maps each field to its messages."""

    def __init__(self, detail: str, errors: Mapping[str, list[str]] | None = None) -> None:
        super().__init__(detail)
        self.errors = dict(errors or {})

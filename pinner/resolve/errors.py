"""One exception family for every way a lookup can fail."""

from __future__ import annotations


class ResolveError(Exception):
    """A lookup failed; the message says what the registry said, never a secret."""

    kind = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFoundError(ResolveError):
    kind = "not found"


class DeniedError(ResolveError):
    kind = "denied"


class UnreachableError(ResolveError):
    kind = "unreachable"


class BadResponseError(ResolveError):
    kind = "bad response"


class RateLimitedError(ResolveError):
    kind = "rate limited"


class DaemonUnavailableError(Exception):
    """No Docker Engine answers; the message says what to do instead.

    Not a ResolveError: without an Engine no lookup at all can be made."""

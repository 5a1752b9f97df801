"""Typed errors and the exit-code table.

Every expected failure is an :class:`AiopsError` subclass carrying a one-line message
and an optional hint. The CLI prints ``error: <message>`` and ``hint: <hint>`` on stderr
and exits with the class's code; nothing else ever decides an exit code.

| code | meaning                                                          |
|------|------------------------------------------------------------------|
| 0    | ok                                                               |
| 1    | internal error (a bug: please report it)                         |
| 2    | usage or configuration error                                     |
| 3    | check failed (unhealthy, threshold breached, SLA missed, ...)    |
| 4    | authentication or authorisation failed                           |
| 5    | upstream unreachable or timed out                                |
| 130  | interrupted (Ctrl-C)                                             |
"""

from __future__ import annotations

OK = 0
INTERNAL = 1
USAGE = 2
CHECK_FAILED = 3
AUTH = 4
UNREACHABLE = 5
INTERRUPTED = 130

EXIT_CODES: dict[int, str] = {
    OK: "ok",
    INTERNAL: "internal error",
    USAGE: "usage or configuration error",
    CHECK_FAILED: "check failed (unhealthy, threshold breached, SLA missed, step failed)",
    AUTH: "authentication or authorisation failed",
    UNREACHABLE: "upstream unreachable or timed out",
    INTERRUPTED: "interrupted",
}


class AiopsError(Exception):
    """An expected failure: one line for the user, an optional hint, an exit code."""

    exit_code = INTERNAL

    def __init__(self, message: str, hint: str | None = None) -> None:
        from aiops.core.redact import redact

        # Messages name URLs and quote servers: mask credentials once, where every error is made.
        message = redact(message)
        super().__init__(message)
        self.message = message
        self.hint = redact(hint) if hint else hint


class UsageError(AiopsError):
    """Bad arguments or input the user can fix (exit 2)."""

    exit_code = USAGE


class ConfigError(UsageError):
    """Invalid configuration: names the file, the key and the reason (exit 2)."""


class CheckFailed(AiopsError):
    """A check ran and its verdict is bad (exit 3)."""

    exit_code = CHECK_FAILED


class AuthError(AiopsError):
    """Credentials missing, invalid or insufficient (exit 4)."""

    exit_code = AUTH


class UpstreamError(AiopsError):
    """A server could not be reached, timed out or answered garbage (exit 5)."""

    exit_code = UNREACHABLE

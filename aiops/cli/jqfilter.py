"""``--jq EXPR``: filter a command's JSON document through jq (the real one, from the ``jq`` package).

As in ``gh``: ``--jq`` implies JSON output; each result is printed on its own line, a string
raw (like ``jq -r``), anything else as JSON. A bad expression is a usage error (exit 2) with
jq's own message, caught when the option is read, before the command does any work. ``jq`` is
imported only when the option is used: start-up stays fast.
"""

from __future__ import annotations

from typing import Any, Iterator

from aiops.core.errors import UsageError


def _message(exc: Exception) -> str:
    """jq's message, on one line: its first line (the caret drawing and the count dropped)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return (lines[0].rstrip(":") if lines else type(exc).__name__) or "invalid expression"


def compile_filter(expression: str) -> Any:
    """A compiled jq program; UsageError with jq's message when the expression is invalid."""
    try:
        import jq
    except ImportError as exc:  # a broken installation, not a user error
        raise UsageError(f"--jq needs the 'jq' package: {exc}",
                         hint="reinstall aiops: pip install --force-reinstall aiops") from None
    try:
        return jq.compile(expression)
    except ValueError as exc:
        raise UsageError(f"--jq: {_message(exc)}", hint=f"the expression was: {expression}") from None


def run_filter(program: Any, document: Any) -> Iterator[Any]:
    """Every result of ``program`` on ``document`` (plain JSON types); UsageError on a jq error."""
    try:
        results = program.input_value(document).all()
    except ValueError as exc:
        raise UsageError(f"--jq: {_message(exc)}") from None
    yield from results

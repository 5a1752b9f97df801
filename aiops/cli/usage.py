"""Usage errors in the tool's own words: ``error: ...`` and ``hint: ...`` on stderr, exit 2.

click would print its usage block and ``Error: No such option``; aiops says what was wrong in
one line, offers the near miss ("did you mean '--timeout'?") and where the help is.
"""

from __future__ import annotations

import difflib
import re
from typing import Any


def explain(exc: Any) -> tuple[str, str]:
    """(message, hint) for a click UsageError (unknown command or option, bad or missing value)."""
    ctx = getattr(exc, "ctx", None)
    where = ctx.command_path if ctx is not None else "aiops"
    help_hint = f"'{where} -h' shows the usage"
    text = exc.format_message().strip()
    unknown = re.match(r"No such command '(.+?)'", text)
    if unknown and ctx is not None:
        name = unknown.group(1)
        commands = list(ctx.command.list_commands(ctx)) if hasattr(ctx.command, "list_commands") else []
        return f"unknown command '{name}' for '{where}'", did_you_mean(name, commands, f"'{where} -h' lists the commands")
    option = getattr(exc, "option_name", None)
    if option and type(exc).__name__ == "NoSuchOption":
        known = _options(ctx)
        return f"unknown option '{option}' for '{where}'", did_you_mean(option, known, f"'{where} -h' lists the options")
    message = re.sub(r"\.$", "", text)
    message = message[:1].lower() + message[1:]
    if type(exc).__name__ == "MissingParameter" and ctx is not None:
        usage = re.sub(r"\{([^}]+)\}", r"\1", ctx.command.get_usage(ctx).removeprefix("Usage: ").strip())
        return message, f"usage: {usage}"
    return message, help_hint


def _options(ctx: Any) -> list[str]:
    if ctx is None:
        return []
    return [opt for param in ctx.command.params for opt in [*param.opts, *param.secondary_opts]
            if opt.startswith("-")]


def did_you_mean(word: str, candidates: list[str], fallback: str) -> str:
    """``did you mean 'x'? (fallback)`` for the near misses of ``word``, else ``fallback``."""
    close = difflib.get_close_matches(word, candidates, n=2, cutoff=0.7)
    if not close:
        return fallback
    return "did you mean " + " or ".join(f"'{c}'" for c in close) + f"? ({fallback})"

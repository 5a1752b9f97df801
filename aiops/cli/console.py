"""Where output goes: the stdout and stderr consoles, one-line messages, progress, logging.

stdout is for data, stderr for everything else. Everything written to stderr and to the log
is redacted (configured secrets, URL credentials, secret query parameters). Nothing here knows about commands or options:
:mod:`aiops.cli.state` configures it.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from typing import Any, Callable, Iterator

_consoles: dict[str, Any] = {}
_settings: dict[str, Any] = {"quiet": False, "secrets": []}


def stdout():
    """The rich console for data (created on first use: rich costs start-up time)."""
    if "out" not in _consoles:
        from rich.console import Console

        _consoles["out"] = Console(highlight=False, soft_wrap=False)
    return _consoles["out"]


def stderr():
    """The rich console for progress, warnings and errors."""
    if "err" not in _consoles:
        from rich.console import Console

        _consoles["err"] = Console(stderr=True, highlight=False)
    return _consoles["err"]


def reset() -> None:
    """Forget consoles and settings (tests run many invocations in one process)."""
    _consoles.clear()
    _settings.update(quiet=False, secrets=[])


def set_secrets(secrets: list[str]) -> None:
    """The configured secrets: scrubbed from everything written to stderr and logs."""
    _settings["secrets"] = list(secrets)


def configure(state: Any) -> None:
    """Apply ``-q``, ``-v`` and ``--debug`` from the invocation's state."""
    _settings["quiet"] = state.quiet
    configure_logging(state)


def scrub(text: str) -> str:
    """``text`` redacted (:func:`aiops.core.redact.redact`): configured secrets, URL
    credentials, secret query parameters, credential-looking values."""
    from aiops.core.redact import redact

    return redact(text, _settings["secrets"])


def _err_line(prefix: str, style: str, message: str) -> None:
    from rich.text import Text

    line = Text.assemble((prefix + " ", style) if prefix else "", (scrub(message), "" if prefix else style))
    stderr().print(line, soft_wrap=True)


def error(message: str, hint: str | None = None) -> None:
    _err_line("error:", "bold red", message)
    if hint:
        _err_line("hint:", "yellow", hint)


def warn(message: str) -> None:
    if not _settings["quiet"]:
        _err_line("warning:", "yellow", message)


def info(message: str) -> None:
    if not _settings["quiet"]:
        _err_line("", "dim", message)


@contextlib.contextmanager
def progress(description: str, total: int | None = None,
             min_seconds: float = 1.0) -> Iterator[Callable[..., None]]:
    """A progress bar on stderr, shown only on a terminal and after ``min_seconds``.

    Yields ``advance(n=1, total=None)``: the callback the core's long work calls.
    """
    if _settings["quiet"] or not sys.stderr.isatty():
        yield lambda n=1, total=None: None
        return
    import time

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    start = time.monotonic()
    # No refresh thread: the bar is drawn only inside advance(), between the core's units of
    # work, so a measuring command (diagnose) never has the display running while it measures.
    bar = Progress("[progress.description]{task.description}", BarColumn(),
                   MofNCompleteColumn(), TimeElapsedColumn(), console=stderr(), transient=True,
                   auto_refresh=False)
    task = bar.add_task(description, total=total)
    started = False
    drawn = 0.0

    def advance(n: int = 1, total: int | None = None) -> None:
        nonlocal started, drawn
        if total is not None:
            bar.update(task, total=total)
        bar.advance(task, n)
        now = time.monotonic()
        if not started and now - start >= min_seconds:
            bar.start()
            started = True
        if started and now - drawn >= 0.1:
            bar.refresh()
            drawn = now

    try:
        yield advance
    finally:
        if started:
            bar.stop()


class _ScrubFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub(record.getMessage())
        record.args = None
        return True


def configure_logging(state: Any) -> None:
    """Route library and aiops logs to stderr at the level -v/--debug ask for, secrets scrubbed."""
    level = logging.DEBUG if state.debug else (logging.INFO if state.verbose >= 2 else
                                               logging.WARNING if state.verbose else logging.ERROR)
    root = logging.getLogger()
    for handler in root.handlers[:]:
        if getattr(handler, "_aiops", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler._aiops = True  # type: ignore[attr-defined]
    handler.addFilter(_ScrubFilter())
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level if not state.quiet else logging.CRITICAL)

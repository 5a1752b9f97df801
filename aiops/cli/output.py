"""The one output module: stdout for data, stderr for everything else.

``render(result, table=..., markdown=...)`` writes a core result as a rich table on a
terminal, JSON when stdout is piped, or whatever ``-o`` / the ``output`` setting asks for.
JSON is the stable contract: ``to_dict()`` of the core's dataclasses, documented in the
README. Secrets known to the configuration are scrubbed from anything written to stderr.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import logging
import os
import sys
from typing import Any, Callable, Iterator

from aiops.errors import UsageError

FORMATS = ("table", "json", "markdown")
_consoles: dict[str, Any] = {}


def output_format(allowed: tuple[str, ...] = ("table", "json")) -> str:
    """Resolve the output format: ``-o`` > config ``output`` > table on a TTY, else json."""
    from aiops.cli.common import get_state

    state = get_state()
    fmt = state.output
    if fmt is None and state._config is not None:
        fmt = state._config.get("output")
    if fmt is None:
        fmt = os.environ.get("AIOPS_OUTPUT") or ("table" if sys.stdout.isatty() else "json")
    if fmt not in allowed:
        raise UsageError(f"output format '{fmt}' is not available here; choose one of "
                         f"{', '.join(allowed)}")
    return fmt


def to_jsonable(obj: Any) -> Any:
    """Core results to plain JSON types (dataclasses, datetimes, paths, sets; NaN -> null)."""
    if obj is None or isinstance(obj, (str, bool, int)):  # the common leaves first: this is hot
        return obj
    if isinstance(obj, float):
        return None if obj != obj else obj  # NaN is not JSON
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in obj]
    if hasattr(obj, "to_dict"):
        return to_jsonable(obj.to_dict())
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {k: to_jsonable(v) for k, v in dataclasses.asdict(obj).items()}
    if isinstance(obj, dt.datetime):
        return obj.isoformat().replace("+00:00", "Z")
    if isinstance(obj, (dt.date, dt.timedelta)):
        return str(obj)
    return str(obj)


def dumps(obj: Any, *, pretty: bool = True) -> str:
    """JSON text; compact (and several times faster: the C encoder) when ``pretty`` is off."""
    data = to_jsonable(obj)
    if pretty:
        return json.dumps(data, indent=2, ensure_ascii=False)
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def render(result: Any, *, table: Callable[[Any], Any] | None = None,
           markdown: Callable[[Any], str] | None = None) -> None:
    """Write ``result`` to stdout in the chosen format."""
    allowed = ("table", "json", "markdown") if markdown else ("table", "json")
    fmt = output_format(allowed)
    if fmt == "json" or table is None and fmt == "table":
        # indented for a person at a terminal; compact for programs reading a pipe
        sys.stdout.write(dumps(result, pretty=sys.stdout.isatty()) + "\n")
    elif fmt == "markdown":
        sys.stdout.write(markdown(result).rstrip("\n") + "\n")
    else:
        stdout().print(table(result))
    sys.stdout.flush()


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


def reset_consoles() -> None:
    _consoles.clear()


def scrub(text: str) -> str:
    """Remove every configured secret from ``text``."""
    from aiops.cli.common import get_state

    for secret in get_state().secrets:
        if secret:
            text = text.replace(secret, "****")
    return text


def _err_line(prefix: str, style: str, message: str) -> None:
    from rich.markup import escape

    stderr().print(f"[{style}]{prefix}[/{style}] {escape(scrub(message))}", soft_wrap=True)


def error(message: str, hint: str | None = None) -> None:
    _err_line("error:", "bold red", message)
    if hint:
        _err_line("hint:", "yellow", hint)


def warn(message: str) -> None:
    from aiops.cli.common import get_state

    if not get_state().quiet:
        _err_line("warning:", "yellow", message)


def info(message: str) -> None:
    from aiops.cli.common import get_state

    if not get_state().quiet:
        _err_line("", "dim", message)


@contextlib.contextmanager
def progress(description: str, total: int | None = None,
             min_seconds: float = 1.0) -> Iterator[Callable[..., None]]:
    """A progress bar on stderr, shown only on a terminal and after ``min_seconds``.

    Yields ``advance(n=1, total=None)``: the callback the core's long work calls.
    """
    from aiops.cli.common import get_state

    if get_state().quiet or not sys.stderr.isatty():
        yield lambda n=1, total=None: None
        return
    import time

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    start = time.monotonic()
    bar = Progress("[progress.description]{task.description}", BarColumn(),
                   MofNCompleteColumn(), TimeElapsedColumn(), console=stderr(), transient=True)
    task = bar.add_task(description, total=total)
    started = False

    def advance(n: int = 1, total: int | None = None) -> None:
        nonlocal started
        if total is not None:
            bar.update(task, total=total)
        bar.advance(task, n)
        if not started and time.monotonic() - start >= min_seconds:
            bar.start()
            started = True

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

"""The one output module: stdout for data, stderr for everything else.

``render(result, table=..., markdown=...)`` writes a core result as a rich table on a
terminal, JSON when stdout is piped, or whatever ``-o`` / the ``output`` setting asks for.
JSON is the stable contract: ``to_dict()`` of the core's dataclasses, each document with its
``schema`` name and a JSON Schema in ``schemas/`` (docs/json.md); ``--jq EXPR`` filters it. Consoles, one-line messages and progress bars are :mod:`aiops.cli.console`'s; they are
named here too, so a command needs one import.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import sys
from typing import Any, Callable

from aiops.cli.console import error, info, progress, scrub, stderr, stdout, warn
from aiops.cli.state import get_state
from aiops.core.errors import UsageError
from aiops.core.timewindow import rfc3339

FORMATS = ("table", "wide", "json", "markdown")
_consoles: dict[str, Any] = {}


def output_format(allowed: tuple[str, ...] = ("table", "json")) -> str:
    """Resolve the output format: ``--jq`` or ``-o`` > config ``output`` > table on a TTY, else json."""
    state = get_state()
    fmt = state.output
    if state.jq is not None:
        if fmt not in (None, "json"):
            raise UsageError(f"--jq filters JSON output; it cannot be combined with -o {fmt}")
        return "json"
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
        return rfc3339(obj)
    if isinstance(obj, (dt.date, dt.timedelta)):
        return str(obj)
    return str(obj)


def dumps(obj: Any, *, pretty: bool = True) -> str:
    """JSON text; compact (and several times faster: the C encoder) when ``pretty`` is off."""
    data = to_jsonable(obj)
    if pretty:
        return json.dumps(data, indent=2, ensure_ascii=False)
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def json_requested() -> bool:
    """True when the user asked for JSON by name: ``-o json`` or ``--jq``."""
    state = get_state()
    return state.output == "json" or state.jq is not None


def write_json(result: Any) -> None:
    """Write one JSON document to stdout, through ``--jq`` when it was given.

    Indented for a person at a terminal, compact for programs reading a pipe. With ``--jq``
    each result goes on its own line: a string raw, anything else as JSON.
    """
    state = get_state()
    pretty = sys.stdout.isatty()
    if state.jq_program is None:
        sys.stdout.write(dumps(result, pretty=pretty) + "\n")
        return
    from aiops.cli.jqfilter import run_filter

    for value in run_filter(state.jq_program, to_jsonable(result)):
        sys.stdout.write((value if isinstance(value, str) else dumps(value, pretty=pretty)) + "\n")


def write_json_stream(produce: Callable[[Callable[[str], Any]], None]) -> None:
    """A document too big to hold, written in pieces by ``produce(write)``; with ``--jq``
    the pieces are gathered first (jq needs the whole document)."""
    if get_state().jq_program is None:
        produce(sys.stdout.write)
        return
    pieces: list[str] = []
    produce(pieces.append)
    write_json(json.loads("".join(pieces)))


def render(result: Any, *, table: Callable[..., Any] | None = None,
           markdown: Callable[[Any], str] | None = None, wide: bool = False) -> None:
    """Write ``result`` to stdout in the chosen format.

    ``wide``: the table has columns only ``-o wide`` shows; ``table(result, wide=True)``
    builds that view, printed at its natural width (lines may be longer than the terminal).
    """
    allowed = ("table",) + (("wide",) if wide else ()) + ("json",) + (("markdown",) if markdown else ())
    fmt = output_format(allowed)
    if fmt == "json" or table is None and fmt == "table":
        write_json(result)
    elif fmt == "markdown":
        sys.stdout.write(markdown(result).rstrip("\n") + "\n")
    elif fmt == "wide":
        print_wide(table(result, wide=True))
    else:
        renderable = table(result)
        if isinstance(renderable, str):  # plain text from the command: never read as markup
            from aiops.cli.tables import text

            renderable = text(renderable)
        stdout().print(renderable)
    sys.stdout.flush()


def print_wide(renderable: Any) -> None:
    """Print at the renderable's natural width, however narrow the terminal: ``-o wide`` is
    for reading sideways (``less -S``) or for a file, never folded."""
    from rich.measure import Measurement

    console = stdout()
    need = Measurement.get(console, console.options.update(max_width=100_000), renderable).maximum
    saved = console.width
    console.width = max(saved, need)
    try:
        console.print(renderable)
    finally:
        console.width = saved


__all__ = ["FORMATS", "dumps", "error", "info", "json_requested", "output_format", "print_wide", "progress",
           "render", "scrub", "stderr", "stdout", "to_jsonable", "warn", "write_json", "write_json_stream"]

"""Global options and per-invocation state shared by every command.

Global options (``-o``, ``--env``, ``--config``, ``-v``, ``-q``, ``--debug``) are accepted
both before the command (``aiops --env prod health check``) and after it
(``aiops health check URL -o json --env prod``): :func:`global_options` appends them to a
command's signature, so they also show in the command's ``--help``.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import typing
from pathlib import Path
from typing import Annotated, Any, Callable, Optional

import typer

from aiops.cli import complete
from aiops.cli.state import State, apply, get_state, reset

__all__ = ["State", "apply", "get_state", "global_options", "reset"]

PANEL = "Global options"


OutputOpt = Annotated[Optional[str], typer.Option(
    "--output", "-o", metavar="FORMAT", rich_help_panel=PANEL, autocompletion=complete.formats,
    help="table, wide (a table with every column), json or markdown [default: table on a "
    "terminal, json when piped]")]
EnvOpt = Annotated[Optional[str], typer.Option(
    "--env", metavar="NAME", rich_help_panel=PANEL, autocompletion=complete.environments,
    help="named environment from the config (its targets and endpoints)")]
ConfigOpt = Annotated[Optional[Path], typer.Option(
    "--config", metavar="PATH", rich_help_panel=PANEL,
    help="read only this config file [env: AIOPS_CONFIG]")]
VerboseOpt = Annotated[int, typer.Option(
    "--verbose", "-v", count=True, rich_help_panel=PANEL, help="more detail on stderr")]
QuietOpt = Annotated[bool, typer.Option(
    "--quiet", "-q", rich_help_panel=PANEL, help="only data and errors")]
DebugOpt = Annotated[bool, typer.Option(
    "--debug", rich_help_panel=PANEL, help="debug logging and tracebacks on error")]
JqOpt = Annotated[Optional[str], typer.Option(
    "--jq", metavar="EXPR", rich_help_panel=PANEL,
    help="filter the JSON output with a jq expression (implies -o json; strings print raw)")]

_GLOBALS: dict[str, Any] = {
    "global_output": OutputOpt, "global_env": EnvOpt, "global_config": ConfigOpt,
    "global_verbose": VerboseOpt, "global_quiet": QuietOpt, "global_debug": DebugOpt,
    "global_jq": JqOpt,
}
_DEFAULTS = {"global_output": None, "global_env": None, "global_config": None,
             "global_verbose": 0, "global_quiet": False, "global_debug": False, "global_jq": None}


class PipeClosed(Exception):
    """stdout's reader went away (``aiops ... | head``): the command stops, and that is fine."""


def global_options(func: Callable | None = None, *, json_output: bool = True) -> Callable:
    """Give a command the global options (after its own parameters).

    ``@global_options`` for a command that writes a JSON document (it gets ``--jq`` too);
    ``@global_options(json_output=False)`` for one that never does (a live view, a server):
    ``--jq`` is then not among its options, and given before the command it is an error.
    """
    if func is None:
        return functools.partial(global_options, json_output=json_output)
    names = [n for n in _GLOBALS if json_output or n != "global_jq"]
    hints = typing.get_type_hints(func, include_extras=True)
    sig = inspect.signature(func)
    own = [p.replace(annotation=hints.get(p.name, p.annotation)) for p in sig.parameters.values()]
    extra = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=_DEFAULTS[name],
                               annotation=_GLOBALS[name]) for name in names]

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        apply(**{name[len("global_"):]: kwargs.pop(name, _DEFAULTS[name]) for name in names})
        if not json_output and get_state().jq is not None:
            from aiops.core.errors import UsageError

            raise UsageError("--jq filters JSON output, and this command writes none")
        try:
            return func(*args, **kwargs)
        except BrokenPipeError:  # click would turn it into exit 1; main() makes it exit 0
            raise PipeClosed() from None

    wrapper.__signature__ = sig.replace(parameters=[*own, *extra])
    return wrapper


TimeoutOpt = Annotated[Optional[float], typer.Option(
    "--timeout", metavar="SECONDS", help="per-request timeout [default: config 'timeout', 10]")]
TargetOpt = Annotated[Optional[list[str]], typer.Option(
    "--target", "-t", metavar="URL", help="service base URL (repeatable)")]
SinceOpt = Annotated[Optional[str], typer.Option(
    "--since", metavar="WHEN", help="start of the window: 15m, 1h, 2d or ISO-8601")]
UntilOpt = Annotated[Optional[str], typer.Option(
    "--until", metavar="WHEN", help="end of the window: 15m, 1h, 2d, ISO-8601 or now")]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="show what would change; change nothing")]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="do not ask for confirmation")]
ForceOpt = Annotated[bool, typer.Option("--force", help="overwrite an existing file")]
SourceOpt = Annotated[str, typer.Option(
    "--source", metavar="SOURCE", help="prometheus, scrape (read the targets' /metrics directly) or auto "
    "(scrape only when Prometheus is unreachable)")]
JobOpt = Annotated[Optional[str], typer.Option(
    "--job", metavar="JOB", help="scope queries to this scrape job; '' for all "
    "[default: config prometheus.job, active-inference]")]


@contextlib.contextmanager
def collector_paused() -> Any:
    """Python's cycle collector paused while a command reads and renders a big answer (a
    10,000-span trace, 200,000 series from Prometheus): those objects live until the command
    ends, and the collector would walk them again and again for nothing (a tenth to a quarter
    of the time). Reference counting still frees everything that is dropped."""
    import gc

    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()

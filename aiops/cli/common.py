"""Global options and per-invocation state shared by every command.

Global options (``-o``, ``--env``, ``--config``, ``-v``, ``-q``, ``--debug``) are accepted
both before the command (``aiops --env prod health check``) and after it
(``aiops health check URL -o json --env prod``): :func:`global_options` appends them to a
command's signature, so they also show in the command's ``--help``.
"""

from __future__ import annotations

import functools
import inspect
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Callable, Optional

import typer

if typing.TYPE_CHECKING:
    from aiops.config import Config

PANEL = "Global options"


@dataclass
class State:
    """What the user asked for on this invocation, wherever on the line they typed it."""

    output: str | None = None
    env: str | None = None
    config_path: Path | None = None
    verbose: int = 0
    quiet: bool = False
    debug: bool = False
    secrets: list[str] = field(default_factory=list)
    _config: "Config | None" = None

    def config(self, **flags: Any) -> Config:
        """Load the configuration once; ``flags`` are this command's setting overrides."""
        if self._config is None or flags:
            from aiops.config import load

            self._config = load(config_path=self.config_path, env_name=self.env, flags=flags)
            self.secrets = self._config.secrets()
            from aiops.cli.output import warn

            for message in self._config.warnings:
                warn(message)
        return self._config


state = State()


def reset() -> None:
    """Fresh state for a new invocation (tests run many in one process)."""
    state.__dict__.update(State().__dict__)


def get_state() -> State:
    return state


OutputOpt = Annotated[Optional[str], typer.Option(
    "--output", "-o", metavar="FORMAT", rich_help_panel=PANEL,
    help="table, json or markdown [default: table on a terminal, json when piped]")]
EnvOpt = Annotated[Optional[str], typer.Option(
    "--env", metavar="NAME", rich_help_panel=PANEL,
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

_GLOBALS: dict[str, Any] = {
    "global_output": OutputOpt, "global_env": EnvOpt, "global_config": ConfigOpt,
    "global_verbose": VerboseOpt, "global_quiet": QuietOpt, "global_debug": DebugOpt,
}
_DEFAULTS = {"global_output": None, "global_env": None, "global_config": None,
             "global_verbose": 0, "global_quiet": False, "global_debug": False}


def apply(output: str | None = None, env: str | None = None, config: Path | None = None,
          verbose: int = 0, quiet: bool = False, debug: bool = False) -> None:
    """Record global options; later (command-level) values win over earlier ones."""
    if output is not None:
        state.output = output
    if env is not None:
        state.env = env
    if config is not None:
        state.config_path = config
    state.verbose = max(state.verbose, verbose)
    state.quiet = state.quiet or quiet
    state.debug = state.debug or debug
    from aiops.cli.output import configure_logging

    configure_logging(state)


def global_options(func: Callable) -> Callable:
    """Give a command the global options (after its own parameters)."""
    hints = typing.get_type_hints(func, include_extras=True)
    sig = inspect.signature(func)
    own = [p.replace(annotation=hints.get(p.name, p.annotation)) for p in sig.parameters.values()]
    extra = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=_DEFAULTS[name],
                               annotation=annotation) for name, annotation in _GLOBALS.items()]

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        apply(**{name[len("global_"):]: kwargs.pop(name, _DEFAULTS[name]) for name in _GLOBALS})
        return func(*args, **kwargs)

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

"""Per-invocation state: what the user asked for, wherever on the line they typed it.

The global options (see :mod:`aiops.cli.common`) land here through :func:`apply`; the
configuration is loaded once, on first use, by :meth:`State.config`.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiops.cli import console

if typing.TYPE_CHECKING:
    from aiops.core.config import Config


@dataclass
class State:
    """What the user asked for on this invocation, wherever on the line they typed it."""

    output: str | None = None
    env: str | None = None
    config_path: Path | None = None
    verbose: int = 0
    quiet: bool = False
    debug: bool = False
    jq: str | None = None  # --jq EXPR: filter the JSON output through jq
    jq_program: Any = None
    secrets: list[str] = field(default_factory=list)
    _config: "Config | None" = None

    def config(self, **flags: Any) -> Config:
        """Load the configuration once; ``flags`` are this command's setting overrides."""
        if self._config is None or flags:
            from aiops.core.config import load

            self._config = load(config_path=self.config_path, env_name=self.env, flags=flags)
            self.secrets = self._config.secrets()
            console.set_secrets(self.secrets)
            for message in self._config.warnings:
                console.warn(message)
        return self._config


state = State()


def reset() -> None:
    """Fresh state for a new invocation (tests run many in one process)."""
    state.__dict__.update(State().__dict__)
    console.reset()


def get_state() -> State:
    return state


def apply(output: str | None = None, env: str | None = None, config: Path | None = None,
          verbose: int = 0, quiet: bool = False, debug: bool = False, jq: str | None = None) -> None:
    """Record global options; later (command-level) values win over earlier ones."""
    if jq is not None:
        from aiops.cli.jqfilter import compile_filter

        state.jq, state.jq_program = jq, compile_filter(jq)  # a bad expression fails before any work
    if output is not None:
        state.output = output
    if env is not None:
        state.env = env
    if config is not None:
        state.config_path = config
    state.verbose = max(state.verbose, verbose)
    state.quiet = state.quiet or quiet
    state.debug = state.debug or debug
    console.configure(state)

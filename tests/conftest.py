"""Shared test helpers: run the CLI in-process, require real dependencies, free ports."""

from __future__ import annotations

import importlib
import io
import json
import os
import shutil
import socket
import sys
from dataclasses import dataclass
from typing import Any

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"


def require(name: str, *, binary: bool = False) -> Any:
    """Import module ``name`` (or find executable ``name``), else skip locally / FAIL in CI.

    Under CI=true a missing dependency is a failure, never a skip.
    """
    if binary:
        path = shutil.which(name)
        if path:
            return path
        message = f"required executable '{name}' is not installed"
    else:
        try:
            return importlib.import_module(name)
        except ImportError as exc:
            message = f"required module '{name}' is not importable: {exc}"
    if IN_CI:
        pytest.fail(message + " (CI=true: missing dependencies fail)", pytrace=False)
    pytest.skip(message)


def wait_for(predicate: Any, timeout: float, interval: float = 0.5, what: str = "condition") -> Any:
    """Poll ``predicate`` until it returns something truthy; fail the test after ``timeout``."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def leaf_commands() -> dict[str, Any]:
    """Every runnable command of the CLI, ``{"health check": click_command, ...}``."""
    import typer

    from aiops.cli.main import app

    def walk(command: Any, path: list[str]) -> Any:
        if hasattr(command, "list_commands"):
            for name in command.list_commands(None):
                yield from walk(command.get_command(None, name), [*path, name])
        else:
            yield " ".join(path), command

    return dict(walk(typer.main.get_command(app), []))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


class _Capture(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


def run_cli(*args: str, tty: bool = False, env: dict[str, str] | None = None,
            stdin: str = "") -> CliResult:
    """Run ``aiops ARGS`` in this process and capture exit code, stdout and stderr."""
    from aiops.cli.main import main

    saved = sys.stdout, sys.stderr, sys.stdin, dict(os.environ)
    out, err = _Capture(tty), _Capture(tty)
    sys.stdout, sys.stderr, sys.stdin = out, err, io.StringIO(stdin)
    os.environ.update(env or {})
    try:
        code = main(list(args))
    finally:
        sys.stdout, sys.stderr, sys.stdin = saved[0], saved[1], saved[2]
        os.environ.clear()
        os.environ.update(saved[3])
    return CliResult(code, out.getvalue(), err.getvalue())


@pytest.fixture
def cli(tmp_path, monkeypatch):
    """``cli(*args)``: the CLI in-process, isolated from the user's config and data dirs."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.chdir(tmp_path)
    for key in list(os.environ):
        if key.startswith("AIOPS_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    return run_cli

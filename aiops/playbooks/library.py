"""The playbook library: shipped playbooks, ``playbooks.dir``, loading and validating files.

``load_file(path)`` returns a :class:`~aiops.playbooks.model.Playbook` or raises
:class:`~aiops.playbooks.model.PlaybookInvalid`, whose ``problems`` each name the file, the line
and the field (see :mod:`aiops.playbooks.validation`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiops.core.errors import ConfigError, UsageError
from aiops.playbooks.model import Playbook, PlaybookInvalid, Problem


def check_text(text: str, file: str) -> tuple[Playbook | None, list[Problem]]:
    """Parse and validate one document; never raises for a bad playbook."""
    from aiops.playbooks.validation import parse_yaml, validate

    data, lines, problems = parse_yaml(text, file)
    if not lines:  # not YAML at all
        return None, problems
    playbook, more = validate(data, lines, file)
    problems = sorted(problems + more, key=lambda p: p.line or 0)
    return (None, problems) if problems else (playbook, [])


def check_file(path: str | os.PathLike) -> tuple[Playbook | None, list[Problem]]:
    """(Playbook, []) or (None, problems) for one file; an unreadable file is a problem."""
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return None, [Problem(file, None, "", f"cannot read: {reason}")]
    return check_text(text, file)


def load_file(path: str | os.PathLike) -> Playbook:
    """The playbook in ``path``; :class:`PlaybookInvalid` (exit 2) naming file, line and field."""
    playbook, problems = check_file(path)
    if problems:
        raise PlaybookInvalid(problems)
    return playbook


def shipped_dir() -> Path:
    """The directory of the playbooks installed with aiops."""
    from importlib.resources import files

    return Path(str(files("aiops.playbooks").joinpath("library")))


def playbook_files(extra_dir: str | os.PathLike | None = None) -> list[Path]:
    """Shipped playbook files, then those of ``extra_dir`` (sorted by name within each)."""
    found = sorted(shipped_dir().glob("*.yaml"))
    if extra_dir:
        directory = Path(extra_dir).expanduser()
        if not directory.is_dir():
            raise ConfigError(f"playbooks.dir {directory} is not a directory")
        found += sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])
    return found


@dataclass
class Library:
    """Every known playbook, by name (a playbook from ``playbooks.dir`` replaces a shipped one)."""

    playbooks: list[Playbook]

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.playbooks]

    def get(self, name: str) -> Playbook:
        """The playbook called ``name``; UsageError (exit 2) listing the known ones."""
        for playbook in self.playbooks:
            if playbook.name == name.strip().lower():
                return playbook
        raise UsageError(f"unknown playbook '{name}' (known: {', '.join(self.names)})",
                         hint="'aiops playbook list' shows them")

    def alerts(self) -> list[str]:
        """Every alert some playbook answers, runbook alerts first."""
        from aiops.catalog import ALERT_RULES

        names = [r.name for r in ALERT_RULES]
        for playbook in self.playbooks:
            names += [a for a in playbook.alerts if a not in names]
        return names

    def for_alert(self, alert: str) -> Playbook | None:
        """The playbook answering ``alert`` (alert playbooks before procedures), or None."""
        matching = [p for p in self.playbooks if p.matches_alert(alert)]
        matching.sort(key=lambda p: p.kind != "alert")
        return matching[0] if matching else None

    def require_alert(self, alert: str) -> Playbook:
        """Like :meth:`for_alert`, but an unknown alert is a UsageError listing the known ones."""
        playbook = self.for_alert(alert)
        if playbook is None:
            raise UsageError(f"unknown alert '{alert}' (known: {', '.join(self.alerts())})",
                             hint="'aiops playbook list' shows which playbook answers which alert")
        return playbook

    def to_dict(self) -> dict[str, Any]:
        return {"schema": "aiops.playbooks/v1", "playbooks": [p.to_dict() for p in self.playbooks]}


def load_library(extra_dir: str | os.PathLike | None = None) -> Library:
    """Load every playbook; the first invalid file raises :class:`PlaybookInvalid`."""
    shipped = shipped_dir()
    by_name: dict[str, Playbook] = {}
    for path in playbook_files(extra_dir):
        playbook = load_file(path)
        if path.parent != shipped:
            from dataclasses import replace

            playbook = replace(playbook, shipped=False)
        by_name[playbook.name] = playbook
    return Library(list(by_name.values()))


@dataclass
class FileCheck:
    """One validated file: its playbook name (when valid) and its problems."""

    file: str
    name: str | None
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "name": self.name, "ok": self.ok,
                "problems": [p.to_dict() for p in self.problems]}


@dataclass
class ValidationReport:
    """``aiops playbook validate``: every file and its problems."""

    files: list[FileCheck]

    def exit_code(self) -> int:
        """2 when any file is invalid, else 0."""
        from aiops.core import errors

        return errors.USAGE if any(not f.ok for f in self.files) else errors.OK

    def to_dict(self) -> dict[str, Any]:
        return {"schema": "aiops.playbook-validate/v1", "valid": sum(f.ok for f in self.files),
                "invalid": sum(not f.ok for f in self.files), "files": [f.to_dict() for f in self.files]}


def validate_files(paths: list[str] | None = None, extra_dir: str | None = None) -> ValidationReport:
    """Validate ``paths`` (default: every known playbook file); two files may not share a name."""
    files = [Path(p) for p in paths] if paths else playbook_files(extra_dir)
    checks, names = [], {}
    for path in files:
        playbook, problems = check_file(path)
        if playbook is not None:
            first = names.setdefault(playbook.name, str(path))
            if first != str(path) and not extra_dir:
                problems = [Problem(str(path), 1, "name", f"'{playbook.name}' is also the name of {first}")]
        checks.append(FileCheck(str(path), playbook.name if playbook else None, problems))
    return ValidationReport(checks)

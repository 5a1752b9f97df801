"""Playbooks: the runbook's alerts and troubleshooting procedures as ordered, executable steps.

A playbook is a YAML file. The shipped ones live in ``aiops/playbooks/`` (the repository's
``playbooks/``); the ``playbooks.dir`` setting names a directory of more (a file there with a
shipped playbook's name replaces it)::

    name: memory-leak                 # lower-case words joined by hyphens
    title: Memory leak
    kind: alert                       # alert (answers runbook alerts) | procedure
    alerts: [MemoryLeak]              # the alerts it answers
    severity: critical                # critical | warning | info
    summary: one paragraph for the responder
    runbook: the runbook section it implements
    signals:                          # findings that choose it when no alert is named
      - metrics.memory_growth
      - {signal: metrics.inference_latency_p95, at_least: critical}
    steps:
      - name: Resident memory growth
        action: metrics.trend         # an action of aiops.steps.ACTIONS
        with: {metric: process_resident_memory_bytes, seconds: 3s}
        expect: {per_hour: "< 100000000"}
        hint: what to do when the expectation fails
      - name: Find the allocation site
        manual: a person's instruction

``load_file(path)`` returns a :class:`Playbook` or raises :class:`PlaybookInvalid`, whose
``problems`` each name the file, the line and the field (see :mod:`aiops.playbook_validation`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiops.errors import ConfigError, UsageError

SEVERITIES = ("critical", "warning", "info")
KINDS = ("alert", "procedure")
HEALTH_SIGNALS = ("health.unreachable", "health.not-ready", "health.degraded", "health.check.memory",
                  "health.check.disk", "health.check.dependencies", "health.check.errors")
OTHER_SIGNALS = ("logs.errors",)
TOP_KEYS = ("name", "title", "kind", "alerts", "severity", "summary", "runbook", "signals", "steps")
STEP_KEYS = ("name", "action", "with", "expect", "hint", "severity", "manual")


def known_signals() -> tuple[str, ...]:
    """Every signal a playbook may name: scorecard checks, health findings, log errors."""
    from aiops.catalog.checks import CHECKS

    return tuple(f"metrics.{c.key}" for c in CHECKS) + HEALTH_SIGNALS + OTHER_SIGNALS


@dataclass(frozen=True)
class Condition:
    """``field OP value`` (``per_hour < 100000000``, ``verdict == healthy``)."""

    field: str
    op: str
    value: float | str | bool

    @property
    def text(self) -> str:
        value = f"{self.value:g}" if isinstance(self.value, float) else str(self.value)
        return f"{self.field} {self.op} {value}"

    def holds(self, actual: Any) -> bool:
        """True when ``actual`` satisfies the condition (None never does)."""
        if actual is None:
            return False
        if isinstance(self.value, float):
            if isinstance(actual, bool) or not isinstance(actual, (int, float)):
                return False
            actual = float(actual)
        elif isinstance(self.value, bool):
            actual = bool(actual)
        else:
            actual = str(actual)
        return {"==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
                "<=": lambda a, b: a <= b, ">": lambda a, b: a > b,
                ">=": lambda a, b: a >= b}[self.op](actual, self.value)

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "op": self.op, "value": self.value, "text": self.text}


@dataclass(frozen=True)
class Signal:
    """A finding that chooses a playbook, from a severity up."""

    name: str
    at_least: str = "info"

    def to_dict(self) -> dict[str, Any]:
        return {"signal": self.name, "at_least": self.at_least}


@dataclass(frozen=True)
class Step:
    """One step: an action with parameters and expectations, or a manual instruction."""

    number: int
    name: str
    action: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    expect: tuple[Condition, ...] = ()
    manual: str | None = None
    hint: str | None = None
    severity: str | None = None
    line: int | None = None

    @property
    def automated(self) -> bool:
        return self.action is not None

    def to_dict(self) -> dict[str, Any]:
        return {"number": self.number, "name": self.name, "action": self.action,
                "with": self.params, "expect": [c.to_dict() for c in self.expect],
                "manual": self.manual, "hint": self.hint, "severity": self.severity}


@dataclass(frozen=True)
class Playbook:
    """One validated playbook (see the module docstring for the file format)."""

    name: str
    title: str
    kind: str
    severity: str
    alerts: tuple[str, ...]
    signals: tuple[Signal, ...]
    steps: tuple[Step, ...]
    summary: str | None = None
    runbook: str | None = None
    path: str | None = None
    shipped: bool = True

    def matches_alert(self, alert: str) -> bool:
        return any(a.lower() == alert.lower() for a in self.alerts)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "kind": self.kind, "severity": self.severity,
                "alerts": list(self.alerts), "signals": [s.to_dict() for s in self.signals],
                "summary": self.summary, "runbook": self.runbook, "path": self.path,
                "shipped": self.shipped, "steps": [s.to_dict() for s in self.steps]}


@dataclass(frozen=True)
class Problem:
    """One reason a playbook file is invalid."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "field": self.field, "message": self.message}


class PlaybookInvalid(ConfigError):
    """A playbook file that does not validate; ``problems`` lists every reason (exit 2)."""

    def __init__(self, problems: list[Problem]) -> None:
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        super().__init__(f"invalid playbook {problems[0]}{more}",
                         hint="'aiops playbook validate FILE' lists every problem")
        self.problems = problems


# -- files and the library ---------------------------------------------------------------------

def check_text(text: str, file: str) -> tuple[Playbook | None, list[Problem]]:
    """Parse and validate one document; never raises for a bad playbook."""
    from aiops.playbook_validation import parse_yaml, validate

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

    return Path(str(files("aiops").joinpath("playbooks")))


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
        from aiops import errors

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

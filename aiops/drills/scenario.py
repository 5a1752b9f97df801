"""Drill scenarios: YAML files with a known truth.

A scenario names how many lab instances it needs, the faults to inject (on which instance,
from ``at`` until ``until``), the noise that must not be mistaken for an incident, sources to
take down before triage, and what a good answer is::

    name: leak-on-one-of-three
    instances: 3
    faults:
      - {fault: memory-leak, value: 5, instance: 2, at: 0s}
    noise:
      - {fault: client-errors, value: 20, instance: 1, at: 10s}
    down: [prometheus]            # optional: prometheus, logs, pagerduty (after the alerts fire)
    expect: {alerts: [MemoryLeak], playbook: memory-leak, instance: 2, verdict: critical}

Times are scenario time (real time at ``--speed 1``). ``expect.verdict`` is one verdict or a
list of acceptable ones; ``not-critical`` means ok or warning. ``within`` (default 15m) bounds
the wait for the expected alerts (never under 90 s of wall clock); ``observe`` (default 10m) is how long a scenario without
expected alerts is watched for false alarms. Every problem names the file, line and field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiops.catalog import ALERT_RULES
from aiops.core.errors import ConfigError, UsageError
from aiops.core.timewindow import parse_duration
from aiops.lab.faults import BY_NAME, NOISE, parse_fault
from aiops.playbooks.model import Problem
from aiops.playbooks.validation import _Checker as Checker  # one way to say "file:line: field: why"
from aiops.playbooks.validation import parse_yaml

TOP_KEYS = ("name", "description", "instances", "faults", "noise", "down", "expect", "within", "observe")
EVENT_KEYS = ("fault", "value", "instance", "at", "until")
EXPECT_KEYS = ("alerts", "playbook", "instance", "verdict")
SOURCES = ("prometheus", "logs", "pagerduty")
VERDICTS = ("ok", "warning", "critical")
MAX_INSTANCES = 20
_ALERTS = [r.name for r in ALERT_RULES]


@dataclass(frozen=True)
class Event:
    """One fault (or noise) on one instance (1-based), from ``at`` to ``until`` (seconds)."""

    fault: str
    value: float | None
    instance: int
    at: float
    until: float | None
    noise: bool

    @property
    def spec(self) -> str:
        from aiops.lab.faults import format_fault

        return format_fault(self.fault, self.value)

    def to_dict(self) -> dict[str, Any]:
        return {"fault": self.fault, "value": self.value, "instance": self.instance, "at_seconds": self.at,
                "until_seconds": self.until, "noise": self.noise}


@dataclass(frozen=True)
class Expect:
    alerts: tuple[str, ...] = ()
    playbook: str | None = None
    instance: int | None = None
    verdicts: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"alerts": list(self.alerts), "playbook": self.playbook, "instance": self.instance,
                "verdicts": list(self.verdicts)}


@dataclass(frozen=True)
class Scenario:
    name: str
    file: str
    description: str
    instances: int
    events: tuple[Event, ...]
    down: tuple[str, ...]
    expect: Expect
    within: float = 900.0
    observe: float = 600.0

    @property
    def faults(self) -> list[Event]:
        return [e for e in self.events if not e.noise]

    @property
    def noise_only(self) -> bool:
        return not self.faults


class ScenarioInvalid(ConfigError):
    """A scenario file that does not validate (exit 2); ``problems`` lists every reason."""

    def __init__(self, problems: list[Problem]) -> None:
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        super().__init__(f"invalid scenario {problems[0]}{more}",
                         hint="each problem names the file, line and field")
        self.problems = problems


def load_file(path: str | Path) -> Scenario:
    """Parse and validate one scenario file; ScenarioInvalid (exit 2) otherwise."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioInvalid([Problem(str(path), None, "", f"cannot read: {exc}")]) from None
    data, lines, problems = parse_yaml(text, str(path))
    if problems:
        raise ScenarioInvalid(problems)
    scenario, problems = validate(data, lines, str(path))
    if problems:
        raise ScenarioInvalid(problems)
    return scenario


def validate(data: Any, lines: dict[tuple, int], file: str) -> tuple[Scenario | None, list[Problem]]:
    """Check a parsed scenario document: (Scenario, []) or (None, problems)."""
    check = Checker(file, lines)
    if not isinstance(data, dict):
        check.add((), "a scenario must be a mapping (name, instances, faults, noise, expect)")
        return None, check.problems
    check.unknown_keys(data, TOP_KEYS, ())
    name = check.text(data, "name", (), required=True)
    description = data.get("description") or ""
    instances = _integer(check, data.get("instances", 1), ("instances",), 1, MAX_INSTANCES)
    events = [e for key in ("faults", "noise") for e in _events(check, data, key, instances or MAX_INSTANCES)]
    down = tuple(_list(check, data, "down", SOURCES))
    expect = _expect(check, data.get("expect"), instances or MAX_INSTANCES)
    within = _duration(check, data.get("within", "15m"), ("within",))
    observe = _duration(check, data.get("observe", "10m"), ("observe",))
    if not data.get("faults") and not data.get("noise"):
        check.add(("faults",), "a scenario needs at least one fault or noise")
    if expect is not None and expect.alerts and not any(not e.noise for e in events):
        check.add(("expect", "alerts"), "alerts are expected but no fault is injected")
    if check.problems:
        return None, check.problems
    return Scenario(name, file, str(description), instances, tuple(events), down, expect, within, observe), []


def _integer(check: Checker, value: Any, path: tuple, low: int, high: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        check.add(path, f"must be a whole number from {low} to {high}, got {value!r}")
        return None
    return value


def _duration(check: Checker, value: Any, path: tuple) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        return float(value)
    if re.fullmatch(r"0+(ms|[smhd])?", str(value).strip()):
        return 0.0
    try:
        return parse_duration(str(value))
    except UsageError as exc:
        check.add(path, f"must be a duration such as 30s or 5m: {exc.message}")
        return None


def _list(check: Checker, data: dict, key: str, choices: tuple[str, ...]) -> list[str]:
    value = data.get(key, [])
    if not isinstance(value, list):
        check.add((key,), f"must be a list of {', '.join(choices)}")
        return []
    out = []
    for i, item in enumerate(value):
        if item not in choices:
            check.add((key, i), f"must be one of {', '.join(choices)}, got {item!r}")
        else:
            out.append(item)
    return out


def _events(check: Checker, data: dict, key: str, instances: int) -> list[Event]:
    raw = data.get(key, [])
    if not isinstance(raw, list):
        check.add((key,), "must be a list of {fault, value, instance, at, until}")
        return []
    out = []
    for i, item in enumerate(raw):
        path = (key, i)
        if not isinstance(item, dict):
            check.add(path, "must be a mapping {fault, value, instance, at, until}")
            continue
        check.unknown_keys(item, EVENT_KEYS, path)
        name = check.text(item, "fault", path, required=True)
        if name is None:
            continue
        noise = key == "noise"
        if name in BY_NAME and (name in NOISE) != noise:
            where = "noise" if name in NOISE else "faults"
            check.add(path + ("fault",), f"'{name}' belongs under {where}")
            continue
        try:
            fault, value = parse_fault(name, item.get("value"))
        except UsageError as exc:
            check.add(path + ("fault" if name not in BY_NAME else "value",), exc.message)
            continue
        instance = _integer(check, item.get("instance", 1), path + ("instance",), 1, instances)
        at = _duration(check, item.get("at", 0), path + ("at",))
        until = _duration(check, item["until"], path + ("until",)) if "until" in item else None
        if at is not None and until is not None and until <= at:
            check.add(path + ("until",), f"must be after at ({at:g}s), got {until:g}s")
        if None not in (instance, at) and (until is not None or "until" not in item):
            out.append(Event(fault, value, instance, at, until, noise))
    return out


def _expect(check: Checker, raw: Any, instances: int) -> Expect | None:
    if not isinstance(raw, dict):
        check.add(("expect",), "required: a mapping {alerts, playbook, instance, verdict}")
        return None
    check.unknown_keys(raw, EXPECT_KEYS, ("expect",))
    alerts = raw.get("alerts", [])
    if not isinstance(alerts, list) or any(a not in _ALERTS for a in alerts):
        check.add(("expect", "alerts"), f"must be a list of runbook alerts ({', '.join(_ALERTS)}), got {alerts!r}")
        alerts = []
    playbook = raw.get("playbook")
    if playbook is not None:
        from aiops.playbooks import load_library

        known = [p.name for p in load_library(None).playbooks]
        if playbook not in known:
            check.add(("expect", "playbook"), f"unknown playbook {playbook!r} (known: {', '.join(known)})")
    instance = raw.get("instance")
    if instance is not None:
        instance = _integer(check, instance, ("expect", "instance"), 1, instances)
    verdict = raw.get("verdict")
    if verdict is None:
        check.add(("expect", "verdict"), "required: ok, warning, critical, not-critical or a list of them")
        verdicts: list[str] = []
    else:
        verdicts = []
        for v in verdict if isinstance(verdict, list) else [verdict]:
            if v == "not-critical":
                verdicts += ["ok", "warning"]
            elif v in VERDICTS:
                verdicts.append(v)
            else:
                check.add(("expect", "verdict"), f"must be ok, warning, critical or not-critical, got {v!r}")
    return Expect(tuple(alerts), playbook, instance, tuple(dict.fromkeys(verdicts)))


def builtin_dir() -> Path:
    """The drill corpus installed with aiops."""
    from importlib.resources import files

    return Path(str(files("aiops.drills").joinpath("corpus")))


def collect(paths: list[str]) -> list[Scenario]:
    """Every scenario in the given files and directories (``*.yaml``/``*.yml``, sorted), or the
    built-in corpus when none is given. All are validated before any runs; names must be unique."""
    files: list[Path] = []
    for raw in paths or [str(builtin_dir())]:
        p = Path(raw).expanduser()
        if p.is_dir():
            files += sorted(f for f in p.iterdir() if f.suffix in (".yaml", ".yml"))
        elif p.is_file():
            files.append(p)
        else:
            raise ConfigError(f"{p}: no such file or directory")
    if not files:
        raise ConfigError(f"no scenario files (*.yaml) in {', '.join(paths)}")
    problems: list[Problem] = []
    scenarios: list[Scenario] = []
    for f in files:
        try:
            scenarios.append(load_file(f))
        except ScenarioInvalid as exc:
            problems += exc.problems
    seen: dict[str, str] = {}
    for s in scenarios:
        if s.name in seen:
            problems.append(Problem(s.file, 1, "name", f"'{s.name}' is also the name of {seen[s.name]}"))
        seen.setdefault(s.name, s.file)
    if problems:
        raise ScenarioInvalid(problems)
    return scenarios


def summary(scenarios: list[Scenario]) -> dict[str, Any]:
    """``aiops drill list``: the scenarios as data (``aiops.drill-scenarios/v1``)."""
    return {"schema": "aiops.drill-scenarios/v1", "scenarios": [
        {"name": s.name, "file": s.file, "description": s.description, "instances": s.instances,
         "kind": "noise-only" if s.noise_only else "fault", "events": [e.to_dict() for e in s.events],
         "down": list(s.down), "expected": s.expect.to_dict()} for s in scenarios]}

"""Offline validation of Grafana dashboard JSON files (no Grafana server needed).

Grafana publishes no JSON Schema for dashboards (the server validates with CUE), so a file is
checked the ways that can be checked here:

- it round-trips through grafana-foundation-sdk's models unchanged (a key the model does not
  know, or a value of the wrong shape, is lost on the way and reported);
- every target's PromQL parses (promql-parser, after Grafana's variables are filled in);
- every unit is one of Grafana's real unit IDs (:mod:`aiops.dashboards.units`);
- thresholds ascend from a base step, panels fit the 24-column grid, UIDs are unique.

Every problem names the file and the panel.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiops.core.errors import CHECK_FAILED, OK, UsageError

SCHEMA = "aiops.dashboards-validate/v1"


@dataclass
class Problem:
    file: str
    panel: str | None  # "'Title' (id N)", or None for the dashboard itself
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "panel": self.panel, "problem": self.message}

    def __str__(self) -> str:
        where = f"{self.file}: panel {self.panel}" if self.panel else self.file
        return f"{where}: {self.message}"


@dataclass
class CheckedFile:
    file: str
    uid: str | None
    title: str | None
    panels: int
    queries: int

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "uid": self.uid, "title": self.title, "panels": self.panels,
                "queries": self.queries}


@dataclass
class Validation:
    directory: str
    files: list[CheckedFile] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    duration_ms: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems

    def exit_code(self) -> int:
        return OK if self.ok else CHECK_FAILED

    def to_dict(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "directory": self.directory, "ok": self.ok,
                "files": [f.to_dict() for f in self.files], "problems": [p.to_dict() for p in self.problems],
                "duration_ms": round(self.duration_ms, 1)}


def validate_dir(directory: str | Path) -> Validation:
    """Check every ``*.json`` file in ``directory``; UsageError when there is none."""
    started = time.perf_counter()
    root = Path(directory).expanduser()
    if not root.is_dir():
        raise UsageError(f"{root} is not a directory", hint="give the directory 'aiops dashboards export' wrote")
    paths = sorted(root.glob("*.json"))
    if not paths:
        raise UsageError(f"no *.json dashboard files in {root}", hint="run 'aiops dashboards export' first")
    result = Validation(str(root))
    uids: dict[str, str] = {}
    for path in paths:
        checked, problems = validate_file(path)
        result.files.append(checked)
        result.problems += problems
        if checked.uid:
            if checked.uid in uids:
                result.problems.append(Problem(path.name, None, f"uid '{checked.uid}' is also used by {uids[checked.uid]}"))
            uids.setdefault(checked.uid, path.name)
    result.duration_ms = (time.perf_counter() - started) * 1000
    return result


def validate_file(path: Path) -> tuple[CheckedFile, list[Problem]]:
    """One file: (what it holds, its problems)."""
    name = path.name
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        return CheckedFile(name, None, None, 0, 0), [Problem(name, None, f"cannot read: {exc}")]
    except ValueError as exc:
        return CheckedFile(name, None, None, 0, 0), [Problem(name, None, f"not JSON: {exc}")]
    if not isinstance(data, dict):
        return CheckedFile(name, None, None, 0, 0), [Problem(name, None, "not a dashboard (a JSON object)")]
    problems = _round_trip(name, data)
    panels = [p for p in _panels(data) if isinstance(p, dict) and p.get("type") != "row"]
    queries = 0
    for panel in panels:
        queries += len(panel.get("targets") or [])
        problems += check_panel(name, panel)
    if not data.get("uid"):
        problems.append(Problem(name, None, "no uid: Grafana would make a new dashboard on every import"))
    return CheckedFile(name, data.get("uid"), data.get("title"), len(panels), queries), problems


def _panels(data: dict) -> list[Any]:
    out: list[Any] = []
    for panel in data.get("panels") or []:
        out.append(panel)
        if isinstance(panel, dict) and panel.get("type") == "row":
            out += panel.get("panels") or []
    return out


def _round_trip(name: str, data: dict) -> list[Problem]:
    from grafana_foundation_sdk.cog.encoder import JSONEncoder
    from grafana_foundation_sdk.models.dashboard import Dashboard

    try:
        again = json.loads(json.dumps(Dashboard.from_json(data), cls=JSONEncoder))
    except Exception as exc:  # the SDK raises whatever its generated code hits
        return [Problem(name, None, f"the SDK's dashboard model cannot read it: {type(exc).__name__}: {exc}")]
    difference = _first_difference(data, again)
    if difference is None:
        return []
    where, what = difference
    return [Problem(name, _panel_at(data, where), f"changes in a round trip through the SDK's model at "
                                                  f"{_path_text(where)}: {what}")]


def _first_difference(a: Any, b: Any, path: tuple = ()) -> tuple[tuple, str] | None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in a:
            if key not in b:
                return path + (key,), "not part of the model (dropped)"
            found = _first_difference(a[key], b[key], path + (key,))
            if found:
                return found
        for key in b:
            if key not in a:
                return path + (key,), "missing (the model adds its default)"
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return path, f"{len(a)} item(s) became {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            found = _first_difference(x, y, path + (i,))
            if found:
                return found
        return None
    if a != b or type(a) is not type(b) and not (isinstance(a, (int, float)) and isinstance(b, (int, float))):
        return path, f"{json.dumps(a)[:60]} became {json.dumps(b)[:60]}"
    return None


def _path_text(path: tuple) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".") or "(top)"


def _panel_at(data: dict, path: tuple) -> str | None:
    if len(path) >= 2 and path[0] == "panels" and isinstance(path[1], int):
        panel = data["panels"][path[1]]
        if isinstance(panel, dict):
            return panel_name(panel)
    return None


def panel_name(panel: dict) -> str:
    """How a problem names a panel: its title and id."""
    return f"'{panel.get('title') or '(untitled)'}' (id {panel.get('id', '?')})"


def check_panel(file: str, panel: dict) -> list[Problem]:
    """Units, thresholds, grid position and PromQL of one (non-row) panel."""
    import promql_parser

    from aiops.dashboards.promql import expand
    from aiops.dashboards.units import is_unit

    name, problems = panel_name(panel), []
    defaults = (panel.get("fieldConfig") or {}).get("defaults") or {}
    unit = defaults.get("unit")
    if not unit:
        problems.append(Problem(file, name, "no unit"))
    elif not is_unit(unit):
        problems.append(Problem(file, name, f"unit '{unit}' is not a Grafana unit ID"))
    steps = ((defaults.get("thresholds") or {}).get("steps")) or []
    if steps:
        values = [s.get("value") for s in steps]
        if values[0] is not None:
            problems.append(Problem(file, name, "thresholds do not start with a base step (value null)"))
        numbers = [v for v in values[1:] if v is not None]
        if numbers != sorted(numbers) or len(numbers) != len(values) - 1:
            problems.append(Problem(file, name, f"threshold steps are not ascending: {values}"))
    grid = panel.get("gridPos") or {}
    if grid.get("x", 0) + grid.get("w", 0) > 24:
        problems.append(Problem(file, name, f"gridPos x={grid.get('x')} w={grid.get('w')} is wider than 24 columns"))
    for target in panel.get("targets") or []:
        expr, ref = target.get("expr"), target.get("refId", "?")
        if not isinstance(expr, str) or not expr.strip():
            problems.append(Problem(file, name, f"target {ref} has no PromQL expression"))
            continue
        try:
            promql_parser.parse(expand(expr, job="active-inference", rate_window_s=60, range_s=3600))
        except ValueError as exc:
            problems.append(Problem(file, name, f"target {ref}: PromQL does not parse: {str(exc).strip()[:200]}"))
    return problems

"""Validation of playbook documents: every problem with its file, line and field.

``parse_yaml(text, file)`` keeps the line of every key and list item (yaml's node marks) and
reports duplicate keys, which yaml itself accepts silently; ``validate(data, lines, file)``
checks the document against the format described in :mod:`aiops.playbooks` and the action
registry (:mod:`aiops.playbooks.steps.registry`).
"""

from __future__ import annotations

import re
from typing import Any, Iterable

from aiops.playbooks.model import (
    KINDS,
    SEVERITIES,
    STEP_KEYS,
    TOP_KEYS,
    Condition,
    Playbook,
    Problem,
    Signal,
    Step,
    known_signals,
)

_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_CONDITION = re.compile(r"^\s*(==|!=|<=|>=|<|>)\s*(.+?)\s*$")


def parse_yaml(text: str, file: str) -> tuple[Any, dict[tuple, int], list[Problem]]:
    """(data, {path: line}, problems) for a YAML document; lines are 1-based."""
    import yaml

    loader_cls = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loader = loader_cls(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}, [Problem(file, 1, "", "the file is empty")]
        data = loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return None, {}, [Problem(file, mark.line + 1 if mark else None, "", f"not valid YAML: {reason}")]
    finally:
        loader.dispose()
    lines: dict[tuple, int] = {(): node.start_mark.line + 1}
    problems: list[Problem] = []
    if not _walk(node, lines, problems, file):
        return None, {}, [Problem(file, 1, "", f"more than {MAX_NODES} values (anchors and aliases "
                                                "count each time they are used): not a playbook")]
    return data, lines, problems


MAX_NODES = 20_000  # a playbook has dozens; an alias "bomb" has billions


def _walk(root: Any, lines: dict[tuple, int], problems: list[Problem], file: str) -> bool:
    """Record each value's line and flag duplicate keys; False past MAX_NODES values.

    Iterative (deep nesting needs no recursion) and each node's children are walked once per
    path it is reached by, up to the budget: an alias loop or an exponential alias tree stops.
    """
    import yaml

    stack: list[tuple[Any, tuple, frozenset]] = [(root, (), frozenset())]
    budget = MAX_NODES
    while stack:
        node, path, above = stack.pop()
        budget -= 1
        if budget < 0:
            return False
        if id(node) in above:  # an alias of a node that contains it: a cycle
            continue
        inside = above | {id(node)}
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in node.value:
                key = key_node.value
                if key in seen:
                    problems.append(Problem(file, key_node.start_mark.line + 1, _field(path + (key,)),
                                            "duplicate key"))
                seen.add(key)
                lines[path + (key,)] = key_node.start_mark.line + 1
                stack.append((value_node, path + (key,), inside))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                lines[path + (i,)] = item.start_mark.line + 1
                stack.append((item, path + (i,), inside))
    return True


def _field(path: tuple) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class _Checker:
    """Collects problems with the line of the nearest known path."""

    def __init__(self, file: str, lines: dict[tuple, int]) -> None:
        self.file, self.lines, self.problems = file, lines, []

    def add(self, path: tuple, message: str) -> None:
        probe = path
        while probe and probe not in self.lines:
            probe = probe[:-1]
        self.problems.append(Problem(self.file, self.lines.get(probe), _field(path), message))

    def text(self, data: dict, key: str, path: tuple, *, required: bool = False) -> str | None:
        value = data.get(key)
        if value is None:
            if required:
                self.add(path + (key,), "required")
            return None
        if not isinstance(value, str) or not value.strip():
            self.add(path + (key,), "must be a non-empty string")
            return None
        return value.strip()

    def choice(self, data: dict, key: str, path: tuple, choices: Iterable[str], *,
               required: bool = False) -> str | None:
        value = self.text(data, key, path, required=required)
        if value is not None and value not in choices:
            self.add(path + (key,), f"must be one of {', '.join(choices)}, got '{value}'")
            return None
        return value

    def unknown_keys(self, data: dict, allowed: Iterable[str], path: tuple) -> None:
        for key in data:
            if key not in allowed:
                self.add(path + (key,), f"unknown field (known: {', '.join(allowed)})")


def parse_condition(field_name: str, raw: Any) -> Condition:
    """``"< 0.1"`` -> Condition(field, "<", 0.1); a bare value means ``==``. ValueError if bad."""
    if isinstance(raw, bool):
        return Condition(field_name, "==", raw)
    if isinstance(raw, (int, float)):
        return Condition(field_name, "==", float(raw))
    if not isinstance(raw, str) or not raw.strip():
        raise ValueError("must be a condition such as '< 0.1', '== healthy' or a value")
    match = _CONDITION.match(raw)
    op, text = (match.group(1), match.group(2)) if match else ("==", raw.strip())
    try:
        value: float | str = float(text)
    except ValueError:
        value = text.strip("'\"")
        if op not in ("==", "!="):
            raise ValueError(f"'{raw}': {op} needs a number") from None
    return Condition(field_name, op, value)


def validate(data: Any, lines: dict[tuple, int], file: str) -> tuple[Playbook | None, list[Problem]]:
    """Check a parsed document; (Playbook, []) when valid, else (None, problems)."""
    check = _Checker(file, lines)
    if not isinstance(data, dict):
        check.add((), "a playbook must be a mapping (name, title, severity, steps, ...)")
        return None, check.problems
    check.unknown_keys(data, TOP_KEYS, ())
    name = check.text(data, "name", (), required=True)
    if name and not _NAME.match(name):
        check.add(("name",), f"'{name}' must be lower-case words joined by hyphens")
    title = check.text(data, "title", (), required=True)
    severity = check.choice(data, "severity", (), SEVERITIES, required=True)
    alerts = _strings(check, data, "alerts")
    kind = check.choice(data, "kind", (), KINDS) or ("alert" if alerts else "procedure")
    if kind == "alert" and not alerts and "kind" in data:
        check.add(("alerts",), "an alert playbook must name the alerts it answers")
    signals = _signals(check, data.get("signals"))
    steps = _steps(check, data.get("steps"))
    summary = check.text(data, "summary", ())
    runbook = check.text(data, "runbook", ())
    if check.problems:
        return None, check.problems
    return Playbook(name, title, kind, severity, tuple(alerts), tuple(signals), tuple(steps), summary,
                    runbook, file), []


def _strings(check: _Checker, data: dict, key: str) -> list[str]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        check.add((key,), "must be a list of names")
        return []
    return [v.strip() for v in value]


def _signals(check: _Checker, raw: Any) -> list[Signal]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        check.add(("signals",), "must be a list")
        return []
    known = known_signals()
    out = []
    for i, item in enumerate(raw):
        path = ("signals", i)
        bare = isinstance(item, str)
        if bare:
            item = {"signal": item}
        if not isinstance(item, dict):
            check.add(path, "must be a signal name or {signal: NAME, at_least: SEVERITY}")
            continue
        check.unknown_keys(item, ("signal", "at_least"), path)
        name = check.text(item, "signal", path, required=True)
        at_least = check.choice(item, "at_least", path, SEVERITIES) or "info"
        if name and name not in known:
            check.add(path if bare else path + ("signal",),
                      f"unknown signal '{name}' (known: {', '.join(known)})")
        elif name:
            out.append(Signal(name, at_least))
    return out


def _steps(check: _Checker, raw: Any) -> list[Step]:
    if raw is None:
        check.add(("steps",), "required")
        return []
    if not isinstance(raw, list) or not raw:
        check.add(("steps",), "must be a non-empty list of steps")
        return []
    return [s for i, item in enumerate(raw) if (s := _step(check, item, i)) is not None]


def _step(check: _Checker, item: Any, i: int) -> Step | None:
    from aiops.playbooks.steps import ACTIONS

    path = ("steps", i)
    if not isinstance(item, dict):
        check.add(path, "a step must be a mapping with name and action (or manual)")
        return None
    before = len(check.problems)
    check.unknown_keys(item, STEP_KEYS, path)
    name = check.text(item, "name", path, required=True)
    hint = check.text(item, "hint", path)
    severity = check.choice(item, "severity", path, SEVERITIES)
    line = check.lines.get(path)
    if "manual" in item:
        manual = check.text(item, "manual", path, required=True)
        for key in ("action", "with", "expect"):
            if key in item:
                check.add(path + (key,), "a manual step has no action, parameters or expectations")
        return Step(i + 1, name or "", manual=manual, hint=hint, line=line) \
            if len(check.problems) == before else None
    action_name = check.text(item, "action", path)
    if action_name is None:
        if "action" not in item:
            check.add(path, "a step needs 'action' (an aiops action) or 'manual' (an instruction)")
        return None
    action = ACTIONS.get(action_name)
    if action is None:
        check.add(path + ("action",), f"unknown action '{action_name}' (known: {', '.join(ACTIONS)})")
        return None
    params = _params(check, action, item.get("with"), path + ("with",))
    conditions = _expect(check, action, params, item.get("expect"), path + ("expect",))
    if len(check.problems) != before:
        return None
    return Step(i + 1, name or "", action_name, params, tuple(conditions), None, hint, severity, line)


def _params(check: _Checker, action: Any, raw: Any, path: tuple) -> dict[str, Any]:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        check.add(path, "must be a mapping of parameters")
        return {}
    out: dict[str, Any] = {}
    for key, value in raw.items():
        param = action.param(key)
        if param is None:
            known = ", ".join(p.name for p in action.params) or "none"
            check.add(path + (key,), f"unknown parameter of {action.name} (known: {known})")
            continue
        try:
            out[key] = param.coerce(value)
        except ValueError as exc:
            check.add(path + (key,), str(exc))
    for param in action.params:
        if param.required and param.name not in raw:
            check.add(path + (param.name,), f"required by {action.name}")
    return out


def _expect(check: _Checker, action: Any, params: dict[str, Any], raw: Any, path: tuple) -> list[Condition]:
    if raw is None:
        return []
    if not isinstance(raw, dict) or not raw:
        check.add(path, "must be a mapping of result field to condition, e.g. {value: '< 1'}")
        return []
    fields = action.fields_for(params)
    out = []
    for key, value in raw.items():
        if key not in fields:
            check.add(path + (key,), f"{action.name} has no result field '{key}' "
                                     f"(known: {', '.join(fields)})")
            continue
        try:
            out.append(parse_condition(key, value))
        except ValueError as exc:
            check.add(path + (key,), str(exc))
    return out

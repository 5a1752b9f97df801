"""``postmortem check``: what a post-mortem still lacks, each gap with its line number.

A post-mortem is complete when it has every required section, no ``[TODO: ...]`` placeholder
is left, every action item has an owner and a due date (``YYYY-MM-DD``), and, for the kind of
document that has one, the timeline shows the acknowledgement.

Two kinds: an *incident* post-mortem (its ``Incident:`` field names a PagerDuty incident) must
show the acknowledgement (the P1 clock's Immediate response), from PagerDuty's log, the aiops
audit log or a row a person typed ("acknowledged", "acked"); a *window* post-mortem (``Incident:
none``: no incident, no page) has nothing to acknowledge and is not asked for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiops.core import errors
from aiops.core.errors import UsageError

SCHEMA = "aiops.postmortem-check/v1"
REQUIRED = (("##", "Summary"), ("##", "Impact"), ("##", "Root causes"), ("##", "Trigger"),
            ("##", "Resolution"), ("##", "Detection"), ("##", "P1 response clock"),
            ("##", "Timeline"), ("##", "Key metrics"), ("##", "Action items"),
            ("##", "Lessons learned"), ("###", "What went well"), ("###", "What went wrong"),
            ("###", "Where we got lucky"))
PLACEHOLDER = re.compile(r"(?<!\\)\[TODO\b[^\]]*\]", re.I)
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FIELD = re.compile(r"^\s*[-*]\s+\*\*([^*]+?):?\*\*")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ACK = re.compile(r"\backnowledg|\back(?:ed|s)?\b", re.I)
_INCIDENT_FIELD = re.compile(r"^\s*[-*]\s+\*\*Incident:?\*\*:?\s*(.*)$", re.I)
_EMPTY = {"", "-", "?", "tbd", "n/a", "none"}


@dataclass
class Problem:
    """One thing left to do: where (line, section) and what."""

    line: int
    section: str
    kind: str  # placeholder | missing-section | action-owner | action-due | no-action-items | no-acknowledge
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "section": self.section, "kind": self.kind,
                "message": self.message}


@dataclass
class CheckReport:
    path: str
    problems: list[Problem] = field(default_factory=list)
    kind: str = "incident"  # incident | window (see the module docstring)

    @property
    def complete(self) -> bool:
        return not self.problems

    def exit_code(self) -> int:
        return errors.OK if self.complete else errors.CHECK_FAILED

    def to_dict(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "path": self.path, "kind": self.kind, "complete": self.complete,
                "count": len(self.problems), "problems": [p.to_dict() for p in self.problems]}


def _split_row(line: str) -> list[str]:
    cells = re.split(r"(?<!\\)\|", line.strip().strip("|"))
    return [c.strip() for c in cells]


def _is_rule(line: str) -> bool:
    return bool(re.fullmatch(r"\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?", line.strip()))


def _sections(lines: list[str]) -> list[tuple[int, int, str, str]]:
    """(line number, level, title, '#' marks) of every heading outside code fences."""
    out, fenced = [], False
    for n, line in enumerate(lines, 1):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        m = None if fenced else _HEADING.match(line)
        if m:
            out.append((n, len(m.group(1)), m.group(2), m.group(1)))
    return out


def _section_at(headings: list[tuple[int, int, str, str]], line: int, text: str) -> str:
    field_match = _FIELD.match(text)
    current = "header"
    for n, level, title, _ in headings:
        if n > line:
            break
        if level > 1:  # the document title does not start a section
            current = title
    if current == "header" and field_match:
        return field_match.group(1).strip()
    return current


def _body(lines: list[str], headings: list[tuple[int, int, str, str]], title: str
          ) -> tuple[int, list[tuple[int, str]]] | None:
    """The heading line and the (number, text) lines of the section called ``title``."""
    for i, (n, level, t, _) in enumerate(headings):
        if t.lower() == title.lower():
            end = next((m for m, lv, _, _ in headings[i + 1:] if lv <= level), len(lines) + 1)
            return n, [(k, lines[k - 1]) for k in range(n + 1, end)]
    return None


def _action_items(lines: list[str], headings: list, problems: list[Problem]) -> None:
    found = _body(lines, headings, "Action items")
    if found is None:
        return
    heading, body = found
    rows = [(n, text) for n, text in body if text.strip().startswith("|")]
    if len(rows) < 2 or not _is_rule(rows[1][1]):
        problems.append(Problem(heading, "Action items", "no-action-items",
                                "no action items table (| Type | Action | Owner | Due |)"))
        return
    header = [c.lower() for c in _split_row(rows[0][1])]
    owner = next((i for i, c in enumerate(header) if "owner" in c), None)
    due = next((i for i, c in enumerate(header) if "due" in c), None)
    action = next((i for i, c in enumerate(header) if "action" in c or "item" in c), 0)
    items = 0
    for n, text in rows[2:]:
        if PLACEHOLDER.search(text):
            continue  # already reported as a placeholder
        cells = _split_row(text)
        if not any(c not in _EMPTY for c in cells):
            continue
        items += 1
        name = cells[action] if action < len(cells) else f"row {n}"
        who = cells[owner] if owner is not None and owner < len(cells) else ""
        when = cells[due] if due is not None and due < len(cells) else ""
        if who.lower() in _EMPTY:
            problems.append(Problem(n, "Action items", "action-owner",
                                    f"action item '{name}' has no owner"))
        if not _DATE.match(when):
            problems.append(Problem(n, "Action items", "action-due",
                                    f"action item '{name}' has no due date (YYYY-MM-DD)"
                                    + (f": '{when}'" if when and when.lower() not in _EMPTY else "")))
    if items == 0 and not any(PLACEHOLDER.search(t) for _, t in rows[2:]):
        problems.append(Problem(heading, "Action items", "no-action-items", "no action items"))


def _acknowledge(lines: list[str], headings: list, problems: list[Problem]) -> None:
    found = _body(lines, headings, "Timeline")
    if found is None:
        return
    heading, body = found
    if not any(_ACK.search(text) for _, text in body if not PLACEHOLDER.search(text)):
        problems.append(Problem(heading, "Timeline", "no-acknowledge",
                                "the timeline has no acknowledgement (the Immediate response milestone)"))


def kind_of(lines: list[str]) -> str:
    """``window`` when the header says there is no incident (``Incident: none``), else ``incident``."""
    for line in lines:
        m = _INCIDENT_FIELD.match(line)
        if m:
            return "window" if m.group(1).strip().lower().startswith(("none", "-", "n/a")) else "incident"
    return "incident"


def check_text(text: str, path: str = "-") -> CheckReport:
    """Lint post-mortem ``text``; problems sorted by line. What is asked depends on the
    document's kind (:func:`kind_of`)."""
    lines = text.splitlines()
    headings = _sections(lines)
    problems: list[Problem] = []
    for n, line in enumerate(lines, 1):
        if PLACEHOLDER.search(line):
            section = _section_at(headings, n, line)
            problems.append(Problem(n, section, "placeholder",
                                    f"unfilled placeholder {PLACEHOLDER.search(line).group(0)}"))
    last = 1
    for marks, title in REQUIRED:
        match = next((n for n, _, t, m in headings if m == marks and t.lower() == title.lower()), None)
        if match is None:
            problems.append(Problem(last, title, "missing-section",
                                    f"missing section '{marks} {title}'"))
        else:
            last = match
    _action_items(lines, headings, problems)
    kind = kind_of(lines)
    if kind == "incident":
        _acknowledge(lines, headings, problems)
    problems.sort(key=lambda p: (p.line, p.kind))
    return CheckReport(path, problems, kind)


def check_file(path: str | Path) -> CheckReport:
    """Lint the post-mortem at ``path``; a UsageError (exit 2) if it cannot be read."""
    path = Path(path).expanduser()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise UsageError(f"cannot read {path}: {reason}") from None
    return check_text(text, str(path))

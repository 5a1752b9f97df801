"""The audit log: every mutating action, one JSON line per incident, appended and fsynced.

Each line is ``{"time", "actor", "action", "incident", "outcome", "details"}``. The file lives
in the user data directory (``audit.path`` overrides), is created with mode 600, and is only
ever appended to: a line is written with a single ``write`` under an exclusive lock and
``fsync``ed before the action is reported. Secrets never reach it (values are redacted).
``read`` is the one reader (``aiops incident audit``, the post-mortem timeline).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from aiops.core.fsutil import fsync_dir

SCHEMA = "aiops.incidents.audit/v1"


@dataclass
class AuditEntry:
    """One action on one incident."""

    time: dt.datetime
    actor: str
    action: str
    incident: str
    outcome: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        when = self.time.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds")
        return {"time": when.replace("+00:00", "Z"), "actor": self.actor, "action": self.action,
                "incident": self.incident, "outcome": self.outcome, "details": self.details}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> AuditEntry:
        when = dt.datetime.fromisoformat(str(raw["time"]).replace("Z", "+00:00"))
        return cls(time=when, actor=str(raw.get("actor", "")), action=str(raw["action"]),
                   incident=str(raw["incident"]), outcome=str(raw.get("outcome", "")),
                   details=dict(raw.get("details") or {}))

    def matches(self, incident: str) -> bool:
        """True for the incident's ID or its number (``1234`` or ``#1234``)."""
        wanted = incident.lstrip("#")
        return wanted in (self.incident, str(self.details.get("number", "")))


def default_path(configured: str | os.PathLike | None = None, data_dir: Path | None = None) -> Path:
    """``audit.path`` if set, else ``audit.jsonl`` in the user data directory."""
    if configured:
        return Path(configured).expanduser()
    if data_dir is None:
        from aiops.core.config import user_data_dir

        data_dir = user_data_dir()
    return Path(data_dir) / "audit.jsonl"


class AuditLog:
    """Appends entries to one audit file. ``secrets`` are redacted from every line written."""

    def __init__(self, path: str | os.PathLike, *, secrets: Iterable[str] = (),
                 clock: Callable[[], dt.datetime] | None = None) -> None:
        self.path = Path(path)
        self.secrets = [s for s in secrets if s]
        self.clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))

    def entry(self, actor: str, action: str, incident: str, outcome: str,
              **details: Any) -> AuditEntry:
        """A new entry stamped with the current time (not yet written)."""
        return AuditEntry(self.clock(), actor, action, incident, outcome,
                          {k: v for k, v in details.items() if v is not None})

    def append(self, entries: Iterable[AuditEntry]) -> int:
        """Write ``entries`` durably (one write, fsync); returns how many were written."""
        lines = [self._redact(json.dumps(e.to_dict(), ensure_ascii=False, default=str))
                 for e in entries]
        if not lines:
            return 0
        data = ("\n".join(lines) + "\n").encode("utf-8")
        created = not self.path.exists()
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            _lock(fd)
            written = 0
            while written < len(data):
                written += os.write(fd, data[written:])
            os.fsync(fd)
        finally:
            os.close(fd)
        if created:
            fsync_dir(self.path.parent)
        return len(lines)

    def _redact(self, line: str) -> str:
        for secret in self.secrets:
            for form in {secret, json.dumps(secret)[1:-1]}:
                line = line.replace(form, "****")
        return line


@dataclass
class AuditReport:
    """What ``read`` found: matching entries and how many lines were unreadable."""

    path: str
    entries: list[AuditEntry]
    skipped_lines: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "path": self.path, "count": len(self.entries),
                "skipped_lines": self.skipped_lines, "entries": [e.to_dict() for e in self.entries]}


def read(path: str | os.PathLike, *, incident: str | None = None, action: str | None = None,
         since: dt.datetime | None = None, limit: int | None = None) -> AuditReport:
    """Entries oldest first, filtered; ``limit`` keeps the newest. A missing file is empty.

    A torn last line (a crash mid-write) or any other unreadable line is skipped and counted.
    """
    path = Path(path)
    entries: list[AuditEntry] = []
    skipped = 0
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        text = ""
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            entry = AuditEntry.from_dict(json.loads(line))
        except (ValueError, KeyError, TypeError):
            skipped += 1
            continue
        if incident and not entry.matches(incident):
            continue
        if action and entry.action != action:
            continue
        if since and entry.time < since:
            continue
        entries.append(entry)
    if limit is not None:
        entries = entries[-limit:] if limit > 0 else []
    return AuditReport(str(path), entries, skipped)


def _lock(fd: int) -> None:
    try:
        import fcntl
    except ImportError:  # not POSIX: O_APPEND alone keeps each write whole
        return
    fcntl.flock(fd, fcntl.LOCK_EX)  # released when fd is closed

"""The audit log: every mutating action, one JSON line per incident, appended and fsynced.

Each line is ``{"seq", "time", "actor", "action", "incident", "outcome", "details", "prev",
"hash"}``: a hash chain from a recorded genesis (:mod:`aiops.incidents.audit_chain`), so
``aiops incident audit --verify`` proves no line was changed, removed or reordered. The file
lives in the user data directory (``audit.path`` overrides), is created with mode 600, and is
only ever appended to: under an exclusive lock (two aiops processes never interleave or fork
the chain) the last record is read, the new lines are written with a single ``write`` and
``fsync``ed before the action is reported. A log written before the chain existed is adopted:
the genesis record carries the SHA-256 of its lines. Secrets never reach it (values are
redacted). ``read`` is the one reader (``aiops incident audit``, the post-mortem timeline).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from aiops.core import safejson
from aiops.core.fsutil import fsync_dir
from aiops.core.redact import redact_data
from aiops.incidents import audit_chain as chain

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
        """Write ``entries`` durably (one write, fsync), chained; returns how many were written."""
        records = [redact_data(e.to_dict(), self.secrets) for e in entries]
        if not records:
            return 0
        created = not self.path.exists()
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            _lock(fd)
            size = os.fstat(fd).st_size
            torn = size > 0 and os.pread(fd, 1, size - 1) != b"\n"
            prefix = b"\n" if torn else b""  # a torn last line stays a line of its own
            seq, prev = self._continue_from(fd, size, prefix)
            sealed = []
            if seq == 0:  # the genesis: adopt whatever the file already holds
                adopted = _count_lines(fd, size)
                sealed.append(chain.seal(_genesis(records[0]["time"], adopted), 0, prev))
                seq, prev = 1, sealed[0]["hash"]
            for record in records:
                sealed.append(chain.seal(record, seq, prev))
                seq, prev = seq + 1, sealed[-1]["hash"]
            data = prefix + b"".join(json.dumps(r, ensure_ascii=False).encode("utf-8") + b"\n"
                                     for r in sealed)
            written = 0
            while written < len(data):
                written += os.write(fd, data[written:])
            os.fsync(fd)
            chain.write_head(self.path, sealed[-1])
        finally:
            os.close(fd)
        if created:
            fsync_dir(self.path.parent)
        return len(records)

    def _continue_from(self, fd: int, size: int, prefix: bytes) -> tuple[int, str]:
        """(next seq, prev hash): after the last record, or after the head when lines were
        removed from the end (so the gap stays visible); (0, adopted bytes' hash) to start."""
        last = _last_record(fd, size)
        head = chain.read_head(self.path)
        if head is not None and (last is None or head["seq"] > last["seq"]):
            return head["seq"] + 1, head["hash"]
        if last is not None:
            return last["seq"] + 1, last["hash"]
        digest = hashlib.sha256()
        for offset in range(0, size, 1 << 20):
            digest.update(os.pread(fd, min(1 << 20, size - offset), offset))
        digest.update(prefix)
        return 0, digest.hexdigest() if size else chain.ZERO



def _genesis(time: str, adopted_lines: int) -> dict[str, Any]:
    """The record that starts the chain (stamped like the first record it precedes)."""
    return {"time": time, "actor": "aiops", "action": chain.GENESIS, "incident": "",
            "outcome": "chain started", "details": {"adopted_lines": adopted_lines}}


@dataclass
class AuditReport:
    """What ``read`` found: matching entries and how many lines were unreadable."""

    path: str
    entries: list[AuditEntry]
    skipped_lines: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "path": self.path, "count": len(self.entries),
                "skipped_lines": self.skipped_lines, "entries": [e.to_dict() for e in self.entries]}


def verify(path: str | os.PathLike) -> chain.Verification:
    """Walk the hash chain of the audit log at ``path`` (see :mod:`aiops.incidents.audit_chain`);
    takes the lock shared, so a writer is never caught half-way."""
    fd = None
    try:
        fd = os.open(path, os.O_RDONLY)
        _lock(fd, shared=True)
    except FileNotFoundError:
        pass
    try:
        return chain.verify(path)
    finally:
        if fd is not None:
            os.close(fd)


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
            entry = AuditEntry.from_dict(safejson.loads(line))
        except (ValueError, KeyError, TypeError, AttributeError):
            skipped += 1
            continue
        if entry.action == chain.GENESIS:  # where the chain starts: not an action on an incident
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


def _last_record(fd: int, size: int, chunk: int = 1 << 16) -> dict[str, Any] | None:
    """The last chained record in the file, reading back from the end (None: no chain yet)."""
    last = None
    end = size
    while end > 0 and last is None:
        start = max(0, end - chunk)
        block = os.pread(fd, end - start, start)
        parts = block.split(b"\n")
        candidates = parts if start == 0 else parts[1:]  # the first part may be cut
        for raw in reversed(candidates):
            if raw.strip():
                record = _loads(raw)
                if chain.chained(record):
                    last = record
                    break
        if start == 0:
            break
        end = start + len(parts[0])  # re-read the cut line with the next block
        chunk *= 2
    return last


def _count_lines(fd: int, size: int) -> int:
    count, offset, tail = 0, 0, b""
    while offset < size:
        block = os.pread(fd, min(1 << 20, size - offset), offset)
        count += block.count(b"\n")
        offset += len(block)
        tail = block[-1:] or tail
    return count + (1 if size and tail != b"\n" else 0)


def _loads(raw: bytes) -> Any:
    try:
        return safejson.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None


def _lock(fd: int, shared: bool = False) -> None:
    try:
        import fcntl
    except ImportError:  # not POSIX: O_APPEND alone keeps each write whole
        return
    fcntl.flock(fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)  # released when fd is closed

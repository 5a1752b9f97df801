"""The audit log's hash chain: every record carries the SHA-256 of the one before it.

A chained record is the audit entry plus ``seq`` (0 for the genesis, then 1, 2, ...),
``prev`` (the previous record's ``hash``) and ``hash`` (SHA-256 of the record's canonical JSON
without ``hash``). The genesis record starts the chain: its ``prev`` is the SHA-256 of every
byte before it, so a log written before the chain existed is adopted as it was, and any later
change to those lines is detected too. A head file beside the log (``audit.jsonl.head``)
records the last record's ``seq`` and ``hash``: removing lines from the end is detected as
well. :func:`verify` walks the chain and names the first line that was changed, removed or
reordered.

What it proves: the log has not been edited, truncated or reordered since aiops wrote it,
unless someone rewrote the whole chain and the head after it (a local hash chain has no outside
witness; copy the head elsewhere to make that detectable too).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiops.core import safejson

GENESIS = "audit.genesis"  # the genesis record's action
ZERO = "0" * 64  # the genesis's prev when nothing came before it
VERIFY_SCHEMA = "aiops.incidents.audit-verify/v1"


def canonical(record: dict[str, Any]) -> bytes:
    """The bytes a record's hash covers: its JSON without ``hash``, keys sorted, compact."""
    body = {k: v for k, v in record.items() if k != "hash"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def seal(record: dict[str, Any], seq: int, prev: str) -> dict[str, Any]:
    """``record`` with ``seq``, ``prev`` and its ``hash``, as written (plain JSON values only)."""
    plain = json.loads(json.dumps(record, ensure_ascii=False, default=str))
    out = {"seq": seq, **plain, "prev": prev}
    out["hash"] = hashlib.sha256(canonical(out)).hexdigest()
    return out


def chained(record: Any) -> bool:
    """True for a dict that carries the chain's fields (a record written since the chain began)."""
    return isinstance(record, dict) and isinstance(record.get("seq"), int) \
        and isinstance(record.get("hash"), str) and isinstance(record.get("prev"), str)


def intact(record: dict[str, Any]) -> bool:
    """True when the record's hash matches its content."""
    return hashlib.sha256(canonical(record)).hexdigest() == record["hash"]


def head_path(path: Path) -> Path:
    return path.with_name(path.name + ".head")


def read_head(path: Path) -> dict[str, Any] | None:
    """The head file's ``{"seq", "hash"}``; None when absent or unreadable."""
    try:
        head = json.loads(head_path(path).read_bytes())
    except (OSError, ValueError):
        return None
    ok = isinstance(head, dict) and isinstance(head.get("seq"), int) and isinstance(head.get("hash"), str)
    return head if ok else None


def write_head(path: Path, record: dict[str, Any]) -> None:
    """Replace the head file atomically (call with the log's lock held)."""
    target = head_path(path)
    tmp = target.with_name(target.name + f".{os.getpid()}.tmp")
    data = json.dumps({"schema": "aiops.incidents.audit-head/v1", "seq": record["seq"],
                       "hash": record["hash"]}).encode() + b"\n"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(fd, "wb") as fh:  # buffered I/O: one append stays one os.write on the log
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, target)


@dataclass
class Verification:
    """What :func:`verify` found; ``problem`` names the first bad line, None when verified."""

    path: str
    status: str  # verified | failed | unchained | empty
    records: int = 0  # chained records, the genesis included
    adopted_lines: int = 0  # lines written before the chain began
    problem: str | None = None
    line: int | None = None
    notes: list[str] = field(default_factory=list)
    checked_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))

    @property
    def ok(self) -> bool:
        return self.status in ("verified", "empty")

    def summary(self) -> str:
        """One line for people (and the post-mortem)."""
        if self.status == "verified":
            adopted = f", {self.adopted_lines} earlier line(s) adopted" if self.adopted_lines else ""
            return f"verified: {self.records} record(s), hash chain intact{adopted}"
        if self.status == "empty":
            return "verified: no audit records yet"
        if self.status == "unchained":
            return ("not verifiable: written before the hash chain; the next action aiops records "
                    "starts the chain and adopts these lines")
        return f"FAILED: {self.problem}"

    def to_dict(self) -> dict[str, Any]:
        from aiops.core.timewindow import rfc3339

        when = rfc3339(self.checked_at)
        return {"schema": VERIFY_SCHEMA, "path": self.path, "checked_at": when,
                "status": self.status, "verified": self.ok, "records": self.records,
                "adopted_lines": self.adopted_lines, "line": self.line, "problem": self.problem,
                "summary": self.summary(), "notes": self.notes}


def verify(path: str | os.PathLike) -> Verification:
    """Walk the chain of the audit log at ``path``; the first problem ends the walk."""
    path = Path(path)
    result = Verification(str(path), "empty")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        data = b""
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()  # the newline that ends the last line
    parsed = [_parse(raw) for raw in lines]
    head = read_head(path)
    start = next((i for i, rec in enumerate(parsed) if chained(rec)), None)
    if start is None:
        if head is not None:
            return _fail(result, 1 if lines else None, f"the head records {head['seq'] + 1} chained "
                         "record(s) but the log has none: it was replaced or emptied")
        result.status, result.adopted_lines = ("unchained" if lines else "empty"), len(lines)
        return result
    result.adopted_lines = start
    problem = _walk(parsed, lines, start, data, result)
    if problem:
        return _fail(result, *problem)
    return _check_head(result, parsed, head)


def _parse(raw: bytes) -> Any:
    try:
        return safejson.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None


def _fail(result: Verification, line: int | None, problem: str) -> Verification:
    result.status, result.line = "failed", line
    result.problem = f"line {line}: {problem}" if line else problem
    return result


def _walk(parsed: list[Any], lines: list[bytes], start: int, data: bytes,
          result: Verification) -> tuple[int, str] | None:
    """(line, problem) for the first break in the chain from the genesis on, else None."""
    first = parsed[start]
    if first["seq"] != 0 or first.get("action") != GENESIS:
        return start + 1, f"holds record #{first['seq']}, but the chain's genesis (record #0) is " \
                          "missing: lines before it were removed or changed"
    adopted = data[: sum(len(raw) + 1 for raw in lines[:start])]
    expected_prev = hashlib.sha256(adopted).hexdigest() if adopted else ZERO
    if first["prev"] != expected_prev:
        return 1, f"the {start} line(s) before the genesis (line {start + 1}) were changed, " \
                  "removed or added after the chain adopted them"
    seqs = {rec["seq"]: i for i, rec in enumerate(parsed) if chained(rec)}
    prev_hash, expected = None, 0
    for i in range(start, len(parsed)):
        rec, line = parsed[i], i + 1
        if not chained(rec):
            kind = "incomplete (a torn write)" if i == len(parsed) - 1 else "not an audit record"
            return line, f"is {kind}: it was changed, or written by something else"
        if not intact(rec):
            return line, f"was changed (record #{rec['seq']}: its content no longer matches its hash)"
        if rec["seq"] != expected:
            if rec["seq"] < expected or expected in seqs:
                return line, f"is out of order: record #{rec['seq']} where #{expected} belongs"
            return line, f"record(s) #{expected}-#{rec['seq'] - 1} before this line were removed" \
                if rec["seq"] - expected > 1 else f"record #{expected} before this line was removed"
        if prev_hash is not None and rec["prev"] != prev_hash:
            return line - 1, f"was changed: the next line (record #{rec['seq']}) no longer follows it"
        prev_hash, expected = rec["hash"], expected + 1
        result.records += 1
    return None


def _check_head(result: Verification, parsed: list[Any], head: dict[str, Any] | None) -> Verification:
    line = len(parsed)
    last = parsed[-1]
    if head is None:
        return _fail(result, None, f"the head file ({head_path(Path(result.path)).name}) is missing: "
                                   "whether lines were removed from the end cannot be proven")
    if last["seq"] < head["seq"]:
        gone = head["seq"] - last["seq"]
        return _fail(result, line + 1, f"{gone} record(s) after line {line} (#{last['seq'] + 1}-"
                                       f"#{head['seq']}) were removed from the end")
    if last["seq"] == head["seq"] and last["hash"] != head["hash"]:
        return _fail(result, line, "was changed: the last record is not the one the head recorded")
    if last["seq"] > head["seq"]:
        at_head = next(i for i, rec in enumerate(parsed) if chained(rec) and rec["seq"] == head["seq"])
        if parsed[at_head]["hash"] != head["hash"]:
            return _fail(result, at_head + 1, "was changed: it is not the record the head recorded")
        result.notes.append(f"{last['seq'] - head['seq']} record(s) after the recorded head "
                            "(written just before a crash); they chain correctly")
    result.status = "verified"
    return result

"""The audit log's hash chain: any single edited, deleted or swapped line is found and named.

Also: an old unchained log is adopted (and then protected), a torn write stays visible, the
head file catches lines removed from the end, and real concurrent aiops processes never fork
or break the chain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from aiops.incidents import audit_chain
from aiops.incidents.audit import AuditLog, read, verify

T0 = dt.datetime(2026, 1, 28, 10, 0, tzinfo=dt.timezone.utc)
ROOT = Path(__file__).resolve().parents[2]


def clock_from(start: dt.datetime):
    ticks = iter(range(10_000))
    return lambda: start + dt.timedelta(seconds=next(ticks))


def build(path: Path, appends: tuple[int, ...] = (3, 1, 2)) -> list[str]:
    log = AuditLog(path, clock=clock_from(T0))
    n = 0
    for size in appends:
        log.append([log.entry("me@x", "acknowledge", f"P{n + i}", "acknowledged", number=n + i)
                    for i in range(size)])
        n += size
    return path.read_text().splitlines()


def rewrite(path: Path, lines: list[str]) -> None:
    path.write_text("".join(line + "\n" for line in lines))


def rehash(line: str, **changes) -> str:
    """The line with ``changes`` applied and its own hash recomputed (a careful forger)."""
    record = {**json.loads(line), **changes}
    record["hash"] = hashlib.sha256(audit_chain.canonical(record)).hexdigest()
    return json.dumps(record)


def test_a_fresh_log_verifies_and_reads_without_the_genesis(tmp_path):
    lines = build(tmp_path / "audit.jsonl")
    assert len(lines) == 7
    result = verify(tmp_path / "audit.jsonl")
    assert result.status == "verified" and result.records == 7 and result.problem is None
    assert [e.incident for e in read(tmp_path / "audit.jsonl").entries] == [f"P{i}" for i in range(6)]
    assert verify(tmp_path / "missing.jsonl").status == "empty"


@pytest.mark.parametrize("n", range(7))
def test_every_single_edit_delete_or_swap_is_found_and_named(tmp_path, n):
    path = tmp_path / "audit.jsonl"
    lines = build(path)
    line = n + 1
    tampered = {
        "edited": lines[:n] + [lines[n].replace('"acknowledge', '"resolve').replace(
            '"audit.genesis"', '"audit.genesis2"')] + lines[n + 1:],
        "edited and rehashed": lines[:n] + [rehash(lines[n], actor="mallory")] + lines[n + 1:],
        "deleted": lines[:n] + lines[n + 1:],
    }
    if n + 1 < len(lines):
        tampered["swapped"] = lines[:n] + [lines[n + 1], lines[n]] + lines[n + 2:]
    for how, changed in tampered.items():
        rewrite(path, changed)
        result = verify(path)
        assert result.status == "failed", (how, result.to_dict())
        assert result.line == line, (how, result.problem)
        assert result.problem.startswith(f"line {line}:"), (how, result.problem)
    rewrite(path, lines)
    assert verify(path).status == "verified"


def test_an_unchained_log_is_adopted_then_protected(tmp_path):
    path = tmp_path / "audit.jsonl"
    old = ['{"time": "2026-01-01T00:00:00Z", "actor": "a", "action": "note", "incident": "PX", '
           '"outcome": "noted", "details": {}}', "not json at all"]
    rewrite(path, old)
    assert verify(path).status == "unchained"
    log = AuditLog(path, clock=clock_from(T0))
    log.append([log.entry("b", "acknowledge", "PY", "acknowledged")])
    lines = path.read_text().splitlines()
    assert lines[:2] == old  # adopted as it was, never rewritten
    result = verify(path)
    assert result.status == "verified" and result.adopted_lines == 2 and result.records == 2
    assert "2 earlier line(s) adopted" in result.summary()
    assert [e.incident for e in read(path).entries] == ["PX", "PY"]
    rewrite(path, [old[0].replace("PX", "PZ"), *lines[1:]])
    changed = verify(path)
    assert changed.status == "failed" and changed.line == 1 and "before the genesis" in changed.problem


def test_a_torn_write_stays_a_line_of_its_own_and_is_reported(tmp_path):
    path = tmp_path / "audit.jsonl"
    build(path, (2,))
    with open(path, "a") as fh:
        fh.write('{"seq": 3, "time": "2026-01-28T10:00:')  # a crash mid-write
    assert verify(path).problem.startswith("line 4: is incomplete (a torn write)")
    log = AuditLog(path, clock=clock_from(T0))
    log.append([log.entry("me", "note", "P9", "noted")])
    lines = path.read_text().splitlines()
    assert lines[3].endswith("10:00:") and json.loads(lines[4])["incident"] == "P9"
    assert verify(path).problem.startswith("line 4: is not an audit record")
    assert [e.incident for e in read(path).entries] == ["P0", "P1", "P9"]


def test_the_head_file_catches_truncation_and_a_lagging_head_is_not_tampering(tmp_path):
    path = tmp_path / "audit.jsonl"
    lines = build(path)
    head = audit_chain.head_path(path)
    saved = head.read_text()
    from tests.fakes.json_contract import validate

    validate(json.loads(saved), "aiops.incidents.audit-head/v1")
    rewrite(path, lines[:-2])
    assert verify(path).problem.startswith("line 6: 2 record(s) after line 5 (#5-#6) were removed")
    # an append after a truncation continues from the head: the gap stays visible
    log = AuditLog(path, clock=clock_from(T0))
    log.append([log.entry("me", "note", "P9", "noted")])
    assert verify(path).problem == "line 6: record(s) #5-#6 before this line were removed"
    rewrite(path, lines)
    head.write_text(json.dumps({"seq": 5, "hash": json.loads(lines[5])["hash"]}))  # crash before update
    lagging = verify(path)
    assert lagging.status == "verified" and "1 record(s) after the recorded head" in lagging.notes[0]
    head.unlink()
    assert "head file (audit.jsonl.head) is missing" in verify(path).problem
    head.write_text(saved)
    assert verify(path).ok


WRITER = textwrap.dedent("""
    import sys, time
    from aiops.incidents.audit import AuditLog
    path, name, rounds, start_at = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    while time.time() < start_at:
        time.sleep(0.001)
    log = AuditLog(path)
    for i in range(rounds):
        log.append([log.entry(name, "note", f"{name}-{i}-{j}", "noted") for j in range(1 + i % 3)])
""")


def test_concurrent_processes_never_break_the_chain(tmp_path):
    import time

    path = tmp_path / "audit.jsonl"
    start_at = time.time() + 1.5  # every writer starts at once
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), f"w{k}", "30", str(start_at)],
                              cwd=ROOT) for k in range(4)]
    assert [p.wait(120) for p in procs] == [0, 0, 0, 0]
    result = verify(path)
    per_writer = sum(1 + i % 3 for i in range(30))
    assert result.status == "verified", result.problem
    assert result.records == 1 + 4 * per_writer  # exactly one genesis
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["seq"] for r in records] == list(range(len(records)))
    writers = [r["actor"] for r in records[1:]]
    assert len({w for i, w in enumerate(writers[1:]) if w != writers[i]}) > 1  # they interleaved


def test_cli_verify_exit_codes_and_json(cli, tmp_path):
    from tests.fakes.json_contract import validate

    path = tmp_path / "audit.jsonl"
    lines = build(path)
    env = {"AIOPS_AUDIT_PATH": str(path)}
    ok = cli("incident", "audit", "--verify", "-o", "json", env=env)
    assert ok.exit_code == 0, ok.stderr
    validate(ok.json(), "aiops.incidents.audit-verify/v1")
    assert ok.json()["status"] == "verified" and ok.json()["records"] == 7
    rewrite(path, [lines[0], lines[1], lines[3], lines[2], *lines[4:]])
    bad = cli("incident", "audit", "--verify", "-o", "json", env=env)
    assert bad.exit_code == 3
    validate(bad.json(), "aiops.incidents.audit-verify/v1")
    errors = [line for line in bad.stderr.splitlines() if line.startswith("error:")]
    assert errors == [f"error: audit log {path}: FAILED: line 3: is out of order: record #3 where "
                      "#2 belongs"]
    table = cli("incident", "audit", "--verify", "-o", "table", env=env)
    assert table.exit_code == 3 and "first bad line" in table.stdout and "3" in table.stdout
    rewrite(path, ['{"time": "2026-01-01T00:00:00Z", "action": "note", "incident": "P"}'])
    (tmp_path / "audit.jsonl.head").unlink()
    old = cli("incident", "audit", "--verify", env=env)
    assert old.exit_code == 3 and "written before the hash chain" in old.stderr


def test_the_postmortem_timeline_says_whether_the_audit_trail_verified(cli, tmp_path):
    path = tmp_path / "audit.jsonl"
    lines = build(path)
    env = {"AIOPS_AUDIT_PATH": str(path), "AIOPS_TIMEOUT": "1",
           "AIOPS_PROMETHEUS_URL": "http://127.0.0.1:9", "AIOPS_LOGS_BACKEND": "file",
           "AIOPS_LOGS_FILE": str(tmp_path / "none.jsonl")}
    args = ("postmortem", "new", "--since", "2026-01-28T09:00:00Z", "--until",
            "2026-01-28T11:00:00Z", "--out", str(tmp_path / "pm"), "--force", "-o", "json")
    good = cli(*args, env=env)
    assert good.exit_code == 0, good.stderr
    assert good.json()["audit_trail"] == "verified: 7 record(s), hash chain intact"
    text = Path(good.json()["path"]).read_text()
    timeline = text[text.index("## Timeline"):text.index("## Key metrics")]
    assert "Audit trail: verified: 7 record(s), hash chain intact" in timeline
    rewrite(path, [*lines[:4], rehash(lines[4], outcome="already_acknowledged"), *lines[5:]])
    bad = cli(*args, env=env)
    text = Path(bad.json()["path"]).read_text()
    assert "Audit trail: **FAILED: line 5: was changed" in text
    assert "the aiops actions below from that line on cannot be trusted" in text

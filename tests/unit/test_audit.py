"""The audit log: append-only JSON lines, fsynced, mode 600, redacted, one reader."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat

import pytest

from aiops.incidents import audit
from aiops.incidents.audit import AuditLog, default_path, read

T0 = dt.datetime(2026, 1, 28, 10, 0, tzinfo=dt.timezone.utc)


def clock_from(start: dt.datetime):
    ticks = iter(range(10_000))
    return lambda: start + dt.timedelta(seconds=next(ticks))


def test_entries_round_trip_in_order(tmp_path):
    log = AuditLog(tmp_path / "a" / "audit.jsonl", clock=clock_from(T0))
    log.append([log.entry("me@x", "acknowledge", "PT1", "acknowledged", number=1, reason=None),
                log.entry("me@x", "acknowledge", "PT2", "already_acknowledged", number=2)])
    log.append([log.entry("me@x", "resolve", "PT1", "resolved", resolution="rolled back")])
    report = read(log.path)
    assert [(e.action, e.incident, e.outcome) for e in report.entries] == [
        ("acknowledge", "PT1", "acknowledged"), ("acknowledge", "PT2", "already_acknowledged"),
        ("resolve", "PT1", "resolved")]
    genesis, first = (json.loads(line) for line in log.path.read_text().splitlines()[:2])
    assert genesis["seq"] == 0 and genesis["action"] == "audit.genesis" and genesis["prev"] == "0" * 64
    assert first == {"seq": 1, "time": "2026-01-28T10:00:00.000Z", "actor": "me@x",
                     "action": "acknowledge", "incident": "PT1", "outcome": "acknowledged",
                     "details": {"number": 1}, "prev": genesis["hash"], "hash": first["hash"]}


def test_appending_never_rewrites_and_is_fsynced(tmp_path, monkeypatch):
    path = tmp_path / "audit.jsonl"
    path.write_text('{"time": "2026-01-01T00:00:00Z", "actor": "a", "action": "note", '
                    '"incident": "PX", "outcome": "noted", "details": {}}\n')
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(audit.os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd)))
    log = AuditLog(path, clock=clock_from(T0))
    assert log.append([log.entry("b", "acknowledge", "PY", "acknowledged")]) == 1
    lines = path.read_text().splitlines()
    assert len(lines) == 3 and '"PX"' in lines[0] and '"PY"' in lines[2]  # the old line is adopted
    assert lines[0] == ('{"time": "2026-01-01T00:00:00Z", "actor": "a", "action": "note", '
                        '"incident": "PX", "outcome": "noted", "details": {}}')
    assert synced, "the audit line was not fsynced"
    assert log.append([]) == 0


def test_new_file_is_private(tmp_path):
    log = AuditLog(tmp_path / "d" / "audit.jsonl")
    log.append([log.entry("a", "note", "PX", "noted")])
    assert stat.S_IMODE(log.path.stat().st_mode) == 0o600


def test_secrets_are_redacted_even_if_a_caller_passes_them(tmp_path):
    secret = "u+Zm9vYmFyYmF6cXV4"
    log = AuditLog(tmp_path / "audit.jsonl", secrets=[secret, ""])
    log.append([log.entry("a", "note", "PX", "noted", content=f"token is {secret}")])
    text = log.path.read_text()
    assert secret not in text and "token is ****" in text


def test_torn_last_line_is_skipped_and_counted(tmp_path):
    log = AuditLog(tmp_path / "audit.jsonl", clock=clock_from(T0))
    log.append([log.entry("a", "note", "PX", "noted")])
    with open(log.path, "a") as fh:
        fh.write('{"time": "2026-01-28T10:00:')
    report = read(log.path)
    assert len(report.entries) == 1 and report.skipped_lines == 1
    assert report.to_dict()["skipped_lines"] == 1


def test_filters_by_incident_id_or_number_action_since_and_limit(tmp_path):
    log = AuditLog(tmp_path / "audit.jsonl", clock=clock_from(T0))
    log.append([log.entry("a", "acknowledge", "PT1", "acknowledged", number=41),
                log.entry("a", "acknowledge", "PT2", "acknowledged", number=42),
                log.entry("a", "resolve", "PT2", "resolved", number=42),
                log.entry("a", "note", "PT2", "noted", number=42)])
    assert [e.action for e in read(log.path, incident="#42").entries] == ["acknowledge", "resolve", "note"]
    assert [e.action for e in read(log.path, incident="PT2", action="resolve").entries] == ["resolve"]
    assert len(read(log.path, since=T0 + dt.timedelta(seconds=2)).entries) == 2
    assert [e.action for e in read(log.path, limit=2).entries] == ["resolve", "note"]
    assert read(log.path, limit=0).entries == []
    assert read(tmp_path / "missing.jsonl").entries == []


def test_default_path_is_in_the_user_data_dir_unless_configured(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_path() == tmp_path / "data" / "aiops" / "audit.jsonl"
    assert default_path(str(tmp_path / "x.jsonl")) == tmp_path / "x.jsonl"
    assert default_path(None, data_dir=tmp_path) == tmp_path / "audit.jsonl"


@pytest.mark.parametrize("count", [1, 300])
def test_one_write_for_a_batch(tmp_path, monkeypatch, count):
    writes = []
    real_write = os.write
    monkeypatch.setattr(audit.os, "write", lambda fd, data: (writes.append(len(data)), real_write(fd, data))[1])
    log = AuditLog(tmp_path / "audit.jsonl")
    log.append([log.entry("a", "acknowledge", f"P{i}", "acknowledged") for i in range(count)])
    assert len(writes) == 1 and len(read(log.path).entries) == count

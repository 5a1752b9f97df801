"""`aiops health watch` in a real pseudo-terminal against the lab: the refresh line, the change
marker when a target changes between rounds, and Ctrl-C (exit 130). Piped: one JSON per round."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time

from tests.fakes.json_contract import validate
from tests.fakes.lab import lab  # noqa: F401 (fixture)
from tests.pty_helper import PtyProcess


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIOPS_")}
    env.pop("NO_COLOR", None)
    return env


def test_watch_on_a_terminal_shows_the_refresh_and_marks_what_changed(lab, tmp_path):
    service = lab()
    argv = [sys.executable, "-m", "aiops", "health", "watch", service.url, "-n", "1"]
    with PtyProcess(argv, env=_env(), cwd=str(tmp_path), cols=100) as term:
        first = term.expect(r"refreshed at \d\d:\d\d:\d\d UTC \(round 1", timeout=60)
        assert "healthy" in term.text()[first.start():]
        service.set_fault("not-ready")  # /ready answers 503 from now on: the target changes
        changed = term.expect(r"1 changed since\s+the\s+last\s+round\s+\(\*\)", timeout=60)
        # the frame's rows may still be on their way when its header has arrived: read up to them
        was = term.expect(r"\(was healthy\)", timeout=30, start=changed.start())
        term.expect(re.escape(service.url), timeout=30, start=was.start())
        after = term.text()[changed.start():]
        assert "unhealthy" in after
        assert any(line.lstrip().startswith("*") and service.url in line for line in after.splitlines())
        term.interrupt()
        assert term.wait(20) == 130
        assert "Traceback" not in term.text()


def test_watch_piped_writes_one_json_document_per_round(lab, tmp_path):
    service = lab()
    proc = subprocess.Popen([sys.executable, "-m", "aiops", "health", "watch", service.url, "-n", "0.5"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(), cwd=tmp_path)
    try:
        rounds = [json.loads(proc.stdout.readline()) for _ in range(3)]
    finally:
        proc.terminate()
        proc.wait(10)
    for r in rounds:
        validate(r, "aiops.health.probe/v1")
    assert all(r["verdict"] == "healthy" and r["targets"][0]["url"] == service.url for r in rounds)
    assert len({r["checked_at"] for r in rounds}) == 3


def test_watch_o_json_on_a_terminal_is_ndjson_too(lab, tmp_path):
    service = lab()
    argv = [sys.executable, "-m", "aiops", "health", "watch", service.url, "-n", "0.5", "-o", "json"]
    with PtyProcess(argv, env=_env(), cwd=str(tmp_path), cols=100) as term:
        deadline = time.monotonic() + 60
        while term.text().count('"schema":"aiops.health.probe/v1"') < 2 and time.monotonic() < deadline:
            term._read(0.5)
        term.interrupt()
        assert term.wait(20) == 130
        lines = [line for line in term.text().splitlines() if line.startswith("{")]
    assert len(lines) >= 2 and all(json.loads(line)["verdict"] == "healthy" for line in lines)
    assert "━" not in term.text() and "refreshed at" not in term.text()  # no table frame


def test_watch_jq_filters_each_round(lab, tmp_path):
    service = lab()
    argv = [sys.executable, "-m", "aiops", "health", "watch", service.url, "-n", "0.5", "--jq", ".verdict"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(), cwd=tmp_path)
    try:
        rounds = [proc.stdout.readline() for _ in range(2)]
    finally:
        proc.terminate()
        proc.wait(10)
    assert rounds == ["healthy\n"] * 2

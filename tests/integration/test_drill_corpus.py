"""The built-in drill corpus, run as CI runs it: every scenario concurrently on its own stack.

The bars: the top playbook and the faulty instance right in every fault scenario, no critical
verdict on a noise-only scenario, every expected alert fired and no false alarm. (Timing bars,
such as the median detection time, are measured in benchmarks/bench_drills.py.) One scenario
with a wrong expectation rides along to prove a failed expectation is exit 3.
"""

from __future__ import annotations

import json

import pytest

from aiops.drills.scenario import builtin_dir
from tests.conftest import require
from tests.fakes.aiops_process import run_aiops
from tests.fakes.schemas import check_schema

WRONG = """\
name: wrong-expectation
description: log noise is no P1; expecting a critical verdict must fail the drill.
noise:
  - {fault: log-noise, value: 20, instance: 1, at: 0s}
observe: 2m
expect: {alerts: [], verdict: critical}
"""


@pytest.mark.timeout(1200)  # the corpus's own bar is 10 minutes; a shared machine needs more
def test_builtin_corpus_meets_the_bars(tmp_path):
    require("prometheus", binary=True)
    require("prometheus-alertmanager", binary=True)
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(WRONG)
    run = run_aiops("drill", "run", str(builtin_dir()), str(wrong), "--speed", "60", "--jobs", "4", "-o", "json",
                    env={}, tmp=tmp_path, timeout=900)
    assert run.returncode == 3, run.stderr[-3000:]
    report = json.loads(run.stdout)
    check_schema(report)
    by_name = {s["name"]: s for s in report["scenarios"]}
    failed = by_name.pop("wrong-expectation")
    assert failed["passed"] is False and failed["checks"]["verdict"] is False and failed["error"] is None
    problems = {n: (s["error"], {k: v for k, v in s["checks"].items() if v is False}, s["got"])
                for n, s in by_name.items() if not s["passed"]}
    assert not problems, json.dumps(problems, indent=1)[:6000]
    totals = report["totals"]
    assert totals["playbook_accuracy"] == 1.0 and totals["instance_accuracy"] == 1.0
    assert totals["false_critical_on_noise"] == 0 and totals["false_alarms"] == 0
    assert totals["alerts_missed"] == 0 and totals["noise_only_scenarios"] >= 6
    assert report["timing"]["speed"] == 60 and report["timing"]["scrape_interval_seconds"] == 1.0
    for s in by_name.values():  # every expected alert has its detection time; each got a post-mortem
        assert len(s["got"]["alerts"]) == len(s["expected"]["alerts"])
        assert s["got"]["postmortem"] and (s["expected"]["alerts"] == [] or s["detection_seconds"] is not None)
    assert by_name["down-pagerduty"]["got"]["incident"] is not None  # paged before the sandbox went down


@pytest.mark.timeout(900)
def test_speed_1_runs_the_real_rules(tmp_path):
    """ApplicationDown with its real `for: 1m` and 15 s scrapes: about a minute and a half."""
    require("prometheus", binary=True)
    require("prometheus-alertmanager", binary=True)
    run = run_aiops("drill", "run", str(builtin_dir() / "alert-application-down.yaml"), "--speed", "1",
                    "-o", "json", env={}, tmp=tmp_path, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout)
    assert report["timing"]["scrape_interval_seconds"] == 15.0
    (scenario,) = report["scenarios"]
    assert scenario["passed"] and scenario["detection_seconds"] >= 60  # the rule's own for: 1m


def test_invalid_scenario_is_exit_2_naming_file_line_and_field(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nfaults:\n  - {fault: memory-leak, instance: 2}\nexpect: {verdict: critical}\n")
    run = run_aiops("drill", "run", str(bad), env={}, tmp=tmp_path, timeout=60)
    assert run.returncode == 2
    assert run.stderr.splitlines()[0] == (f"error: invalid scenario {bad}:3: faults[0].instance: "
                                          "must be a whole number from 1 to 1, got 2")


def test_drill_list_validates_and_describes_the_corpus(tmp_path):
    run = run_aiops("drill", "list", "-o", "json", env={}, tmp=tmp_path, timeout=60)
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    check_schema(doc)
    assert len(doc["scenarios"]) == len(list(builtin_dir().glob("*.yaml")))


def test_ctrl_c_stops_every_stack_and_exits_130(tmp_path):
    require("prometheus", binary=True)
    require("prometheus-alertmanager", binary=True)
    import os
    import signal
    import subprocess
    import sys
    import time

    import psutil

    keep = tmp_path / "keep"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIOPS_")}
    proc = subprocess.Popen([sys.executable, "-m", "aiops", "drill", "run", str(builtin_dir() / "alert-training-stalled.yaml"),
                             str(builtin_dir() / "three-crash-on-three.yaml"), "--keep", str(keep), "-o", "json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)

    def ours():
        return [p for p in psutil.process_iter(["cmdline"]) if str(keep) in " ".join(p.info["cmdline"] or [])]
    deadline = time.monotonic() + 120
    while len(ours()) < 6 and time.monotonic() < deadline:  # both stacks are up
        time.sleep(0.5)
    time.sleep(2)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err[-2000:]
    assert "interrupted" in err
    time.sleep(1)
    assert not [p for p in ours() if p.status() != psutil.STATUS_ZOMBIE]

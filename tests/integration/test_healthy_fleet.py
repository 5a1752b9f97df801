"""A healthy fleet raises nothing: three labs with their production settings, scraped every
second by the real Prometheus with the runbook's real rules and Alertmanager, for several
minutes. Every scorecard check must say ok at every evaluation, and triage must say ok.

The lab's free energy alternates between ~0.7 and ~40 from one inference to the next (surprise
is part of the task): a spike judged on one sample flagged it as "Free energy spike (robust z)
3652". The checks judge the distribution (the last minute's mean against the window before it).
"""

from __future__ import annotations

import time

import pytest

from tests.fakes.lab import lab  # noqa: F401 (fixture)
from tests.fakes.prom_stack import get_json, start_alertmanager, start_prometheus, wait_for

LABS = 3
FIRST_CHECK_S = 100  # history before the first evaluation: the shift checks' windows have data
EVERY_S = 30
LAST_CHECK_S = 190  # four evaluations, over three minutes of history


@pytest.mark.slow
def test_healthy_labs_under_prometheus_are_ok_on_every_check_and_in_triage(lab, tmp_path):  # noqa: F811
    from aiops.cli.metrics import scorecard_table
    from aiops.core.config import load
    from aiops.prometheus.rules import export_rules
    from aiops.prometheus.scorecard import metrics_check
    from aiops.triage import triage
    from tests.snapshot import render_text

    services = [lab(fast=False, log_file=tmp_path / f"lab-{i}.log") for i in range(LABS)]
    rules = export_rules(str(tmp_path / "rules.yml")).path
    am = start_alertmanager(tmp_path)
    prom = start_prometheus(tmp_path, jobs={"active-inference": [s.url.split("://", 1)[1] for s in services]},
                            rule_files=[rules], alertmanager=am.url)
    try:
        wait_for(lambda: len(get_json(prom.url + '/api/v1/query?query=up{job="active-inference"}==1')
                             ["data"]["result"]) == LABS, timeout=60, what="the first scrape of every lab")
        started = time.monotonic()
        cfg = load(flags={"prometheus.url": prom.url, "alertmanager.url": am.url, "timeout": 20.0,
                          "targets": [s.url for s in services], "logs.backend": "file",
                          "logs.file": str(tmp_path / "lab-*.log")},
                   environ={}, cwd=tmp_path, user_file=tmp_path / "none.toml")
        seen = []
        for at in range(FIRST_CHECK_S, LAST_CHECK_S + 1, EVERY_S):
            time.sleep(max(0.0, started + at - time.monotonic()))
            card = metrics_check(cfg, source="prometheus")
            bad = {r.key: (r.verdict, r.value, r.instance) for r in card.rows if r.verdict not in ("ok", "reported")}
            seen.append({r.key: r.value for r in card.rows})
            assert not bad, f"after {at}s of history: {bad}"
        assert all(v is not None for v in seen[-1].values()), seen[-1]
        table = render_text(scorecard_table(card), 100)
        print(f"metrics check at 100 columns: {len(table.rstrip().splitlines())} lines\n{table}")
        assert len(table.rstrip().splitlines()) <= 25

        report = triage(cfg, since="5m")
        problems = [(f.severity, f.title) for f in report.problems]
        assert report.verdict == "ok" and not problems, problems
        assert report.metrics_source == "prometheus"
        assert {s.name: s.status for s in report.sources}["alerts"] == "ok"
    finally:
        prom.stop()
        am.stop()

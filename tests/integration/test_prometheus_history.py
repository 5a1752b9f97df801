"""Checks that need minutes of history, on a real Prometheus holding backfilled data.

`promtool tsdb create-blocks-from openmetrics` writes 20 minutes of known samples: CPU high
for long enough (or not), a request queue, a free-energy spike, a memory leak, a training
loss plateau and an alert's ALERTS series.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest

from tests.fakes.prom_stack import backfill, start_prometheus

NOW = float(int(time.time()))
STEP = 15.0
TIMES = [NOW - 1200 + i * STEP for i in range(int(1200 / STEP))]  # 20 minutes, last at NOW-15s
# Every check is evaluated at NOW, never at the wall clock's now: NOW is fixed when the module
# is collected, maybe minutes before its tests run, and 5-minute windows ending "now" would
# slide past the history (lab-2's last two minutes of high CPU would fill a whole window).
AT = dt.datetime.fromtimestamp(NOW, dt.timezone.utc)


SURPRISE = [0.693, 0.713, 38.2, 0.693, 0.693, 0.713, 0.713, 48.7, 0.693, 4.6, 0.713, 0.693, 38.2]


def lab(instance: str, name: str) -> str:
    return f'{name}{{job="active-inference",instance="{instance}"}}'


def history() -> dict[str, list[tuple[float, float]]]:
    series = {
        lab("lab-1:8000", "cpu_usage_percent"): [(t, 95.0) for t in TIMES],  # hot for 20 min
        lab("lab-2:8000", "cpu_usage_percent"): [(t, 95.0 if t > NOW - 120 else 20.0) for t in TIMES],
        lab("lab-3:8000", "cpu_usage_percent"): [(t, 40.0) for t in TIMES],
        lab("lab-1:8000", "request_queue_length"): [(t, 150.0) for t in TIMES],
        lab("lab-2:8000", "request_queue_length"): [(t, 20.0) for t in TIMES],
        # a spike: the last minute's free energy 50 nats above its level (one sample would not be)
        lab("lab-1:8000", "ai_free_energy"): [(t, 10.0 + (i % 3) * 0.1) for i, t in enumerate(TIMES[:-4])]
        + [(t, 60.0) for t in TIMES[-4:]],
        lab("lab-2:8000", "ai_free_energy"): [(t, 10.0 + (i % 3) * 0.1) for i, t in enumerate(TIMES)],
        # the lab's healthy surprise: ~0.7 mostly, ~38-48 one inference in five, the last one high
        lab("lab-3:8000", "ai_free_energy"): [(t, SURPRISE[i % len(SURPRISE)]) for i, t in enumerate(TIMES[:-1])]
        + [(TIMES[-1], 48.7)],
        # quiet for 19 minutes, then surprising observations every other inference: ordinary too
        lab("lab-4:8000", "ai_free_energy"): [(t, 0.693) for t in TIMES[:-4]]
        + list(zip(TIMES[-4:], (38.2, 0.693, 48.7, 0.713))),
        lab("lab-1:8000", "process_resident_memory_bytes"): [(t, 2e8 + (t - TIMES[0]) * 6e8 / 3600)
                                                           for t in TIMES],  # 200 MB in 20 minutes
        # started a minute ago and warming up: 30 MB in a minute (1.8 GB/h if projected)
        lab("lab-3:8000", "process_resident_memory_bytes"): [(t, 6e7 + (t - (NOW - 75)) * 5e5)
                                                           for t in TIMES if t >= NOW - 75],
        lab("lab-1:8000", "ai_training_loss"): [(t, 0.5) for t in TIMES],  # a plateau
        lab("lab-2:8000", "ai_training_loss"): [(t, 1.0 - (t - TIMES[0]) / 2400) for t in TIMES],
    }
    firing = 'ALERTS{alertname="HighErrorRate",alertstate="firing",severity="critical",instance="lab-1:8000"}'
    pending = firing.replace('"firing"', '"pending"')
    series[firing] = [(t, 1.0) for t in TIMES if NOW - 900 <= t <= NOW - 600]
    series[pending] = [(t, 1.0) for t in TIMES if NOW - 960 <= t < NOW - 900]
    return series


@pytest.fixture(scope="module")
def prom(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("history")
    storage = backfill(tmp / "data", history())
    server = start_prometheus(tmp, storage=storage)
    yield server
    server.stop()


def config(prom, tmp_path):
    """The settings a user with only prometheus.url set would have (default job)."""
    from aiops.core.config import load

    return load(flags={"prometheus.url": prom.url}, environ={}, cwd=tmp_path,
                user_file=tmp_path / "no-user-config.toml")


def test_capacity_recommendations_with_evidence(prom, tmp_path):
    from aiops.prometheus.capacity import capacity_check

    report = capacity_check(config(prom, tmp_path), at=AT)
    assert report.exit_code() == 3
    doc = report.to_dict()
    recs = {r["action"]: r for r in doc["recommendations"]}
    up, out = recs["scale_up"], recs["scale_out"]
    assert up["status"] == "recommended" and up["instances"] == ["lab-1:8000"]
    assert up["evidence"]["lab-1:8000"]["min_5m"] == 95.0 and up["evidence"]["lab-1:8000"]["covered"]
    assert up["evidence"]["lab-2:8000"]["now"] == 95.0 and not up["evidence"]["lab-2:8000"]["holds"]
    assert up["queries"]["min_5m"] == 'min_over_time(cpu_usage_percent{job="active-inference"}[5m])'
    assert out["status"] == "recommended" and out["instances"] == ["lab-1:8000"]
    assert out["evidence"]["lab-2:8000"]["now"] == 20.0
    assert doc["notes"] == ["Preemptive scaling during known high-traffic periods"]


def test_window_checks_find_the_spike_the_leak_and_the_plateau(prom, tmp_path):
    from aiops.prometheus.scorecard import metrics_check

    card = metrics_check(config(prom, tmp_path), window="5m", source="prometheus", at=AT)
    assert card.exit_code() == 3  # CPU 95% is critical
    rows = {r["key"]: r for r in card.to_dict()["rows"]}
    spike = rows["free_energy_spike"]
    assert spike["verdict"] == "warning" and spike["instance"] == "lab-1:8000" and spike["value"] > 3
    assert abs(spike["instances"]["lab-2:8000"]) < 1
    # ordinary surprise, even with a high last sample, is no spike: the distribution did not move
    assert abs(spike["instances"]["lab-3:8000"]) < 1
    assert spike["instances"]["lab-4:8000"] < 3
    leak = rows["memory_growth"]
    assert leak["verdict"] == "warning" and leak["instance"] == "lab-1:8000"
    assert leak["value"] == pytest.approx(2e8, rel=0.02)  # what it grew, not a projection
    assert 3e7 <= leak["instances"]["lab-3:8000"] < 1e8  # a fresh service's warm-up is no leak
    plateau = rows["training_loss_change"]
    assert plateau["verdict"] == "warning" and plateau["instance"] == "lab-1:8000"
    assert plateau["instances"]["lab-2:8000"] > 1.0
    assert rows["cpu_utilization"]["verdict"] == "critical"
    assert rows["model_accuracy"]["verdict"] == "no_data"


def test_alert_history_reads_the_alerts_series(prom):
    from aiops.core.config import load
    from aiops.prometheus.alerts import alert_history

    utc = dt.timezone.utc
    start, end = dt.datetime.fromtimestamp(NOW - 1200, utc), dt.datetime.fromtimestamp(NOW, utc)
    intervals = alert_history(load(flags={"prometheus.url": prom.url}), start, end, step_s=STEP)
    got = [(i.name, i.state, i.priority) for i in intervals]
    assert got == [("HighErrorRate", "pending", "P1"), ("HighErrorRate", "firing", "P1")]
    firing = intervals[1]
    assert abs(firing.start.timestamp() - (NOW - 900)) <= STEP
    # the last sample stays visible for the 5-minute lookback after it
    assert NOW - 600 - STEP <= firing.end.timestamp() <= NOW - 300 + STEP
    assert firing.labels["instance"] == "lab-1:8000"

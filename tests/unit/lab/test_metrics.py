"""The lab's metrics page: every runbook metric under its exact name and type."""

from __future__ import annotations

import math
import time

from prometheus_client.parser import text_string_to_metric_families

from aiops.catalog import METRICS
from aiops.lab.metrics import BareCounter, LabMetrics


def _families(text):
    return {f.name: f for f in text_string_to_metric_families(text)}


def test_bare_counter_keeps_its_exact_name_and_is_a_counter():
    counter = BareCounter("ai_episodes_completed", "Training episodes")
    counter.inc()
    counter.inc(2)
    text = counter.render()
    assert "# TYPE ai_episodes_completed counter\nai_episodes_completed 3.0\n" in text
    family = _families(text)["ai_episodes_completed"]
    assert family.type == "counter" and family.samples[0].value == 3.0


def test_bare_counter_with_labels_escapes_values():
    counter = BareCounter("network_io_bytes", "Network traffic", ("direction",))
    counter.inc(10, direction='se"nt')
    assert 'network_io_bytes{direction="se\\"nt"} 10.0' in counter.render()
    assert counter.value(direction='se"nt') == 10


def test_every_runbook_metric_has_its_name_and_type(tmp_path):
    metrics = LabMetrics(memory_limit=1 << 30, disk_path=str(tmp_path))
    metrics.episodes.inc()
    metrics.http_requests.labels("GET", "/health", "200").inc()
    families = _families(metrics.render().decode())
    for metric in METRICS:
        assert metric.name in families, metric.name
        assert families[metric.name].type == metric.type, metric.name
    assert families["http_requests"].type == "counter"
    statuses = {s.labels["status"] for s in families["http_requests"].samples if s.name == "http_requests_total"}
    assert {"200", "500"} <= statuses
    assert families["process_resident_memory_bytes"].samples[0].value > 0
    assert families["memory_limit_bytes"].samples[0].value == 1 << 30


def test_unmeasured_gauges_are_nan_so_no_alert_fires_on_them(tmp_path):
    families = _families(LabMetrics(memory_limit=1 << 30, disk_path=str(tmp_path)).render().decode())
    assert math.isnan(families["ai_model_accuracy"].samples[0].value)


def test_observe_inference_feeds_histogram_and_gauges(tmp_path):
    metrics = LabMetrics(memory_limit=1 << 30, disk_path=str(tmp_path))
    metrics.observe_inference(1.7, 2.4, 3.1)
    families = _families(metrics.render().decode())
    buckets = {s.labels["le"]: s.value for s in families["ai_inference_duration_seconds"].samples
               if s.name.endswith("_bucket")}
    assert buckets["1.0"] == 0 and buckets["2.5"] == 1
    assert families["ai_belief_entropy"].samples[0].value == 2.4
    assert families["ai_free_energy"].samples[0].value == 3.1


def test_system_values_are_measured(tmp_path):
    metrics = LabMetrics(memory_limit=1 << 30, disk_path=str(tmp_path))
    values = metrics.system()
    assert values["rss_bytes"] > 10_000_000
    assert 0 <= values["disk_percent"] <= 100 and 0 <= values["cpu_percent"] <= 100


def test_cpu_is_a_steady_percentage_even_when_scraped_back_to_back(tmp_path):
    metrics = LabMetrics(memory_limit=2**30, disk_path=str(tmp_path))
    deadline = time.monotonic() + 1.3
    while time.monotonic() < deadline:  # burn CPU, reading it every few microseconds
        values = [metrics.system()["cpu_percent"] for _ in range(50)]
        assert all(0.0 <= v <= 100.0 for v in values), values
    assert metrics.system()["cpu_percent"] > 0.0  # a sample over >= 1 s of busy work

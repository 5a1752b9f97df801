"""Tracing inside triage and the post-mortem: the slow-inference fault in a real, traced lab."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

from tests.conftest import free_port, require
from tests.fakes.aiops_process import check_triage_schema
from tests.fakes.aiops_process import run_aiops as aiops
from tests.fakes.lab import start_lab


def _slow_inferences(lab) -> bool:
    total = lab.sample("ai_inference_duration_seconds_count") or 0
    fast = lab.sample("ai_inference_duration_seconds_bucket", le="1.0") or 0
    return total - fast >= 3


def test_triage_and_the_postmortem_name_the_dominant_phase(tmp_path):
    require("opentelemetry.exporter.otlp.json.file")
    traces = tmp_path / "traces.jsonl"
    lab = start_lab(("slow-inference",), fast=False, extra_args=("--trace-file", str(traces)))
    try:
        lab.wait_for(lambda: _slow_inferences(lab), timeout=30, what="slow inferences")
        base = {"AIOPS_PROMETHEUS_URL": f"http://127.0.0.1:{free_port()}",
                "AIOPS_ALERTMANAGER_URL": f"http://127.0.0.1:{free_port()}",
                "AIOPS_LOGS_BACKEND": "file", "AIOPS_LOGS_FILE": str(lab.log_file)}
        traced = {**base, "AIOPS_TRACING_FILE": str(traces)}
        with ThreadPoolExecutor(2) as pool:
            with_tracing, without = pool.map(
                lambda env: aiops("triage", "--target", lab.url, "--timeout", "30", "-o", "json", env=env,
                                  tmp=tmp_path),
                (traced, base))
        out = tmp_path / "pm"
        drafted = aiops("postmortem", "new", "--since", "10m", "--out", str(out), "--no-charts", env=traced,
                        tmp=tmp_path)
    finally:
        lab.stop()

    doc = json.loads(with_tracing.stdout)
    check_triage_schema(doc)
    assert doc["playbook"]["name"] == "high-response-time", doc["playbook"]
    step = next(s for s in doc["steps"] if s["action"] == "traces.slowest")
    assert step["status"] == "passed", step
    assert step["values"]["phase"] == "policy evaluation" and step["values"]["share"] > 0.5
    assert step["values"]["duration_s"] >= 1.5
    top = doc["findings"][0]
    assert top["related"] and top["evidence"][0].startswith("slowest traces: policy evaluation: "), top

    plain = json.loads(without.stdout)
    skipped = next(s for s in plain["steps"] if s["action"] == "traces.slowest")
    assert skipped["status"] == "skipped" and "no tracing source" in skipped["reason"]
    assert not any(e.startswith("slowest traces") for f in plain["findings"] for e in f["evidence"])

    assert drafted.returncode == 0, drafted.stderr
    text = next(out.glob("*.md")).read_text()
    section = text.split("## Slowest trace", 1)[1].split("## Action items", 1)[0]
    assert "policy evaluation: " in section and "```text\ntrace " in section
    assert "slowest: policy evaluation" in section

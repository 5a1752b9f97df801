"""Post-mortem drafting at scale: 1,000 log entries, 500 audit actions, 10,000 log records.

    python benchmarks/bench_postmortem.py [--log-entries 1000] [--audit 500] [--records 10000]

The incident and its log entries are in memory (PagerDuty's latency is not aiops's); the audit
actions are a real audit file and the log records a real JSON-lines file read by the file
backend. In the same run we time (1) reading the audit file and scanning the log file alone
(the floor: the inputs), (2) gathering the draft (timeline merge, clock, metrics), (3)
``aiops.postmortem.new`` writing the document with sparklines, and (4) with PNG charts when
matplotlib is installed (the default). The bar: (4), or (3) without matplotlib, <= 2 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 1, 28, 10, 0, tzinfo=UTC)
KINDS = ("notify", "escalate", "assign", "annotate", "acknowledge")


def build_inputs(tmp: Path, n_entries: int, n_audit: int, n_records: int):
    """The incident story, an audit file and a log file of the requested sizes."""
    from aiops.incidents.audit import AuditLog
    from aiops.incidents.models import Incident, LogEntry, Note
    from aiops.postmortem.model import MetricSeries
    from aiops.postmortem.sources import IncidentData
    from aiops.prometheus.alerts import AlertInterval

    rng = random.Random(7)
    incident = Incident("QBENCH", 1234, "Sim Lab API is down", "resolved", "high", "P1", "Sim Lab API",
                        "PSVC", T0, resolved_at=T0 + dt.timedelta(minutes=55))
    span = 55 * 60
    entries = [LogEntry("R0", "trigger_log_entry", T0, "Sim Lab API", "service_reference", "Triggered")]
    for i in range(1, n_entries - 1):
        kind = rng.choice(KINDS)
        when = T0 + dt.timedelta(seconds=int(span * i / n_entries))
        entries.append(LogEntry(f"R{i}", f"{kind}_log_entry", when, f"Responder {i % 7}",
                                "user_reference", f"{kind} by Responder {i % 7}"))
    entries.append(LogEntry("RZ", "resolve_log_entry", T0 + dt.timedelta(seconds=span), "Responder 1",
                            "user_reference", "Resolved by Responder 1", note="rolled back"))
    notes = [Note(f"N{i}", e.created_at, e.agent, f"finding {i}: token=abc{i} checked")
             for i, e in enumerate(entries) if e.type == "annotate_log_entry"]
    data = IncidentData(incident, entries, notes)

    audit_path = tmp / "audit.jsonl"
    log = AuditLog(audit_path)
    actions = ("acknowledge", "note", "resolve", "triage")
    log.append(log.entry("oncall@example.com", actions[i % 4], "QBENCH", "done", number=1234)
               for i in range(n_audit))

    log_path = tmp / "service.jsonl"
    with log_path.open("w") as fh:
        for i in range(n_records):
            when = T0 - dt.timedelta(minutes=20) + dt.timedelta(seconds=i * 5400 / n_records)
            level = "ERROR" if i % 3 == 0 else "INFO"
            fh.write(json.dumps({"timestamp": when.isoformat().replace("+00:00", "Z"), "level": level,
                                 "logger": f"active_inference.m{i % 13}",
                                 "message": f"failure kind {i % 29} for user-{i % 1000}",
                                 "correlation_id": f"req-{i}", "user_id": f"user-{i % 1000}"}) + "\n")

    alerts = [AlertInterval(f"Alert{i}", "firing", T0 + dt.timedelta(minutes=i), T0 + dt.timedelta(minutes=i + 20),
                            {"instance": f"simlab-{i}:8000"}, "critical", "P1") for i in range(20)]
    start = T0 - dt.timedelta(minutes=30)
    series = [MetricSeries(key, key, unit, "q", [((start + dt.timedelta(seconds=45 * j)).timestamp(),
                                                  rng.random()) for j in range(120)], baseline=base)
              for key, unit, base in (("inference_latency_p95", "s", "inference_latency_p95"),
                                      ("error_rate", "%", "error_rate"),
                                      ("model_accuracy", "ratio", "model_accuracy"),
                                      ("memory_usage", "%", "memory_usage"))]
    return data, audit_path, log_path, alerts, series


def sources(data, audit_path, log_path, alerts, series):
    from aiops.logs.files import FileBackend
    from aiops.postmortem.sources import Sources, audit_provider, log_errors_provider

    return Sources(incident=lambda ref: data, audit=audit_provider(audit_path),
                   alerts=lambda s, e: alerts, metrics=lambda s, e: series,
                   log_errors=log_errors_provider(lambda: FileBackend(str(log_path))))


def timed(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--log-entries", type=int, default=1000)
    parser.add_argument("--audit", type=int, default=500)
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from aiops.incidents.audit import read
    from aiops.logs.files import FileBackend
    from aiops.postmortem import new
    from aiops.postmortem.gather import build_draft
    from aiops.postmortem.metrics import charts_available

    now = T0 + dt.timedelta(hours=2)
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        inputs = build_inputs(tmp, args.log_entries, args.audit, args.records)
        srcs = sources(*inputs)
        window = (T0 - dt.timedelta(minutes=30), T0 + dt.timedelta(minutes=65))

        floor, _ = timed(lambda: (read(inputs[1], incident="QBENCH"),
                                  FileBackend(str(inputs[2])).errors(*window, top=10)), args.repeat)
        gather, draft = timed(lambda: build_draft(srcs, incident_ref="1234", now=now), args.repeat)
        runs = iter(range(10_000))

        def write(charts: bool):
            out = tmp / f"out-{next(runs)}"
            return new(srcs, incident_ref="1234", out_dir=out, now=now, charts=charts,
                       secrets=["abc1"])

        spark, result = timed(lambda: write(False), args.repeat)
        charts = None
        if charts_available():
            charts, _ = timed(lambda: write(True), args.repeat)
        events = len(result.draft.timeline)

    bar_value = charts if charts is not None else spark
    print(f"incident with {args.log_entries} log entries, {args.audit} audit actions, "
          f"{args.records} log records -> {events} timeline events (median of {args.repeat})")
    print(f"{'measurement':<52}{'seconds':>9}")
    print(f"{'read audit file + scan log file (floor: the inputs)':<52}{floor:>9.3f}")
    print(f"{'gather the draft (merge, clock, metrics)':<52}{gather:>9.3f}")
    print(f"{'postmortem.new, sparklines (render + atomic write)':<52}{spark:>9.3f}")
    if charts is not None:
        print(f"{'postmortem.new, 4 PNG charts (the default)':<52}{charts:>9.3f}")
    else:
        print(f"{'postmortem.new, PNG charts':<52}{'n/a':>9}   (matplotlib not installed)")
    print(f"{'bar: the default drafting':<52}{bar_value:>9.3f}   bar <= 2.00  "
          f"{'ok' if bar_value <= 2.0 else 'OVER'}")
    return 0 if bar_value <= 2.0 else 1


if __name__ == "__main__":
    raise SystemExit(main())

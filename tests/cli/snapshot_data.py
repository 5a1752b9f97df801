"""Fixed core results for the snapshot tests: no clock, no ports, no randomness.

Every builder returns the dataclass the real command renders, filled the way the core fills it.
``NOW`` is the instant relative times are measured from (see ``aiops.cli.tables.frozen_now``).
"""

from __future__ import annotations

import datetime as dt

NOW = dt.datetime(2026, 1, 28, 10, 30, 0, tzinfo=dt.timezone.utc)


def ago(minutes: float = 0, seconds: float = 0) -> dt.datetime:
    return NOW - dt.timedelta(minutes=minutes, seconds=seconds)


def health_report():
    from aiops.health.probe import EndpointResult, HealthReport, TargetResult

    def target(url, verdict, reasons=None, slow=12.0):
        eps = {}
        for path in ("/health", "/ready", "/live", "/metrics"):
            ok = not (reasons or {}).get(path)
            eps[path] = EndpointResult(path, ok, 200 if ok else 503, slow if path == "/health" else 3.0,
                                       None if ok else reasons[path], transport_failed=False)
        return TargetResult(url, url, eps)

    healthy = target("http://lab-1.sim.example.internal:8000", "healthy")
    sick = target("http://lab-2.sim.example.internal:8000", "unhealthy",
                  {"/health": "HTTP 503; failing check(s): errors=critical; status is 'unhealthy'",
                   "/ready": "HTTP 503 [not ready]"}, slow=41.0)
    sick.health = {"status": "unhealthy", "checks": {"errors": "critical", "memory": "ok"}}
    down = TargetResult("http://lab-3.sim.example.internal:8000", "http://lab-3.sim.example.internal:8000",
                        {p: EndpointResult(p, reason="connection refused") for p in
                         ("/health", "/ready", "/live", "/metrics")})
    bad = TargetResult("http//bad", None, invalid="invalid URL 'http//bad': malformed scheme "
                                                  "(did you mean 'http://bad'?)")
    return HealthReport(ago(0), 214.0, 10.0, [healthy, sick, down, bad])


def range_result():
    """Two series over 8 minutes at a 5 s step: an error burst, then the recovery at the end."""
    import math

    from aiops.prometheus.results import RangeResult, Series

    start, step, n = ago(8), 5.0, 97
    t0 = start.timestamp()
    burst = [(t0 + i * step, 0.0 if i < 20 else 2.5 if i < 70 else 0.02) for i in range(n)]
    steady = [(t0 + i * step, 4.0 + math.sin(i / 6)) for i in range(n) if i not in range(40, 44)]
    return RangeResult('sum by (status, path) (rate(http_requests_total[1m]))', start, NOW, step,
                       [Series({"path": "/infer", "status": "500"}, burst),
                        Series({"path": "/infer", "status": "200"}, steady)], 31.0)


def query_result():
    from aiops.prometheus.results import QueryResult, Series

    return QueryResult('ai_model_accuracy{job="active-inference"}', "vector",
                       [Series({"__name__": "ai_model_accuracy", "instance": "lab-1.sim.example.internal:8000",
                                "job": "active-inference"}, [(NOW.timestamp(), 0.9473)]),
                        Series({"__name__": "ai_model_accuracy", "instance": "lab-2.sim.example.internal:8000",
                                "job": "active-inference"}, [(NOW.timestamp(), 0.612)])], NOW, 4.0)


LABS = [f"lab-{i}.sim.example.internal:8000" for i in range(1, 5)]
# (check, worst value, its instance): a real run of three healthy labs and one with error-rate
CARD_ROWS = [
    ("availability", None, None), ("inference_latency_p95", 0.00887075, LABS[0]),
    ("model_accuracy", 1.0, LABS[1]), ("belief_entropy", 0.693147, LABS[2]),
    ("free_energy_spike", -0.0971842, LABS[1]), ("training_loss_change", 109.235, LABS[2]),
    ("cpu_utilization", 1.97634, LABS[2]), ("memory_usage", 0.248797, LABS[3]),
    ("disk_usage", 27.1, LABS[1]), ("error_rate", 41.7304, LABS[1]),
    ("errors_per_second", 1.55087, LABS[1]), ("memory_growth", 396092.0, LABS[3]),
    ("network_io_anomaly", 0.663925, LABS[2]), ("episodes_per_hour", 7235.14, LABS[1]),
    ("convergence_time", 0.103874, LABS[1]), ("sample_efficiency", 2.0, LABS[1]),
]


def scorecard(source: str = "prometheus"):
    from aiops.catalog.checks import check_by_key
    from aiops.prometheus.scorecard import Row, Scorecard, make_row, threshold_text

    rows = []
    for key, value, instance in CARD_ROWS:
        check = check_by_key(key)
        if source == "scrape" and not check.scrape:
            rows.append(Row(check.key, check.title, check.metric, check.unit, check.source,
                            f"(needs Prometheus) {check.promql_for(300, None)}", verdict="unavailable",
                            threshold=threshold_text(check), note="needs a window of history; only Prometheus has it"))
            continue
        query = check.promql_for(300, "active-inference") if source == "prometheus" else \
            f"scrape: {check.scrape} of {check.metric} over 3s"
        instances = {lab: 1.0 for lab in LABS} if key == "availability" else {instance: value}
        rows.append(make_row(check, query, instances))
    if source == "prometheus":
        return Scorecard(NOW, "prometheus", 300.0, "active-inference", rows, 244.0, "http://prometheus.example:9090")
    return Scorecard(NOW, "scrape", 300.0, "active-inference", rows, 3100.0, "http://prometheus.example:9090",
                     LABS, 3.0, ["Prometheus at http://prometheus.example:9090: connection refused; scoring by "
                                 "scraping 4 target(s) directly"])


def alert_list():
    from aiops.prometheus.alerts import Alert, AlertList, SourceStatus

    alerts = [
        Alert("HighErrorRate", "firing", "critical", "P1", ago(7), "High error rate detected",
              {"alertname": "HighErrorRate", "instance": LABS[1], "job": "active-inference",
               "severity": "critical", "priority": "P1"}, ["prometheus", "alertmanager"]),
        Alert("LowModelAccuracy", "silenced", "warning", "P2", ago(42),
              "Model accuracy has dropped below threshold [retraining]",
              {"alertname": "LowModelAccuracy", "instance": LABS[2], "job": "active-inference"},
              ["alertmanager"], silenced_by=["6b4f4c4e-5e0c-4d4b-9f8e-2d1c0a6b7c3e"]),
        Alert("HighResponseTime", "pending", "warning", "P2", ago(seconds=40), None,
              {"alertname": "HighResponseTime", "instance": LABS[0]}, ["prometheus"]),
    ]
    return AlertList(NOW, alerts, [SourceStatus("prometheus", "http://prometheus.example:9090", True, 2),
                                   SourceStatus("alertmanager", "http://alertmanager.example:9093", True, 2)])


SILENCE_IDS = ["6b4f4c4e-5e0c-4d4b-9f8e-2d1c0a6b7c3e", "6b4f4c91-0d1e-4c55-8a0b-77e2a1c9d0f4",
               "c0ffee00-1111-4222-8333-444455556666"]


def silences():
    from aiops.prometheus.silences import Matcher, Silence, SilenceList

    rows = [Silence(SILENCE_IDS[0], [Matcher("alertname", "=", "LowModelAccuracy")], ago(42), NOW + (NOW - ago(78)),
                    "alice", "INC-7: model retraining [owner: ml-team]", "active"),
            Silence(SILENCE_IDS[1], [Matcher("alertname", "=~", "High.*"), Matcher("instance", "=", LABS[0])],
                    NOW + (NOW - ago(60)), NOW + (NOW - ago(180)), "bob", "maintenance window", "pending"),
            Silence(SILENCE_IDS[2], [Matcher("job", "!=", "batch")], ago(300), ago(120), "carol", "old", "expired")]
    return SilenceList("http://alertmanager.example:9093", rows)


def silence_change(action: str = "create", dry_run: bool = False):
    from aiops.prometheus.silences import SilenceChange

    s = silences().silences[0]
    if action == "create" and dry_run:
        s.id, s.state = None, None
    return SilenceChange(action, dry_run, s, "http://alertmanager.example:9093",
                         [{"name": "LowModelAccuracy", "labels": {"instance": LABS[2]}}] if action == "create" else [])


def rules_test_report(ok: bool = False):
    from aiops.prometheus.rules import PromtoolRun, RulesTestReport

    return RulesTestReport("/usr/bin/promtool", "active-inference.rules.yml", "active-inference.tests.yml", [
        PromtoolRun(["promtool", "check", "rules", "active-inference.rules.yml"], 0,
                    "Checking active-inference.rules.yml\n  SUCCESS: 6 rules found"),
        PromtoolRun(["promtool", "test", "rules", "active-inference.tests.yml"], 0 if ok else 1,
                    "Unit Testing: active-inference.tests.yml\n" + ("  SUCCESS" if ok else
                    "  FAILED:\n    alertname: HighErrorRate, time: 6m,\n        exp:[{labels: {severity=\"critical\"}}]"))])


def errors_report():
    from aiops.logs.model import ErrorGroup, ErrorReport

    t = ago(15)
    groups = [ErrorGroup("active_inference.api", "Inference failed: model backend error while calling "
                         "/infer for session 42 [retry 3 of 3]", 13, t, ago(3), {"ERROR": 13},
                         ["req-8f2c1a9e-4b7d-4e0a-9c3f-1d2e3f4a5b6c", "syn-10"]),
              ErrorGroup("active_inference.training", "Training step diverged", 2, t, t,
                         {"FATAL": 1, "ERROR": 1}, ["train-1"])]
    return ErrorReport("file", "/var/log/sim-lab/lab.jsonl", t, NOW, 15, groups)


def playbook_run(dry_run: bool = False):
    """The high-error-rate playbook's steps as triage ran them (or, dry, as planned)."""
    from aiops.playbooks import load_library
    from aiops.playbooks.steps import Context, run_playbook
    from aiops.playbooks.steps.runner import PlaybookRun, StepResult

    playbook = load_library(None).get("high-error-rate")
    if dry_run:
        run = run_playbook(playbook, Context(None, [], 10.0), dry_run=True)
        run.duration_ms = 0.0
        return run
    results = {1: ("failed", "expected errors_per_second <= 0.1, got 1.55087; expected error_rate < 1, got 41.7304",
                   ["5xx responses/s: 1.55/s (critical; > 0.1/s) at " + LABS[1]]),
               2: ("failed", "expected value <= 0.1, got 1.55087", ['sum(rate(http_requests_total{status=~"5..",'
                                                                   'job="active-inference"}[5m])) = 1.551']),
               3: ("failed", "expected verdict == healthy, got unhealthy",
                   ["http://lab-2.sim.example.internal:8000: unhealthy (/health: HTTP 503)"]),
               4: ("failed", "expected count == 0, got 15", ["13x active_inference.api: Inference failed: "
                                                             "model backend error (last 10:27:00Z)"]),
               5: ("passed", None, ["syn-10: 1 record(s) over 0 ms", "10:27:00.120Z ERROR active_inference.api: "
                                                                    "Inference failed [code=503]"]),
               7: ("skipped", "writes nothing here (triage posts only with --note)", [])}
    steps = []
    for step in playbook.steps:
        status, reason, evidence = results.get(step.number, ("manual", None, []))
        steps.append(StepResult(step.number, step.name, step.action, status, dict(step.params), evidence=evidence,
                                reason=reason, hint=step.hint, manual=step.manual, severity=step.severity))
    return PlaybookRun(playbook.name, playbook.title, playbook.severity, steps, False, 2100.0)


def triage_report(healthy: bool = False):
    """What triage says about the fixed fleet: HighErrorRate firing on lab-2, seen by four sources."""
    from aiops.playbooks import load_library
    from aiops.triage import findings as F
    from aiops.triage.choose import mark_related
    from aiops.triage.core import next_steps
    from aiops.triage.report import Choice, SourceStatus, TriageReport

    statuses = [SourceStatus(n, "ok", "answered", 120.0) for n in ("health", "metrics", "alerts", "logs")]
    if healthy:
        report = TriageReport(NOW, LABS[:3], 10.0, [], statuses, Choice(None, "none", "no finding calls for a playbook"),
                              metrics_source="prometheus", duration_ms=1830.0)
        report.next_steps = next_steps(report)
        return report
    playbook = load_library(None).get("high-error-rate")
    alerts = [a for a in alert_list().alerts if a.name == "HighErrorRate"]
    found = (F.metrics_findings(scorecard()) + F.health_findings(health_report()) + F.alert_findings(alerts, NOW)
             + F.log_findings(errors_report(), "15m"))
    mark_related(found, playbook)
    found = [f for _, f in sorted(enumerate(found), key=lambda p: p[1].sort_key(p[0]))]
    found = F.merge(found, playbook)
    report = TriageReport(NOW, LABS, 10.0, found, statuses, Choice(playbook, "firing alert", "HighErrorRate is firing"),
                          playbook_run(), "HighErrorRate", metrics_source="prometheus", duration_ms=4321.0)
    report.next_steps = next_steps(report)
    return report


def memory_report(leaking: bool = False):
    from aiops.diagnostics.memory import AllocationSite, MemoryReport, Snapshot

    sites = [AllocationSite("/srv/app/aiops/inference/agent.py", 132, 57344 if leaking else 56, 1024 if leaking else 1,
                            57400, "return [q[sl] for sl in self._states.slices]"),
             AllocationSite("/srv/app/aiops/inference/envs.py", 38, 56, 1, 56, "return [")]
    per_step = 28.7 if leaking else 1.01
    return MemoryReport("Agent.infer on tmaze (policy length 1)", 2000, 5, 256.0 if not leaking else 16.0, per_step,
                        int(per_step * 2000), 512000, leaking,
                        [Snapshot("before", 0, 411750), Snapshot("during", 1000, 418300),
                         Snapshot("after", 2000, 418300 + int(per_step * 1000))], sites, seconds=14.2)


def profile_report():
    from aiops.diagnostics.profiling import FunctionStat, ProfileReport

    rows = [FunctionStat("infer", "aiops/inference/agent.py", 140, 200, 200, 0.012, 0.81),
            FunctionStat("update_posterior", "aiops/inference/states.py", 171, 200, 200, 0.15, 0.42),
            FunctionStat("<listcomp>", "aiops/inference/agent.py", 132, 400, 400, 0.002, 0.002),
            FunctionStat("_wrapreduction", "numpy/_core/fromnumeric.py", 69, 1600, 1600, 0.03, 0.05)]
    return ProfileReport("Agent.infer on tmaze (policy length 1)", 200, 0.95, "cumulative", 48210, rows)


def bench_report():
    from aiops.diagnostics.bench import BenchReport

    return BenchReport("Agent.infer on tmaze (policy length 1)", 500, 5,
                       {"p50_ms": 3.1, "p95_ms": 4.9, "p99_ms": 7.7, "max_ms": 12.0}, "target",
                       {"infer_states": {"p50_ms": 1.2, "p95_ms": 2.0}, "infer_policies": {"p50_ms": 1.5, "p95_ms": 2.4},
                        "total": {"p50_ms": 3.1, "p95_ms": 4.9}})


def incident(number: int = 1234, status: str = "triggered", minutes: float = 7):
    from aiops.incidents.models import Incident

    return Incident(f"Q1ABC{number}XYZ", number, "[FIRING:1] HighErrorRate active-inference (critical) [lab-2]", status,
                    "high", "P1", "Sim Lab API", "PSVC01", ago(minutes), ago(minutes / 2), None,
                    ["Alice Oncall"], ["Platform"], f"https://example.pagerduty.com/incidents/Q1ABC{number}XYZ")


def incident_list():
    from aiops.incidents.models import IncidentList

    return IncidentList([incident(), incident(1233, "acknowledged", 95), incident(1201, "resolved", 60 * 30)], more=True)


def _log_entries():
    from aiops.incidents.models import LogEntry

    return [LogEntry("R1", "trigger_log_entry", ago(7), "Prometheus Alertmanager", "service", "Triggered through the API",
                     "api"),
            LogEntry("R2", "acknowledge_log_entry", ago(4), "Alice Oncall", "user", "Acknowledged by Alice Oncall",
                     "mobile"),
            LogEntry("R3", "annotate_log_entry", ago(2), "Alice Oncall", "user", "Note added", "web_ui",
                     "rolling back to 0.4.1 [canary first]")]


def incident_detail():
    from aiops.incidents.models import IncidentDetail, Note

    return IncidentDetail(incident(), _log_entries(), [Note("N1", ago(2), "Alice Oncall", "rolling back to 0.4.1 "
                                                                                          "[canary first]")])


def incident_log():
    from aiops.incidents.models import IncidentLog

    return IncidentLog(incident(), _log_entries())


def incident_action(dry_run: bool = False):
    from aiops.incidents.models import ActionReport, ActionResult

    return ActionReport("acknowledge", dry_run, [
        ActionResult("1234", "Q1ABC1234XYZ", 1234, "[FIRING:1] HighErrorRate active-inference (critical)", "triggered",
                     "would acknowledge" if dry_run else "acknowledged"),
        ActionResult("1233", "Q1ABC1233XYZ", 1233, "Model accuracy below threshold", "acknowledged",
                     "already_acknowledged"),
        ActionResult("9999", None, None, None, None, "not_found", "no incident #9999")])


def oncalls():
    from aiops.incidents.models import Oncall, OncallList

    return OncallList([Oncall("Alice Oncall", "PU1", "Sim Lab escalation", 1, "Primary (follow the sun)", ago(600),
                              NOW + (NOW - ago(300))),
                       Oncall("Bob Manager", "PU2", "Sim Lab escalation", 2, None, None, None)])


def audit_report():
    from aiops.incidents.audit import AuditEntry, AuditReport

    return AuditReport("/home/oncall/.local/share/aiops/audit.jsonl", [
        AuditEntry(ago(4), "alice@example.com", "acknowledge", "Q1ABC1234XYZ", "acknowledged", {"number": 1234}),
        AuditEntry(ago(3), "alice@example.com", "triage", "Q1ABC1234XYZ", "critical",
                   {"number": 1234, "playbook": "high-error-rate", "summary": "critical: High error rate"}),
        AuditEntry(ago(2), "alice@example.com", "note", "Q1ABC1234XYZ", "noted", {"number": 1234})])


def audit_verification():
    from aiops.incidents.audit_chain import Verification

    return Verification("/home/oncall/.local/share/aiops/audit.jsonl", "failed", records=41, adopted_lines=3,
                        problem="line 17: its prev_hash is not the SHA-256 of line 16", line=17,
                        notes=["a [bracketed] note stays as written"])


def clock():
    from aiops.incidents.clock import compute_clock

    return compute_clock(incident(), _log_entries(), [], now=NOW)


def postmortem_written():
    from aiops.postmortem import new
    from tests.fakes.postmortem_sources import NOW as PM_NOW
    from tests.fakes.postmortem_sources import sources

    import tempfile

    out = tempfile.mkdtemp(prefix="aiops-snapshot-")
    result = new(sources(), incident_ref="42", out_dir=out, now=PM_NOW, charts=False, actor="alice",
                 authors=["alice"])
    result.path = "postmortems/2026-01-28-incident-42.md"
    return result


def postmortem_check():
    from aiops.postmortem.lint import check_text

    text = ("# Post-mortem: x\n\n- **Incident:** #42 API down\n\n## Summary\n\n[TODO: two or three sentences]\n\n"
            "## Timeline\n\n| Time | Event |\n|---|---|\n| 10:00 | Triggered |\n\n## Action items\n\n"
            "| Type | Action | Owner | Due |\n|---|---|---|---|\n| Fix | Add a NaN guard [v7] | - | soon |\n")
    return check_text(text, "postmortems/2026-01-28-incident-42.md")


def settings(tmp_path=None):
    import pathlib
    import tempfile

    from aiops.core.config import load, settings_report

    home = pathlib.Path(tmp_path or tempfile.mkdtemp(prefix="aiops-snapshot-"))
    cfg = load(environ={"AIOPS_TARGETS": "http://lab-1.sim.example.internal:8000,http://lab-2.sim.example.internal:8000",
                        "AIOPS_PAGERDUTY_TOKEN": "u+abcdefghijklmnopqrst"},
               cwd=home, user_file=home / "none.toml")
    return settings_report(cfg)


def capacity():
    from aiops.prometheus.capacity import CapacityReport, Recommendation

    up = Recommendation("scale_up", "CPU > 70% for 5+ minutes", "recommended", [LABS[0]],
                        {LABS[0]: {"now": 95.0, "min_5m": 91.2, "avg_5m": 93.4, "max_5m": 97.0, "covered": True,
                                   "holds": True},
                         LABS[1]: {"now": 20.0, "min_5m": 18.0, "avg_5m": 19.5, "max_5m": 22.0, "covered": True,
                                   "holds": False}},
                        {"min_5m": 'min_over_time(cpu_usage_percent{job="active-inference"}[5m])'})
    out = Recommendation("scale_out", "request queue > 100", "no_data", [], {},
                         {"now": 'max by (instance) (request_queue_length{job="active-inference"})'},
                         note="no series: request_queue_length is not exported")
    return CapacityReport(NOW, "http://prometheus.example:9090", "active-inference", [up, out])


def fault_report():
    from aiops.lab.admin import FaultReport

    return FaultReport("http://lab-2.sim.example.internal:8000",
                       [{"name": "error-rate", "value": 0.3, "since": "2026-01-28T10:23:00Z"},
                        {"name": "training-stall", "value": None, "since": "2026-01-28T10:29:30Z"}],
                       [{"name": n} for n in ("memory-leak", "slow-inference", "error-rate", "accuracy-drop",
                                              "entropy-spike", "training-stall", "not-ready", "crash")])


def library():
    from aiops.playbooks import load_library

    return load_library(None)


def playbook():
    return library().get("memory-leak")


def validation():
    import pathlib
    import tempfile

    from aiops.playbooks import validate_files

    home = pathlib.Path(tempfile.mkdtemp(prefix="aiops-snapshot-"))
    bad = home / "my-playbook.yaml"
    bad.write_text("name: my-playbook\ntitle: Mine\nsteps:\n  - name: Look\n    action: prom.query\n")
    report = validate_files([str(bad)], None)
    for f in report.files:
        f.file = "playbooks/my-playbook.yaml"
    return report


def trace_summary():
    from aiops.logs.model import TraceSummary, make_entry

    summary = TraceSummary()
    first = ago(seconds=3)
    for i, (level, logger, message) in enumerate([("INFO", "active_inference.api", "POST /infer [session 42]"),
                                                  ("WARN", "active_inference.model", "belief update slow"),
                                                  ("ERROR", "active_inference.api", "Inference failed [code=503]")]):
        entry = make_entry({"level": level, "logger": logger, "message": message}, ago(seconds=3 - i), first, None)
        summary.add(entry)
    return summary


class _Timeline(list):
    correlation_id = "req-8f2c1a9e"
    source = "file /var/log/sim-lab/lab.jsonl"


def trace_timeline():
    from aiops.logs.model import TraceSummary, make_entry

    timeline = _Timeline()
    timeline.summary = TraceSummary()
    first = ago(seconds=3)
    for i, (level, logger, message) in enumerate([("INFO", "active_inference.api", "POST /infer [session 42]"),
                                                  ("WARN", "active_inference.model", "belief update slow"),
                                                  ("ERROR", "active_inference.api", "Inference failed [code=503]")]):
        entry = make_entry({"level": level, "logger": logger, "message": message, "duration_ms": 12 * i or None},
                           ago(seconds=3 - i), first, None)
        timeline.append(entry)
        timeline.summary.add(entry)
    return timeline


def dashboards_export():
    from aiops.dashboards.grafana import Export, ExportedFile

    files = [ExportedFile(name, f"aiops-{name}", f"Active Inference Sim Lab: {name.title()}",
                          f"/srv/grafana/[provisioning]/aiops-{name}.json", panels, "0" * 64)
             for name, panels in (("main", 7), ("performance", 6), ("infrastructure", 6))]
    return Export("/srv/grafana/[provisioning]", None, files, 41.0)


def dashboards_validation():
    from aiops.dashboards.validate import CheckedFile, Problem, Validation

    files = [CheckedFile("aiops-main.json", "aiops-main", "Main", 7, 9),
             CheckedFile("[team]-custom-dashboard-with-a-long-name.json", None, None, 2, 2)]
    problems = [Problem("[team]-custom-dashboard-with-a-long-name.json", "'Errors' (id 2)",
                        "unit 'percent[0-1]' is not a Grafana unit")]
    return Validation("/srv/grafana/dashboards", files, problems, 12.0)


def drill_report():
    from aiops.drills.report import DrillReport, ScenarioResult

    expected = {"alerts": ["HighResponseTime"], "playbook": "high-response-time", "instance": 3,
                "verdicts": ["critical"]}
    ok = ScenarioResult("down-logs", "down-logs.yaml", "fault", expected, playbook="high-response-time",
                        instance=3, verdict="critical", detection_seconds=7.25,
                        checks={"playbook": True, "instance": True})
    wrong = ScenarioResult("[bold]compound-accuracy-errors-and-more", "x.yaml", "fault",
                           {**expected, "playbook": "low-model-accuracy", "instance": 1},
                           playbook="application-down", instance=2, verdict="critical",
                           checks={"playbook": False, "instance": False})
    noise = ScenarioResult("noise-restart", "n.yaml", "noise-only",
                           {"alerts": [], "playbook": None, "instance": None, "verdicts": ["ok", "warning"]},
                           verdict="ok", checks={"verdict": True})
    broken = ScenarioResult("memory-leak", "m.yaml", "fault", {**expected, "playbook": "memory-leak"},
                            error="Prometheus did not scrape")
    return DrillReport(60.0, {}, "2026-01-28T10:00:00Z", [ok, wrong, noise, broken], 200.0, 4)


def drill_scenarios():
    from aiops.drills.scenario import collect, summary

    return summary(collect([]))  # the shipped corpus


def lab_stack():
    from pathlib import Path

    from aiops.lab.stack.core import Stack
    from aiops.lab.stack.procs import Proc

    procs = [Proc(f"lab-{i}", 4000 + i, 0.0, f"http://127.0.0.1:{40000 + i}", "x.out", []) for i in (1, 2, 3)]
    procs += [Proc("pagerduty", 4100, 0.0, "https://127.0.0.1:44513", "p.out", []),
              Proc("alertmanager", 4101, 0.0, "http://127.0.0.1:51404", "a.out", []),
              Proc("prometheus", 4102, 0.0, "http://127.0.0.1:51405", "q.out", [])]
    return Stack(Path("/tmp/[red]state"), 60.0, procs, {}, "2026-01-28T10:00:00Z",
                 running={p.name: p.name != "lab-2" for p in procs})


def lab_stack_down():
    from aiops.lab.stack.core import DownReport

    return DownReport("/tmp/[red]state", [{"name": "prometheus", "pid": 4102, "outcome": "stopped"},
                                          {"name": "lab-1", "pid": 4001, "outcome": "not running"}], [])


def trace_search():
    from aiops.tracing.analysis import build
    from aiops.tracing.model import Span
    from aiops.tracing.search import Found, SearchReport

    start = int(ago(minutes=5).timestamp() * 1e9)
    resource = {"service.name": "active-inference-sim-lab", "service.instance.id": "lab-2"}

    def trace(n, total_ms, slow_name, slow_ms, error=False):
        tid = f"{n:032x}"
        t0 = start + n * 1_000_000_000
        root = Span(tid, f"{n:016x}", None, "POST /infer", 2, t0, t0 + total_ms * 1_000_000, resource=resource)
        child = Span(tid, f"{n + 100:016x}", root.span_id, slow_name, 1, t0 + 1_000_000,
                     t0 + (1 + slow_ms) * 1_000_000, resource=resource, error=error)
        return Found(build(tid, [root, child], "jaeger"))

    traces = [trace(1, 2400, "policy_evaluation [q[sl] for sl in policies]", 2300, error=True),
              trace(2, 950, "state_inference", 800), trace(3, 120, "policy_evaluation", 90)]
    return SearchReport("jaeger http://127.0.0.1:16686", ago(minutes=15), NOW, None, False, 20, traces, 5)

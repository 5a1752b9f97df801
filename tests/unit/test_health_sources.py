"""Health verdicts read from Prometheus (``--via prometheus``), the blackbox config that makes
Prometheus probe what aiops probes, and the fleet-size health table at 80 and 120 columns."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from aiops.core.errors import UpstreamError, UsageError
from aiops.health.probe import ENDPOINTS, EndpointResult, HealthReport, TargetResult
from aiops.health.prometheus import answered_but_failed, judge, parse, queries, regex_query, split_probe_url
from aiops.prometheus.blackbox import export
from tests.fakes.aiops_process import check_schema


def _vector(values):
    return [{"metric": {"instance": k}, "value": [0, str(v)]} for k, v in values.items()]


def _answers(probes, up):
    """probes: {url: (success, status, duration, regex)}; as Prometheus's raw results."""
    return {"success": _vector({k: v[0] for k, v in probes.items()}),
            "status": _vector({k: v[1] for k, v in probes.items()}),
            "duration": _vector({k: v[2] for k, v in probes.items()}),
            "regex": _vector({k: v[3] for k, v in probes.items()}), "up": _vector(up)}


def _probes(base, **overrides):
    out = {f"{base}{p}": (1, 200, 0.004, 0) for p in ENDPOINTS}
    out.update({f"{base}/{k}": v for k, v in overrides.items()})
    return out


def test_probe_answers_judged_like_direct_probing():
    probes = {**_probes("http://a:1"), **_probes("http://b:1", ready=(0, 503, 0.01, 0)),
              **_probes("http://c:1", health=(0, 200, 0.01, 1)),
              **{f"http://d:1{p}": (0, 0, 1.0, 0) for p in ENDPOINTS},
              **_probes("https://e:1/prefix")}
    targets, warnings = judge(parse(_answers(probes, {"a:1": 1, "b:1": 1, "c:1": 1, "d:1": 0, "e:1": 0, "f:9": 1}), "P"),
                              "svc")
    got = {t.target: (t.verdict, t.reasons) for t in targets}
    assert got["http://a:1"] == ("healthy", [])
    assert got["http://b:1"] == ("unhealthy", ["/ready: HTTP 503"])
    assert got["http://c:1"][0] == "degraded" and "does not say healthy" in got["http://c:1"][1][0]
    assert got["http://d:1"] == ("unreachable", ["all endpoints: no HTTP answer to the blackbox exporter's probe"])
    # /metrics answers but Prometheus cannot use it: degraded, as a page the parser rejects
    assert got["https://e:1/prefix"][0] == "degraded" and "up == 0" in got["https://e:1/prefix"][1][0]
    assert got["f:9"] == ("healthy", []) and list(next(t for t in targets if t.target == "f:9").endpoints) == ["/metrics"]
    assert warnings == ["1 instance(s) of job 'svc' have no blackbox probes (job 'svc-blackbox'): "
                        "judged by Prometheus's /metrics scrape alone"]
    a = next(t for t in targets if t.target == "http://a:1")
    assert list(a.endpoints) == list(ENDPOINTS) and a.endpoints["/live"].latency_ms == 4.0


def test_probe_urls_and_queries():
    assert split_probe_url("http://h:1/x/y/health") == ("http://h:1/x/y", "/health")
    assert split_probe_url("h:1/health") is None and split_probe_url("http://h:1/other") is None
    q = queries('we"ird')
    assert q["up"] == 'max by (instance) (up{job="we\\"ird"})'
    assert q["success"] == 'max by (instance) (probe_success{job="we\\"ird-blackbox"})'
    assert set(q) == {"up", "success", "status", "duration"}
    assert regex_query('we"ird') == 'max by (instance) (probe_failed_due_to_regex{job="we\\"ird-blackbox"}) == 1'


def test_body_check_asked_only_when_a_2xx_probe_failed():
    good = parse(_answers({**_probes("http://a:1"), **_probes("http://b:1", ready=(0, 503, 0.01, 0))}, {}), "P")
    assert not answered_but_failed(good)  # failures without a 2xx answer say enough
    assert not answered_but_failed(parse(_answers({f"http://d:1{p}": (0, 0, 1.0, 0) for p in ENDPOINTS}, {}), "P"))
    bad = parse(_answers(_probes("http://a:1", metrics=(0, 200, 0.01, 1)), {}), "P")
    assert answered_but_failed(bad)
    del bad["regex"]  # not asked yet: judged without it, the reason is the general one
    (target,), _ = judge(bad, "svc")
    assert target.verdict == "degraded" and target.reasons == ["/metrics: the blackbox exporter's probe failed"]


def test_blackbox_scrape_job_and_modules(tmp_path):
    written = export("scrape-config", targets=["127.0.0.1:8000", "https://h/p"], exporter="127.0.0.1:9115",
                     job="svc", out=tmp_path / "job.yml")
    doc = yaml.safe_load((tmp_path / "job.yml").read_text())
    job = doc["scrape_configs"][0]
    assert job["job_name"] == "svc-blackbox" and job["metrics_path"] == "/probe"
    assert job["static_configs"][0] == {"targets": ["http://127.0.0.1:8000/health", "https://h/p/health"],
                                        "labels": {"__param_module": "aiops_health"}}
    assert len(job["static_configs"][1]["targets"]) == 6 and written.probes == 8
    assert {"target_label": "__address__", "replacement": "127.0.0.1:9115"} in job["relabel_configs"]
    check_schema(written.to_dict())
    with pytest.raises(UsageError, match="already exists"):
        export("scrape-config", targets=["h:1"], exporter="h:2", job="svc", out=tmp_path / "job.yml")
    with pytest.raises(UsageError, match="HOST:PORT"):
        export("scrape-config", targets=["h:1"], exporter="http://h:2/", job="svc")
    modules = yaml.safe_load(export("modules").text)["modules"]
    assert modules["aiops_health"]["http"]["fail_if_body_not_matches_regexp"] == [r'"status"\s*:\s*"healthy"']
    assert re.search(modules["aiops_health"]["http"]["fail_if_body_not_matches_regexp"][0],
                     '{"status": "healthy", "checks": {}}')


def test_alerts_rules_blackbox_command(cli, tmp_path):
    out = tmp_path / "bb.yml"
    result = cli("alerts", "rules", "--blackbox", "--exporter", "127.0.0.1:9115", "-t", "127.0.0.1:8000",
                 "--out", str(out), "-o", "json")
    assert result.exit_code == 0, result.stderr
    check_schema(result.json())
    assert "wrote 4 probes" in result.stderr
    again = cli("alerts", "rules", "--blackbox", "--exporter", "127.0.0.1:9115", "-t", "h:1", "--out", str(out))
    assert again.exit_code == 2 and "--force" in again.stderr
    missing = cli("alerts", "rules", "--blackbox", "-t", "h:1")
    assert missing.exit_code == 2 and "--exporter" in missing.stderr
    text = cli("alerts", "rules", "--blackbox-modules")
    assert text.exit_code == 0 and "aiops_health" in text.stdout


def _report(n_healthy=3):
    targets = []
    bad = [("unreachable", "http://[2001:db8::1]:8443"), ("unhealthy", "http://very-long-host-name.example.internal:8000"),
           ("degraded", "http://10.0.0.3:8000")]
    for verdict, url in bad + [("healthy", f"http://10.0.1.{i}:8000") for i in range(n_healthy)]:
        t = TargetResult(url, url)
        for p in ENDPOINTS:
            failing = (verdict == "unreachable" or verdict == "unhealthy" and p == "/ready"
                       or verdict == "degraded" and p == "/metrics")
            reason = ("connection refused by [2001:db8::1]:8443" if verdict == "unreachable" else
                      "HTTP 503 [bold]injected[/bold]" if p == "/ready" else "missing runbook metrics: ai_model_accuracy")
            t.endpoints[p] = EndpointResult(p, ok=not failing, status_code=None if verdict == "unreachable" else
                                            (503 if failing and p == "/ready" else 200),
                                            latency_ms=None if verdict == "unreachable" else 12.0,
                                            reason=reason if failing else None,
                                            severity="degraded" if p == "/metrics" else "unhealthy",
                                            transport_failed=verdict == "unreachable")
        targets.append(t)
    return HealthReport(dt.datetime(2026, 1, 28, 10, tzinfo=dt.timezone.utc), 1234.0, 10.0, targets)


SNAPSHOT_80 = """\
6 target(s): 3 healthy, 1 degraded, 1 unhealthy, 1 unreachable (1.23s)
verdict      h r l m  slowest  target / reasons
────────────────────────────────────────────────────────────────────────────────
unhealthy    ✓ ✗ ✓ ✓     12ms  http://very-long-host-name.example.internal:8000
                                 /ready: HTTP 503 [bold]injected[/bold]
unreachable  ✗ ✗ ✗ ✗        -  http://[2001:db8::1]:8443
                                 all endpoints: connection refused by
                                 [2001:db8::1]:8443
degraded     ✓ ✓ ✓ ✗     12ms  http://10.0.0.3:8000
                                 /metrics: missing runbook metrics:
                                 ai_model_accuracy
And 3 healthy target(s) not listed (--all lists them)
"""


def _render(report, width, all_targets=False):
    from rich.console import Console

    from aiops.cli.health import health_table

    console = Console(width=width, record=True, no_color=True, force_terminal=False)
    console.print(health_table(report, all_targets=all_targets))
    return "\n".join(line.rstrip() for line in console.export_text().splitlines()) + "\n"


def test_table_at_80_and_120_columns():
    narrow, wide = _render(_report(), 80), _render(_report(), 120)
    for text, width in ((narrow, 80), (wide, 120)):
        assert max(len(line) for line in text.splitlines()) <= width
        assert "/ready: HTTP 503 [bold]injected[/bold]" in text  # escaped, not styled
        assert "And 3 healthy target(s) not listed (--all lists them)" in text
        rows = [line.split()[0] for line in text.splitlines()[3:] if line[:1].isalpha()]
        assert rows[:3] == ["unhealthy", "unreachable", "degraded"]
        assert "10.0.1.0" not in text
    assert "all endpoints: connection refused by [2001:db8::1]:8443" in wide
    assert "HTTP 503 [bold]injected[/bold]" in wide
    assert narrow == SNAPSHOT_80, narrow
    listed = _render(_report(), 120, all_targets=True)
    assert "http://10.0.1.2:8000" in listed and "not listed" not in listed


_JSON = st.recursive(st.none() | st.booleans() | st.floats() | st.text(max_size=8),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                     max_leaves=8)
_SERIES = st.fixed_dictionaries({"metric": st.dictionaries(st.sampled_from(["instance", "job"]), _JSON, max_size=2)
                                 | _JSON, "value": st.lists(_JSON, max_size=3) | _JSON})


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["success", "status", "duration", "regex", "up"]),
                       st.lists(_SERIES | _JSON, max_size=3) | _JSON))
def test_a_hostile_answer_is_an_upstream_error(mangled):
    """Whatever a server puts in the answers: a report, or one clear error naming Prometheus and
    the query (exit 5), never a crash."""
    answers = {**_answers(_probes("http://a:1"), {"a:1": 1}), **mangled}
    try:
        values = parse(answers, "http://prom:9090")
    except UpstreamError as exc:
        assert re.fullmatch(r"Prometheus at http://prom:9090 answered the (up|probe_\w+) query with something "
                            r"other than an instant vector of instances and numbers", exc.message), exc.message
        return
    answered_but_failed(values)
    judge(values, "svc")


def test_prometheus_is_asked_the_body_check_only_after_a_failed_2xx(monkeypatch):
    """Four questions on a good day (and when failures carry no 2xx); the fifth only after a
    2xx probe failed, and its answer names the cause."""
    from aiops.health import prometheus as via
    from aiops.prometheus import client as promclient

    asked: list[str] = []

    class Client:
        base = "http://prom:9090"

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return None

    def serve(raw):
        def query_many(client, wanted, **kwargs):
            asked.extend(wanted)
            return {key: raw[key] for key in wanted}
        return query_many

    monkeypatch.setattr(promclient, "connect", lambda cfg, **kwargs: Client())
    for probes, questions in ((_probes("http://a:1", ready=(0, 503, 0.01, 0)), 4),
                              (_probes("http://a:1", metrics=(0, 200, 0.01, 1)), 5)):
        asked.clear()
        monkeypatch.setattr(promclient, "query_many", serve(_answers(probes, {"a:1": 1})))
        report = via.check(None, job="svc", timeout=5)
        assert len(asked) == questions and ("regex" in asked) == (questions == 5)
    assert report.targets[0].reasons == ["/metrics: body failed the probe's check"]

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

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

"""Fleet health read from Prometheus instead of probed: ``aiops health check --via prometheus``.

Prometheus already probes the fleet when the blackbox exporter is configured as
``aiops alerts rules --blackbox`` writes it (job ``<job>-blackbox``, one probe per instance and
endpoint, the probed URL as the ``instance`` label). This reads, for the service's ``job``:

- ``up``: whether Prometheus's own scrape of each instance's /metrics succeeded;
- ``probe_success``, ``probe_http_status_code`` and ``probe_duration_seconds`` of every
  probe, each aggregated on the server to one value per probed URL (``max by (instance)``);
- only when some probe got a 2xx answer and still failed (its body failed the module's
  check, or something else did): the probes whose body check failed
  (``probe_failed_due_to_regex == 1``), to say which. On a good day that question is not
  asked: it costs Prometheus as much as the others.

and judges each endpoint as direct probing would: a 2xx answer is ok; another status is
``HTTP <code>`` (unhealthy, degraded for /metrics); no answer at all is a transport failure
(all four failing that way: unreachable); a 2xx answer whose body failed the module's check
(the /health body does not say healthy) is degraded; a /metrics that answers while
Prometheus's scrape of it fails (``up == 0``) is degraded. Instances known only from ``up``
(no blackbox probes) are judged by their /metrics scrape alone, and the report says so.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from typing import Any
from urllib.parse import urlsplit

from aiops.core.errors import UpstreamError, UsageError
from aiops.health.probe import ENDPOINTS, EndpointResult, HealthReport, TargetResult

PROBES = {"success": "probe_success", "status": "probe_http_status_code",
          "duration": "probe_duration_seconds", "regex": "probe_failed_due_to_regex"}


def blackbox_job(job: str) -> str:
    """The scrape job of the service's blackbox probes (what ``--blackbox`` writes)."""
    return f"{job}-blackbox"


def quote(value: str) -> str:
    """A PromQL string literal."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def queries(job: str) -> dict[str, str]:
    """The PromQL always read: one value per probed URL (or per scraped instance for ``up``)."""
    probes = quote(blackbox_job(job))
    out = {"up": f"max by (instance) (up{{job={quote(job)}}})"}
    out.update({key: f"max by (instance) ({metric}{{job={probes}}})" for key, metric in PROBES.items()
                if key != "regex"})
    return out


def regex_query(job: str) -> str:
    """The probes whose body check failed (only those: the other probes say 0)."""
    return f"max by (instance) ({PROBES['regex']}{{job={quote(blackbox_job(job))}}}) == 1"


def answered_but_failed(values: dict[str, dict[str, float]]) -> bool:
    """Whether a probe got a 2xx answer and failed anyway (``values`` as :func:`parse` makes
    them): only then is the body check asked."""
    status = values["status"]
    return any(ok != 1 and 200 <= status.get(instance, 0) < 300 for instance, ok in values["success"].items())


def check(cfg: Any, *, job: str | None = None, timeout: float | None = None,
          at: dt.datetime | None = None, clock: Any = None) -> HealthReport:
    """The health report of ``job``'s instances (default: the ``prometheus.job`` setting) as
    Prometheus sees them; UpstreamError (exit 5) when it cannot be asked, UsageError (exit 2)
    when it knows nothing of the job."""
    from aiops.prometheus.client import connect, query_many

    job = job or cfg.get("prometheus.job")
    if not job:
        raise UsageError("--via prometheus needs a job", hint="pass --job JOB or set prometheus.job")
    timeout = float(timeout or cfg.get("timeout"))
    now = (clock or (lambda: dt.datetime.now(dt.timezone.utc)))()
    started = time.perf_counter()
    wanted = queries(job)
    with connect(cfg, timeout=timeout, pool=len(wanted)) as client:
        answers = query_many(client, wanted, at=at, workers=len(wanted), raw=True)
        base = client.base
        for answer in answers.values():
            if isinstance(answer, Exception):
                raise answer
        values = parse(answers, base)
        if answered_but_failed(values):
            answer = query_many(client, {"regex": regex_query(job)}, at=at, workers=1, raw=True)["regex"]
            if isinstance(answer, Exception):
                raise answer
            values.update(parse({"regex": answer}, base))
    targets, warnings = judge(values, job)
    if not targets:
        raise UsageError(f"Prometheus at {base} has no series for job '{job}' (up) or "
                         f"'{blackbox_job(job)}' (blackbox probes)",
                         hint="check --job; 'aiops alerts rules --blackbox' writes the probe jobs")
    return HealthReport(now, (time.perf_counter() - started) * 1000, timeout, targets,
                        source="prometheus", prometheus_url=base, job=job, warnings=warnings)


def parse(answers: dict[str, Any], base: str) -> dict[str, dict[str, float]]:
    """{question: {instance: value}} from the raw answers of :func:`queries` (and of
    :func:`regex_query` under ``"regex"``); UpstreamError naming the query when one is not an
    instant vector of instances and numbers."""
    return {key: _values(answer, PROBES.get(key, key), base) for key, answer in answers.items()}


def _values(answer: Any, metric: str, base: str) -> dict[str, float]:
    try:
        values = {instance: float(series["value"][1]) for series in answer
                  if (instance := series["metric"].get("instance")) is not None}
        if all(type(instance) is str for instance in values):
            return values
    except (TypeError, ValueError, KeyError, IndexError, AttributeError):
        pass
    raise UpstreamError(f"Prometheus at {base} answered the {metric} query with something other "
                        "than an instant vector of instances and numbers")


_PATHS = frozenset(ENDPOINTS)
_PLAIN_BASE = re.compile(r"https?://[A-Za-z0-9._~-]+(?::[0-9]*)?(?:/[^?#]*)?", re.ASCII)  # has a host


def split_probe_url(instance: str, bases: dict[str, bool] | None = None) -> tuple[str, str] | None:
    """``http://h:1/prefix/health`` -> (``http://h:1/prefix``, ``/health``); None otherwise.
    ``bases`` caches which bases are URLs (each is checked once, not once per endpoint)."""
    base, _, last = instance.rpartition("/")
    path = "/" + last
    if path not in _PATHS:
        return None
    ok = bases.get(base) if bases is not None else None
    if ok is None:
        ok = _PLAIN_BASE.fullmatch(base) is not None or (
            base.startswith(("http://", "https://")) and bool(urlsplit(base).hostname))
        if bases is not None:
            bases[base] = ok
    return (base, path) if ok else None


def judge(values: dict[str, dict[str, float]], job: str) -> tuple[list[TargetResult], list[str]]:
    """Target results (ordered by URL) from the answers as :func:`parse` reads them (the
    body check's, under ``"regex"``, only when it was asked)."""
    success, status, duration = values["success"], values["status"], values["duration"]
    regex, up = values.get("regex", {}), values["up"]
    targets: dict[str, TargetResult] = {}
    odd = 0
    bases: dict[str, bool] = {}
    for instance, ok in success.items():
        split = split_probe_url(instance, bases)
        if split is None:
            odd += 1
            continue
        base, path = split
        target = targets.get(base)
        if target is None:
            target = targets[base] = TargetResult(base, base)
        target.endpoints[path] = _endpoint(path, ok, status.get(instance), duration.get(instance),
                                           regex.get(instance))
    by_address = {base.split("//", 1)[1].split("/", 1)[0]: t for base, t in targets.items()}
    bare = []
    for instance, value in up.items():
        target = by_address.get(instance)
        if target is None:  # scraped but not probed: its /metrics scrape is all we know
            target = targets.setdefault(instance, TargetResult(instance, None))
            bare.append(instance)
            target.endpoints["/metrics"] = _scraped(value)
            continue
        metrics = target.endpoints.get("/metrics")
        if value == 0 and metrics is not None and metrics.ok:
            metrics.ok, metrics.severity = False, "degraded"
            metrics.reason = "Prometheus's scrape fails (up == 0): not usable exposition?"
    for target in targets.values():  # endpoints in the usual order
        target.endpoints = {p: target.endpoints[p] for p in ENDPOINTS if p in target.endpoints}
    warnings = []
    if bare:
        warnings.append(f"{len(bare)} instance(s) of job '{job}' have no blackbox probes (job "
                        f"'{blackbox_job(job)}'): judged by Prometheus's /metrics scrape alone")
    if odd:
        warnings.append(f"{odd} probe(s) of job '{blackbox_job(job)}' are not of /health, /ready, "
                        "/live or /metrics: ignored")
    return [targets[k] for k in sorted(targets)], warnings


def _endpoint(path: str, success: float, status: float | None, duration: float | None,
              regex: float | None) -> EndpointResult:
    code = int(status) if status is not None and status == status else None
    latency = None if duration is None else duration * 1000
    severity = "degraded" if path == "/metrics" else "unhealthy"
    if success == 1:  # the usual case: one step
        return EndpointResult(path, True, code, latency, None, severity, False)
    ep = EndpointResult(path, latency_ms=latency, severity=severity)
    if not code:
        ep.reason, ep.transport_failed = "no HTTP answer to the blackbox exporter's probe", True
        return ep
    ep.status_code, ep.transport_failed = code, False
    if 200 <= code < 300:
        ep.severity = "degraded"
        if path == "/health":
            ep.reason = "body failed the probe's check (the /health body does not say healthy)"
        else:
            ep.reason = "body failed the probe's check" if regex == 1 else "the blackbox exporter's probe failed"
    else:
        ep.reason = f"HTTP {code}"
    return ep


def _scraped(up: float) -> EndpointResult:
    if up == 1:
        return EndpointResult("/metrics", ok=True, reason=None, severity="degraded", transport_failed=False)
    return EndpointResult("/metrics", reason="Prometheus cannot scrape /metrics (up == 0)",
                          severity="degraded", transport_failed=True)

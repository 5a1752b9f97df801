"""``prom.query``: one PromQL instant query (:func:`aiops.prometheus.queries.instant_query`), reduced to a value."""

from __future__ import annotations

import math
from typing import Any

from aiops.core.errors import UpstreamError
from aiops.playbooks.steps.runner import Context, Outcome

_REDUCE = {"max": max, "min": min, "sum": sum, "count": len}


def expand(query: str, job: str | None) -> str:
    """Replace ``$job`` with the configured scrape job."""
    return query.replace("$job", job or "")


def run(ctx: Context, action: str, params: dict[str, Any]) -> Outcome:
    """Run ``query``; ``value`` is the series' values reduced by ``aggregate``."""
    from aiops.prometheus.queries import instant_query

    query = expand(params["query"], ctx.cfg.get("prometheus.job"))
    result = instant_query(ctx.cfg, query, timeout=ctx.timeout)
    numbers = [s.value for s in result.series if s.value is not None and not math.isnan(s.value)]
    if not numbers and params["aggregate"] != "count":
        if params.get("empty") is None:
            raise UpstreamError(f"no data: {query} matched no series",
                                hint="is Prometheus scraping the service (prometheus.job)?")
        value = params["empty"]
    else:
        value = float(_REDUCE[params["aggregate"]](numbers))
    evidence = [f"{query} -> {len(result.series)} series"]
    evidence += [f"{s.label_text() or '{}'} = {s.value:.6g}" for s in result.series[:5] if s.value is not None]
    return Outcome({"value": value, "series": len(result.series)}, evidence)

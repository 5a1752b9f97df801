"""``metrics.check``: rows of the runbook scorecard (:func:`aiops.prometheus.scorecard.metrics_check`)."""

from __future__ import annotations

from typing import Any

from aiops.playbooks.steps.runner import Context, Outcome

_ORDER = ("critical", "warning", "info", "ok")


def scorecard(ctx: Context, window: float = 300.0, source: str = "auto",
              scrape_interval_s: float = 3.0) -> Any:
    """The Scorecard for ``window``/``source`` (measured once per run)."""
    from aiops.prometheus.scorecard import metrics_check

    return ctx.cached(("metrics", window, source), lambda: metrics_check(
        ctx.cfg, window=window, source=source, targets=ctx.targets, timeout=ctx.timeout,
        scrape_interval_s=scrape_interval_s))


def row_line(row: Any) -> str:
    """``Model accuracy: 0.15 (critical; > 0.95 / > 0.8 / < 0.7) at instance``."""
    from aiops.core.units import quantity

    value = "no value" if row.value is None else quantity(row.value, row.unit)
    where = f" at {row.instance}" if row.instance else ""
    rule = f"; {row.threshold}" if row.threshold else ""
    note = f" - {row.note}" if row.note and row.verdict in ("no_data", "unavailable", "error") else ""
    return f"{row.title}: {value} ({row.verdict}{rule}){where}{note}"


def fleet_line(row: Any) -> str | None:
    """``worst: host-1 (0.5), host-2 (0.75); 1 critical, 2 warning of 1000 instances`` when
    the row covers more than one instance; None otherwise."""
    counts = getattr(row, "instance_counts", None) or {}
    if counts.get("measured", 0) <= 1 or row.key == "availability" and not row.value:
        return None
    worst = ", ".join(f"{k} ({v:.4g})" for k, v in row.worst)
    tally = ", ".join(f"{n} {v}" for v, n in counts.items() if v != "measured" and n)
    return (f"worst: {worst}; " if worst else "") + f"{tally or 'none breaching'} of {counts['measured']} instances"


def run(ctx: Context, action: str, params: dict[str, Any]) -> Outcome:
    """The scorecard rows ``checks`` names: their values, and the worst verdict among them."""
    card = scorecard(ctx, params["window"], params["source"])
    keys = params.get("checks") or [r.key for r in card.rows]
    rows = [card.row(k) for k in keys]
    judged = [r.verdict for r in rows if r.verdict in _ORDER]
    values: dict[str, Any] = {"verdict": next((v for v in _ORDER if v in judged), "no_data")}
    values.update({r.key: r.value for r in rows})
    evidence = [f"source: {card.source}" + (f" ({card.prometheus_url})" if card.source == "prometheus" else "")]
    lines = [line for r in rows for line in (row_line(r), fleet_line(r)) if line]
    return Outcome(values, evidence + lines)

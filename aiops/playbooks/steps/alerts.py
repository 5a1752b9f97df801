"""``alerts.list``: the playbook's alerts as Prometheus and Alertmanager see them now."""

from __future__ import annotations

from typing import Any

from aiops.playbooks.steps.runner import Context, Outcome


def current(ctx: Context) -> Any:
    """The AlertList (read once per run)."""
    from aiops.prometheus.alerts import list_alerts

    return ctx.cached(("alerts",), lambda: list_alerts(ctx.cfg, timeout=ctx.timeout))


def run(ctx: Context, action: str, params: dict[str, Any]) -> Outcome:
    """How many of the named alerts are firing and pending."""
    names = params.get("names") or list(getattr(ctx.playbook, "alerts", ()) or ())
    wanted = {n.lower() for n in names}
    alerts = [a for a in current(ctx).alerts if not wanted or a.name.lower() in wanted]
    firing = [a for a in alerts if a.state == "firing"]
    pending = [a for a in alerts if a.state == "pending"]
    evidence = [f"{a.name} {a.state} since {a.since.isoformat(timespec='seconds') if a.since else '?'}"
                f" ({a.severity or '-'}, {a.priority or '-'}): {a.summary or ''}".rstrip(": ")
                for a in alerts]
    if not alerts:
        evidence = [f"none of {', '.join(names)} pending or firing" if names else "no alerts"]
    return Outcome({"firing": len(firing), "pending": len(pending)}, evidence)

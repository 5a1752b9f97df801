"""The stack's configuration files: Prometheus, Alertmanager (routing to the PagerDuty sandbox
through its own ``pagerduty_configs``), the rules, and the ``aiops.toml`` environment ``lab``."""

from __future__ import annotations

import json
from typing import Any

from aiops.catalog.checks import promql_duration
from aiops.lab.stack.timing import Timing

JOB = "active-inference"  # the runbook's job label


def hostport(url: str) -> str:
    return url.split("://", 1)[-1].rstrip("/")


def prometheus_config(t: Timing, targets: list[str], rules_file: str, alertmanager: str) -> str:
    """Prometheus's YAML (as JSON, which YAML reads): the lab instances as job active-inference."""
    interval = promql_duration(t.scrape_s)
    return json.dumps({
        "global": {"scrape_interval": interval, "scrape_timeout": interval,
                   "evaluation_interval": promql_duration(t.evaluation_s)},
        "rule_files": [rules_file],
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": [hostport(alertmanager)]}]}]},
        "scrape_configs": [{"job_name": JOB, "static_configs": [{"targets": [hostport(u) for u in targets]}]}],
    }, indent=2)


def alertmanager_config(t: Timing, events_url: str, routing_key: str, ca_file: str) -> str:
    """Alertmanager's YAML: every alert to the sandbox's Events API v2, resolved ones too."""
    return json.dumps({
        "route": {"receiver": "pagerduty-sandbox", "group_by": ["alertname", "instance"],
                  "group_wait": promql_duration(t.group_wait_s),
                  "group_interval": promql_duration(t.group_interval_s),
                  "repeat_interval": promql_duration(t.repeat_s)},
        "receivers": [{"name": "pagerduty-sandbox", "pagerduty_configs": [{
            "routing_key": routing_key, "url": events_url, "send_resolved": True,
            "http_config": {"tls_config": {"ca_file": ca_file}}}]}],
    }, indent=2)


def aiops_toml(settings: dict[str, Any], env: str = "lab") -> str:
    """``[environments.<env>]`` with every setting aiops needs to talk to the stack."""
    lines = ["# Written by `aiops lab stack up`: the local incident stack (a sandbox, not production).",
             f"[environments.{env}]"]
    for key, value in settings.items():
        lines.append(f"{key} = {json.dumps(value)}")
    return "\n".join(lines) + "\n"

"""The runbook as data: metrics, baselines, alert rules, severities, the P1 timeline, capacity.

Every value here is copied exactly from the monitoring runbook; every command, the
post-mortem and the playbooks read them from here and nowhere else.
"""

from aiops.catalog.alerts import ALERT_RULES, AlertRule, rule_by_name
from aiops.catalog.baselines import BASELINES, Baseline
from aiops.catalog.incident import CAPACITY_RULES, P1_TIMELINE, SEVERITIES, Milestone
from aiops.catalog.metrics import APPLICATION_METRICS, BUSINESS_METRICS, METRICS, SYSTEM_METRICS, Metric

__all__ = [
    "ALERT_RULES", "AlertRule", "rule_by_name", "BASELINES", "Baseline", "CAPACITY_RULES",
    "P1_TIMELINE", "SEVERITIES", "Milestone", "APPLICATION_METRICS", "BUSINESS_METRICS",
    "METRICS", "SYSTEM_METRICS", "Metric",
]

"""The local incident stack: lab instances, Prometheus, Alertmanager and the PagerDuty sandbox."""

from aiops.lab.stack.core import ENV, DownReport, Stack, down, load, status, up
from aiops.lab.stack.timing import Timing, rule_groups, timing

__all__ = ["ENV", "DownReport", "Stack", "Timing", "down", "load", "rule_groups", "status", "timing", "up"]

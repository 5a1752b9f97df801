"""Which playbook answers this situation.

In order: the alert named with ``--alert``; the alert the PagerDuty incident was raised for;
the most severe runbook alert firing now; else the playbook whose signals explain the most
severe findings. Ties go to the playbook backed by more independent sources (health, metrics,
logs, ...), then alert playbooks before procedures, then the more severe playbook, then the
runbook's order of alerts (ApplicationDown first: a service that is down explains the rest).
"""

from __future__ import annotations

import re
from typing import Any

from aiops.catalog import ALERT_RULES
from aiops.triage.report import SEVERITY_RANK, Choice, Finding

_RUNBOOK_ORDER = [r.name for r in ALERT_RULES]


def alert_in_text(text: str, alerts: list[str]) -> str | None:
    """The first known alert name that appears as a word in ``text`` (an incident title)."""
    for name in alerts:
        if re.search(rf"(?<![A-Za-z0-9]){re.escape(name)}(?![A-Za-z0-9])", text or "", re.IGNORECASE):
            return name
    return None


def _matches(playbook: Any, finding: Finding) -> bool:
    return finding.status == "problem" and any(
        s.name == finding.signal and SEVERITY_RANK[finding.severity] >= SEVERITY_RANK[s.at_least]
        for s in playbook.signals)


def choose(library: Any, findings: list[Finding], *, alert: str | None = None,
           incident_alert: str | None = None) -> Choice:
    """The :class:`Choice` for the findings (``alert`` must already be known to the library)."""
    if alert:
        return Choice(library.require_alert(alert), "alert", f"--alert {alert}")
    if incident_alert and library.for_alert(incident_alert):
        return Choice(library.for_alert(incident_alert), "incident",
                      f"the incident was raised for {incident_alert}")
    firing = [f for f in findings if f.source == "alerts" and f.title.startswith("Alert firing")
              and f.alert and library.for_alert(f.alert)]
    if firing:
        top = max(firing, key=lambda f: SEVERITY_RANK[f.severity])
        return Choice(library.for_alert(top.alert), "firing_alert", f"{top.alert} is firing")
    best, best_score, best_matched = None, None, []
    for playbook in library.playbooks:
        matched = [f for f in findings if _matches(playbook, f)]
        if not matched:
            continue
        score = (max(SEVERITY_RANK[f.severity] for f in matched), len({f.source for f in matched}),
                 playbook.kind == "alert", SEVERITY_RANK[playbook.severity], -_runbook_index(playbook))
        if best_score is None or score > best_score:
            best, best_score, best_matched = playbook, score, matched
    if best is None:
        return Choice(None, "none", "no finding calls for a playbook")
    signals = ", ".join(dict.fromkeys(f.signal for f in best_matched))
    return Choice(best, "findings", f"it explains {signals}")


def _runbook_index(playbook: Any) -> int:
    indexes = [_RUNBOOK_ORDER.index(a) for a in playbook.alerts if a in _RUNBOOK_ORDER]
    return min(indexes) if indexes else len(_RUNBOOK_ORDER)


def mark_related(findings: list[Finding], playbook: Any) -> None:
    """Flag the findings the chosen playbook explains (they sort first within a severity)."""
    if playbook is None:
        return
    for f in findings:
        f.related = _matches(playbook, f) or bool(f.alert and playbook.matches_alert(f.alert))

"""The triage report: verdict, findings with evidence and source, playbook run, next steps.

``TriageReport.to_dict()`` is the stable ``aiops.triage/v1`` JSON document, described by
``schemas/triage-report.schema.json``; :func:`to_markdown` is the paste-ready form (and the
PagerDuty note).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from aiops.core import errors

SCHEMA = "aiops.triage/v1"
VERDICTS = ("ok", "warning", "critical")
SEVERITY_RANK = {"critical": 3, "warning": 2, "info": 1, "unknown": 0}
SOURCE_ORDER = ("alerts", "metrics", "health", "trend", "logs", "incident", "playbook")


@dataclass
class Finding:
    """One thing triage found. ``status``: problem (counts toward the verdict), unavailable
    (a source could not be read) or error (a playbook step could not run)."""

    title: str
    severity: str  # critical | warning | info | unknown
    source: str
    status: str = "problem"
    signal: str | None = None
    alert: str | None = None
    evidence: list[str] = field(default_factory=list)
    hint: str | None = None
    related: bool = False  # explains the chosen playbook
    sources: list[str] = field(default_factory=list)  # every source that saw it (merged findings)
    signals: list[str] = field(default_factory=list)

    def sort_key(self, index: int) -> tuple:
        source = self.source.split(":")[0]
        return (-SEVERITY_RANK.get(self.severity, 0), self.status != "problem", not self.related,
                SOURCE_ORDER.index(source) if source in SOURCE_ORDER else len(SOURCE_ORDER), index)

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "severity": self.severity, "status": self.status,
                "source": self.source, "sources": self.sources or [self.source],
                "signal": self.signal, "signals": self.signals or ([self.signal] if self.signal else []),
                "alert": self.alert, "related": self.related, "evidence": self.evidence, "hint": self.hint}


@dataclass
class SourceStatus:
    """How one source fared: ok, unavailable, skipped (not asked) or timeout."""

    name: str
    status: str
    detail: str
    duration_ms: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "detail": self.detail,
                "duration_ms": round(self.duration_ms, 1)}


@dataclass
class Choice:
    """The playbook triage ran and why: by alert, incident, firing alert, findings or none."""

    playbook: Any  # aiops.playbooks.Playbook or None
    by: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        p = self.playbook
        return {"name": p.name if p else None, "title": p.title if p else None,
                "severity": p.severity if p else None, "chosen_by": self.by, "reason": self.reason}


@dataclass
class TriageReport:
    """Everything triage found; findings are sorted, most important first."""

    checked_at: dt.datetime
    targets: list[str]
    timeout_s: float
    findings: list[Finding]
    sources: list[SourceStatus]
    choice: Choice
    run: Any = None  # aiops.playbooks.steps.PlaybookRun or None
    alert: str | None = None
    incident: dict[str, Any] | None = None
    p1_clock: Any = None  # aiops.incidents.clock.Clock
    warnings: list[str] = field(default_factory=list)
    next_steps: list[str] = field(default_factory=list)
    note: dict[str, Any] | None = None
    duration_ms: float = 0.0
    metrics_source: str | None = None

    @property
    def problems(self) -> list[Finding]:
        return [f for f in self.findings if f.status == "problem"]

    @property
    def verdict(self) -> str:
        """critical when a problem is critical; warning when one is warning or info; else ok."""
        worst = max((SEVERITY_RANK.get(f.severity, 0) for f in self.problems), default=0)
        return "critical" if worst >= 3 else "warning" if worst >= 1 else "ok"

    @property
    def top(self) -> Finding | None:
        return self.findings[0] if self.findings and self.findings[0].status == "problem" else None

    @property
    def summary(self) -> str:
        if self.top is None:
            return "ok: no problem found" + (f" ({len(self.findings)} source(s) unavailable)"
                                             if self.findings else "")
        playbook = self.choice.playbook
        return f"{self.verdict}: {self.top.title}" + (f" [playbook {playbook.name}]" if playbook else "")

    def exit_code(self) -> int:
        """0 when ok, 3 when warning or critical."""
        return errors.OK if self.verdict == "ok" else errors.CHECK_FAILED

    def to_dict(self) -> dict[str, Any]:
        counts = {s: sum(f.severity == s for f in self.problems) for s in ("critical", "warning", "info")}
        return {"schema": SCHEMA, "checked_at": self.checked_at, "verdict": self.verdict,
                "summary": self.summary, "duration_ms": round(self.duration_ms, 1),
                "timeout_seconds": self.timeout_s, "targets": self.targets, "alert": self.alert,
                "metrics_source": self.metrics_source, "counts": counts,
                "playbook": self.choice.to_dict(),
                "findings": [f.to_dict() for f in self.findings],
                "steps": [s.to_dict() for s in self.run.steps] if self.run else [],
                "next_steps": self.next_steps, "incident": self.incident,
                "p1_clock": self.p1_clock.to_dict() if self.p1_clock is not None else None,
                "sources": [s.to_dict() for s in self.sources], "note": self.note,
                "warnings": self.warnings}


def took(ms: float) -> str:
    """A duration for the report: 453 ms, 4.3 s."""
    return f"{ms:.0f} ms" if ms < 1000 else f"{ms / 1000:.1f} s"


def _iso(when: dt.datetime | None) -> str:
    return when.isoformat(timespec="seconds").replace("+00:00", "Z") if when else "-"


def to_markdown(report: TriageReport) -> str:
    """The report as Markdown: ready to paste into a ticket, chat or incident note."""
    lines = [f"## Triage: {report.verdict.upper()}", "", f"**{report.summary}**", ""]
    choice = report.choice
    lines.append(f"- Checked {_iso(report.checked_at)} in {took(report.duration_ms)}; targets: "
                 f"{', '.join(report.targets) or 'none'}; metrics from {report.metrics_source or '-'}")
    if choice.playbook:
        lines.append(f"- Playbook `{choice.playbook.name}` ({choice.playbook.title}), chosen by "
                     f"{choice.by}: {choice.reason}")
    if report.incident:
        inc = report.incident
        lines.append(f"- Incident #{inc.get('number') or inc.get('id')}: {inc.get('title')} ({inc.get('status')})")
    if report.p1_clock is not None:
        from aiops.incidents.clock import describe

        states = "; ".join(f"{m.name} {describe(m)}" for m in report.p1_clock.milestones)
        lines.append(f"- P1 clock ({report.p1_clock.verdict}): {states}")
    lines += ["", "### Findings", ""]
    if not report.findings:
        lines.append("None: every source that answered looks healthy.")
    for i, f in enumerate(report.findings, 1):
        tag = f.severity if f.status == "problem" else f.status
        lines.append(f"{i}. **{tag}** {f.title} _({', '.join(f.sources or [f.source])})_")
        lines += [f"   - {e}" for e in f.evidence[:6]]
    if report.run:
        lines += ["", f"### Playbook steps ({report.run.playbook})", "", "| # | step | status | result |",
                  "|---|------|--------|--------|"]
        for s in report.run.steps:
            result = s.reason or (s.evidence[0] if s.evidence else (s.manual or ""))
            lines.append(f"| {s.number} | {_cell(s.name)} | {s.status} | {_cell(result)} |")
    if report.next_steps:
        lines += ["", "### Next steps", ""] + [f"{i}. {s}" for i, s in enumerate(report.next_steps, 1)]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")[:160]

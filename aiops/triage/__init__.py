"""Triage: from an alert (or nothing) to what is wrong and what to do next.

    from aiops.triage import triage

    report = triage(cfg, alert="MemoryLeak", targets=["http://127.0.0.1:8000"])
    report.verdict, report.top, report.exit_code(), report.to_dict()

See :mod:`aiops.triage.core` for the sources and the time budget, :mod:`aiops.triage.choose`
for how the playbook is chosen and :mod:`aiops.triage.report` for the report.
"""

from aiops.triage.core import triage
from aiops.triage.report import SCHEMA, Choice, Finding, SourceStatus, TriageReport, to_markdown

__all__ = ["SCHEMA", "Choice", "Finding", "SourceStatus", "TriageReport", "to_markdown", "triage"]

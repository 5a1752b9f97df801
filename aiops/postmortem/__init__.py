"""Post-mortems that draft themselves: facts, the P1 clock, a merged timeline, key metrics.

``new(sources, incident_ref="42", out_dir=".")`` gathers what every source knows
(:mod:`aiops.postmortem.gather`), renders the Jinja2 template (:mod:`aiops.postmortem.render`)
and writes ``<date>-incident-<n>.md`` atomically beside its PNG charts
(:mod:`aiops.postmortem.writer`); ``check_file(path)`` lists what a person still has to write
(:mod:`aiops.postmortem.lint`). Sources are injected (:mod:`aiops.postmortem.sources`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from aiops.postmortem.lint import CheckReport, check_file, check_text
from aiops.postmortem.model import Draft, Gap, TimelineEvent, WriteResult
from aiops.core.redact import Redactor
from aiops.postmortem.sources import Sources

__all__ = ["CheckReport", "Draft", "Gap", "Redactor", "Sources", "TimelineEvent", "WriteResult",
           "check_file", "check_text", "new"]


def new(sources: Sources, *, incident_ref: str | None = None, since: dt.datetime | None = None,
        until: dt.datetime | None = None, out_dir: str | Path = ".",
        template: str | Path | None = None, force: bool = False, redact: bool = False,
        title: str | None = None, authors: list[str] | None = None, actor: str | None = None,
        secrets: list[str] | tuple[str, ...] = (), charts: bool | None = None,
        audit_log: Any = None, now: dt.datetime | None = None) -> WriteResult:
    """Draft a post-mortem and write it (and its charts) into ``out_dir``.

    ``charts`` None draws PNGs when matplotlib is installed; ``audit_log`` (an
    :class:`aiops.incidents.audit.AuditLog`) records the draft as the incident's Post-incident milestone.
    Raises UsageError (exit 2) for a bad template or an existing file without ``force``, and
    CheckFailed (exit 3) for an unknown incident; unreachable sources are gaps, not errors.
    """
    from aiops.postmortem import metrics, render, writer
    from aiops.postmortem.gather import build_draft

    compiled = render.compile_template(*render.load_template(template))
    base = writer.ensure_dir(out_dir)
    redactor = Redactor(secrets, users=redact)
    draft = build_draft(sources, incident_ref=incident_ref, since=since, until=until, title=title,
                        authors=authors, actor=actor, now=now, redactor=redactor)
    stem = writer.file_stem(draft.date, **_identity(draft.incident, incident_ref), title=draft.title)
    doc = writer.target(base, stem + ".md")
    drawn: dict[str, tuple[str, bytes]] = {}
    if charts or charts is None and metrics.charts_available():
        span = (draft.clock.start, draft.resolved_at) if draft.clock is not None else None
        drawn = metrics.draw_charts(draft.metric_series, stem, span)
    chart_paths = {key: writer.target(base, name) for key, (name, _) in drawn.items()}
    writer.refuse_existing([doc, *chart_paths.values()], force)
    text = redactor.scrub(render.render(compiled, draft, {k: n for k, (n, _) in drawn.items()}))
    for key, (_, png) in drawn.items():
        writer.atomic_write(chart_paths[key], png, force=force)
    writer.atomic_write(doc, text.encode("utf-8"), force=force)
    result = WriteResult(str(doc), [str(p) for p in chart_paths.values()], draft,
                         placeholders=sum(p.kind == "placeholder" for p in check_text(text).problems))
    if audit_log is not None and draft.postmortem_entry is not None:
        draft.postmortem_entry.details["file"] = doc.name
        try:
            audit_log.append([draft.postmortem_entry])
        except OSError as exc:
            result.warnings.append(f"the audit log was not updated ({exc.strerror or exc}): "
                                   "the clock will not count this draft")
    return result


def _identity(incident: Any, ref: str | None) -> dict[str, Any]:
    """The incident's number (or ID) for the file name; a bare number given as ``ref`` counts."""
    number = getattr(incident, "number", None)
    ref = (ref or "").strip().lstrip("#")
    if number is None and ref.isdigit():
        number = int(ref)
    return {"number": number, "incident_id": getattr(incident, "id", None) or ref or None}

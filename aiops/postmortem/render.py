"""Render a draft with Jinja2: the shipped template (package data) or the user's own.

Templates run in Jinja's sandbox with undefined names as errors, so a typo in a custom
template fails loudly (exit 2 naming the line) instead of leaving a blank. Text that comes
from outside (titles, notes, log messages, labels) passes through the ``md`` / ``cell``
filters: it cannot open a heading, break a table, inject HTML or fake a placeholder.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from aiops import __version__
from aiops.catalog.incident import P1_TIMELINE, SEVERITIES
from aiops.core.errors import UsageError
from aiops.incidents.clock import describe, human_duration
from aiops.postmortem.metrics import fmt_value
from aiops.postmortem.model import Draft

TEMPLATE = "postmortem.md.j2"
PLACEHOLDER = "[TODO: {}]"
SOURCES = ("pagerduty", "audit", "alerts", "metrics", "logs", "traces")


def placeholder(text: str) -> str:
    """The marker for text a person still has to write; ``postmortem check`` finds it."""
    return PLACEHOLDER.format(text)


def md(text: Any) -> str:
    """Untrusted text on one Markdown line: no line breaks, HTML, table pipes or placeholders."""
    value = " ".join(str(text if text is not None else "").split())
    value = value.replace("\\", "\\\\").replace("|", "\\|")
    value = value.replace("<", "&lt;").replace(">", "&gt;")
    value = re.sub(r"^([#>=*+-]|\d+\.)", r"\\\1", value)  # no heading, quote or list
    return re.sub(r"\[(?=\s*TODO)", r"\\[", value, flags=re.I)


def ts(when: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    """A UTC time for people: ``2026-01-28 10:00:00``."""
    if when is None:
        return "-"
    return when.astimezone(dt.timezone.utc).strftime(fmt)


def offset(when: dt.datetime | None, since: dt.datetime | None) -> str:
    """``+4m 12s`` / ``-2m 00s`` from ``since``."""
    if when is None or since is None:
        return ""
    seconds = (when - since).total_seconds()
    return ("+" if seconds >= 0 else "-") + human_duration(abs(seconds))


def environment() -> Any:
    """The sandboxed Jinja2 environment with the post-mortem filters and globals."""
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    env = SandboxedEnvironment(autoescape=False, undefined=StrictUndefined, trim_blocks=True,
                               lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(md=md, cell=md, ts=ts, offset=offset, duration=human_duration,
                       value=fmt_value, clockstate=describe)
    env.globals.update(placeholder=placeholder)
    return env


def load_template(path: str | Path | None = None) -> tuple[str, str]:
    """(name, source) of the shipped template, or of ``path``; UsageError if unreadable."""
    if path is None:
        from importlib.resources import files

        return TEMPLATE, files("aiops.templates").joinpath(TEMPLATE).read_text(encoding="utf-8")
    path = Path(path).expanduser()
    try:
        return str(path), path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise UsageError(f"cannot read template {path}: {reason}") from None


def compile_template(name: str, source: str) -> Any:
    """Parse a template; a syntax error is a UsageError naming the file and line."""
    from jinja2 import DictLoader, TemplateError, TemplateSyntaxError

    env = environment()
    env.loader = DictLoader({name: source})
    try:
        return env.get_template(name)
    except TemplateSyntaxError as exc:
        raise UsageError(f"template {name}: line {exc.lineno}: {exc.message}") from None
    except TemplateError as exc:
        raise UsageError(f"template {name}: {exc}") from None


def context(draft: Draft, charts: dict[str, str] | None = None) -> dict[str, Any]:
    """The names a template sees (documented in the README)."""
    inc = draft.incident
    start = draft.clock.start if draft.clock is not None else (inc.created_at if inc else None)
    return {
        "draft": draft, "title": draft.title, "date": draft.date.isoformat(), "incident": inc,
        "incident_ref": draft.incident_ref, "severity": draft.severity,
        "severity_text": SEVERITIES.get(draft.severity or "", ""), "status": draft.status,
        "alert_priorities": _alert_priorities(draft),
        "authors": draft.authors, "window_start": draft.start, "window_end": draft.end,
        "incident_start": start, "clock": draft.clock, "timeline": draft.timeline,
        "metrics": draft.metrics, "charts": charts or {}, "alerts": draft.alerts,
        "log_errors": draft.log_errors, "gaps": draft.gaps, "milestones": P1_TIMELINE,
        "first_alert": min(draft.alerts, key=lambda a: a.start) if draft.alerts else None,
        "generated_at": draft.generated_at, "version": __version__, "redacted": draft.redacted,
        "sources": SOURCES, "gap_sources": [g.source for g in draft.gaps],
        "audit_trail": draft.audit_trail,
        "slow_trace": draft.slow_trace, "slow_trace_text": trace_block(draft.slow_trace),
    }


def trace_block(view: Any) -> str:
    """The slowest trace's waterfall for a fenced code block: no backticks (they would close the
    fence) and no placeholder look-alikes from span names."""
    if view is None:
        return ""
    from aiops.tracing.waterfall import plain

    text = plain(view, 100).replace("`", "'")
    return re.sub(r"\[(?=\s*TODO)", "(", text, flags=re.I)


def render(template: Any, draft: Draft, charts: dict[str, str] | None = None) -> str:
    """The document text; a failing custom template is a UsageError naming the line."""
    from jinja2 import TemplateError

    try:
        return template.render(context(draft, charts))
    except TemplateError as exc:
        line = _template_line(exc, template.name)
        where = f"line {line}: " if line else ""
        raise UsageError(f"template {template.name}: {where}{exc}") from None
    except (TypeError, ValueError, AttributeError, KeyError, ZeroDivisionError) as exc:
        line = _template_line(exc, template.name)
        where = f"line {line}: " if line else ""
        raise UsageError(f"template {template.name}: {where}{type(exc).__name__}: {exc}") from None


def _template_line(exc: BaseException, name: str) -> int | None:
    """The template line a render error happened on (Jinja rewrites tracebacks to it)."""
    tb, line = exc.__traceback__, None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename in (name, "<template>"):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _alert_priorities(draft: Any) -> str:
    """For the severity placeholder: the priorities of the alerts that fired (a hint, not a verdict)."""
    fired = sorted({f"{a.name} {a.priority}" for a in draft.alerts if a.priority})
    return f"; alerts that fired: {', '.join(fired)}" if fired else ""

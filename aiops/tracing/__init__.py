"""Traces from Jaeger, Tempo or OTLP JSON files, from a trace ID or a correlation ID.

    from aiops.tracing import open_source, show, search

    source = open_source(cfg)                        # the tracing.* settings, or overrides
    view = show(source, "req-12345", logs=logs)      # a correlation ID goes through the logs
    view.summary(), view.phase_line(), view.to_dict()
    report = search(source, start, end, min_duration_s=1.0, limit=5)

A correlation ID is resolved to its trace through the log store (``aiops.logs``): the lab's
log records carry ``trace_id`` beside ``correlation_id``. The other way, a trace's spans carry
``correlation_id``, which finds the trace's log lines (``logs=...``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiops.core.errors import AiopsError, CheckFailed, ConfigError, UsageError
from aiops.tracing.analysis import TraceView, build
from aiops.tracing.model import trace_id_arg
from aiops.tracing.search import SearchReport, rank

__all__ = ["BACKENDS", "SearchReport", "TraceView", "configured", "join_logs", "open_source",
           "resolve", "search", "show"]

BACKENDS = ("jaeger", "tempo", "file")
LOG_MARGIN = dt.timedelta(minutes=1)  # log lines of a trace: its span of time, and a minute around


def configured(cfg: Any) -> bool:
    """Whether the settings name a tracing source (tracing.url or tracing.file)."""
    return bool(cfg.get("tracing.url") or cfg.get("tracing.file"))


def open_source(cfg: Any, backend: str | None = None, url: str | None = None, file: str | None = None,
                timeout: float | None = None) -> Any:
    """The trace source the arguments, else the ``tracing.*`` settings, select.

    ``file`` alone selects OTLP JSON files. ConfigError (exit 2) when nothing is configured.
    """
    if file and backend not in (None, "file"):
        raise UsageError(f"--file reads trace files; it cannot be combined with --backend {backend}")
    chosen = backend or ("file" if file else cfg.get("tracing.backend"))
    if chosen not in BACKENDS:
        raise UsageError(f"unknown tracing backend '{chosen}'; choose one of {', '.join(BACKENDS)}")
    if not backend and not url and not cfg.get("tracing.url") and cfg.get("tracing.file"):
        chosen = "file"  # only files are configured
    if chosen == "file":
        from aiops.tracing.files import FileSource

        path = file or cfg.get("tracing.file")
        if not path:
            raise ConfigError("no trace file given", hint="pass --file PATH_OR_GLOB or set tracing.file")
        return FileSource(path)
    from aiops.core.http import normalise_url
    from aiops.tracing.remote import RemoteSource, Store

    raw = url or cfg.get("tracing.url")
    if not raw:
        raise ConfigError("no tracing source configured",
                          hint="set tracing.url (Jaeger or Tempo) or tracing.file, or pass --url / --file")
    return RemoteSource(Store(chosen, normalise_url(raw), float(timeout or cfg.get("timeout") or 10.0),
                              cfg.get("tracing.service"), cfg.get("tracing.token"), cfg.get("tracing.username"),
                              cfg.get("tracing.password"), cfg.get("tracing.ca_bundle") or cfg.get("tls.ca_bundle"),
                              bool(cfg.get("tls.insecure"))))


def resolve(ident: str, logs: Any, start: dt.datetime, end: dt.datetime) -> tuple[str, str | None, list[str]]:
    """(trace ID, correlation ID or None, warnings) for what the user typed.

    A correlation ID is looked up in the log store ``logs`` (an :func:`aiops.logs.open_backend`):
    CheckFailed (exit 3) when it has no records, or none of them carries a ``trace_id``.
    """
    trace_id = trace_id_arg(ident)
    if trace_id is not None:
        return trace_id, None, []
    if logs is None:
        raise ConfigError(f"'{ident}' is not a trace ID, and no log store is configured to resolve it",
                          hint="a trace ID has 32 hex digits; for a correlation ID set logs.* or pass --log-file")
    ids: list[str] = []
    with logs.trace(ident, start, end) as timeline:
        for entry in timeline:
            value = entry.fields.get("trace_id")
            if isinstance(value, str) and trace_id_arg(value) and value.lower() not in ids:
                ids.append(value.lower())
    if not timeline.summary.records:
        raise CheckFailed(f"no trace: no log records for correlation ID '{ident}' in {logs.source}",
                          hint="widen the window with --since, or check the ID")
    if not ids:
        raise CheckFailed(f"no trace: the {timeline.summary.records} log record(s) of '{ident}' carry no "
                          "trace_id (the service was not tracing, or did not sample this request)")
    warnings = []
    if len(ids) > 1:
        warnings.append(f"correlation ID '{ident}' spans {len(ids)} traces; showing the latest "
                        f"({ids[-1]}); the others: {', '.join(ids[:-1][:5])}")
    return ids[-1], ident, warnings


def join_logs(view: TraceView, logs: Any) -> None:
    """Put the trace's log lines on ``view.logs``: records with its correlation IDs, around its time,
    whose ``trace_id`` is this trace's (or absent). A log store that fails is a warning."""
    view.logs = []
    cids = view.correlation_ids()
    if not cids:
        view.warnings.append("the trace's spans carry no correlation_id: its log lines cannot be found")
        return
    start = dt.datetime.fromtimestamp(view.start_ns / 1e9, dt.timezone.utc) - LOG_MARGIN
    end = dt.datetime.fromtimestamp(view.end_ns / 1e9, dt.timezone.utc) + LOG_MARGIN
    try:
        for cid in cids:
            with logs.trace(cid, start, end) as timeline:
                view.logs += [e for e in timeline if e.fields.get("trace_id") in (None, view.trace_id)]
    except AiopsError as exc:
        view.warnings.append(f"log lines unavailable: {exc.message}")
    view.logs.sort(key=lambda e: e.time)


def show(source: Any, ident: str, *, logs: Any = None, with_logs: bool = False,
         start: dt.datetime | None = None, end: dt.datetime | None = None) -> TraceView:
    """The analysed trace for a trace ID or correlation ID (see :func:`resolve`)."""
    now = dt.datetime.now(dt.timezone.utc)
    start, end = start or now - dt.timedelta(hours=24), end or now
    trace_id, cid, warnings = resolve(ident, logs, start, end)
    spans, skipped = source.get(trace_id, start, end)
    view = build(trace_id, spans, source.source, skipped)
    view.correlation_id, view.warnings = cid, warnings
    if with_logs:
        if logs is None:
            view.warnings.append("no log store configured (logs.*, or --log-file): no log lines")
            view.logs = []
        else:
            join_logs(view, logs)
    return view


def search(source: Any, start: dt.datetime, end: dt.datetime, *, min_duration_s: float | None = None,
           errors_only: bool = False, limit: int = 20) -> SearchReport:
    """Traces that started in [start, end], matching the filters, slowest first."""
    spans, skipped = source.candidates(start, end, min_duration_s, errors_only, limit)
    return rank(spans, source.source, start, end, min_duration_s=min_duration_s, errors_only=errors_only,
                limit=limit, skipped=skipped)

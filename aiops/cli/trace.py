"""``aiops trace``: one trace as a waterfall, from a trace ID or a correlation ID; recent slow traces."""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

from aiops.cli import output
from aiops.cli.common import SinceOpt, TimeoutOpt, UntilOpt, collector_paused, get_state, global_options

app = typer.Typer(no_args_is_help=True)

BackendOpt = Annotated[Optional[str], typer.Option(
    "--backend", metavar="NAME", help="jaeger, tempo or file [default: config tracing.backend]")]
UrlOpt = Annotated[Optional[str], typer.Option(
    "--url", metavar="URL", help="Jaeger query or Tempo base URL [default: config tracing.url]")]
FileOpt = Annotated[Optional[str], typer.Option(
    "--file", metavar="PATH_OR_GLOB", help="read OTLP JSON lines files (plain or .gz); quote globs")]
LogFileOpt = Annotated[Optional[str], typer.Option(
    "--log-file", metavar="PATH_OR_GLOB",
    help="JSON-lines logs that resolve a correlation ID and give --logs [default: config logs.*]")]


def _source(backend, url, file, timeout):
    from aiops.tracing import open_source

    return open_source(get_state().config(timeout=timeout), backend=backend, url=url, file=file, timeout=timeout)


def _logs(log_file, needed: bool):
    """The log store (files with --log-file, else the logs.* settings); None when not configured."""
    if not log_file and not needed:
        return None  # a trace ID without --logs: the log store (and its imports) is not needed
    from aiops.core.errors import ConfigError
    from aiops.logs import open_backend

    cfg = get_state().config()
    if log_file:
        return open_backend(cfg, file=log_file)
    try:
        return open_backend(cfg)
    except ConfigError:
        return None


@app.command(short_help="A trace's waterfall, from a trace ID or a correlation ID.")
@global_options
def show(
    ident: Annotated[str, typer.Argument(metavar="ID", help="a trace ID (32 hex digits) or a correlation ID")],
    file: FileOpt = None, backend: BackendOpt = None, url: UrlOpt = None,
    with_logs: Annotated[bool, typer.Option("--logs", help="interleave the trace's log lines")] = False,
    log_file: LogFileOpt = None, since: SinceOpt = None, until: UntilOpt = None, timeout: TimeoutOpt = None,
) -> None:
    """One trace as a waterfall: the span tree with offsets and bars, the critical path (*),
    errors (!), and the slowest span named in the last line.

    A correlation ID (the X-Correlation-ID of a request) is looked up in the logs, whose
    records carry the trace ID. Default window: the last 24h. Exit 3 when there is no such
    trace, 5 when the trace store cannot be reached within --timeout. -o json gives every
    span with its times, attributes, events and resource (aiops.trace/v1).

    Examples:

    \b
      aiops trace show req-3f2a9c1e --file traces.jsonl --log-file lab.log
      aiops trace show 0af7651916cd43dd8448eb211c80319c --url http://jaeger:16686 --logs
      aiops trace show req-3f2a9c1e -o json
    """
    from aiops.core.timewindow import parse_window
    from aiops.tracing import show as show_trace
    from aiops.tracing.model import trace_id_arg

    start, end = parse_window(since, until, default_since="24h")
    source = _source(backend, url, file, timeout)
    logs = _logs(log_file, needed=with_logs or trace_id_arg(ident) is None)
    with collector_paused():
        view = show_trace(source, ident, logs=logs, with_logs=with_logs, start=start, end=end)
        for warning in view.warnings:
            output.warn(warning)
        _report_skipped(view.skipped)
        if output.output_format() == "json":
            output.write_json(view.to_dict())
            sys.stdout.flush()
            return
        from aiops.cli.trace_render import waterfall

        console = output.stdout()
        console.file.write(waterfall(view, console))
        console.file.flush()


@app.command(short_help="Recent traces, slowest first, with their dominant span.")
@global_options
def search(
    since: SinceOpt = None, until: UntilOpt = None,
    min_duration: Annotated[Optional[str], typer.Option(
        "--min-duration", metavar="DURATION", help="only traces at least this long: 500ms, 1s, 2m")] = None,
    error: Annotated[bool, typer.Option("--error", help="only traces with an error span")] = False,
    limit: Annotated[int, typer.Option("--limit", metavar="N", min=1, max=1000, help="traces shown")] = 20,
    file: FileOpt = None, backend: BackendOpt = None, url: UrlOpt = None, timeout: TimeoutOpt = None,
) -> None:
    """Recent traces, slowest first, each with the span that took the most time.

    Default window: the last 1h. Searches tracing.service in Jaeger or Tempo, or every span
    in the files.

    Examples:

    \b
      aiops trace search --since 1h --min-duration 1s
      aiops trace search --error --limit 5 --file 'traces/*.jsonl*'
    """
    from aiops.core.timewindow import parse_duration, parse_window
    from aiops.tracing import search as search_traces

    start, end = parse_window(since, until, default_since="1h")
    minimum = parse_duration(min_duration, what="--min-duration") if min_duration else None
    report = search_traces(_source(backend, url, file, timeout), start, end, min_duration_s=minimum,
                           errors_only=error, limit=limit)
    from aiops.cli.trace_render import search_table

    output.render(report, table=search_table, wide=True)
    _report_skipped(report.skipped)
    if not report.traces:
        output.info(f"no trace in {report.source} matches")


def _report_skipped(skipped) -> None:
    if skipped.total:
        where = f" (first: {', '.join(skipped.where[:3])})" if skipped.where else ""
        output.warn(f"skipped {skipped.corrupt_lines} corrupt line(s) and {skipped.bad_spans} unusable "
                    f"span(s){where}")

"""``aiops logs``: follow one correlation ID; group recent errors."""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

from aiops.cli import output
from aiops.cli.common import SinceOpt, TimeoutOpt, UntilOpt, get_state, global_options

app = typer.Typer(no_args_is_help=True)

BackendOpt = Annotated[Optional[str], typer.Option(
    "--backend", metavar="NAME",
    help="elasticsearch, opensearch or file [default: config logs.backend]")]
UrlOpt = Annotated[Optional[str], typer.Option(
    "--url", metavar="URL", help="Elasticsearch/OpenSearch URL [default: config logs.url]")]
IndexOpt = Annotated[Optional[str], typer.Option(
    "--index", metavar="PATTERN", help="index pattern [default: config logs.index, logs-*]")]
FileOpt = Annotated[Optional[str], typer.Option(
    "--file", metavar="PATH_OR_GLOB",
    help="read JSON-lines files (plain or .gz) instead of a cluster; quote globs")]


def _backend(backend, url, index, file, timeout):
    from aiops.logs import open_backend

    return open_backend(get_state().config(timeout=timeout), backend=backend, url=url,
                        index=index, file=file)


@app.command()
@global_options
def trace(
    correlation_id: Annotated[str, typer.Argument(metavar="CORRELATION_ID",
                                                  help="matched exactly, as a term value")],
    since: SinceOpt = None, until: UntilOpt = None, backend: BackendOpt = None,
    url: UrlOpt = None, index: IndexOpt = None, file: FileOpt = None,
    require: Annotated[bool, typer.Option("--require", help="exit 3 when nothing matches")] = False,
    limit: Annotated[Optional[int], typer.Option("--limit", metavar="N", min=1,
                                                 help="stop after N records")] = None,
    timeout: TimeoutOpt = None,
) -> None:
    """Every record with CORRELATION_ID, in time order, as a timeline with a summary.

    Default window: the last 24h. Exit 0 (also when nothing matches: "no records"),
    3 with --require and no records, 2 for an unknown index, 4 when the credentials are
    refused, 5 when the cluster cannot be reached (use --file meanwhile).

    Examples:

    \b
      aiops logs trace req-12345
      aiops logs trace req-12345 --since 2h --url http://127.0.0.1:9200 -o json
      aiops logs trace req-12345 --file '/var/log/sim-lab/*.jsonl*'
    """
    from aiops.core.errors import CheckFailed
    from aiops.core.timewindow import parse_window

    start, end = parse_window(since, until, default_since="24h")
    logs = _backend(backend, url, index, file, timeout)
    with logs.trace(correlation_id, start, end, limit=limit) as timeline:
        if output.output_format() == "json":
            from aiops.logs import write_json

            output.write_json_stream(lambda write: write_json(timeline, write))
        else:
            print_timeline(timeline)
        sys.stdout.flush()
    _report_skipped(timeline.summary.skipped)
    if timeline.summary.truncated:
        output.info(f"stopped after {limit} records (--limit)")
    if timeline.summary.records == 0:
        message = f"no records for correlation ID '{correlation_id}' in {logs.source}"
        if require:
            raise CheckFailed(message, hint="widen the window with --since")
        output.info(message)


@app.command()
@global_options
def errors(
    since: SinceOpt = None, until: UntilOpt = None,
    top: Annotated[int, typer.Option("--top", metavar="N", min=1, help="groups shown")] = 10,
    backend: BackendOpt = None, url: UrlOpt = None, index: IndexOpt = None,
    file: FileOpt = None, timeout: TimeoutOpt = None,
) -> None:
    """ERROR and FATAL records grouped by logger and message, most frequent first.

    Default window: the last 15m. Each group has its count, first and last time and
    sample correlation IDs (feed one to 'aiops logs trace').

    Examples:

    \b
      aiops logs errors
      aiops logs errors --since 1h --top 5 -o wide
      aiops logs errors --file app.jsonl.gz --since 2026-01-28T10:00:00Z
    """
    from aiops.core.timewindow import parse_window

    start, end = parse_window(since, until, default_since="15m")
    report = _backend(backend, url, index, file, timeout).errors(start, end, top=top)
    output.render(report, table=errors_table, wide=True)
    _report_skipped(report.skipped)


def _report_skipped(skipped) -> None:
    if skipped.total:
        output.warn(f"{skipped.total} matching record(s) skipped: {skipped.invalid_json} not "
                    f"valid JSON, {skipped.missing_fields} without a usable timestamp")


_LEVEL_STYLES = {"ERROR": "bold red", "FATAL": "bold white on red", "CRITICAL": "bold white on red",
                 "WARN": "yellow", "WARNING": "yellow", "DEBUG": "dim"}


def print_timeline(timeline) -> None:
    """Stream the timeline as lines (no table: column widths would need every row first)."""
    console = output.stdout()
    for line in timeline_lines(timeline):
        console.print(line, soft_wrap=True)
    if timeline.summary.records:
        console.print(summary_table(timeline.summary))


def timeline_lines(timeline):
    """One Text line per record (outside data is never markup): time, offset, level, logger,
    message, duration and context."""
    import json

    from rich.text import Text

    yield Text(f"correlation ID {timeline.correlation_id} in {timeline.source}", style="bold")
    for e in timeline:
        style = _LEVEL_STYLES.get(e.level or "", "")
        line = Text(f"{e.time.isoformat(timespec='milliseconds')[:23]}Z ", style="cyan")
        line.append(f"{'+' + format(e.offset_ms / 1000, '.3f') + 's':>10} ")
        line.append(f"{(e.level or '-'):<5} ", style=style)
        line.append(f"{e.logger or '-'}  ", style="blue")
        line.append(e.message or "-", style="bold red" if e.is_error else "")
        if e.duration_ms is not None:
            line.append(f"  {e.duration_ms}ms", style="magenta")
        if e.context:
            line.append("  " + json.dumps(e.context, ensure_ascii=False, default=str), style="dim")
        yield line


def summary_table(summary):
    """Counts by level and logger, and the error messages, of one trace."""
    from aiops.cli.tables import Column, Grid, heading, lines, styled
    from aiops.logs.model import iso

    span = "-" if summary.span_ms is None else f"{summary.span_ms / 1000:.3f}s"
    grid = Grid(Column("by level", "text", min_width=10), Column("by logger", "text"),
                Column("errors", "text"),
                title=heading(f"{summary.records} record(s) from {iso(summary.first_time)} to "
                              f"{iso(summary.last_time)} (span {span})"))
    errs = [styled(f"{d['count']}x {d['logger'] or '-'}: {d['message'] or '-'}", "red")
            for d in summary.to_dict()["errors"]] or ["none"]
    grid.row(lines(*(f"{k}: {v}" for k, v in sorted(summary.by_level.items()))),
             lines(*(f"{k}: {v}" for k, v in sorted(summary.by_logger.items()))), lines(*errs))
    return grid


def errors_table(report, wide: bool = False):
    """One row per (logger, message) group; first seen and sample IDs with -o wide."""
    from aiops.cli.tables import Column, Grid, heading, relative, styled

    other = f" ({report.other} in other groups)" if report.other else ""
    grid = Grid(Column("count", "num"), Column("levels", "text", min_width=8), Column("logger", "id"),
                Column("message", "text", min_width=20), Column("first seen", "time", wide=True),
                Column("last seen", "time"), Column("sample correlation IDs", "id", wide=True),
                title=heading((f"{report.total} error record(s)", "bold"), f" in {report.source}, "
                              f"{relative(report.start)} to {relative(report.end)}{other}"),
                wide=wide)
    for g in report.groups:
        style = "bold white on red" if "FATAL" in g.levels or "CRITICAL" in g.levels else "red"
        grid.row(g.count, ", ".join(f"{k} {v}" for k, v in sorted(g.levels.items())), g.logger,
                 styled(g.message, style), g.first_seen, g.last_seen, g.sample_correlation_ids)
    return grid

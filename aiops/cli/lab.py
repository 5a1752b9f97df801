"""``aiops lab``: run the reference Sim Lab service and inject faults into it."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from aiops.cli import complete, lab_pagerduty, lab_stack, output
from aiops.cli.common import TimeoutOpt, get_state, global_options

app = typer.Typer(no_args_is_help=True)
fault_app = typer.Typer(no_args_is_help=True)
app.add_typer(fault_app, name="fault", help="List, inject and clear faults on a running lab.")
app.command("pagerduty", short_help="Run a PagerDuty sandbox (REST + Events API v2, TLS) on loopback.")(
    lab_pagerduty.pagerduty)
app.add_typer(lab_stack.app, name="stack", help="The local incident stack: labs, Prometheus, "
              "Alertmanager, PagerDuty sandbox.")

FaultOpt = Annotated[Optional[list[str]], typer.Option(
    "--fault", "-f", metavar="NAME[=VALUE]", autocompletion=complete.faults, help="inject a fault from the start (repeatable): "
    "memory-leak[=MB/s], slow-inference[=s], error-rate[=fraction], accuracy-drop[=fraction], "
    "entropy-spike[=nats], training-stall, not-ready, crash[=s]; noise: client-errors[=/s], "
    "cpu-burst[=s], restart[=s], log-noise[=/s]")]
TokenOpt = Annotated[Optional[str], typer.Option(
    "--admin-token", metavar="TOKEN", help="admin endpoint token [env: AIOPS_LAB_ADMIN_TOKEN; "
    "config lab.admin_token]", show_default=False)]
LabTargetOpt = Annotated[Optional[str], typer.Option(
    "--target", "-t", metavar="URL", help="the lab's base URL [default: the one configured target]")]


@app.command()
@global_options(json_output=False)
def serve(
    host: Annotated[str, typer.Option("--host", metavar="HOST", help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", "-p", metavar="N", min=0, max=65535,
                                      help="port; 0 picks a free one")] = 8000,
    fault: FaultOpt = None,
    model: Annotated[str, typer.Option("--model", metavar="MODEL",
                                       help="tmaze, grid:N or random:SEED")] = "tmaze",
    log_file: Annotated[Optional[str], typer.Option(
        "--log-file", metavar="PATH", help="JSON log file, rotated at 10 MB [default: stdout]")] = None,
    log_level: Annotated[str, typer.Option("--log-level", metavar="LEVEL",
                                           help="debug, info, warn or error")] = "info",
    admin_token: TokenOpt = None,
    train_interval: Annotated[float, typer.Option(
        "--train-interval", metavar="SECONDS", min=0.0, help="pause between training steps")] = 0.1,
    accuracy_window: Annotated[int, typer.Option(
        "--accuracy-window", metavar="N", min=1, help="episodes in the rolling accuracy and loss")] = 50,
    synthetic_rps: Annotated[float, typer.Option(
        "--synthetic-rps", metavar="N", min=0.0, max=1000.0,
        help="the service's own /infer requests per second (0 = none)")] = 5.0,
    error_window: Annotated[float, typer.Option(
        "--error-window", metavar="SECONDS", min=1.0, help="window of the /health error-rate check")] = 60.0,
    memory_limit: Annotated[Optional[float], typer.Option(
        "--memory-limit", metavar="MB", min=1.0,
        help="limit the /health memory check uses [default: cgroup limit or physical memory]")] = None,
    ship_logs: Annotated[bool, typer.Option(
        "--ship-logs", help="also bulk-index the logs into the configured logs.url "
        "(logs.backend elasticsearch or opensearch)")] = False,
    ship_index: Annotated[str, typer.Option("--ship-index", metavar="NAME",
                                            help="index or data stream for --ship-logs")] = "logs-sim-lab",
    otlp_endpoint: Annotated[Optional[str], typer.Option(
        "--otlp-endpoint", metavar="URL", help="export spans with OTLP/HTTP to this collector "
        "(http://host:4318) [env: OTEL_EXPORTER_OTLP_ENDPOINT]")] = None,
    trace_file: Annotated[Optional[str], typer.Option(
        "--trace-file", metavar="PATH", help="append spans to PATH as OTLP JSON lines "
        "(read them with aiops trace show --file)")] = None,
    trace_sample: Annotated[Optional[float], typer.Option(
        "--trace-sample", metavar="RATIO", min=0.0, max=1.0,
        help="fraction of new traces recorded; a caller's traceparent decides for its own "
        "[default: 1.0, or OTEL_TRACES_SAMPLER]")] = None,
) -> None:
    """Run the Sim Lab service: /health, /ready, /live, /metrics, POST /infer, faults.

    The first line on stdout is JSON saying where it listens: {"url": ..., "pid": ...}; JSON
    log lines follow unless --log-file is given. Stops on Ctrl-C (exit 130) or SIGTERM (0).

    Examples:

    \b
      aiops lab serve --port 8000
      aiops lab serve --port 0 --fault error-rate=0.3 --fault memory-leak
      AIOPS_LAB_ADMIN_TOKEN=s3cret aiops lab serve --model grid:5 --log-file lab.log
      aiops lab serve --trace-file traces.jsonl --fault slow-inference=1.5
      aiops lab serve --otlp-endpoint http://127.0.0.1:4318 --trace-sample 0.1
    """
    from aiops.lab.server import serve as run

    cfg = get_state().config(**{"lab.admin_token": admin_token})
    config, options = _lab_config(locals(), cfg)
    raise typer.Exit(run(config, options, announce=_announce))


def _lab_config(flags: dict, cfg):
    """LabConfig and ServeOptions from the serve flags (faults and log shipping validated)."""
    from aiops.core.errors import ConfigError, UsageError
    from aiops.lab.faults import parse_fault
    from aiops.lab.logs import LEVELS
    from aiops.lab.server import ServeOptions
    from aiops.lab.service import LabConfig

    if flags["log_level"].lower() not in LEVELS:
        raise UsageError(f"unknown log level '{flags['log_level']}' (debug, info, warn, error)")
    faults = tuple(dict(parse_fault(f) for f in flags["fault"] or ()).items())
    ship = None
    if flags["ship_logs"]:
        from aiops.lab.shipping import ShipTarget

        if cfg.get("logs.backend") not in ("elasticsearch", "opensearch") or not cfg.get("logs.url"):
            raise ConfigError("--ship-logs needs logs.url and logs.backend elasticsearch or opensearch",
                              hint="e.g. AIOPS_LOGS_BACKEND=opensearch AIOPS_LOGS_URL=http://127.0.0.1:9200")
        ship = ShipTarget(cfg.get("logs.backend"), cfg.get("logs.url"), flags["ship_index"],
                          cfg.get("logs.api_key"), cfg.get("logs.username"), cfg.get("logs.password"),
                          cfg.get("logs.ca_bundle"))
    limit = flags["memory_limit"]
    config = LabConfig(model=flags["model"], faults=faults, admin_token=cfg.get("lab.admin_token"),
                       train_interval=flags["train_interval"], accuracy_window=flags["accuracy_window"],
                       synthetic_rps=flags["synthetic_rps"], error_window=flags["error_window"],
                       memory_limit=int(limit * 1024 * 1024) if limit else None)
    from aiops.lab.tracing import TracingOptions, check_trace_file, traces_url

    if flags["otlp_endpoint"]:
        traces_url(flags["otlp_endpoint"])  # a bad URL is a usage error before anything starts
    if flags["trace_file"]:
        check_trace_file(flags["trace_file"])
    tracing = TracingOptions(flags["otlp_endpoint"], flags["trace_file"], flags["trace_sample"])
    return config, ServeOptions(flags["host"], flags["port"], flags["log_file"], flags["log_level"].lower(),
                                ship, tracing)


def _announce(info: dict) -> None:
    import json
    import sys

    sys.stdout.write(json.dumps(info) + "\n")
    sys.stdout.flush()


SpecsArg = Annotated[Optional[list[str]], typer.Argument(metavar="NAME[=VALUE]...", show_default=False,
                                                        autocompletion=complete.faults)]


def _faults(action: str, specs, target, timeout, admin_token) -> None:
    from aiops.core.errors import UsageError
    from aiops.lab.admin import faults

    cfg = get_state().config(timeout=timeout, **{"lab.admin_token": admin_token})
    configured = cfg.get("targets") or []
    if target is None and len(configured) != 1:
        raise UsageError("which lab? pass --target URL", hint="or configure exactly one target")
    report = faults(target or configured[0], action, list(specs or ()), token=cfg.get("lab.admin_token"),
                    timeout=cfg.get("timeout"), ca_bundle=cfg.get("tls.ca_bundle"),
                    insecure=bool(cfg.get("tls.insecure")))
    output.render(report, table=fault_table)


@fault_app.command("list")
@global_options
def fault_list(target: LabTargetOpt = None, timeout: TimeoutOpt = None,
               admin_token: TokenOpt = None) -> None:
    """Show the faults active on a lab, and the ones it can inject.

    Example:

    \b
      AIOPS_LAB_ADMIN_TOKEN=s3cret aiops lab fault list -t http://127.0.0.1:8000
    """
    _faults("list", (), target, timeout, admin_token)


@fault_app.command("set")
@global_options
def fault_set(specs: SpecsArg = None, target: LabTargetOpt = None, timeout: TimeoutOpt = None,
              admin_token: TokenOpt = None) -> None:
    """Inject faults into a running lab (a fault already active takes the new value).

    Example:

    \b
      aiops lab fault set error-rate=0.3 slow-inference=2 -t http://127.0.0.1:8000
    """
    _faults("set", specs, target, timeout, admin_token)


@fault_app.command("clear")
@global_options
def fault_clear(specs: SpecsArg = None, target: LabTargetOpt = None, timeout: TimeoutOpt = None,
                admin_token: TokenOpt = None) -> None:
    """Clear the named faults, or every fault when none is named.

    Example:

    \b
      aiops lab fault clear memory-leak -t http://127.0.0.1:8000
      aiops lab fault clear -t http://127.0.0.1:8000
    """
    _faults("clear", specs, target, timeout, admin_token)


def fault_table(report):
    """Active faults of one lab: name, value and since when."""
    from aiops.cli.tables import Column, Grid, heading

    names = [f.get("name", "?") if isinstance(f, dict) else str(f) for f in report.available]
    grid = Grid(Column("fault", "id"), Column("value", "num"), Column("since", "time"),
                title=heading((report.target, "bold"), f": {len(report.active)} active fault(s)"),
                caption=f"can inject: {', '.join(names)}" if names else None)
    for fault in report.active:
        grid.row(fault["name"], "-" if fault["value"] is None else f"{fault['value']:g}", _when(fault["since"]))
    return grid


def _when(value):
    """A fault's ``since`` (RFC 3339 text from the lab) as a datetime, shown relative to now."""
    import datetime as dt

    try:
        return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return value

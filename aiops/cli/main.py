"""The ``aiops`` command: the root app, whose list of groups is the table of contents."""

import sys
from typing import Any, Sequence

from aiops import __version__

_HELP = ("Incident response for Active Inference Sim Lab services: health, metrics, alerts, "
         "logs, diagnostics, incidents, post-mortems and triage.\n\n"
         "Exit codes: 0 ok, 1 internal error, 2 usage or config, 3 check failed, "
         "4 auth, 5 upstream unreachable, 130 interrupted.")


def _register(app: Any) -> None:
    """The command groups: the table of contents of aiops."""
    from aiops.cli import config, health

    app.add_typer(health.app, name="health", help="Probe /health, /ready, /live and /metrics.")
    app.add_typer(config.app, name="config", help="Show and create configuration.")
    from aiops.cli import lab  # noqa: E402
    app.add_typer(lab.app, name="lab", help="Run the reference Sim Lab service; inject faults.")
    from aiops.cli import incident  # noqa: E402
    app.add_typer(incident.app, name="incident", help="PagerDuty incidents: list, ack, resolve, note, on-call, audit.")
    from aiops.cli import clock, postmortem  # noqa: E402
    clock.register(incident.app)
    app.add_typer(postmortem.app, name="postmortem", help="Draft a post-mortem with its timeline and P1 clock; check it.")
    from aiops.cli import alerts, capacity, metrics, prom  # noqa: E402 (Prometheus groups)
    app.add_typer(prom.app, name="prom", help="PromQL instant and range queries.")
    app.add_typer(metrics.app, name="metrics", help="Score the runbook's metrics against its baselines.")
    app.add_typer(alerts.app, name="alerts", help="Alert rules and their tests, firing alerts, silences.")
    app.add_typer(capacity.app, name="capacity", help="The runbook's scaling rules, with evidence.")
    from aiops.cli import logs  # noqa: E402
    app.add_typer(logs.app, name="logs", help="Follow a correlation ID through ES, OpenSearch or files.")
    from aiops.cli import diagnose  # noqa: E402
    app.add_typer(diagnose.app, name="diagnose", help="Profile, memory-check and benchmark the inference core.")
    from aiops.cli import demo, playbook, triage  # noqa: E402 (triage)
    app.add_typer(playbook.app, name="playbook", help="List, show, validate and run the runbook's playbooks.")
    app.command(name="triage")(triage.triage)
    app.command(name="demo")(demo.demo)


def build() -> Any:
    """The root typer app. Built on demand so that `aiops --version` never imports typer."""
    from typing import Annotated, Optional

    import typer

    from aiops.cli import common
    from aiops.cli.common import ConfigOpt, DebugOpt, EnvOpt, OutputOpt, QuietOpt, VerboseOpt

    app = typer.Typer(
        name="aiops", help=_HELP, no_args_is_help=True,
        rich_markup_mode=None,  # plain help: rich-formatted help costs ~100 ms of start-up
        pretty_exceptions_enable=False,  # tracebacks with locals could print tokens
        context_settings={"help_option_names": ["-h", "--help"]},
    )

    def _version(value: bool) -> None:
        if value:
            sys.stdout.write(f"aiops {__version__}\n")
            raise typer.Exit()

    @app.callback()
    def root(
        version: Annotated[Optional[bool], typer.Option(
            "--version", callback=_version, is_eager=True, help="print the version and exit")] = None,
        output: OutputOpt = None, env: EnvOpt = None, config: ConfigOpt = None,
        verbose: VerboseOpt = 0, quiet: QuietOpt = False, debug: DebugOpt = False,
    ) -> None:
        """Global options given before the command."""
        common.apply(output, env, config, verbose, quiet, debug)

    _register(app)
    return app


_APP: Any = None


def __getattr__(name: str) -> Any:
    """``from aiops.cli.main import app`` builds the app on first use."""
    global _APP
    if name == "app":
        if _APP is None:
            _APP = build()
        return _APP
    raise AttributeError(name)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; turn every failure into one line on stderr and a documented exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args == ["--version"]:  # the one answer that needs no command tree
        sys.stdout.write(f"aiops {__version__}\n")
        return 0
    import typer
    from typer import _click

    from aiops.cli import common, output
    from aiops.errors import INTERNAL, INTERRUPTED, USAGE, AiopsError

    common.reset()
    output.reset_consoles()
    command = typer.main.get_command(__getattr__("app"))
    try:
        rv = command.main(args=args, prog_name="aiops",
                          standalone_mode=False)
        return rv if isinstance(rv, int) else 0
    except AiopsError as exc:
        _debug_traceback()
        output.error(exc.message, exc.hint)
        return exc.exit_code
    except typer.Exit as exc:
        return exc.exit_code
    except _click.exceptions.ClickException as exc:
        exc.show()
        return exc.exit_code if exc.exit_code else USAGE
    except (KeyboardInterrupt, typer.Abort):
        output.error("interrupted")
        return INTERRUPTED
    except BrokenPipeError:
        sys.stderr.close()
        return 0
    except Exception as exc:  # a bug: one line, traceback only with --debug
        _debug_traceback()
        output.error(f"internal error: {type(exc).__name__}: {exc}",
                     hint="re-run with --debug for the traceback and report it")
        return INTERNAL


def _debug_traceback() -> None:
    from aiops.cli import common

    if common.get_state().debug:
        import traceback

        from aiops.cli.output import scrub

        sys.stderr.write(scrub(traceback.format_exc()))


if __name__ == "__main__":
    raise SystemExit(main())

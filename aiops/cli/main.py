"""The ``aiops`` command: the root app, whose list of groups is the table of contents."""

from __future__ import annotations

import sys
from typing import Annotated, Optional, Sequence

import typer

from aiops import __version__
from aiops.cli import common
from aiops.cli.common import ConfigOpt, DebugOpt, EnvOpt, OutputOpt, QuietOpt, VerboseOpt
from aiops.errors import INTERNAL, INTERRUPTED, USAGE, AiopsError

app = typer.Typer(
    name="aiops",
    help="Incident response for Active Inference Sim Lab services: health, metrics, alerts, "
         "logs, diagnostics, incidents, post-mortems and triage.\n\n"
         "Exit codes: 0 ok, 1 internal error, 2 usage or config, 3 check failed, "
         "4 auth, 5 upstream unreachable, 130 interrupted.",
    no_args_is_help=True,
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


def _register() -> None:
    from aiops.cli import config, health

    app.add_typer(health.app, name="health", help="Probe /health, /ready, /live and /metrics.")
    app.add_typer(config.app, name="config", help="Show and create configuration.")


_register()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; turn every failure into one line on stderr and a documented exit code."""
    from typer import _click

    from aiops.cli import output

    common.reset()
    output.reset_consoles()
    command = typer.main.get_command(app)
    try:
        rv = command.main(args=list(sys.argv[1:] if argv is None else argv), prog_name="aiops",
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
    if common.get_state().debug:
        import traceback

        from aiops.cli.output import scrub

        sys.stderr.write(scrub(traceback.format_exc()))


if __name__ == "__main__":
    raise SystemExit(main())

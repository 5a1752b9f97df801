"""The ``aiops`` command: the root app, whose COMMANDS table is the table of contents."""

import sys
from typing import Any, Sequence

from aiops import __version__

_HELP = ("Incident response for Active Inference Sim Lab services: health, metrics, alerts, "
         "logs, diagnostics, incidents, post-mortems and triage.\n\n"
         "Exit codes: 0 ok, 1 internal error, 2 usage or config, 3 check failed, "
         "4 auth, 5 upstream unreachable, 130 interrupted.")


# The table of contents: (name, module, attribute, help). An attribute named "app" is a
# command group; anything else is a single command function. Modules load only when their
# command runs, so every command starts as fast as the one it is.
COMMANDS: tuple[tuple[str, str, str, str], ...] = (
    ("health", "aiops.cli.health", "app", "Probe /health, /ready, /live and /metrics."),
    ("triage", "aiops.cli.triage", "triage", "From alert to evidence-backed answer: health, metrics, alerts, logs, playbook."),
    ("demo", "aiops.cli.demo", "demo", "Start the lab with a fault, triage it, print the report."),
    ("metrics", "aiops.cli.metrics", "app", "Score the runbook's metrics against its baselines."),
    ("alerts", "aiops.cli.alerts", "app", "Alert rules and their tests, firing alerts, silences."),
    ("prom", "aiops.cli.prom", "app", "PromQL instant and range queries."),
    ("capacity", "aiops.cli.capacity", "app", "The runbook's scaling rules, with evidence."),
    ("dashboard", "aiops.cli.dashboard", "dashboard", "A runbook dashboard live in the terminal."),
    ("dashboards", "aiops.cli.dashboards", "app", "Export the runbook's dashboards to Grafana; validate them."),
    ("logs", "aiops.cli.logs", "app", "Follow a correlation ID through ES, OpenSearch or files."),
    ("trace", "aiops.cli.trace", "app", "Traces from Jaeger, Tempo or files: a request's waterfall, slow traces."),
    ("incident", "aiops.cli.incident", "app", "PagerDuty incidents: list, ack, resolve, note, on-call, clock, audit."),
    ("postmortem", "aiops.cli.postmortem", "app", "Draft a post-mortem with its timeline and P1 clock; check it."),
    ("playbook", "aiops.cli.playbook", "app", "List, show, validate and run the runbook's playbooks."),
    ("diagnose", "aiops.cli.diagnose", "app", "Profile, memory-check and benchmark the inference core."),
    ("lab", "aiops.cli.lab", "app", "Run the reference Sim Lab service; inject faults."),
    ("drill", "aiops.cli.drill", "app", "Fire drills: faults and noise on a local stack, triage scored."),
    ("config", "aiops.cli.config", "app", "Show and create configuration."),
)
# Commands that other modules add to a group: group name -> (module, function(group_app)).
EXTENSIONS: dict[str, tuple[str, str]] = {"incident": ("aiops.cli.clock", "register")}


def _load(name: str) -> Any:
    """Import one entry of COMMANDS and turn it into its click command."""
    import importlib

    import typer

    _, module, attr, help_text = next(c for c in COMMANDS if c[0] == name)
    target = getattr(importlib.import_module(module), attr)
    if name in EXTENSIONS:
        ext_module, ext_func = EXTENSIONS[name]
        getattr(importlib.import_module(ext_module), ext_func)(target)
    holder = typer.Typer(rich_markup_mode=None)
    if attr == "app":
        holder.add_typer(target, name=name, help=help_text)
    else:
        holder.command(name=name, help=target.__doc__ or help_text,
                       short_help=help_text)(target)
        holder.callback()(lambda: None)  # a group, so the command keeps its name
    return typer.main.get_group(holder).commands[name]


def _lazy_group_class() -> Any:
    from collections.abc import MutableMapping

    from typer.core import TyperGroup

    class LazyCommands(MutableMapping):
        """The root's commands: names known up front, each built on first access."""

        def __init__(self) -> None:
            self._built: dict[str, Any] = {}

        def __getitem__(self, name: str) -> Any:
            if name not in self._built:
                if all(c[0] != name for c in COMMANDS):
                    raise KeyError(name)
                self._built[name] = _load(name)
            return self._built[name]

        def __setitem__(self, name: str, value: Any) -> None:
            self._built[name] = value

        def __delitem__(self, name: str) -> None:
            del self._built[name]

        def __iter__(self):
            return iter([c[0] for c in COMMANDS])

        def __len__(self) -> int:
            return len(COMMANDS)

    class LazyGroup(TyperGroup):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.commands = LazyCommands()

        def format_commands(self, ctx: Any, formatter: Any) -> None:
            with formatter.section("Commands"):
                formatter.write_dl([(name, help_text) for name, _, _, help_text in COMMANDS])

    return LazyGroup


def build() -> Any:
    """The root typer app. Built on demand so that `aiops --version` never imports typer."""
    from typing import Annotated, Optional

    import typer

    from aiops.cli import common
    from aiops.cli.common import ConfigOpt, DebugOpt, EnvOpt, JqOpt, OutputOpt, QuietOpt, VerboseOpt

    app = typer.Typer(
        name="aiops", help=_HELP, no_args_is_help=True, cls=_lazy_group_class(),
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
        jq: JqOpt = None,
    ) -> None:
        """Global options given before the command."""
        common.apply(output, env, config, verbose, quiet, debug, jq)

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
    from aiops.core.errors import INTERNAL, INTERRUPTED, USAGE, AiopsError

    common.reset()
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
    except _click.exceptions.UsageError as exc:  # unknown command or option, bad or missing value
        from aiops.cli.usage import explain

        output.error(*explain(exc))
        return USAGE
    except _click.exceptions.ClickException as exc:
        exc.show()
        return exc.exit_code if exc.exit_code else USAGE
    except (KeyboardInterrupt, typer.Abort):
        output.error("interrupted")
        return INTERRUPTED
    except (BrokenPipeError, common.PipeClosed):  # the reader went away (`| head`): not an error
        _silence_stdout()
        return 0
    except Exception as exc:  # a bug: one line, traceback only with --debug
        _debug_traceback()
        output.error(f"internal error: {type(exc).__name__}: {exc}",
                     hint="re-run with --debug for the traceback and report it")
        return INTERNAL


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the flush at exit cannot fail on the closed pipe again."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a real file (tests capture it)
        pass


def _debug_traceback() -> None:
    from aiops.cli import common

    if common.get_state().debug:
        import traceback

        from aiops.cli.output import scrub

        sys.stderr.write(scrub(traceback.format_exc()))


if __name__ == "__main__":
    raise SystemExit(main())

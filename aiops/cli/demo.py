"""``aiops demo``: see triage find an injected fault, with nothing configured."""

from __future__ import annotations

from typing import Annotated

import typer

from aiops.cli import complete, output
from aiops.cli.common import TimeoutOpt, get_state, global_options


@global_options
def demo(fault: Annotated[str, typer.Option(
             "--fault", "-f", metavar="NAME[=VALUE]", autocompletion=complete.faults, help="memory-leak, slow-inference, error-rate, "
             "accuracy-drop, entropy-spike, training-stall, not-ready or crash")] = "memory-leak",
         wait: Annotated[float, typer.Option(
             "--wait", metavar="SECONDS", help="how long to let the fault show before triage")] = 5.0,
         timeout: TimeoutOpt = None) -> None:
    """Start the Sim Lab service with a fault, triage it, print the report, stop the lab.

    Needs no configuration, Prometheus or log store: the lab runs in the background on a free
    port and triage reads its /metrics and log file directly. Exit 0 when triage chose the
    playbook the fault calls for, 3 when it did not.

    Examples:

    \b
      aiops demo
      aiops demo --fault error-rate
      aiops demo --fault slow-inference=2 -o markdown
    """
    from aiops.cli.triage import triage_table
    from aiops.drills.demo import run_demo
    from aiops.triage import to_markdown

    state = get_state()
    result = run_demo(state.config(timeout=timeout), fault=fault, wait=wait,
                      say=None if state.quiet else _say)
    output.render(result, table=lambda r, wide=False: triage_table(r.report, wide=wide),
                  markdown=lambda r: to_markdown(r.report), wide=True)
    verdict = "found" if result.found else "did NOT find"
    if not state.quiet:
        _say(f"triage {verdict} the injected fault {result.fault} (expected playbook "
             f"{result.expected_playbook})")
    raise typer.Exit(result.exit_code())


def _say(message: str) -> None:
    from aiops.cli.tables import heading

    output.stderr().print(heading(("demo:", "dim"), f" {message}"), highlight=False, soft_wrap=True)

"""``aiops lab pagerduty``: run the PagerDuty sandbox in the foreground."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from aiops.cli.common import global_options


@global_options
def pagerduty(
    host: Annotated[str, typer.Option("--host", metavar="HOST",
                                      help="address to listen on (loopback unless --allow-remote)")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", "-p", metavar="N", min=0, max=65535,
                                      help="port; 0 picks a free one")] = 0,
    state: Annotated[Optional[str], typer.Option(
        "--state", metavar="FILE", help="keep the account (tokens, incidents) in this JSON file, "
        "and the throwaway CA beside it in FILE.tls/ [default: a temporary one]")] = None,
    allow_remote: Annotated[bool, typer.Option(
        "--allow-remote", help="allow a non-loopback --host (anyone who can reach it can use it)")] = False,
) -> None:
    """Run a PagerDuty sandbox: the REST API aiops uses and the Events API v2, over TLS.

    It is not PagerDuty: every answer carries an X-Aiops-Sandbox header, and `aiops incident`
    says so when it is the configured endpoint. The first stdout line is JSON: its URL, the
    CA bundle it generated (clients must trust it: pagerduty.ca_bundle) and the settings to
    use; the token and routing key are in the --state file (mode 0600). Stops on Ctrl-C
    (exit 130) or SIGTERM (0).

    Examples:

    \b
      aiops lab pagerduty --state pd.json
      aiops lab pagerduty --port 8443 --state ~/.aiops-pd/state.json
      jq -r .token pd.json    # the sandbox's REST token
    """
    from aiops.lab.pagerduty.server import run

    raise typer.Exit(run(host=host, port=port, state_file=state, allow_remote=allow_remote))

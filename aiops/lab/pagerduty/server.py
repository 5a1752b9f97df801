"""Run the sandbox in the foreground: announce it on stdout, serve until SIGINT or SIGTERM."""

from __future__ import annotations

import json
import signal
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any


def run(*, host: str, port: int, state_file: str | None, allow_remote: bool,
        announce: Any = None) -> int:
    """Serve; returns 0 after SIGTERM, 130 after SIGINT. The first stdout line is
    :meth:`PagerDutySandbox.announcement` as JSON."""
    from aiops.lab.pagerduty.sandbox import PagerDutySandbox

    with tempfile.TemporaryDirectory(prefix="aiops-pd-") as tmp:
        path = Path(state_file).expanduser() if state_file else Path(tmp) / "state.json"
        sandbox = PagerDutySandbox(host=host, port=port, state_file=path, allow_remote=allow_remote,
                                   seed=None)
        stopped = threading.Event()
        received: list[int] = []

        def stop(signum: int, frame: Any) -> None:
            received.append(signum)
            stopped.set()

        previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            (announce or _print)(sandbox.announcement())
            stopped.wait()
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)
            sandbox.close()
            sandbox.persist()
    return 130 if received and received[0] == signal.SIGINT else 0


def _print(info: dict) -> None:
    sys.stdout.write(json.dumps(info) + "\n")
    sys.stdout.flush()

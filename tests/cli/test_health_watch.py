"""`aiops health watch` re-probes until Ctrl-C and then exits 130 cleanly."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from tests.fakes.http_target import TargetServer


def test_watch_updates_until_interrupted():
    server = TargetServer("healthy")
    try:
        proc = subprocess.Popen([sys.executable, "-m", "aiops", "health", "watch", server.url,
                                 "-n", "0.2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env={"NO_COLOR": "1", "PATH": "/usr/bin:/bin"})
        deadline = time.monotonic() + 15
        while server.requests < 12 and time.monotonic() < deadline:  # >= 3 rounds of 4 probes
            time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        server.close()
    assert server.requests >= 12
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert "healthy" in out

"""Run the lab as a child process: start it, read where it listens, wait for it, stop it.

``aiops demo`` and the test suite start the lab the same way: ``python -m aiops lab serve
--port 0 ...`` prints one JSON line (``{"url": ..., "pid": ..., ...}``) before anything else.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Sequence

from aiops.core.errors import UpstreamError


def read_announcement(proc: subprocess.Popen, timeout: float) -> dict[str, Any] | None:
    """The lab's first stdout line as JSON, or None when none arrives within ``timeout``."""
    box: list[str] = []
    reader = threading.Thread(target=lambda: box.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    try:
        info = json.loads(box[0]) if box and box[0].strip() else None
    except ValueError:
        return None
    return info if isinstance(info, dict) and info.get("url") else None


def stop_process(proc: subprocess.Popen, timeout: float = 10.0) -> int | None:
    """SIGTERM, then SIGKILL after ``timeout``; returns the exit status."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    return proc.returncode


class LabProcess:
    """The lab child process, in its own session so that Ctrl-C reaches only its parent."""

    def __init__(self, workdir: Path, *, faults: Sequence[str] = (), python: str = sys.executable,
                 extra_args: Sequence[str] = ()) -> None:
        self.log_file = workdir / "lab.log"
        self.stderr_file = workdir / "lab.stderr"
        argv = [python, "-m", "aiops", "lab", "serve", "--host", "127.0.0.1", "--port", "0",
                "--log-file", str(self.log_file), *[a for f in faults for a in ("--fault", f)],
                *extra_args]
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "NO_COLOR": "1"}
        with self.stderr_file.open("wb") as err:
            self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err,
                                         stdin=subprocess.DEVNULL, text=True, env=env,
                                         start_new_session=True)
        self.url = ""

    def announce(self, timeout: float) -> str:
        """Wait for the first stdout line; UpstreamError when none comes."""
        info = read_announcement(self.proc, timeout)
        if info is None:
            raise UpstreamError(f"the lab did not start: {self.why()}")
        self.url = info["url"]
        return self.url

    def wait_ready(self, timeout: float, path: str = "/ready") -> bool:
        """True once ``path`` answers 200; False when the lab exited first (the crash fault)."""
        import urllib.request

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(self.url + path, timeout=2) as resp:
                    if resp.status == 200:
                        return True
            except OSError:
                pass
            time.sleep(0.1)
        raise UpstreamError(f"the lab at {self.url}: {path} not 200 within {timeout:g}s: {self.why()}")

    def why(self) -> str:
        """Why the lab is not answering: still starting, or its exit status and last words."""
        if self.proc.poll() is None:
            return "no answer yet"
        tail = self.stderr_file.read_text(errors="replace").strip().splitlines()[-1:] or ["no output"]
        return f"exit status {self.proc.returncode}: {tail[0][:200]}"

    def stop(self, timeout: float = 10.0) -> int | None:
        """Stop the lab; returns its exit status."""
        status = stop_process(self.proc, timeout)
        if self.proc.stdout:
            self.proc.stdout.close()
        return status

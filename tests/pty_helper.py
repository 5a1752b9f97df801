"""Run a command in a real pseudo-terminal (stdlib ``pty``): what a person at a terminal sees.

    with PtyProcess([sys.executable, "-m", "aiops", "health", "watch", url], cols=100) as proc:
        proc.expect(r"refreshed at", timeout=20)
        proc.interrupt()                 # Ctrl-C, through the terminal's line discipline
        assert proc.wait(10) == 130
        text = proc.text()               # everything written, escape sequences removed

The child gets the pty as its controlling terminal, stdin, stdout and stderr, in its own session,
with the given window size, so isatty() is true and Ctrl-C arrives as the terminal sends it.
"""

from __future__ import annotations

import fcntl
import os
import re
import select
import struct
import subprocess
import termios
import time
from typing import Any

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][A-Z0-9]|\x1b[=>]")


def strip_ansi(text: str) -> str:
    """Terminal output as plain text: escape sequences removed, carriage returns as new lines."""
    return _ANSI.sub("", text).replace("\r\n", "\n").replace("\r", "\n")


class PtyProcess:
    def __init__(self, argv: list[str], *, env: dict[str, str] | None = None, cwd: str | None = None,
                 cols: int = 100, rows: int = 40) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        child_env = dict(env if env is not None else os.environ)
        child_env.update(COLUMNS=str(cols), LINES=str(rows), TERM="xterm-256color")

        def controlling_tty() -> None:  # in the child, after setsid: the pty is its terminal
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=child_env, cwd=cwd,
                                     start_new_session=True, preexec_fn=controlling_tty, close_fds=True)
        os.close(slave)
        self.master = master
        self.raw = b""

    def __enter__(self) -> "PtyProcess":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return False
        try:
            chunk = os.read(self.master, 65536)
        except OSError:  # EIO: the child closed the terminal
            return False
        self.raw += chunk
        return bool(chunk)

    def text(self) -> str:
        return strip_ansi(self.raw.decode("utf-8", errors="replace"))

    def expect(self, pattern: str, timeout: float, start: int = 0) -> re.Match:
        """Read until ``pattern`` (a regex) appears in the plain text after ``start``."""
        deadline = time.monotonic() + timeout
        regex = re.compile(pattern)
        while True:
            found = regex.search(self.text(), start)
            if found:
                return found
            left = deadline - time.monotonic()
            if left <= 0 or (not self._read(min(left, 0.5)) and self.proc.poll() is not None):
                if self.proc.poll() is not None:
                    self._drain()
                    found = regex.search(self.text(), start)
                    if found:
                        return found
                raise AssertionError(f"{pattern!r} not seen within {timeout}s; output:\n{self.text()[-4000:]}")

    def interrupt(self) -> None:
        """Ctrl-C as the terminal sends it (the line discipline signals the foreground group)."""
        os.write(self.master, b"\x03")

    def _drain(self) -> None:
        while self._read(0.2):
            pass

    def wait(self, timeout: float) -> int:
        """The exit code, reading output meanwhile (a full pty buffer would block the child)."""
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            self._read(0.2)
        self._drain()
        return self.proc.wait(max(0.1, deadline - time.monotonic()))

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        try:
            os.close(self.master)
        except OSError:
            pass

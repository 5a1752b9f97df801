"""`aiops dashboard` in a real pseudo-terminal: q leaves with 0, Ctrl-C with 130, resizes redraw."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios
import time

import pytest

from tests.fakes.lab import lab  # noqa: F401 (fixture)


def spawn(args: list[str], rows: int = 24, cols: int = 80) -> tuple[int, int]:
    pid, fd = pty.fork()
    if pid == 0:  # the child: a session leader whose controlling terminal is the pty
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AIOPS_", "COLUMNS", "LINES", "NO_COLOR"))}
        env.update(TERM="xterm-256color", AIOPS_PROMETHEUS_URL="http://127.0.0.1:9")
        os.execve(sys.executable, [sys.executable, "-m", "aiops", *args], env)
    return pid, fd


def read_until(fd: int, needle: bytes, timeout: float, seen: bytearray) -> bytes:
    deadline = time.monotonic() + timeout
    while needle not in seen:
        left = deadline - time.monotonic()
        if left <= 0:
            pytest.fail(f"no {needle!r} on the screen within {timeout}s: {bytes(seen[-600:])!r}")
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    return bytes(seen)


def wait_exit(pid: int, fd: int, timeout: float = 15.0, seen: bytearray | None = None) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if select.select([fd], [], [], 0.1)[0]:
            try:
                (seen if seen is not None else bytearray()).extend(os.read(fd, 65536))
            except OSError:
                pass
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    pytest.fail(f"the dashboard did not exit within {timeout}s")


@pytest.fixture
def target(lab):  # noqa: F811
    return lab().url


def test_q_quits_with_0_and_restores_the_terminal(target):
    pid, fd = spawn(["dashboard", "main", "--source", "scrape", "--target", target, "--refresh", "1s"])
    try:
        seen = bytearray()
        read_until(fd, b"Response time p95", 30, seen)
        assert b"\x1b[?1049h" in seen  # the alternate screen: the shell's screen comes back after
        before = termios.tcgetattr(fd)
        assert not before[3] & termios.ICANON  # keys arrive one by one
        os.write(fd, b"q")
        assert wait_exit(pid, fd, seen=seen) == 0
        assert b"\x1b[?1049l" in read_until(fd, b"\x1b[?1049l", 5, seen)
    finally:
        os.close(fd)


def test_ctrl_c_interrupts_with_130(target):
    pid, fd = spawn(["dashboard", "infrastructure", "--source", "scrape", "--target", target])
    try:
        read_until(fd, b"Disk I/O", 30, bytearray())
        os.write(fd, b"\x03")  # the terminal turns it into SIGINT
        assert wait_exit(pid, fd) == 130
    finally:
        os.close(fd)


def test_a_resize_redraws_at_the_new_width(target):
    pid, fd = spawn(["dashboard", "main", "--source", "scrape", "--target", target, "--refresh", "30s"])
    try:
        seen = bytearray()
        read_until(fd, b"Active user sessions", 30, seen)
        wide_header = b"panel" + b" " * 23  # the panel column is 28 wide at 132 columns, 20 at 80
        assert b"panel" + b" " * 15 in seen and wide_header not in seen
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 132, 0, 0))  # SIGWINCH to the child
        read_until(fd, wide_header, 10, seen)  # redrawn long before the next refresh (30 s)
        os.write(fd, b"q")
        assert wait_exit(pid, fd) == 0
    finally:
        os.close(fd)

"""Which process the stack takes for one of its own: a reused PID is never stopped."""

import subprocess
import sys

import psutil
import pytest

from aiops.lab.stack.procs import Proc


@pytest.fixture
def sleeper():
    argv = [sys.executable, "-c", "import time; time.sleep(60)"]
    popen = subprocess.Popen(argv)
    yield argv, popen
    popen.kill()
    popen.wait()


def test_the_process_we_started_is_ours(sleeper):
    argv, popen = sleeper
    started = psutil.Process(popen.pid).create_time()
    assert Proc("lab-1", popen.pid, started, "", "", argv).alive()


def test_a_pid_reused_within_the_same_second_by_another_program_is_not_ours(sleeper):
    argv, popen = sleeper
    started = psutil.Process(popen.pid).create_time()
    other = Proc("lab-1", popen.pid, started, "", "", [sys.executable, "-m", "aiops", "lab", "serve"])
    assert not other.alive()
    assert other.stop(1) == "not_running" and popen.poll() is None


def test_a_pid_started_at_another_time_is_not_ours(sleeper):
    argv, popen = sleeper
    started = psutil.Process(popen.pid).create_time()
    assert not Proc("lab-1", popen.pid, started - 5, "", "", argv).alive()


def test_an_exited_process_is_not_running(sleeper):
    argv, popen = sleeper
    started = psutil.Process(popen.pid).create_time()
    proc = Proc("lab-1", popen.pid, started, "", "", argv)
    assert proc.stop(5) == "stopped"
    assert not proc.alive()

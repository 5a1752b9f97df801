"""``aiops lab serve`` as a process: the announce line, exit codes, signals, stdout logs."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys

import pytest

from tests.fakes.lab import REPO, start_lab


def _serve(*args: str, timeout: float = 20) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "aiops", "lab", "serve", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=str(REPO))


def test_port_in_use_is_exit_2_with_a_clear_message():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = _serve("--port", str(port))
    assert result.returncode == 2 and result.stdout == ""
    assert f"error: port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "--port 0" in result.stderr


@pytest.mark.parametrize("args, message", [
    (("--fault", "disk-full"), "unknown fault 'disk-full'"),
    (("--fault", "error-rate=7"), "outside (0, 1]"),
    (("--fault", "not-ready=1"), "takes no value"),
    (("--model", "cube"), "unknown model 'cube'"),
    (("--model", "grid:1"), "grid size"),
    (("--log-level", "loud"), "unknown log level"),
    (("--port", "70000"), "70000"),
    (("--host", "no-such-host.invalid"), "cannot listen on host"),
])
def test_bad_arguments_are_exit_2_before_listening(args, message):
    result = _serve("--port", "0", *args)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and result.stdout == ""
    assert "Traceback" not in result.stderr


def test_ship_logs_without_a_log_store_is_a_config_error():
    result = _serve("--port", "0", "--ship-logs")
    assert result.returncode == 2 and "--ship-logs needs logs.url" in result.stderr


def _start_stdout_lab(*extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "aiops", "lab", "serve", "--port", "0",
                             "--synthetic-rps", "0", *extra], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=str(REPO))


def test_first_stdout_line_is_the_url_then_json_logs_and_sigint_exits_130():
    proc = _start_stdout_lab("--train-interval", "0.01")
    try:
        info = json.loads(proc.stdout.readline())
        assert info["url"].startswith("http://127.0.0.1:") and info["pid"] == proc.pid
        assert info["model"] == "tmaze" and info["faults"] == [] and info["log_file"] is None
        first_log = json.loads(proc.stdout.readline())
        assert first_log["logger"].startswith("active_inference.")
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=15)
    assert proc.returncode == 130, err
    last = json.loads(out.strip().splitlines()[-1])
    assert last["message"] == "Service stopped" and last["context"]["signal"] == "SIGINT"


def test_sigterm_stops_cleanly_with_exit_0():
    svc = start_lab()
    try:
        assert svc.stop() == 0
        assert svc.logs()[-1]["message"] == "Service stopped"
        assert svc.logs()[-1]["context"]["signal"] == "SIGTERM"
    finally:
        svc.close()


def test_other_models_serve(lab):
    svc = lab(model="grid:4")
    status, body = svc.post("/infer", {"observation": [5, 0]})
    assert status == 200 and len(body["qs"][0]) == 16
    assert svc.info["model_id"].startswith("model-grid-4-")
    svc2 = lab(model="random:3")
    assert svc2.get("/health")[1]["status"] == "healthy"


from tests.fakes.lab import lab  # noqa: E402,F401 (fixture)

"""Start the real ``osmem-server`` (PyPI ``osmem-server``; an in-memory OpenSearch-compatible
server binary) on loopback: the first stdout line is JSON with its url; it exits when its
stdin closes. Missing package: skipped locally, a failure under CI=true."""

from __future__ import annotations

import json
import subprocess
import threading
from typing import Iterator

import pytest

from tests.conftest import require


def start_osmem(timeout: float = 30.0) -> tuple[subprocess.Popen, str]:
    """Launch the bundled binary; return the process and its base URL."""
    osmem_server = require("osmem_server")
    binary = osmem_server.resolve_binary()
    proc = subprocess.Popen([binary, "--addr", "127.0.0.1:0"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    first: list[str] = []
    reader = threading.Thread(target=lambda: first.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    if not first or not first[0].strip():
        proc.kill()
        raise RuntimeError("osmem-server did not print its address")
    return proc, json.loads(first[0])["url"]


def stop_osmem(proc: subprocess.Popen) -> None:
    proc.stdin.close()  # its documented shutdown signal
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def osmem_url() -> Iterator[str]:
    """A real OpenSearch-compatible server for this test module."""
    proc, url = start_osmem()
    try:
        yield url
    finally:
        stop_osmem(proc)

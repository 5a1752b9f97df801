"""The probe engine at scale, on real sockets: one connection per target, forked workers merged
in target order, the open-file limit respected, streaming JSON, chunked and redirected bodies."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap

import pytest

from aiops.core import wire
from aiops.health.probe import JsonStream, check
from tests.fakes.aiops_process import check_schema
from tests.fakes.fleet import Fleet
from tests.fakes.http_target import HEALTHY_BODY, METRICS_TEXT, TargetServer

BODIES = {"/health": (b"application/json", json.dumps(HEALTHY_BODY).encode()),
          "/ready": (b"text/plain", b"ok"), "/live": (b"text/plain", b"ok"),
          "/metrics": (b"text/plain", METRICS_TEXT.encode())}
BAD = {3: "status503", 150: "bad_metrics", 201: "closed"}


@pytest.fixture(scope="module")
def fleet():
    with Fleet(240, BODIES, delay=0.01, unhealthy=BAD) as running:
        yield running


def _expected(i: int) -> str:
    return {"status503": "unhealthy", "bad_metrics": "degraded", "closed": "unreachable"}.get(BAD.get(i), "healthy")


def test_workers_merge_results_in_target_order_and_json_streams(fleet):
    out = io.StringIO()
    stream = JsonStream(out.write)
    report = check(fleet.urls, timeout=5, workers=2, stream=stream)
    stream.finish(report)
    assert [t.url for t in report.targets] == fleet.urls
    assert [t.verdict for t in report.targets] == [_expected(i) for i in range(len(fleet.urls))]
    doc = json.loads(out.getvalue())
    assert [t["url"] for t in doc["targets"]] == fleet.urls
    assert doc["summary"] == report.summary and doc["source"] == "probe"
    check_schema(doc)
    assert len(out.getvalue().splitlines()) == len(fleet.urls) + 2  # head, a line per target, tail


def test_one_connection_per_target(fleet, monkeypatch):
    opened = []
    real = wire.connect

    async def counting(origin, *args):
        opened.append(origin.port)
        return await real(origin, *args)

    monkeypatch.setattr(wire, "connect", counting)
    healthy = [u for i, u in enumerate(fleet.urls) if i not in BAD][:50]
    report = check(healthy, timeout=5, workers=1)
    assert report.summary["healthy"] == 50
    assert sorted(opened) == sorted(int(u.rsplit(":", 1)[1]) for u in healthy)


def test_refused_connection_is_one_attempt_and_all_endpoints_say_so(fleet, monkeypatch):
    opened = []
    real = wire.connect

    async def counting(origin, *args):
        opened.append(origin.port)
        return await real(origin, *args)

    monkeypatch.setattr(wire, "connect", counting)
    report = check([fleet.urls[201]], timeout=5, workers=1)
    assert len(opened) == 1
    assert report.targets[0].reasons == [f"all endpoints: connection refused by 127.0.0.1:{opened[0]}"]


def test_open_file_limit_lowers_the_concurrency_and_says_so(fleet):
    script = textwrap.dedent(f"""
        import json, resource, sys
        resource.setrlimit(resource.RLIMIT_NOFILE, (160, 160))
        from aiops.health.probe import check
        report = check({json.dumps(fleet.urls[:200])}, timeout=5, workers=1, concurrency=1000)
        print(json.dumps({{"summary": report.summary, "warnings": report.warnings}}))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["summary"]["targets"] == 200 and doc["summary"]["unreachable"] == 0
    assert any("RLIMIT_NOFILE" in w and "96 connections per process" in w for w in doc["warnings"]), doc


def test_progress_bar_on_a_terminal(cli):
    with Fleet(400, BODIES, delay=0.5) as slow:
        result = cli("health", "check", *slow.urls, "--concurrency", "100", "--workers", "1", tty=True)
    assert result.exit_code == 0, result.stderr
    assert "probing" in result.stderr and "400" in result.stderr


@pytest.fixture
def server():
    servers = []

    def start(mode: str) -> TargetServer:
        servers.append(TargetServer(mode))
        return servers[-1]

    yield start
    for s in servers:
        s.close()


@pytest.mark.parametrize("mode", ["chunked", "close_delimited"])
def test_bodies_without_a_length_are_read(server, mode):
    report = check([server(mode).url], timeout=5, workers=1)
    target = report.targets[0]
    assert target.verdict == "healthy", target.reasons
    assert target.health["status"] == "healthy"


def test_redirect_to_another_server_is_followed(server):
    good = server("healthy")
    mover = server(f"moved:{good.url}")
    report = check([mover.url], timeout=5, workers=1)
    assert report.targets[0].verdict == "healthy", report.targets[0].reasons
    assert good.requests == 4


def test_reading_a_worker_never_stalls_the_parents_own_probes():
    """The parent probes its share on the event loop that also reads the workers' results: a
    wake-up for data an earlier read already took must not block that loop until the worker
    writes again (it did: the 10,000-target fleet took 40 % longer)."""
    import asyncio
    import os
    import threading

    from aiops.health import workers
    from aiops.health.probe import TargetResult

    class Merger:
        def __init__(self) -> None:
            self.indexes: list[int] = []

        def done(self, index: int, target: object = None) -> None:
            self.indexes.append(index)

    read_fd, write_fd = os.pipe()
    merger = Merger()

    async def main() -> tuple[int, str | None]:
        ticks = 0
        reader = asyncio.ensure_future(workers._read_child(asyncio.get_running_loop(), read_fd, merger))
        workers._send(write_fd, ("done", [(0, TargetResult("a", "http://a"))]))
        later = threading.Timer(0.5, lambda: (workers._send(write_fd, ("end", None)), os.close(write_fd)))
        later.start()
        while not reader.done():  # the parent's own work: it must keep running meanwhile
            await asyncio.sleep(0.01)
            ticks += 1
        later.join()
        return ticks, reader.result()

    try:
        ticks, failure = asyncio.run(main())
    finally:
        os.close(read_fd)
    assert failure is None and merger.indexes == [0]
    assert ticks >= 25  # about 50 in 0.5 s; a loop blocked until "end" arrives ticks once or twice

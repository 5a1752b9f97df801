"""Fan-out: `aiops health check` over N loopback targets that each answer after a delay.

    python benchmarks/bench_health_fanout.py [--targets 1000] [--delay 0.1]

A separate process serves N ports (every response after --delay seconds). Before each
measurement it waits for earlier runs' TIME_WAIT sockets to expire (up to 90 s), since tens of
thousands of them slow every connect() on loopback. In the same run we
time (1) a raw-asyncio client doing the same 4*N requests with the same concurrency (the
floor), (2) the aiops core `aiops.health.probe.check`, and (3) the `aiops health check` command end
to end. The bar: the command finishes 1,000 targets x 4 endpoints in <= 2 s wall.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HEALTH = json.dumps({"status": "healthy", "timestamp": "2026-01-28T10:00:00Z", "version": "0.1.0",
                     "checks": {"memory": "ok", "disk": "ok", "dependencies": "ok"}}).encode()


def _metrics() -> bytes:
    from tests.fakes.http_target import METRICS_TEXT

    return METRICS_TEXT.encode()


def serve(n: int, delay: float, ports_out, stop) -> None:
    """Listen on n ports; answer every request after ``delay`` seconds, then close."""
    metrics = _metrics()

    async def handle(reader, writer):
        try:
            line = await reader.readline()
            while (await reader.readline()) not in (b"\r\n", b""):
                pass
            await asyncio.sleep(delay)
            path = line.split(b" ")[1] if line.count(b" ") >= 2 else b"/"
            body, ctype = (HEALTH, b"application/json") if path == b"/health" else (
                (metrics, b"text/plain") if path == b"/metrics" else (b"ok", b"text/plain"))
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: " + ctype + b"\r\nContent-Length: "
                         + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
            await writer.drain()
        except (ConnectionError, IndexError):
            pass
        finally:
            writer.close()

    async def main():
        servers = [await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024) for _ in range(n)]
        ports_out.extend([s.sockets[0].getsockname()[1] for s in servers])
        while not stop.is_set():
            await asyncio.sleep(0.1)

    asyncio.run(main())


async def raw_floor(urls: list[str], concurrency: int) -> float:
    """The floor: bare asyncio sockets, same requests, same concurrency, no parsing."""
    gate = asyncio.Semaphore(concurrency)

    async def one(url: str) -> None:
        host, port = url.split("//")[1].split(":")

        async def get(path: str) -> None:
            reader, writer = await asyncio.open_connection(host, int(port))
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
            await reader.read()
            writer.close()

        async with gate:
            await asyncio.gather(*(get(p) for p in ("/health", "/ready", "/live", "/metrics")))

    start = time.perf_counter()
    await asyncio.gather(*(one(u) for u in urls))
    return time.perf_counter() - start


def _floor(urls: list[str], concurrency: int) -> float:
    _settle()
    return asyncio.run(raw_floor(urls, concurrency))


def _settle(limit: int = 2000, wait: float = 90.0) -> None:
    """Wait for earlier runs' TIME_WAIT sockets to expire: thousands of them slow connect()."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            fields = Path("/proc/net/sockstat").read_text().split("TCP:")[1].split()
            tw = int(fields[fields.index("tw") + 1])
        except (OSError, IndexError, ValueError):
            return
        if tw < limit:
            return
        time.sleep(1)


def _core(urls: list[str], concurrency: int) -> float:
    from aiops.health.probe import check

    _settle()
    start = time.perf_counter()
    report = check(urls, timeout=10, concurrency=concurrency)
    elapsed = time.perf_counter() - start
    assert report.summary["healthy"] == len(urls), report.summary
    return elapsed


def _command(config: str, args: argparse.Namespace) -> float:
    exe = str(Path(sys.executable).parent / "aiops")
    _settle()
    start = time.perf_counter()
    out = subprocess.run([exe, "--config", config, "health", "check", "-o", "json",
                          "--concurrency", str(args.concurrency)], capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    doc = json.loads(out.stdout)
    assert out.returncode == 0 and doc["summary"]["healthy"] == args.targets, out.stderr[-500:]
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--targets", type=int, default=1000)
    parser.add_argument("--delay", type=float, default=0.1)
    parser.add_argument("--concurrency", type=int, default=250)
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement; medians shown")
    args = parser.parse_args()

    manager = multiprocessing.Manager()
    ports, stop = manager.list(), manager.Event()
    proc = multiprocessing.Process(target=serve, args=(args.targets, args.delay, ports, stop))
    proc.start()
    while len(ports) < args.targets:
        time.sleep(0.05)
    urls = [f"http://127.0.0.1:{p}" for p in ports]
    with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as cfg:
        cfg.write(f"targets = {json.dumps(urls)}\n")
    try:
        floor = statistics.median(_floor(urls, args.concurrency) for _ in range(args.repeat))
        core = statistics.median(_core(urls, args.concurrency) for _ in range(args.repeat))
        wall = statistics.median(_command(cfg.name, args) for _ in range(args.repeat))
    finally:
        os.unlink(cfg.name)
        stop.set()
        proc.join(10)

    probes = args.targets * 4
    print(f"{args.targets} targets x 4 endpoints = {probes} probes, each answered after "
          f"{args.delay * 1000:.0f} ms, concurrency {args.concurrency} targets; "
          f"medians of {args.repeat} runs")
    print(f"{'measurement':<42}{'seconds':>9}")
    print(f"{'sequential (computed: probes x delay)':<42}{probes * args.delay:>9.1f}")
    print(f"{'raw asyncio client (floor)':<42}{floor:>9.2f}")
    print(f"{'aiops.health.probe.check (core, in-process)':<42}{core:>9.2f}")
    print(f"{'aiops health check (command, wall)':<42}{wall:>9.2f}   bar <= 2.00  "
          f"{'ok' if wall <= 2.0 else 'OVER'}")
    return 0 if wall <= 2.0 else 1


if __name__ == "__main__":
    raise SystemExit(main())

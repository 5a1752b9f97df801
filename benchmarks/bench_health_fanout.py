"""Fan-out: `aiops health check` over N loopback targets x 4 endpoints, beside the raw floor.

    python benchmarks/bench_health_fanout.py                 # both bars: 1,000 and 10,000
    python benchmarks/bench_health_fanout.py --targets 1000 --repeat 3

The targets answer with the real lab's /health, /ready, /live and /metrics bodies (fetched
from a lab started for the purpose) after --delay seconds each; they are served by a few
processes (tests/fakes/fleet.py) that keep connections alive until asked to close. Before each
measurement the benchmark waits for earlier runs' TIME_WAIT sockets to expire (up to 90 s):
thousands of them slow every connect() on loopback.

For each size, in the same run:
1. the floor: bare asyncio (one process) doing the same requests with the same concurrency
   and keep-alive policy (one connection per target for its four requests, the last one
   asking the server to close), reading each body and nothing more;
2. the core, ``aiops.health.probe.check`` in this process (workers: the CPU count);
CPU seconds (user + system) of the floor and of the core (its workers included) are shown
too: on a machine shared with other work they say more than wall time.
3. the command, ``aiops health check -o json`` end to end in a new process, with the peak
   RSS of its process tree (sampled every 20 ms) and the TIME_WAIT sockets it left on the
   client side (ephemeral ports it holds for a minute).

Bars: 1,000 targets - the command within 1.5x the floor; 10,000 targets - the command
<= 10 s, peak RSS <= 300 MB. Medians of --repeat runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PATHS = ("/health", "/ready", "/live", "/metrics")
_LENGTH = re.compile(rb"content-length: *(\d+)", re.I)


async def raw_floor(urls: list[str], concurrency: int) -> float:
    """The floor: one connection per target, four requests on it, bodies read, nothing judged."""
    gate = asyncio.Semaphore(concurrency)

    async def one(url: str) -> None:
        host, port = url.split("//")[1].split(":")
        async with gate:
            reader, writer = await asyncio.open_connection(host, int(port))
            for i, path in enumerate(PATHS):
                close = b"Connection: close\r\n" if i == len(PATHS) - 1 else b""
                writer.write(b"GET %s HTTP/1.1\r\nHost: %s:%s\r\n%s\r\n" % (
                    path.encode(), host.encode(), port.encode(), close))
                head = await reader.readuntil(b"\r\n\r\n")
                await reader.readexactly(int(_LENGTH.search(head).group(1)))
            writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(one(u) for u in urls))
    return time.perf_counter() - start


def settle(limit: int = 2000, wait: float = 90.0) -> None:
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


def client_time_wait(server_ports: set[int]) -> int:
    """TIME_WAIT sockets on 127.0.0.1 whose local port is not a target's: the prober's."""
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        parts = line.split()
        if parts[3] == "06" and int(parts[1].split(":")[1], 16) not in server_ports:
            count += 1
    return count


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (the core's forked workers)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def floor(urls: list[str], concurrency: int) -> tuple[float, float]:
    settle()
    cpu = cpu_seconds()
    elapsed = asyncio.run(raw_floor(urls, concurrency))
    return elapsed, cpu_seconds() - cpu


def core(urls: list[str], concurrency: int) -> tuple[float, float, list[str]]:
    from aiops.health.probe import check

    settle()
    cpu = cpu_seconds()
    start = time.perf_counter()
    report = check(urls, timeout=10, concurrency=concurrency)
    elapsed = time.perf_counter() - start
    assert report.summary["healthy"] == len(urls), report.summary
    return elapsed, cpu_seconds() - cpu, report.warnings


def command(config: str, n: int, concurrency: int, ports: set[int]) -> tuple[float, float, int]:
    """(wall seconds, peak RSS MB of the process tree, client-side TIME_WAIT sockets left)."""
    import psutil

    exe = str(Path(sys.executable).parent / "aiops")
    settle()
    before = client_time_wait(ports)
    peak = [0]
    start = time.perf_counter()
    proc = subprocess.Popen([exe, "--config", config, "health", "check", "-o", "json",
                             "--concurrency", str(concurrency)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    done = threading.Event()

    def sample() -> None:
        try:
            parent = psutil.Process(proc.pid)
            while not done.is_set():
                try:
                    tree = [parent, *parent.children(recursive=True)]
                    peak[0] = max(peak[0], sum(p.memory_info().rss for p in tree))
                except psutil.Error:
                    pass
                time.sleep(0.02)
        except psutil.Error:
            pass

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    elapsed = time.perf_counter() - start
    done.set()
    sampler.join()
    doc = json.loads(out)
    assert proc.returncode == 0 and doc["summary"]["healthy"] == n, err[-500:]
    return elapsed, peak[0] / 1e6, max(0, client_time_wait(ports) - before)


def measure(n: int, args: argparse.Namespace, bodies: dict) -> dict:
    from tests.fakes.fleet import Fleet

    with Fleet(n, bodies, delay=args.delay, processes=args.server_processes) as fleet:
        urls = fleet.urls
        ports = {int(u.rsplit(":", 1)[1]) for u in urls}
        with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as cfg:
            cfg.write(f"targets = {json.dumps(urls)}\n")
        try:
            floors, cores, runs, warnings = [], [], [], []
            for _ in range(args.repeat):
                floors.append(floor(urls, args.concurrency))
                elapsed, cpu, warned = core(urls, args.concurrency)
                cores.append((elapsed, cpu))
                warnings += warned
                runs.append(command(cfg.name, n, args.concurrency, ports))
        finally:
            os.unlink(cfg.name)
    return {"targets": n, "floor": statistics.median(f[0] for f in floors),
            "floor_cpu": statistics.median(f[1] for f in floors),
            "core": statistics.median(c[0] for c in cores), "core_cpu": statistics.median(c[1] for c in cores),
            "command": statistics.median(r[0] for r in runs), "rss_mb": max(r[1] for r in runs),
            "time_wait": max(r[2] for r in runs), "warnings": sorted(set(warnings))}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--targets", type=int, action="append",
                        help="fleet sizes to measure [default: 1000 and 10000]")
    parser.add_argument("--delay", type=float, default=0.1, help="seconds before each answer")
    parser.add_argument("--concurrency", type=int, default=1000,
                        help="targets at once, floor and aiops alike [default: aiops's default]")
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement; medians shown")
    parser.add_argument("--server-processes", type=int, default=2)
    args = parser.parse_args()
    # byte-compiled as an installed package is (pip compiles at install): a stale .pyc would
    # time the compiler, not aiops
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "aiops")], check=True,
                   stdout=subprocess.DEVNULL)
    sizes = args.targets or [1000, 10000]

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # the floor needs a descriptor per target
    from tests.fakes.fleet import lab_bodies

    bodies = lab_bodies()
    results = [measure(n, args, bodies) for n in sizes]

    print(f"targets x 4 endpoints, each answered after {args.delay * 1000:.0f} ms with the real lab's "
          f"bodies (/metrics {len(bodies['/metrics'][1])} bytes); concurrency {args.concurrency} targets, "
          f"keep-alive; {os.cpu_count()} CPUs; RLIMIT_NOFILE {soft}/{hard}; medians of {args.repeat} run(s)")
    print(f"{'targets':>8} {'floor s':>8} {'core s':>8} {'command s':>10} {'x floor':>8} {'floor CPU s':>12}"
          f" {'core CPU s':>11} {'peak RSS MB':>12} {'client TIME_WAIT':>17}  bar")
    failed = False
    for r in results:
        ratio = r["command"] / r["floor"]
        if r["targets"] <= 1000:
            ok = ratio <= 1.5
            bar = f"command <= 1.5x floor: {'ok' if ok else 'OVER'}"
        else:
            ok = r["command"] <= 10.0 and r["rss_mb"] <= 300
            bar = f"command <= 10 s and RSS <= 300 MB: {'ok' if ok else 'OVER'}"
        failed |= not ok
        print(f"{r['targets']:>8} {r['floor']:>8.2f} {r['core']:>8.2f} {r['command']:>10.2f} {ratio:>8.2f}"
              f" {r['floor_cpu']:>12.2f} {r['core_cpu']:>11.2f} {r['rss_mb']:>12.0f} {r['time_wait']:>17}  {bar}")
        for warning in r["warnings"]:
            print(f"         warning: {warning}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

"""`aiops metrics check` against a real Prometheus scraping the real lab service.

    python benchmarks/bench_metrics_check.py [--rtt-ms 20] [--repeats 7] [--warmup-seconds 12]

Starts the lab (service defaults) and Prometheus scraping it every second, waits for data,
then measures, in the same run and for two network paths:

- "remote": through a TCP proxy (its own process) that delays every packet by half of
  --rtt-ms each way, like a Prometheus across a network (the usual case: an on-call
  laptop or bastion talking to a monitoring cluster);
- "loopback": straight to Prometheus on 127.0.0.1.

For each: every scorecard query alone, one after another (the slowest one and their sum:
what a sequential scorecard would cost); the scorecard core ``metrics_check`` (all queries
at once); and ``aiops metrics check -o json`` end to end in a new process.

Bars (remote path): the concurrent scorecard's wall time <= 1.5x its slowest single query
measured alone, and the command <= 1 s in total. The loopback figures are shown for
reference: there a query is pure CPU (about 0.3 ms in Prometheus and 0.5 ms in the client),
so 16 of them on 2 cores cannot fit in 1.5x the time of one, whatever the client does; the
remote path is where concurrency pays. Medians of --repeats runs.
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


def delay_proxy(upstream_port: int, one_way_s: float, port_out, stop) -> None:
    """Forward 127.0.0.1:<port> to the upstream port, delaying each chunk by ``one_way_s``."""

    async def pump(reader, writer):
        queue: asyncio.Queue = asyncio.Queue()

        async def read():
            while data := await reader.read(65536):
                queue.put_nowait((time.monotonic() + one_way_s, data))
            queue.put_nowait((time.monotonic() + one_way_s, b""))

        async def write():
            while True:
                due, data = await queue.get()
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                if not data:
                    break
                writer.write(data)
                await writer.drain()
            writer.close()

        await asyncio.gather(read(), write(), return_exceptions=True)

    async def handle(client_reader, client_writer):
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", upstream_port)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(pump(client_reader, up_writer), pump(up_reader, client_writer),
                             return_exceptions=True)

    async def main():
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port_out.value = server.sockets[0].getsockname()[1]
        while not stop.is_set():
            await asyncio.sleep(0.05)

    asyncio.run(main())


def timed(fn, repeats: int) -> tuple[float, object]:
    """Median seconds of ``repeats`` calls, and the last result."""
    samples, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), result


def measure(url: str, tmp: Path, window: str, repeats: int) -> dict:
    """Queries alone, the concurrent core, and the command, against Prometheus at ``url``."""
    from aiops.catalog.checks import CHECKS
    from aiops.core.config import load
    from aiops.core.timewindow import parse_duration
    from aiops.prometheus.client import connect, query
    from aiops.prometheus.scorecard import metrics_check

    cfg = load(flags={"prometheus.url": url}, environ={}, cwd=tmp, user_file=tmp / "none")
    queries = {c.key: c.promql_for(parse_duration(window), "active-inference") for c in CHECKS}
    metrics_check(cfg, window=window, source="prometheus")  # warm imports and pools
    alone: dict[str, float] = {}
    with connect(cfg) as client:
        for key, promql in queries.items():
            alone[key], _ = timed(lambda: query(client, promql), repeats)
    core, card = timed(lambda: metrics_check(cfg, window=window, source="prometheus"), repeats)
    assert card.source == "prometheus" and not any(r.verdict == "error" for r in card.rows)

    exe = str(Path(sys.executable).parent / "aiops")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIOPS_")}
    env.update(AIOPS_PROMETHEUS_URL=url, XDG_CONFIG_HOME=str(tmp))

    def command():
        out = subprocess.run([exe, "metrics", "check", "--source", "prometheus", "--window", window,
                              "-o", "json"], capture_output=True, text=True, env=env, cwd=tmp)
        assert out.returncode in (0, 3), out.stderr[-500:]
        return json.loads(out.stdout)

    wall, doc = timed(command, max(3, repeats // 2))
    assert len(doc["rows"]) == len(queries)
    slowest = max(alone, key=alone.get)
    return {"queries": len(queries), "slowest_key": slowest, "slowest": alone[slowest],
            "sum": sum(alone.values()), "core": core, "command": wall,
            "no_data": [r.key for r in card.rows if r.verdict == "no_data"]}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rtt-ms", type=float, default=20.0, help="round trip of the remote path")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--warmup-seconds", type=float, default=12.0)
    parser.add_argument("--window", default="5m")
    args = parser.parse_args()

    from tests.fakes.lab import start_lab
    from tests.fakes.prom_stack import get_json, start_prometheus

    tmp = Path(tempfile.mkdtemp(prefix="bench-metrics-"))
    lab = start_lab(fast=False)
    prom = start_prometheus(tmp, jobs={"active-inference": [lab.url.split("://", 1)[1]]})
    port, stop = multiprocessing.Value("i", 0), multiprocessing.Event()
    proxy = multiprocessing.Process(target=delay_proxy, daemon=True,
                                    args=(int(prom.url.rsplit(":", 1)[1]), args.rtt_ms / 2000, port, stop))
    proxy.start()
    try:
        deadline = time.monotonic() + 30
        while not get_json(prom.url + "/api/v1/query?query=up")["data"]["result"] or not port.value:
            if time.monotonic() > deadline:
                raise RuntimeError("Prometheus never scraped the lab (or the proxy did not start)")
            time.sleep(0.2)
        time.sleep(args.warmup_seconds)
        remote = measure(f"http://127.0.0.1:{port.value}", tmp, args.window, args.repeats)
        local = measure(prom.url, tmp, args.window, args.repeats)
    finally:
        stop.set()
        proxy.join(5)
        prom.stop()
        lab.stop()

    ms = 1000
    print(f"aiops metrics check: {remote['queries']} PromQL queries, window {args.window}, Prometheus "
          f"scraping the lab; medians of {args.repeats} runs")
    if remote["no_data"]:
        print(f"rows with no data (not exported by the lab): {', '.join(remote['no_data'])}")
    print(f"{'measurement (ms)':<52}{'remote, ' + format(args.rtt_ms, 'g') + ' ms RTT':>20}{'loopback':>12}")
    rows = [("slowest single query alone", "slowest"), ("all queries one after another", "sum"),
            ("metrics_check core, concurrent (wall)", "core"),
            ("aiops metrics check, new process (wall)", "command")]
    for label, key in rows:
        print(f"{label:<52}{remote[key] * ms:>20.1f}{local[key] * ms:>12.1f}")
    print(f"{'  slowest query: ' + remote['slowest_key'] + ' / ' + local['slowest_key']:<52}")
    ratio, local_ratio = remote["core"] / remote["slowest"], local["core"] / local["slowest"]
    ok_ratio, ok_total = ratio <= 1.5, remote["command"] <= 1.0 and local["command"] <= 1.0
    print(f"{'concurrent wall / slowest single query':<52}{ratio:>19.2f}x{local_ratio:>11.2f}x"
          f"   bar <= 1.50x (remote)  {'ok' if ok_ratio else 'OVER'}")
    print(f"{'command end to end':<52}{'':>32}   bar <= 1000 ms        {'ok' if ok_total else 'OVER'}")
    return 0 if ok_ratio and ok_total else 1


if __name__ == "__main__":
    raise SystemExit(main())

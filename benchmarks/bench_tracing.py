"""What tracing costs the lab, and how fast `aiops trace show` renders a big trace.

    python benchmarks/bench_tracing.py [--rate 200] [--duration 30] [--rounds 2] [--spans 10000]

1. /infer latency with tracing off and on, side by side in one run: the same open-loop load
   (bench_lab's generator: latency from when each request was due) against `aiops lab serve`
   without tracing, then with `--otlp-endpoint` (sample ratio 1.0, the SDK's batch processor)
   exporting to the Jaeger-compatible test server, alternating for --rounds rounds so drift
   on a shared machine hits both alike. Bar: p95 on <= 1.10 x p95 off.
2. CPU per /infer request, in process (the lab's ASGI app called directly, no network, no
   training thread), tracing off and on: what the instrumentation itself costs, measured in
   CPU seconds (the export thread included), so a busy machine disturbs it less than (1).
3. `aiops trace show ID --file F -o table` on a --spans-span trace, as a user runs it (a fresh
   process), beside `aiops --version` (the interpreter and CLI start-up alone). Bar: <= 1 s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


def lab_latency(args: argparse.Namespace, collector_url: str) -> list[dict]:
    from bench_lab import row, run_load

    from tests.fakes.lab import start_lab

    rows: dict[str, list] = {"off": [], "on": []}
    elapsed: dict[str, float] = {"off": 0.0, "on": 0.0}
    for _ in range(args.rounds):
        for variant in ("off", "on"):
            extra = ("--otlp-endpoint", collector_url, "--trace-sample", "1.0") if variant == "on" else ()
            lab = start_lab(fast=False, extra_args=extra)
            try:
                run_load(lab.url, args.rate, args.warmup)  # warm caches and the JIT-less hot paths
                data = run_load(lab.url, args.rate, args.duration)
            finally:
                lab.stop()
            rows[variant] += data["results"]
            elapsed[variant] += data["elapsed"]
    out = []
    for variant in ("off", "on"):
        out.append(row(f"/infer @ {args.rate:g}/s, tracing {variant}", {"results": rows[variant],
                                                                        "elapsed": elapsed[variant]}, "-", None))
    off, on = out
    on["target"] = f"p95 <= {1.1 * off['p95']:.2f} ms (off + 10 %)"
    on["pass"] = "yes" if on["p95"] <= 1.1 * off["p95"] and on["errors"] == 0 else "NO"
    return out


def cpu_per_request(requests: int, collector_url: str) -> list[dict]:
    """CPU microseconds per POST /infer through the lab's ASGI app, tracing off and on."""
    import asyncio

    from aiops.lab.app import create_app
    from aiops.lab.service import LabConfig, LabService
    from aiops.lab.tracing import LabTracing, TracingOptions

    body = json.dumps({"observation": [0, 0, 1]}).encode()
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": "/infer", "raw_path": b"/infer", "query_string": b"",
             "root_path": "", "server": ("127.0.0.1", 8000), "client": ("127.0.0.1", 50000),
             "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                         (b"x-correlation-id", b"req-bench")]}

    async def drive(app) -> int:
        ok = 0
        for _ in range(requests):
            sent = iter([{"type": "http.request", "body": body, "more_body": False}])
            status = []

            async def receive():
                return next(sent, {"type": "http.disconnect"})

            async def send(message):
                if message["type"] == "http.response.start":
                    status.append(message["status"])

            await app(dict(scope, headers=list(scope["headers"])), receive, send)
            ok += status == [200]
        return ok

    out = []
    for variant in ("off", "on"):
        service = LabService(LabConfig(synthetic_rps=0))
        if variant == "on":
            service.tracing = LabTracing(TracingOptions(otlp_endpoint=collector_url, sample=1.0),
                                         instance="http://127.0.0.1:8000")
        app = create_app(service)
        asyncio.run(drive(app))  # warm up
        cpu, wall = time.process_time(), time.perf_counter()
        ok = asyncio.run(drive(app))
        service.tracing.shutdown()  # the export of every span is part of the cost
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        service.shutdown()
        out.append({"phase": f"CPU per /infer, in process, tracing {variant}", "requests": requests,
                    "errors": requests - ok, "rps": requests / wall, "p50": cpu / requests * 1000,
                    "p95": float("nan"), "p99": float("nan"), "max": float("nan"), "target": "-", "pass": "-"})
    off, on = out
    on["target"] = f"+{(on['p50'] - off['p50']) * 1000:.0f} µs/request ({(on['p50'] / off['p50'] - 1) * 100:.0f} %)"
    return out


def big_trace(path: Path, spans: int) -> None:
    t0 = 1_800_000_000_000_000_000
    resource = {"attributes": [{"key": "service.name", "value": {"stringValue": "active-inference-sim-lab"}}]}

    def span(i: int, parent: str | None, start_us: int, end_us: int) -> dict:
        out = {"traceId": TRACE, "spanId": f"{i + 1:016x}", "name": f"step {i}" if i else "POST /infer",
               "kind": 1, "startTimeUnixNano": str(t0 + start_us * 1000), "endTimeUnixNano": str(t0 + end_us * 1000),
               "attributes": [{"key": "ai.iterations", "value": {"intValue": str(i % 16)}}]}
        if parent:
            out["parentSpanId"] = parent
        return out

    # a root, 100 phases under it, the rest spread under the phases (three levels)
    items = [span(0, None, 0, spans * 10)]
    phases = min(100, spans - 1)
    items += [span(i, f"{1:016x}", (i - 1) * spans // phases * 10, i * spans // phases * 10) for i in range(1, phases + 1)]
    items += [span(i, f"{(i % phases) + 2:016x}", i * 10, i * 10 + 5) for i in range(phases + 1, spans)]
    with path.open("w") as fh:
        for chunk in range(0, len(items), 512):  # as the batch exporter writes: 512 spans a line
            fh.write(json.dumps({"resourceSpans": [{"resource": resource,
                                                    "scopeSpans": [{"spans": items[chunk:chunk + 512]}]}]}) + "\n")


def timed(argv: list[str], runs: int) -> list[float]:
    env = {**os.environ, "COLUMNS": "120", "NO_COLOR": "1"}
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(argv, capture_output=True, env=env)
        times.append((time.perf_counter() - start) * 1000)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed: {done.stderr.decode()[-300:]}")
    return times


def render_rows(args: argparse.Namespace) -> list[dict]:
    path = Path(tempfile.mkdtemp(prefix="bench-trace-")) / "big.jsonl"
    big_trace(path, args.spans)
    aiops = [sys.executable, "-m", "aiops"]
    startup = timed([*aiops, "--version"], args.runs)
    show = timed([*aiops, "trace", "show", TRACE, "--file", str(path), "-o", "table"], args.runs)
    as_json = timed([*aiops, "trace", "show", TRACE, "--file", str(path), "-o", "json"], args.runs)
    out = []
    for name, times, bar in (("aiops --version (start-up floor)", startup, None),
                             (f"trace show, {args.spans} spans, table", show, 1000.0),
                             (f"trace show, {args.spans} spans, json", as_json, None)):
        median = statistics.median(times)
        out.append({"phase": name, "requests": len(times), "errors": 0, "rps": float("nan"),
                    "p50": median, "p95": max(times), "p99": max(times), "max": max(times),
                    "target": "-" if bar is None else f"<= {bar:g} ms",
                    "pass": "-" if bar is None else ("yes" if median <= bar else "NO")})
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200.0, help="/infer requests per second")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load per lab and round")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds of load before measuring")
    parser.add_argument("--rounds", type=int, default=2, help="off/on alternations")
    parser.add_argument("--spans", type=int, default=10_000, help="spans in the rendered trace")
    parser.add_argument("--runs", type=int, default=5, help="runs of each trace show command")
    parser.add_argument("--requests", type=int, default=2000, help="in-process requests per variant")
    args = parser.parse_args()

    from tests.fakes.jaeger import JaegerServer

    collector = JaegerServer()
    try:
        rows = lab_latency(args, collector.url) if args.duration > 0 else []
        ingested = collector.ingested
    finally:
        collector.close()
    # the in-process measurement exports to a collector in another process, whose CPU is not ours
    other = subprocess.Popen([sys.executable, "-c", "from tests.fakes.jaeger import JaegerServer; import sys; "
                              "s = JaegerServer(); print(s.url, flush=True); sys.stdin.read()"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        rows += cpu_per_request(args.requests, other.stdout.readline().strip())
    finally:
        other.stdin.close()
        other.wait(10)
    rows += render_rows(args)

    print("p50 of the CPU rows is CPU ms per request; 0 --duration skips the lab under load")
    print(f"{'phase':<44} {'n':>6} {'err':>4} {'rps':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
          f"{'max ms':>8}  {'target':<32} pass")
    for r in rows:
        print(f"{r['phase']:<44} {r['requests']:>6} {r['errors']:>4} {r['rps']:>7.1f} {r['p50']:>8.2f} "
              f"{r['p95']:>8.2f} {r['p99']:>8.2f} {r['max']:>8.2f}  {r['target']:<32} {r['pass']}")
    print(f"spans received by the collector: {ingested}")
    return 0 if all(r["pass"] != "NO" for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""What tracing costs the lab, and how fast `aiops trace show` renders a big trace.

    python benchmarks/bench_tracing.py [--rate 200] [--duration 15] [--rounds 6] [--spans 10000]

1. /infer latency with tracing off and on, side by side in one run: the same open-loop load
   (bench_lab's generator: latency from when each request was due) against `aiops lab serve`
   without tracing, with `--otlp-endpoint` (sample ratio 1.0, the SDK's batch processor)
   exporting to the Jaeger-compatible test server, and without tracing again as a control,
   for --rounds rounds (a fresh lab each time, the order rotated) so that drift on a shared
   machine hits all alike. Bar: p95 on <= 1.10 x p95 off. The control's ratio to off is the
   noise of the measurement: two identical labs differ by that much.
2. CPU per /infer request, in process (the lab's ASGI app called directly, no network, no
   training thread), tracing off and on: what the instrumentation itself costs, measured in
   CPU seconds (the export thread and the export process included), so a busy machine
   disturbs it less than (1).
3. `aiops trace show ID --file F -o table` on a --spans-span trace, as a user runs it (a fresh
   process), beside `aiops --version` (the interpreter and CLI start-up alone). Bar: <= 1 s.

The collector runs in a process of its own at the lowest CPU priority: it stands for a
collector on another machine, so its CPU must not be taken from the lab's (on a 2-core machine
it competed with the lab and the load for a core while it decoded each export). It decodes
every export request and counts the spans; the table's last lines say how many arrived, and (2) fails when
one is missing. The commands of (3) run once untimed first, so that Python's bytecode cache
(in a temporary PYTHONPYCACHEPREFIX) is warm, as it is for an installed aiops: the timed runs
measure the command, not the compilation of its source.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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
PHASES = 4  # spans per traced /infer: the server span and its three phases


class Collector:
    """The Jaeger-compatible test server in a process of its own; ``received()`` stops it and
    returns how many spans it decoded."""

    def __init__(self) -> None:
        code = ("import os, sys; os.nice(19); from tests.fakes.jaeger import JaegerServer; s = JaegerServer(); "
                "print(s.url, flush=True); sys.stdin.read(); print(s.ingested, flush=True)")
        self.proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, cwd=ROOT)
        self.url = self.proc.stdout.readline().strip()
        if not self.url:
            raise RuntimeError("the test collector did not start")

    def received(self) -> int:
        self.proc.stdin.close()
        count = int(self.proc.stdout.readline() or -1)
        self.proc.wait(10)
        return count

    def __enter__(self) -> "Collector":
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.proc.kill()


def lab_latency(args: argparse.Namespace, collector_url: str) -> tuple[list[dict], int]:
    """The latency rows (off, on, and off again as the control), and how many /infer requests
    the traced labs answered with 200."""
    from bench_lab import row, run_load

    from tests.fakes.lab import start_lab

    variants = ("off", "on", "off again")
    rows: dict[str, list] = {v: [] for v in variants}
    elapsed: dict[str, float] = {v: 0.0 for v in variants}
    traced = 0
    for i in range(args.rounds):
        for variant in variants[i % 3:] + variants[:i % 3]:  # each in every position in turn
            extra = ("--otlp-endpoint", collector_url, "--trace-sample", "1.0") if variant == "on" else ()
            lab = start_lab(fast=False, extra_args=extra)
            try:
                warm = run_load(lab.url, args.rate, args.warmup)  # warm caches and the JIT-less hot paths
                data = run_load(lab.url, args.rate, args.duration)
            finally:
                lab.stop()  # SIGTERM: the lab flushes its spans before it exits
            rows[variant] += data["results"]
            elapsed[variant] += data["elapsed"]
            if variant == "on":
                traced += sum(status == 200 for _, status in warm["results"] + data["results"])
    out = [row(f"/infer @ {args.rate:g}/s, tracing {v}", {"results": rows[v], "elapsed": elapsed[v]}, "-", None)
           for v in variants]
    off, on, again = out
    on["target"] = f"p95 <= {1.1 * off['p95']:.2f} ms (off + 10 %)"
    on["pass"] = "yes" if on["p95"] <= 1.1 * off["p95"] and on["errors"] == 0 else "NO"
    again["target"] = f"control: {again['p95'] / off['p95']:.2f} x off's p95"
    return out, traced


def cpu_per_request(requests: int, collector_url: str) -> list[dict]:
    """CPU microseconds per POST /infer through the lab's ASGI app, tracing off and on (twice
    ``requests`` traced requests, counting the warm-up)."""
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
                                         instance="http://127.0.0.1:8000", model_id=service.model_id)
        app = create_app(service)
        asyncio.run(drive(app))  # warm up
        exporter = _export_process()
        before = exporter.cpu_times() if exporter else None
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu, wall = time.process_time(), time.perf_counter()
        ok = asyncio.run(drive(app))
        service.tracing.shutdown()  # the export of every span is part of the cost
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        export = 0.0
        if before is not None:  # the export process, waited for by the shutdown: all its CPU since
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            export = (after.ru_utime - children.ru_utime + after.ru_stime - children.ru_stime
                      - before.user - before.system)
        cpu += export
        service.shutdown()
        out.append({"phase": f"CPU per /infer, in process, tracing {variant}", "requests": requests,
                    "errors": requests - ok, "rps": requests / wall, "p50": cpu / requests * 1000,
                    "p95": float("nan"), "p99": float("nan"), "max": float("nan"), "target": "-", "pass": "-",
                    "export": export / requests * 1000})
    off, on = out
    on["target"] = (f"+{(on['p50'] - off['p50']) * 1000:.0f} µs/request ({(on['p50'] / off['p50'] - 1) * 100:.0f} %), "
                    f"{on['export'] * 1000:.0f} in export")
    return out


def _export_process():
    """The lab's span export process (a child of this one), as psutil sees it; None when absent."""
    import psutil

    return next((p for p in psutil.Process().children()
                 if "aiops.lab.spanexport" in " ".join(p.cmdline())), None)


def big_trace(path: Path, spans: int) -> None:
    from aiops.lab.tracing import BATCH

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
        for chunk in range(0, len(items), BATCH):  # as the lab's batch processor writes them
            fh.write(json.dumps({"resourceSpans": [{"resource": resource,
                                                    "scopeSpans": [{"spans": items[chunk:chunk + BATCH]}]}]}) + "\n")


def timed(argv: list[str], runs: int, pycache: str) -> list[float]:
    """Wall milliseconds of ``runs`` runs, after one untimed run that fills the bytecode cache."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(COLUMNS="120", NO_COLOR="1", PYTHONPYCACHEPREFIX=pycache)
    times = []
    for i in range(runs + 1):
        start = time.perf_counter()
        done = subprocess.run(argv, capture_output=True, env=env)
        if i:
            times.append((time.perf_counter() - start) * 1000)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed: {done.stderr.decode()[-300:]}")
    return times


def render_rows(args: argparse.Namespace) -> list[dict]:
    work = Path(tempfile.mkdtemp(prefix="bench-trace-"))
    path, pycache = work / "big.jsonl", str(work / "pycache")
    big_trace(path, args.spans)
    aiops = [sys.executable, "-m", "aiops"]
    startup = timed([*aiops, "--version"], args.runs, pycache)
    show = timed([*aiops, "trace", "show", TRACE, "--file", str(path), "-o", "table"], args.runs, pycache)
    as_json = timed([*aiops, "trace", "show", TRACE, "--file", str(path), "-o", "json"], args.runs, pycache)
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
    parser.add_argument("--duration", type=float, default=15.0, help="seconds of load per lab and round")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds of load before measuring")
    parser.add_argument("--rounds", type=int, default=6, help="rounds of off, on and off again")
    parser.add_argument("--spans", type=int, default=10_000, help="spans in the rendered trace")
    parser.add_argument("--runs", type=int, default=5, help="runs of each trace show command")
    parser.add_argument("--requests", type=int, default=2000, help="in-process requests per variant")
    args = parser.parse_args()

    rows: list[dict] = []
    notes = []
    if args.duration > 0:
        with Collector() as c:
            latency, traced = lab_latency(args, c.url)
            received = c.received()
        rows += latency
        # the labs' own synthetic traffic is traced too: at least PHASES spans per answered request
        notes.append(f"spans received from the traced labs: {received} (their {traced} answered /infer "
                     f"requests of the load: >= {PHASES * traced})")
        if received < PHASES * traced:
            latency[1]["pass"] = "NO"
    with Collector() as c:
        cpu = cpu_per_request(args.requests, c.url)
        received = c.received()
    expected = 2 * args.requests * PHASES  # the measured requests and as many to warm up
    notes.append(f"spans received from the in-process run: {received} of {expected}")
    if received != expected:
        cpu[1]["pass"] = "NO"
    rows += cpu
    rows += render_rows(args)

    print("p50 of the CPU rows is CPU ms per request; 0 --duration skips the lab under load")
    print(f"{'phase':<44} {'n':>6} {'err':>4} {'rps':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
          f"{'max ms':>8}  {'target':<32} pass")
    for r in rows:
        print(f"{r['phase']:<44} {r['requests']:>6} {r['errors']:>4} {r['rps']:>7.1f} {r['p50']:>8.2f} "
              f"{r['p95']:>8.2f} {r['p99']:>8.2f} {r['max']:>8.2f}  {r['target']:<32} {r['pass']}")
    for note in notes:
        print(note)
    return 0 if all(r["pass"] != "NO" for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())

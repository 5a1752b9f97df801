"""Benchmark ``aiops logs trace``: a big log file against grep, 100k-record cluster traces.

    .venv/bin/python benchmarks/bench_logs.py               # 1 GB file, 100k records
    .venv/bin/python benchmarks/bench_logs.py --size-mb 200 --records 20000 --skip-opensearch

Files: ``aiops logs trace ID --file FILE`` against ``grep -F ID FILE`` on the same file in
the same run (median of --repeat alternating runs, page cache warm). Target: <= 1.5x.
Clusters: the CLI traces one ID with N records through the Elasticsearch simulator and
osmem-server, in a child process whose peak RSS (VmHWM) is sampled while it runs; memory is
flat when N records cost about what N/10 do. Every record must appear exactly once.
The generated file lives under a temporary directory and is deleted afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fakes.log_corpus import T0, bulk_records, es_actions  # noqa: E402

AIOPS = [sys.executable, "-m", "aiops"]
WINDOW = ["--since", "2026-01-27T00:00:00Z", "--until", "2026-02-01T00:00:00Z"]
TARGET = "req-5f3a9c1e-needle"


def generate(path: Path, size_mb: int, hits: int = 5) -> tuple[int, int]:
    """A JSON-lines file of about ``size_mb`` MB (runbook format); TARGET appears ``hits`` times."""
    rnd = random.Random(42)
    loggers = ("active_inference.core", "active_inference.api", "active_inference.training")
    template = ('{"timestamp": "2026-01-28T%02d:%02d:%02d.%03dZ", "level": "%s", "logger": "%s", '
                '"message": "Inference completed successfully", "correlation_id": "%s", '
                '"user_id": "user-%05d", "model_id": "model-abc123", "duration_ms": %d, '
                '"context": {"episode": %d, "step": %d, "accuracy": 0.95}}\n')
    target_bytes = size_mb * 1024 * 1024
    lines = written = 0
    marks = sorted(rnd.randrange(1, target_bytes // 330) for _ in range(hits))
    with open(path, "w", buffering=8 * 1024 * 1024) as fh:
        batch = []
        while written < target_bytes:
            i = lines
            cid = TARGET if marks and i == marks[0] else f"req-{rnd.getrandbits(32):08x}"
            if marks and i == marks[0]:
                marks.pop(0)
            line = template % ((i // 3_600_000) % 24, (i // 60_000) % 60, (i // 1000) % 60, i % 1000,
                               "ERROR" if i % 97 == 0 else "INFO", loggers[i % 3], cid, i % 99_999,
                               i % 500, i % 100, i % 1000)
            batch.append(line)
            written += len(line)
            lines += 1
            if len(batch) == 10_000:
                fh.write("".join(batch))
                batch = []
        fh.write("".join(batch))
    return lines, written


def timed(cmd: list[str], **kw) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, **kw)
    return time.perf_counter() - start, done


def bench_file(size_mb: int, repeat: int) -> list[tuple[str, str, str]]:
    workdir = Path(tempfile.mkdtemp(prefix="aiops-bench-logs-"))
    try:
        path = workdir / "app.jsonl"
        lines, size = generate(path, size_mb)
        subprocess.run(["cat", str(path)], stdout=subprocess.DEVNULL, check=True)  # warm cache
        empty = workdir / "empty.jsonl"
        empty.write_text("")
        greps, ours, startup = [], [], []
        for _ in range(repeat):
            seconds, done = timed(["grep", "-F", TARGET, str(path)])
            assert done.stdout.count(b"\n") == 5, "grep must find the 5 target lines"
            greps.append(seconds)
            seconds, done = timed([*AIOPS, "logs", "trace", TARGET, "--file", str(path), *WINDOW,
                                   "-o", "json"], cwd=ROOT)
            assert done.returncode == 0, done.stderr.decode()
            assert len(json.loads(done.stdout)["records"]) == 5
            ours.append(seconds)
            startup.append(timed([*AIOPS, "logs", "trace", TARGET, "--file", str(empty),
                                  *WINDOW, "-o", "json"], cwd=ROOT)[0])
        g, a = statistics.median(greps), statistics.median(ours)
        print(f"\nfile: {size / 2**20:,.0f} MB, {lines:,} lines, the ID on 5 of them "
              f"(median of {repeat})")
        rows = [("grep -F ID FILE", f"{g:.3f}", "1.00"),
                ("aiops logs trace ID --file FILE", f"{a:.3f}", f"{a / g:.2f}  (target <= 1.50)"),
                ("  of which CLI start-up (empty file)", f"{statistics.median(startup):.3f}", "")]
        _table(("command", "seconds", "ratio to grep"), rows)
        return rows
    finally:
        shutil.rmtree(workdir)


def peak_rss_kb(pid: int) -> int:
    """The process's own high-water RSS (VmHWM), or its current RSS where /proc is absent.

    Not wait4()'s ru_maxrss: Linux carries the forking parent's footprint into the child's
    maxrss across exec, so it would report this (large) benchmark process instead.
    """
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    try:
        import psutil

        return psutil.Process(pid).memory_info().rss // 1024
    except Exception:
        return 0


def run_trace(args: list[str], out: Path) -> tuple[float, int, int, int]:
    """Run the CLI in a child; (seconds, peak RSS KB, records, distinct seq) from its output."""
    start = time.perf_counter()
    peak = 0
    with open(out, "wb") as fh:
        proc = subprocess.Popen([*AIOPS, "logs", "trace", *args, *WINDOW, "-o", "json"],
                                stdout=fh, stderr=subprocess.PIPE, cwd=ROOT)
        while proc.poll() is None:
            peak = max(peak, peak_rss_kb(proc.pid))
            time.sleep(0.05)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"aiops failed: {proc.stderr.read().decode()}")
    with open(out, "rb") as fh:
        records = json.load(fh)["records"]
    seqs = [r["context"]["seq"] for r in records]
    return seconds, peak, len(seqs), len(set(seqs))


def bench_clusters(n: int, skip_opensearch: bool) -> None:
    small = n // 10
    rows = []
    workdir = Path(tempfile.mkdtemp(prefix="aiops-bench-logs-"))
    try:
        for name, start, load in (("elasticsearch", _start_sim, _load_es),
                                  ("opensearch", _start_osmem, _load_os)):
            if name == "opensearch" and skip_opensearch:
                continue
            proc, url = start()
            try:
                load_start = time.perf_counter()
                load(url, n, small)
                loaded = time.perf_counter() - load_start
                for cid, count in (("req-small", small), ("req-bench", n)):
                    seconds, rss, got, distinct = run_trace(
                        [cid, "--backend", name, "--url", url, "--index", "bench-*"],
                        workdir / "out.json")
                    once = "yes" if got == distinct == count else f"NO ({got}/{distinct}/{count})"
                    rows.append((name, f"{count:,}", f"{seconds:.2f}", f"{rss / 1024:.0f}", once,
                                 f"{loaded:.0f}s" if count == n else ""))
            finally:
                proc.stdin.close()
                proc.wait(30)
    finally:
        shutil.rmtree(workdir)
    print("\nclusters: trace of one correlation ID (CLI in a child process, -o json to a file)")
    _table(("backend", "records", "seconds", "peak RSS MB", "exactly once", "load time"), rows)


def _start_sim():
    proc = subprocess.Popen([sys.executable, "-m", "tests.fakes.elasticsearch_sim"], cwd=ROOT,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    return proc, json.loads(proc.stdout.readline())["url"]


def _start_osmem():
    from osmem_server import resolve_binary

    proc = subprocess.Popen([resolve_binary(), "--addr", "127.0.0.1:0"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return proc, json.loads(proc.stdout.readline())["url"]


def _docs(n: int, small: int):
    yield from es_actions("bench-1", bulk_records(n, "req-bench", noise_every=10))
    yield from es_actions("bench-1", bulk_records(small, "req-small", start=T0))


def _load_es(url: str, n: int, small: int) -> None:
    from elasticsearch import Elasticsearch, helpers

    es = Elasticsearch(url, request_timeout=300)
    from tests.fakes.log_corpus import ES_MAPPINGS

    es.indices.create(index="bench-1", mappings=ES_MAPPINGS)
    helpers.bulk(es, _docs(n, small), chunk_size=10_000)
    es.indices.refresh(index="bench-1")


def _load_os(url: str, n: int, small: int) -> None:
    from opensearchpy import OpenSearch, helpers

    from tests.fakes.log_corpus import OS_MAPPINGS

    client = OpenSearch(hosts=[url], timeout=600)
    client.indices.create(index="bench-1", body={"mappings": OS_MAPPINGS})
    helpers.bulk(client, _docs(n, small), chunk_size=10_000)
    client.indices.refresh(index="bench-1")


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows)]
    for row in (header, tuple("-" * w for w in widths), *rows):
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024, help="generated file size")
    parser.add_argument("--repeat", type=int, default=3, help="alternating timed runs (median)")
    parser.add_argument("--records", type=int, default=100_000, help="records in the cluster trace")
    parser.add_argument("--skip-files", action="store_true")
    parser.add_argument("--skip-clusters", action="store_true")
    parser.add_argument("--skip-opensearch", action="store_true")
    args = parser.parse_args()
    print(f"aiops logs benchmark - {os.cpu_count()} CPU(s), Python {sys.version.split()[0]}")
    if not args.skip_files:
        bench_file(args.size_mb, args.repeat)
    if not args.skip_clusters:
        bench_clusters(args.records, args.skip_opensearch)


if __name__ == "__main__":
    main()

"""Fleet-size questions answered through a real Prometheus, beside what Prometheus itself takes.

    python benchmarks/bench_fleet_prometheus.py [--instances 1000] [--probed 10000] [--repeat 5]

A real Prometheus scrapes one process serving many synthetic instances
(tests/fakes/synthetic_fleet.py: every runbook metric of --instances instances, and ``up`` plus
the blackbox exporter's probe series of --probed instances x 4 endpoints), then, in the same
run:

1. ``aiops metrics check`` over --instances instances:
   - "raw ranked queries": the scorecard's own PromQL (topk, breach sets, counts: one query per
     check) sent at once with a bare HTTP client and decoded: what Prometheus needs, the floor;
   - "raw per-series queries": each check's expression pulling every instance's series (how
     the scorecard worked before it ranked on the server), sent at once and decoded;
   - the core ``metrics_check`` in this process, and the command end to end (new process).
   Bar: the command <= 2 s.
2. ``aiops health check --via prometheus`` over --probed instances:
   - "raw queries": its four instant queries sent at once and decoded (the floor; the fifth,
     which probes' body check failed, is asked only when a 2xx probe failed: not here);
   - the core ``aiops.health.prometheus.check``, and the command end to end.
   Bar: the command <= 2 s.

Medians of --repeat runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def raw(url: str, queries: list[str]) -> float:
    """Send every query at once (a thread each) and decode the answers; seconds taken."""

    def one(promql: str) -> int:
        body = urllib.parse.urlencode({"query": promql}).encode()
        with urllib.request.urlopen(url + "/api/v1/query", data=body, timeout=60) as resp:
            return len(json.loads(resp.read())["data"]["result"])

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=min(32, len(queries))) as pool:
        list(pool.map(one, queries))
    return time.perf_counter() - start


def command(args: list[str], env: dict[str, str]) -> float:
    import os

    exe = str(Path(sys.executable).parent / "aiops")
    start = time.perf_counter()
    done = subprocess.run([exe, *args, "-o", "json"], capture_output=True, text=True,
                          env={**{k: v for k, v in os.environ.items() if not k.startswith("AIOPS_")}, **env})
    elapsed = time.perf_counter() - start
    assert done.returncode in (0, 3), done.stderr[-500:]
    json.loads(done.stdout)
    return elapsed


def query_value(url: str, promql: str) -> float:
    q = urllib.parse.urlencode({"query": promql})
    with urllib.request.urlopen(f"{url}/api/v1/query?{q}", timeout=30) as resp:
        result = json.loads(resp.read())["data"]["result"]
    return float(result[0]["value"][1]) if result else 0.0


def wait(url: str, promql: str, want: float, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while query_value(url, promql) < want:
        if time.monotonic() > deadline:
            raise SystemExit(f"Prometheus never had {promql} >= {want}")
        time.sleep(1)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--instances", type=int, default=1000)
    parser.add_argument("--probed", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from aiops.catalog.checks import CHECKS
    from aiops.core.config import load
    from aiops.health.prometheus import check as via_prometheus
    from aiops.health.prometheus import queries as health_queries
    from aiops.prometheus import fleet
    from aiops.prometheus.scorecard import metrics_check
    from tests.fakes.prom_stack import start_prometheus
    from tests.fakes.synthetic_fleet import SyntheticFleet

    synthetic = SyntheticFleet(args.instances, probes=args.probed)
    tmp = tempfile.TemporaryDirectory(prefix="aiops-bench-fleet-")
    scrape = synthetic.scrape_configs("5s", pages=("scorecard",)) + synthetic.scrape_configs("15s", pages=("probes",))
    prom = start_prometheus(Path(tmp.name), scrape_configs=scrape)
    try:
        wait(prom.url, 'count(count_over_time(ai_free_energy{job="fleet"}[1m]) >= 4)', args.instances)
        wait(prom.url, 'count(probe_success{job="fleet-blackbox"})', 4 * args.probed)
        env = {"AIOPS_PROMETHEUS_URL": prom.url, "AIOPS_PROMETHEUS_JOB": "fleet", "AIOPS_TIMEOUT": "60"}
        cfg = load(environ=env, user_file=Path(tmp.name) / "none.toml", cwd=Path(tmp.name))
        ranked = [fleet.combined(fleet.queries(c, 300, "fleet", fleet.TOP)) for c in CHECKS]
        pulled = [c.promql_for(300, "fleet") for c in CHECKS]
        rows: dict[str, list[float]] = {k: [] for k in ("ranked", "pulled", "core", "command",
                                                         "h_raw", "h_core", "h_command")}
        for _ in range(args.repeat):
            rows["ranked"].append(raw(prom.url, ranked))
            rows["pulled"].append(raw(prom.url, pulled))
            start = time.perf_counter()
            card = metrics_check(cfg, source="prometheus")
            rows["core"].append(time.perf_counter() - start)
            assert card.row("model_accuracy").instance == "host-0017:8000"
            rows["command"].append(command(["metrics", "check", "--source", "prometheus"], env))
            rows["h_raw"].append(raw(prom.url, list(health_queries("fleet").values())))
            start = time.perf_counter()
            report = via_prometheus(cfg, job="fleet")
            rows["h_core"].append(time.perf_counter() - start)
            assert len(report.targets) == args.probed
            rows["h_command"].append(command(["health", "check", "--via", "prometheus"], env))
    finally:
        prom.stop()
        synthetic.close()
        tmp.cleanup()

    med = {k: statistics.median(v) for k, v in rows.items()}
    print(f"real Prometheus (loopback); {args.instances} instances scored, {args.probed} probed x 4 "
          f"endpoints; medians of {args.repeat} runs")
    print(f"{'measurement':<62}{'seconds':>9}")
    lines = [
        (f"metrics check, {args.instances} instances: raw ranked queries ({len(ranked)}, floor)", med["ranked"], None),
        (f"  raw per-series queries ({len(pulled)}: every instance pulled)", med["pulled"], None),
        ("  aiops.prometheus.scorecard.metrics_check (core)", med["core"], None),
        ("  aiops metrics check (command, wall)", med["command"], 2.0),
        (f"health --via prometheus, {args.probed} instances: raw queries (floor)", med["h_raw"], None),
        ("  aiops.health.prometheus.check (core)", med["h_core"], None),
        ("  aiops health check --via prometheus (command, wall)", med["h_command"], 2.0),
    ]
    failed = False
    for label, value, bar in lines:
        verdict = "" if bar is None else f"   bar <= {bar:.2f}  {'ok' if value <= bar else 'OVER'}"
        failed |= bar is not None and value > bar
        print(f"{label:<62}{value:>9.2f}{verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

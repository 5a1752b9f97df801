"""`aiops triage` end to end: every source reachable, and every source down.

    python benchmarks/bench_triage.py [--runs 5] [--timeout 3]

Starts the lab (healthy, and with a memory leak), a real Prometheus scraping both and a real
Alertmanager (Debian's binaries), then times `python -m aiops triage --target URL -o json` as
a separate process (interpreter start-up included). The baseline, measured in the same run, is
`aiops health check` against the same lab: one source, no playbook. The bars: <= 5 s wall with
every source reachable; <= --timeout + 1 s of triage (its own duration_ms) when nothing answers
(a black-holed Prometheus, Alertmanager, log store and target).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def aiops(args: list[str], env: dict[str, str], cwd: Path) -> tuple[float, dict | None, int]:
    """(wall seconds, parsed JSON stdout or None, exit code) of one `python -m aiops` run."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("AIOPS_")}
    base.update({"XDG_CONFIG_HOME": str(cwd / "config"), "XDG_DATA_HOME": str(cwd / "data"), **env})
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "aiops", *args], capture_output=True, text=True, env=base, cwd=cwd)
    wall = time.perf_counter() - started
    try:
        doc = json.loads(out.stdout)
    except ValueError:
        doc = None
    return wall, doc, out.returncode


def measure(label: str, args: list[str], env: dict[str, str], cwd: Path, runs: int, budget: float | None,
            key: str = "wall") -> dict:
    walls, internal, codes, verdicts = [], [], set(), set()
    for _ in range(runs):
        wall, doc, code = aiops(args, env, cwd)
        walls.append(wall)
        codes.add(code)
        if doc and "duration_ms" in doc:
            internal.append(doc["duration_ms"] / 1000)
            verdicts.add(f"{doc.get('verdict')}/{(doc.get('playbook') or {}).get('name') or '-'}")
    judged = max(walls) if key == "wall" else max(internal or [float("inf")])
    return {"label": label, "median": statistics.median(walls), "max": max(walls),
            "internal": statistics.median(internal) if internal else None, "budget": budget,
            "judged": judged, "key": key, "codes": sorted(codes), "verdicts": sorted(verdicts),
            "ok": None if budget is None else judged <= budget}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=3.0, help="the timeout setting when sources are down")
    opts = parser.parse_args()

    from tests.fakes.lab import start_lab
    from tests.fakes.prom_stack import shortened_rules, start_alertmanager, start_prometheus

    tmp = Path(tempfile.mkdtemp(prefix="bench-triage-"))
    healthy, leaking = start_lab(fast=False), start_lab(("memory-leak",), fast=False)
    servers = []
    hole = socket.socket()
    try:
        am = start_alertmanager(tmp)
        servers.append(am)
        jobs = {"active-inference": [healthy.url.split("://")[1]], "lab-leak": [leaking.url.split("://")[1]]}
        prom = start_prometheus(tmp, jobs=jobs, rule_files=[shortened_rules(tmp / "rules.json")],
                                alertmanager=am.url)
        servers.append(prom)
        time.sleep(20)  # enough scrapes that rates and the scorecard's trends are not a young series'
        up = {"AIOPS_PROMETHEUS_URL": prom.url, "AIOPS_ALERTMANAGER_URL": am.url, "AIOPS_LOGS_BACKEND": "file"}
        hole.bind(("127.0.0.1", 0))
        hole.listen(0)  # accepts into the backlog, never answers
        black = f"http://127.0.0.1:{hole.getsockname()[1]}"
        down = {"AIOPS_PROMETHEUS_URL": black, "AIOPS_ALERTMANAGER_URL": black, "AIOPS_LOGS_URL": black,
                "AIOPS_TIMEOUT": f"{opts.timeout:g}"}
        rows = [
            measure("baseline: aiops health check (healthy lab)", ["health", "check", healthy.url, "-o", "json"],
                    {}, tmp, opts.runs, None),
            measure("triage, all sources up, healthy lab", ["triage", "-t", healthy.url, "-o", "json"],
                    {**up, "AIOPS_LOGS_FILE": str(healthy.log_file)}, tmp, opts.runs, 5.0),
            measure("triage, all sources up, memory leak (playbook runs)", ["triage", "-t", leaking.url, "-o", "json"],
                    {**up, "AIOPS_LOGS_FILE": str(leaking.log_file), "AIOPS_PROMETHEUS_JOB": "lab-leak"},
                    tmp, opts.runs, 5.0),
            measure(f"triage, every source down (timeout {opts.timeout:g}s)", ["triage", "-t", black, "-o", "json"],
                    down, tmp, opts.runs, opts.timeout + 1.0, key="internal"),
        ]
    finally:
        hole.close()
        for server in servers:
            server.stop()
        healthy.stop()
        leaking.stop()
    print(f"{'scenario':<56} {'median s':>9} {'max s':>7} {'triage s':>9} {'budget':>8}  result   exit  verdict/playbook")
    for r in rows:
        budget = "-" if r["budget"] is None else f"{r['budget']:g}s {'wall' if r['key'] == 'wall' else 'own'}"
        result = "-" if r["ok"] is None else ("ok" if r["ok"] else "OVER")
        internal = "-" if r["internal"] is None else f"{r['internal']:.2f}"
        print(f"{r['label']:<56} {r['median']:>9.2f} {r['max']:>7.2f} {internal:>9} {budget:>8}  {result:<7} "
              f"{','.join(map(str, r['codes'])):>5}  {', '.join(r['verdicts']) or '-'}")
    base = rows[0]["median"]
    print(f"\ntriage costs {rows[1]['median'] - base:+.2f}s over the health-check baseline (healthy lab); "
          "'triage s' is the report's own duration_ms (no interpreter start-up).")
    return 0 if all(r["ok"] in (None, True) for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())

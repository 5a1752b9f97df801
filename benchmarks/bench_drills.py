"""The drill bars: the built-in corpus at --speed 60, concurrently, each scenario on its own stack.

    python benchmarks/bench_drills.py [--speed 60] [--jobs 4] [--report report.json]

Runs `python -m aiops drill run --speed S --jobs J -o json` (a separate process, as CI does)
and prints two tables. Per scenario: the detection time (fault in effect to alert seen firing,
wall-clock seconds) beside its baseline, the floor the rules themselves impose at that speed
(the rule's `for` divided by the speed, plus one scrape and one evaluation interval). Totals,
each bar beside its measurement: median detection < 15 s; the whole corpus < 600 s wall
(beside the baseline of running the same scenarios one after another: the sum of their
durations); top playbook and instance right 100 %; zero critical verdicts on noise-only.
The machine's load average is printed: a shared machine inflates every time here.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speed", type=float, default=60.0)
    parser.add_argument("--jobs", type=int, default=4)
    parser.add_argument("--report", help="also write the drill report (JSON) here")
    args = parser.parse_args()
    from aiops.lab.stack.timing import detection_floor_s, timing

    t = timing(args.speed)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-drills-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIOPS_")}
        env.update({"XDG_CONFIG_HOME": f"{tmp}/config", "XDG_DATA_HOME": f"{tmp}/data", "NO_COLOR": "1"})
        began = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "aiops", "drill", "run", "--speed", f"{args.speed:g}",
                               "--jobs", str(args.jobs), "-o", "json"], capture_output=True, text=True,
                              env=env, cwd=tmp)
        wall = time.perf_counter() - began
    if not done.stdout.strip():
        print(done.stderr[-3000:], file=sys.stderr)
        return 1
    report = json.loads(done.stdout)
    if args.report:
        Path(args.report).write_text(json.dumps(report, indent=2))
    print(f"# drill corpus at --speed {args.speed:g}, --jobs {args.jobs}; load average {load_before:.1f} "
          f"before, {os.getloadavg()[0]:.1f} after, on {os.cpu_count()} cores")
    print()
    print(f"{'scenario':26} {'alert':17} {'detection s':>11} {'floor s':>8} {'duration s':>10}  passed")
    for s in report["scenarios"]:
        alert = s["got"]["triage_alert"] or "-"
        floor = "-" if alert == "-" else f"{detection_floor_s(t, alert) + t.scrape_s + t.evaluation_s:.1f}"
        detect = "-" if s["detection_seconds"] is None else f"{s['detection_seconds']:.1f}"
        print(f"{s['name']:26} {alert:17} {detect:>11} {floor:>8} {s['duration_seconds']:>10.1f}  {s['passed']}")
    totals = report["totals"]
    sequential = sum(s["duration_seconds"] for s in report["scenarios"])
    pct = lambda v: "-" if v is None else f"{v * 100:.0f} %"  # noqa: E731
    rows = [
        ("median detection time", "< 15 s", f"{totals['median_detection_seconds']} s",
         f"floor median {_median_floor(report, t, detection_floor_s):.1f} s"),
        ("whole corpus, wall clock", "< 600 s", f"{wall:.0f} s", f"one after another: {sequential:.0f} s"),
        ("top playbook right", "100 %", pct(totals["playbook_accuracy"]), f"{totals['fault_scenarios']} fault scenarios"),
        ("instance named right", "100 %", pct(totals["instance_accuracy"]), ""),
        ("critical on noise-only", "0", str(totals["false_critical_on_noise"]),
         f"{totals['noise_only_scenarios']} noise-only scenarios"),
        ("false alarms", "0", str(totals["false_alarms"]), ""),
        ("scenarios passed", str(totals["scenarios"]), str(totals["passed"]), f"exit {done.returncode}"),
    ]
    print()
    print(f"{'bar':26} {'target':>8} {'measured':>10}  baseline")
    for name, target, measured, baseline in rows:
        print(f"{name:26} {target:>8} {measured:>10}  {baseline}")
    return 0 if done.returncode == 0 else 3


def _median_floor(report: dict, t, floor) -> float:
    import statistics

    values = [floor(t, s["got"]["triage_alert"]) + t.scrape_s + t.evaluation_s for s in report["scenarios"]
              if s["got"]["triage_alert"]]
    return statistics.median(values) if values else 0.0


if __name__ == "__main__":
    sys.exit(main())
